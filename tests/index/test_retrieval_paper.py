"""Hybrid retrieval over the real paper with the real packaged model: the passage that
answers each question is in the top 5, and filters restrict what comes back."""

from __future__ import annotations

import pytest

from policyqa.errors import FilterError
from policyqa.index.filters import Filters

pytestmark = pytest.mark.integration

PAPER_ID = "paper-chengyu-three-clusters-2025"


def has_text(*needles: str):
    return lambda c: any(n in c.text for n in needles)


def in_section(number_and_title: str):
    return lambda c: c.section.endswith(number_and_title)


QUESTIONS = [
    ("成渝地区新能源汽车本地配套率是多少", has_text("仅为30%", "成渝地区\t30")),
    ("成渝地区研发投入占GDP比例", has_text("约为 3%", "成渝地区\t1 570.82\t3.0")),
    ("长三角地区研发投入是多少亿元", has_text("10 166.8")),
    ("电子信息产业集群产值规模", has_text("1.68万亿元")),
    ("合作示范园区有多少个", has_text("35个")),
    ("人才方面存在什么问题", in_section("3.4 人才金融要素供给不均衡,流通共享机制不健全")),
    ("金融方面有哪些对策建议", in_section("4.5 深化区域金融一体化,统筹金融要素助力产业协同")),
    ("产业结构同质化问题", in_section("3.1 产业结构同质化,产业梯度落差较大")),
    ("产业链数据共享滞后怎么解决", in_section("4.6 加快信息基础设施建设,推动产业链数据对接")),
]


@pytest.mark.parametrize(("question", "expected"), QUESTIONS, ids=[q for q, _ in QUESTIONS])
def test_answer_passage_is_in_top_5(paper_retriever, question: str, expected) -> None:
    hits = paper_retriever.search(question, k=5)
    assert len(hits) == 5
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert any(expected(h.chunk) for h in hits), [h.chunk.text[:40] for h in hits]


def test_hits_come_from_several_views(paper_retriever) -> None:
    hits = paper_retriever.search("成渝地区新能源汽车本地配套率是多少", k=5)
    views = {view for h in hits for view in h.views}
    # chunk vectors only widen the pool; the sentence view scores it by meaning
    assert views == {"bm25", "bigram", "sentence"}
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


def test_role_filter(paper_retriever) -> None:
    hits = paper_retriever.search("配套能力", k=8, filters=Filters.of(role="problem"))
    assert hits and all(h.chunk.role == "problem" for h in hits)
    measures = paper_retriever.search("配套能力", k=8, filters=Filters.of(role="countermeasure"))
    assert measures and all(h.chunk.role == "countermeasure" for h in measures)
    assert {h.chunk.chunk_id for h in hits}.isdisjoint(h.chunk.chunk_id for h in measures)


def test_industry_filter(paper_retriever) -> None:
    hits = paper_retriever.search("本地配套率", k=8, filters=Filters.of(industry="汽车"))
    assert hits and all("汽车" in h.chunk.industries.split(",") for h in hits)
    both = paper_retriever.search(
        "人才培养", k=8, filters=Filters.of(industry="装备制造", role="countermeasure")
    )
    assert both
    assert all(h.chunk.role == "countermeasure" and "装备制造" in h.chunk.industries for h in both)


def test_doc_filter(paper_retriever) -> None:
    hits = paper_retriever.search("本地配套率", k=5, filters=Filters.of(doc=PAPER_ID))
    assert hits and all(h.chunk.doc_id == PAPER_ID for h in hits)
    # an unknown document is an error that lists the indexed ones, not an empty answer
    with pytest.raises(FilterError) as info:
        paper_retriever.search("本地配套率", k=5, filters=Filters.of(doc="no-such-doc"))
    assert "no-such-doc" in str(info.value) and PAPER_ID in str(info.value)


def test_kind_filter_finds_tables(paper_retriever) -> None:
    hits = paper_retriever.search("研发投入", k=5, filters=Filters.of(kind="table"))
    assert hits and all(h.chunk.kind == "table" for h in hits)
    assert hits[0].chunk.context.startswith("表 3")


def test_references_are_excluded_by_default(paper_retriever) -> None:
    question = "京津冀产业协同发展水平测度"  # the title of reference [3]
    hits = paper_retriever.search(question, k=10)
    assert hits and all(h.chunk.kind != "references" for h in hits)
    with_refs = paper_retriever.search(question, k=10, include_references=True)
    assert any(h.chunk.kind == "references" for h in with_refs)
    refs = paper_retriever.search(question, k=5, filters=Filters.of(role="references"))
    assert refs and all(h.chunk.kind == "references" for h in refs)
    assert any("刘冲, 李皓宇" in h.chunk.text for h in refs)


def test_traditional_and_full_width_questions(paper_retriever) -> None:
    simplified = paper_retriever.search("新能源汽车本地配套率", k=3)
    traditional = paper_retriever.search("新能源汽車本地配套率", k=3)
    assert [h.chunk.chunk_id for h in traditional] == [h.chunk.chunk_id for h in simplified]


def test_empty_question_gives_nothing(paper_retriever) -> None:
    assert paper_retriever.search("   ", k=5) == []
