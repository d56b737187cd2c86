"""Regulations and plans as first-class documents: the real Chongqing
regulations, and small synthetic documents (labelled synthetic) for the cases
the real ones do not show (a table of contents, a .txt with a Markdown title,
a DOCX without heading styles, a table without a caption, a plan hierarchy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyqa.ingest.document import parse_file
from tests.conftest import ROOT
from tests.fixtures import PAPER_PROFILE, SYNTHETIC_LABEL, SYNTHETIC_PLAN, make_docx

REGULATIONS = ROOT / "eval" / "corpora" / "regulations"

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def quality(tokenizer):
    return parse_file(REGULATIONS / "chongqing-product-quality-2014.md", tokenizer)


def test_title_history_and_type_come_from_the_document(quality):
    doc = quality.doc
    assert doc.title == "重庆市产品质量条例"  # the Markdown title, without '#'
    assert doc.doc_type == "regulation"
    assert doc.metadata["adopted"] == "2014年8月1日"
    assert doc.metadata["effective"] == "2015年1月1日"
    assert "<!--" not in doc.text and "INFO END" not in doc.text
    # the title names the document; it is not the root of every section path
    assert not any(s.path.startswith("重庆市产品质量条例 >") for s in doc.sections)


def test_an_article_keeps_its_items_and_paragraphs(quality):
    doc = quality.doc
    article = next(s for s in doc.sections if s.number == "第十条")
    assert article.path == "第二章 生产者、销售者的责任和义务 > 第十条"
    body = doc.text[article.start : article.end]
    for item in ("（一）不存在危及人身", "（二）具备产品应当具备的使用性能", "（三）符合在产品"):
        assert item in body
    assert "赠品、奖品，应当符合前款规定" in body  # the paragraph after the items
    assert not any(s.number.startswith("（") for s in doc.sections)  # items open no section
    pieces = [c for c in quality.chunks if c.section.endswith("> 第十条")]
    assert pieces and all("第十条" in c.retrieval_text() for c in pieces)
    for item in ("（一）", "（二）", "（三）"):
        assert any(item in c.text for c in pieces)


def test_every_article_of_every_regulation_is_a_section(tokenizer):
    counts = {}
    for path in sorted(REGULATIONS.glob("chongqing-*.md")):
        doc = parse_file(path, tokenizer).doc
        articles = [
            s for s in doc.sections if s.number.startswith("第") and s.number.endswith("条")
        ]
        counts[path.stem] = len(articles)
        assert [s.number for s in articles] == list(dict.fromkeys(s.number for s in articles))
    assert counts == {
        "chongqing-enterprise-burden-2010": 37,
        "chongqing-patent-promotion-2011": 33,
        "chongqing-product-quality-2014": 53,
        "chongqing-telecom-2018": 33,
        "chongqing-tendering-2018": 56,
    }


def test_liability_chapter_has_its_role(quality):
    roles = {
        s.title: s.role
        for s in quality.doc.sections
        if s.title.startswith("第") and "章" in s.title
    }
    assert roles["第四章 法律责任"] == "liability"
    assert roles["第一章 总则"] == "introduction"


def test_a_table_of_contents_is_not_indexed_as_body(tmp_path: Path, tokenizer):
    text = (
        f"{SYNTHETIC_LABEL}\n某市数据条例（示例）\n\n目 录\n第一章 总则\n第二章 数据管理\n第三章 法律责任\n\n"
        "第一章 总则\n\n第一条 为了规范数据管理，制定本条例。\n\n第二章 数据管理\n\n"
        "第二条 数据应当分类分级管理。\n\n第三章 法律责任\n\n第三条 违反本条例的，责令改正。\n"
    )
    path = tmp_path / "条例.txt"
    path.write_text(text, encoding="utf-8")
    parsed = parse_file(path, tokenizer)
    assert parsed.doc.metadata["contents"] == [
        "目 录",
        "第一章 总则",
        "第二章 数据管理",
        "第三章 法律责任",
    ]
    assert parsed.doc.text.count("第二章 数据管理") == 1
    assert [s.title for s in parsed.doc.sections if s.number.endswith("章")] == [
        "第一章 总则",
        "第二章 数据管理",
        "第三章 法律责任",
    ]


def test_a_markdown_title_in_a_txt_file_loses_its_marks(tmp_path: Path, tokenizer):
    path = tmp_path / "条例.txt"
    path.write_text(
        f"# 某市数字经济促进条例（示例）\n\n{SYNTHETIC_LABEL}\n\n第一条 为了促进数字经济，制定本条例。\n",
        "utf-8",
    )
    assert parse_file(path, tokenizer).doc.title == "某市数字经济促进条例（示例）"


def test_an_empty_first_line_falls_back_to_the_next_one(tmp_path: Path, tokenizer):
    path = tmp_path / "notice.txt"
    path.write_text(
        f"   \n\n{SYNTHETIC_LABEL}关于推进试点的通知\n\n一、工作目标\n\n稳步推进。\n", "utf-8"
    )
    assert parse_file(path, tokenizer).doc.title == f"{SYNTHETIC_LABEL}关于推进试点的通知"


def test_docx_without_heading_styles_is_chunked_by_paragraphs(tmp_path: Path, tokenizer):
    paras = [("para", SYNTHETIC_LABEL)] + [
        ("para", f"第{n}段：推进试点工作，完善配套措施，加强督促检查。") for n in range(1, 9)
    ]
    parsed = parse_file(make_docx(tmp_path / "plain.docx", paras), tokenizer, size=60)
    assert len(parsed.chunks) >= 3
    assert all(c.text == parsed.doc.text[c.start : c.end] for c in parsed.chunks)
    assert any("第8段" in c.text for c in parsed.chunks)


def test_a_table_without_a_caption_is_a_table(tmp_path: Path, tokenizer):
    blocks = [
        ("para", SYNTHETIC_LABEL),
        ("heading", 1, "主要指标"),
        ("table", [["指标", "目标值"], ["研发投入强度", "3%"], ["本地配套率", "50%"]]),
        ("para", "以上为示例指标。"),
    ]
    parsed = parse_file(make_docx(tmp_path / "t.docx", blocks), tokenizer)
    tables = [c for c in parsed.chunks if c.kind == "table"]
    assert tables and tables[0].context == "\n指标\t目标值"
    assert "指标\t目标值" in tables[0].retrieval_text()
    assert any(r.row == "本地配套率" and r.value == "50%" for r in parsed.doc.tables)


def test_a_plan_hierarchy_gets_sections_and_roles(tmp_path: Path, tokenizer):
    path = tmp_path / "plan.txt"
    path.write_text(SYNTHETIC_PLAN, encoding="utf-8")
    parsed = parse_file(path, tokenizer, profile=PAPER_PROFILE)
    by_title = {s.title: s for s in parsed.doc.sections}
    assert by_title["第三章 发展目标"].role == "target"
    assert by_title["第四章 主要措施"].role == "countermeasure"
    problem = next(s for s in parsed.doc.sections if s.title.startswith("（一）产业链关键环节薄弱"))
    assert problem.role == "problem" and problem.path.startswith(
        "第二章 发展现状与存在的问题 > 二、存在的问题"
    )
