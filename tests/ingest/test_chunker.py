"""Chunk invariants: exact spans of the cleaned text, full coverage of section content,
a hard size bound, cuts only between jieba tokens and never inside a number, and ids
that depend only on content."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyqa.documents import Document, RawDocument, chunk_id
from policyqa.ingest.chunker import chunk_document, max_chars, split_long
from policyqa.ingest.clean import CleanText, clean
from policyqa.ingest.document import parse_file
from policyqa.ingest.loaders import load
from policyqa.ingest.structure import parse_tables
from policyqa.language import Tokenizer, sentences
from tests.conftest import PAPER, ROOT
from tests.fixtures import PAPER_PROFILE, SYNTHETIC_LABEL, SYNTHETIC_PLAN, build

# "1 707.6", "10 166.8", "1.68", "3.0": a cut must never fall inside one of these
NUMBER = re.compile(r"\d{1,3}(?:[ \u2009\u202f]\d{3})+(?:\.\d+)?|\d+\.\d+")


def heading_spans(cleaned: CleanText) -> list[tuple[int, int]]:
    return [(u.start, u.end) for u in cleaned.units if u.kind == "heading"]


def uncovered(cleaned: CleanText, chunks) -> str:
    """Visible characters of section content (all but heading lines) that no chunk holds."""
    covered = bytearray(len(cleaned.text))
    for a, b in heading_spans(cleaned):
        covered[a:b] = b"\x01" * (b - a)
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    return "".join(
        ch for ch, hit in zip(cleaned.text, covered, strict=True) if not hit and not ch.isspace()
    )


def assert_invariants(cleaned: CleanText, doc: Document, chunks, size: int) -> None:
    text = doc.text
    assert chunks, "a document with content gives chunks"
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert c.text.strip()
        assert len(c.text) <= max_chars(size)
        assert c.chunk_id == chunk_id(doc.content_hash, c.start, c.end)
    assert uncovered(cleaned, chunks) == ""
    for a, b in heading_spans(cleaned):
        assert not any(c.start < b and a < c.end for c in chunks), text[a:b]
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for c in chunks:
        for m in NUMBER.finditer(text):
            assert not m.start() < c.start < m.end(), (m.group(), c.text)
            assert not m.start() < c.end < m.end(), (m.group(), c.text)


def assert_token_cuts(text: str, chunks, cut) -> None:
    """A chunk edge inside a sentence is a jieba token boundary of that sentence."""
    spans = sentences(text, 0, len(text))
    for c in chunks:
        for pos in (c.start, c.end):
            for a, b in spans:
                if a < pos < b:
                    edges = {a}
                    for token in cut(text[a:b]):
                        edges.add(max(edges) + len(token))
                    assert pos in edges, (text[a:pos], text[pos:b])


# --- the real paper --------------------------------------------------------------


@pytest.fixture(scope="module")
def paper(tokenizer):
    return clean(load(PAPER)), parse_file(PAPER, tokenizer, profile=PAPER_PROFILE)


@pytest.mark.unit
def test_paper_chunk_invariants(paper, tokenizer) -> None:
    cleaned, parsed = paper
    assert parsed.doc.text == cleaned.text
    assert_invariants(cleaned, parsed.doc, parsed.chunks, 200)
    assert_token_cuts(parsed.doc.text, parsed.chunks, tokenizer.cut)


@pytest.mark.unit
def test_paper_numbers_survive_in_one_chunk(paper) -> None:
    _, parsed = paper
    for number in ("1 707.6", "1.68万亿元", "10 166.8", "1 570.82", "30%"):
        assert any(number in c.text for c in parsed.chunks), number


@pytest.mark.unit
def test_paper_headings_are_section_paths_not_chunks(paper) -> None:
    cleaned, parsed = paper
    headings = {cleaned.text[a:b] for a, b in heading_spans(cleaned)}
    assert "3.2 产业链关键环节薄弱,协作配套能力待加强" in headings
    assert not [c for c in parsed.chunks if c.text in headings]
    sample = next(c for c in parsed.chunks if "本地配套率仅为30%" in c.text)
    assert sample.section.endswith("3.2 产业链关键环节薄弱,协作配套能力待加强")
    assert sample.role == "problem" and "汽车" in sample.industries
    assert sample.retrieval_text().startswith(sample.section + "\n")


@pytest.mark.unit
def test_paper_table_chunks_carry_caption_and_header(paper) -> None:
    _, parsed = paper
    tables = [c for c in parsed.chunks if c.kind == "table"]
    by_label = {}
    for c in tables:
        by_label.setdefault(re.sub(r"\s", "", c.context)[:2], []).append(c)
    assert set(by_label) == {"表1", "表2", "表3"}
    assert len(by_label["表1"]) >= 2  # 18 rows do not fit one chunk
    for c in tables:
        assert c.role == "table"
        caption = c.context.split("\n")[0]
        assert caption.startswith("表")
    for label, header in (("表2", "地区\t汽车本地配套率/%"), ("表3", "地区\t研发投入 GDP/亿元")):
        first = by_label[label][0]
        assert first.text.startswith(first.context.split("\n")[0])  # caption in the text
        assert header in first.context
    # a continuation chunk of 表1 does not hold the caption, but its context does
    later = by_label["表1"][1]
    assert not later.text.startswith("表1") and later.context.startswith("表1 35个")
    assert "表1 35个" in later.retrieval_text()
    t2 = by_label["表2"][0]
    assert "成渝地区\t30" in t2.text and "汽车" in t2.industries


@pytest.mark.unit
def test_paper_kinds_and_overlap(paper) -> None:
    _, parsed = paper
    kinds = {c.kind for c in parsed.chunks}
    assert kinds == {"text", "table", "references"}
    refs = [c for c in parsed.chunks if c.kind == "references"]
    assert all(c.role == "references" and "[" in c.text for c in refs)
    assert all(c.page == -1 for c in parsed.chunks)  # txt has no pages
    text = [c for c in parsed.chunks if c.kind == "text"]
    # overlap=1: a neighbour in the same section repeats the previous chunk's last sentence
    assert any(
        a.section == b.section and b.start < a.end for a, b in zip(text, text[1:], strict=False)
    )


@pytest.mark.unit
def test_paper_without_overlap_chunks_are_disjoint(paper, tokenizer) -> None:
    _, parsed = paper
    tables = parse_tables(clean(RawDocument(str(PAPER), parsed.doc.original, "txt")))
    chunks = chunk_document(parsed.doc, tables, tokenizer.cut, PAPER_PROFILE, size=200, overlap=0)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.end <= b.start


@pytest.mark.unit
@pytest.mark.parametrize("size", [60, 120, 400])
def test_paper_invariants_hold_for_other_sizes(paper, tokenizer, size: int) -> None:
    cleaned, parsed = paper
    tables = parse_tables(cleaned)
    chunks = chunk_document(parsed.doc, tables, tokenizer.cut, PAPER_PROFILE, size=size, overlap=1)
    assert_invariants(cleaned, parsed.doc, chunks, size)
    assert_token_cuts(parsed.doc.text, chunks, tokenizer.cut)


# --- ids ----------------------------------------------------------------------


@pytest.mark.unit
def test_ids_are_stable_across_runs(paper, tokenizer) -> None:
    _, parsed = paper
    again = parse_file(PAPER, tokenizer, profile=PAPER_PROFILE)
    assert [c.chunk_id for c in again.chunks] == [c.chunk_id for c in parsed.chunks]
    assert again.chunks == parsed.chunks


@pytest.mark.unit
def test_same_content_elsewhere_gives_same_ids(paper, tokenizer, tmp_path: Path) -> None:
    _, parsed = paper
    for f in (PAPER, PAPER.with_name(PAPER.stem + ".meta.json")):
        shutil.copy(f, tmp_path / f.name)
    moved = parse_file(tmp_path / PAPER.name, tokenizer, profile=PAPER_PROFILE)
    assert [c.chunk_id for c in moved.chunks] == [c.chunk_id for c in parsed.chunks]


@pytest.mark.unit
def test_changed_content_changes_ids(paper, tokenizer, tmp_path: Path) -> None:
    _, parsed = paper
    copy = tmp_path / PAPER.name
    copy.write_text(PAPER.read_text("utf-8").replace("仅为30%", "仅为31%"), "utf-8")
    changed = parse_file(copy, tokenizer, profile=PAPER_PROFILE)
    assert not {c.chunk_id for c in changed.chunks} & {c.chunk_id for c in parsed.chunks}


def test_ids_do_not_depend_on_the_process(tokenizer) -> None:
    """sha256, not hash(): another interpreter with another hash seed agrees.

    Compared with a fresh tokenizer here, as the session one may have thesaurus words
    added by a retriever (HybridRetriever calls add_word on the tokenizer it is given)."""
    cache = Path(tokenizer._jieba.tmp_dir)
    parsed = parse_file(PAPER, Tokenizer(cache_dir=cache))
    code = (
        "import sys; from policyqa.ingest.document import parse_file;"
        "from policyqa.language import Tokenizer;"
        "p = parse_file(sys.argv[1], Tokenizer(cache_dir=sys.argv[2]));"
        "print(' '.join(c.chunk_id for c in p.chunks))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(PAPER), str(cache)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert out.stdout.split() == [c.chunk_id for c in parsed.chunks]


@pytest.mark.unit
def test_chunk_round_trips_through_flat_metadata(paper) -> None:
    _, parsed = paper
    for c in parsed.chunks:
        meta = c.metadata()
        assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())
        assert type(c).from_metadata(c.text, meta) == c


# --- synthetic documents -------------------------------------------------------

LONG_SENTENCE = (
    f"{SYNTHETIC_LABEL}\n1 发展现状\n"
    + "，".join(
        [
            "2023年成渝地区电子信息产业营业收入达到1.68万亿元",
            "汽车产量约为1 707.6万辆",
            "研发投入总额为10 166.8亿元",
            "新能源汽车本地配套率仅为30%",
            "装备制造产业规模以上企业营业收入稳步增长",
            "产业链关键环节的本地配套能力持续提升",
        ]
        * 4
    )
    + "。\n"
)


@pytest.mark.unit
@pytest.mark.parametrize("size", [20, 33, 50])
def test_long_sentence_is_cut_between_tokens_not_inside_numbers(tokenizer, size: int) -> None:
    cleaned, doc, chunks = build(LONG_SENTENCE, tokenizer.cut, size=size)
    assert len(chunks) > 5
    assert_invariants(cleaned, doc, chunks, size)
    assert_token_cuts(doc.text, chunks, tokenizer.cut)
    for number in ("1.68万亿元", "1 707.6", "10 166.8"):
        assert any(number in c.text for c in chunks)


@pytest.mark.unit
def test_split_long_keeps_numbers_whole(tokenizer) -> None:
    text = "营业收入1 707.6亿元和1.68万亿元"
    pieces = split_long(text, 0, len(text), 8, tokenizer.cut)  # "1 707.6" is 7 chars
    parts = [text[a:b] for a, b in pieces]
    assert "".join(parts) == text and len(parts) > 2
    assert all(len(p) <= 8 for p in parts)
    assert any("1 707.6" in p for p in parts) and any("1.68" in p for p in parts)


@pytest.mark.unit
def test_a_token_longer_than_size_is_still_bounded() -> None:
    text = "甲" * 50
    pieces = split_long(text, 0, 50, 20, lambda s: [s])  # one 50-char "token"
    assert [b - a for a, b in pieces] == [20, 20, 10]


@pytest.mark.unit
def test_synthetic_plan_chunks(tokenizer) -> None:
    cleaned, doc, chunks = build(SYNTHETIC_PLAN, tokenizer.cut, size=60)
    assert_invariants(cleaned, doc, chunks, 60)
    sections = {c.section for c in chunks}
    assert "第四章 主要措施 > 二、强化要素保障" in sections
    item = next(c for c in chunks if c.text.startswith("（1）每条重点产业链"))
    assert item.section.endswith("> （1）每条重点产业链明确一名牵头负责同志")
    assert item.role == "countermeasure"
    auto = next(c for c in chunks if "2. 汽车产业动力电池" in c.text)
    assert auto.section.endswith("（一）产业链关键环节薄弱") and "汽车" in auto.industries


@pytest.mark.unit
def test_document_opening_with_a_heading(tokenizer) -> None:
    text = "第一章 总则\n第一条 为加快产业建设，制定本方案。\n第二章 措施\n一、补齐短板\n加强人才支撑。"
    cleaned, doc, chunks = build(text, tokenizer.cut)
    assert_invariants(cleaned, doc, chunks, 200)
    assert [c.text for c in chunks] == ["第一条 为加快产业建设，制定本方案。", "加强人才支撑。"]


@pytest.mark.unit
def test_chunks_do_not_depend_on_ordinal_or_order(tokenizer) -> None:
    _, doc, chunks = build(SYNTHETIC_PLAN, tokenizer.cut)
    again = chunk_document(doc, [], tokenizer.cut, PAPER_PROFILE)
    assert [replace(c, ordinal=0) for c in chunks] == [replace(c, ordinal=0) for c in again]


# --- property test ---------------------------------------------------------------

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
WORDS = st.sampled_from(
    ["成渝地区", "电子信息", "汽车", "装备制造", "产业集群", "协同发展", "本地配套率", "GDP", "AI"]
)
NUMBERS = st.sampled_from(["1 707.6", "1.68", "10 166.8", "30%", "2023", "3.0", "35"])
# numbers stand between words, as in real text: a run of digits longer than the chunk
# size could not be kept whole
AMOUNTS = NUMBERS.map(lambda n: f"为{n}亿元")
PUNCT = st.sampled_from(["，", "、", "。", "；", ",", ". ", "：", "（", "）", " ", "“", "”"])
PIECE = st.one_of(st.text(HAN, min_size=1, max_size=8), WORDS, AMOUNTS, PUNCT)
SENTENCE = st.lists(PIECE, min_size=1, max_size=40).map("".join)
HEADING = st.one_of(
    st.tuples(st.integers(1, 9), st.text(HAN, min_size=2, max_size=12)).map(
        lambda t: f"{t[0]} {t[1]}"
    ),
    st.tuples(st.integers(1, 9), st.integers(1, 9), WORDS).map(
        lambda t: f"{t[0]}.{t[1]} {t[2]}现状"
    ),
    st.tuples(st.sampled_from("一二三四五"), st.text(HAN, min_size=2, max_size=10)).map(
        lambda t: f"{t[0]}、{t[1]}"
    ),
    st.tuples(st.sampled_from("一二三"), st.text(HAN, min_size=2, max_size=10)).map(
        lambda t: f"（{t[0]}）{t[1]}"
    ),
    st.sampled_from(["第一章 总则", "第二章 存在的问题", "参考文献", "摘要: 协同发展"]),
)
TABLE = st.tuples(
    st.integers(1, 5), st.lists(st.tuples(WORDS, NUMBERS), min_size=1, max_size=6)
).map(lambda t: f"表{t[0]} 示例表\n地区\t数值/%\n" + "\n".join(f"{a}\t{b}" for a, b in t[1]))
LINE = st.one_of(SENTENCE, SENTENCE, SENTENCE, HEADING, TABLE, st.just(""))
DOCUMENT = st.lists(LINE, min_size=1, max_size=25).map("\n".join)


@settings(
    max_examples=int(os.environ.get("HYP_N", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=DOCUMENT, size=st.integers(10, 120), overlap=st.integers(0, 2))
def test_property_random_documents(tokenizer, text: str, size: int, overlap: int) -> None:
    if not text.strip():
        return
    cleaned, doc, chunks = build(text, tokenizer.cut, size=size, overlap=overlap)
    if not uncovered(cleaned, []):
        return  # only headings: nothing to chunk
    assert_invariants(cleaned, doc, chunks, size)
    assert_token_cuts(doc.text, [c for c in chunks if c.kind != "table"], tokenizer.cut)
    again = build(text, tokenizer.cut, size=size, overlap=overlap)[2]
    assert [c.chunk_id for c in again] == [c.chunk_id for c in chunks]
