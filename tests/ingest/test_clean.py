"""The cleaner repairs the real paper's extraction damage without losing a character,
and leaves alone line breaks that formats mean as paragraph breaks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from policyqa.documents import RawDocument
from policyqa.ingest.clean import clean
from policyqa.ingest.loaders import load
from tests.conftest import PAPER
from tests.fixtures import SYNTHETIC_LABEL, make_docx

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def raw():
    return load(PAPER)


@pytest.fixture(scope="module")
def cleaned(raw):
    return clean(raw)


def visible(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace())


# --- the real paper ------------------------------------------------------------


def test_footer_block_is_lifted_into_footer(raw, cleaned) -> None:
    assert "收稿日期" in raw.text and "作者简介" in raw.text
    assert [line[:4] for line in cleaned.footer] == ["收稿日期", "作者简介"]
    assert "2024-11-07" in cleaned.footer[0]
    assert "朱兵(1982—)" in cleaned.footer[1]
    for gone in ("收稿日期", "作者简介", "朱兵(1982—)", "研究方向为科技开发及管理"):
        assert gone not in cleaned.text


@pytest.mark.parametrize(
    "joined",
    [
        "产业协同发展的理论探析",  # cut by the footer block
        "瞄准电子信息产业集群",  # cut by a page break
        "集成电路和新能源、智能网联",
        "在推动新能源汽车本地配套能力提升",  # cut by table 2
        "形成有序竞争格局",
        "构建逆向技术创新链条",
        "融资和贷款需求",
    ],
)
def test_cut_sentences_are_rejoined(raw, cleaned, joined: str) -> None:
    assert joined not in raw.text  # the damage is really there
    assert joined in cleaned.text


def test_no_content_character_is_lost(raw, cleaned) -> None:
    kept = visible(cleaned.text) + visible("".join(cleaned.footer))
    assert kept == visible(raw.text)


def test_table_that_cut_a_sentence_moves_after_it(cleaned) -> None:
    text = cleaned.text
    sentence = "在推动新能源汽车本地配套能力提升方面仍需加强资源整合与技术突破。"
    caption = text.index("表 2 全国各地区新能源汽车本地配套率")
    assert text.index(sentence) < caption
    # the table stays whole: caption, a blank line, then its rows in order
    rows = [
        "地区\t汽车本地配套率/%",
        "成渝地区\t30",
        "珠三角地区\t45",
        "东北地区\t20",
        "长三角地区\t>50",
    ]
    block = "表 2 全国各地区新能源汽车本地配套率\n\n" + "\n".join(rows) + "\n\n"
    assert text[caption:].startswith(block)
    assert text[caption + len(block) :].startswith("产业协作配套能力不足")


def test_units_classify_captions_rows_and_headings(cleaned) -> None:
    by_text = {cleaned.text[u.start : u.end]: u for u in cleaned.units}
    assert by_text["图1 成渝地区2020—2023年汽车产量与增速"].kind == "caption"
    assert by_text["3.2 产业链关键环节薄弱,协作配套能力待加强"].kind == "heading"
    assert by_text["3.2 产业链关键环节薄弱,协作配套能力待加强"].level == 2
    assert by_text["成渝地区\t1 570.82\t3.0"].kind == "row"
    assert by_text["南部经济开发区"].kind == "row"  # odd last row of 表1: one cell, no tab
    assert by_text["关键词: 成渝双城经济圈; 世界级产业集群; 协同发展"].kind == "label"
    for u in cleaned.units:
        assert cleaned.text[u.start : u.end].strip() == cleaned.text[u.start : u.end]


# --- small synthetic documents ---------------------------------------------------

BROKEN = f"""{SYNTHETIC_LABEL}
1 发展现状
电子信息产业规模持续
扩大，汽车产量稳步增长。
"""


def test_txt_line_break_inside_a_sentence_is_joined() -> None:
    out = clean(RawDocument("plan.txt", BROKEN, "txt"))
    assert "电子信息产业规模持续扩大，汽车产量稳步增长。" in out.text


@pytest.mark.parametrize("fmt", ["md", "docx", "html"])
def test_paragraph_formats_keep_their_line_breaks(fmt: str) -> None:
    out = clean(RawDocument(f"plan.{fmt}", BROKEN, fmt))
    assert "电子信息产业规模持续\n扩大" in out.text


def test_markdown_and_docx_files_are_not_joined(tmp_path: Path) -> None:
    md = tmp_path / "plan.md"
    md.write_text(f"{SYNTHETIC_LABEL}\n\n# 发展现状\n\n电子信息产业规模持续\n扩大。\n", "utf-8")
    docx = make_docx(
        tmp_path / "plan.docx",
        [
            ("para", SYNTHETIC_LABEL),
            ("heading", 1, "发展现状"),
            ("para", "电子信息产业规模持续"),
            ("para", "扩大。"),
        ],
    )
    for path in (md, docx):
        out = clean(load(path))
        assert "电子信息产业规模持续\n扩大。" in out.text, path.suffix


def test_title_block_before_first_heading_is_not_joined() -> None:
    text = f"{SYNTHETIC_LABEL}\n某市汽车产业\n发展报告\n\n1 总体情况\n产业规模持续\n扩大。\n"
    out = clean(RawDocument("report.txt", text, "txt"))
    assert "某市汽车产业\n发展报告" in out.text
    assert "产业规模持续扩大。" in out.text


def test_sentence_is_not_joined_across_a_heading() -> None:
    text = f"{SYNTHETIC_LABEL}\n1 现状\n产业规模持续扩大\n\n2 问题\n配套能力不足。\n"
    out = clean(RawDocument("report.txt", text, "txt"))
    assert "产业规模持续扩大\n\n2 问题\n配套能力不足。" in out.text


def test_footer_in_a_synthetic_txt_is_lifted_and_sentence_rejoined() -> None:
    text = (
        f"{SYNTHETIC_LABEL}\n1 现状\n区域内产业协\n\n"
        "收稿日期: 2024-01-01\n基金项目: 示例基金\n\n同发展格局初步形成。\n"
    )
    out = clean(RawDocument("paper.txt", text, "txt"))
    assert out.footer == ("收稿日期: 2024-01-01", "基金项目: 示例基金")
    assert "区域内产业协同发展格局初步形成。" in out.text
    assert "收稿日期" not in out.text
