"""parse_file end to end on every kind of file a user drops into corpus/: generated PDF,
DOCX with heading styles, GB18030 text and the synthetic government plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policyqa.errors import LoadError
from policyqa.ingest.chunker import max_chars
from policyqa.ingest.document import parse_file
from tests.conftest import PAPER
from tests.fixtures import (
    CJK_FONT,
    PAPER_PROFILE,
    SYNTHETIC_LABEL,
    SYNTHETIC_PLAN,
    make_docx,
    make_html,
    make_pdf,
    write_gb18030,
)

pytestmark = pytest.mark.unit

needs_font = pytest.mark.skipif(not CJK_FONT.exists(), reason="apt-get install fonts-wqy-microhei")


def check_spans(parsed) -> None:
    for c in parsed.chunks:
        assert c.text == parsed.doc.text[c.start : c.end]
        assert len(c.text) <= max_chars(200)


@needs_font
def test_pdf_chunks_carry_page_numbers(tmp_path: Path, tokenizer) -> None:
    pages = [
        f"{SYNTHETIC_LABEL}\n示例规划\n\n一、发展现状\n电子信息产业规模持续扩大，汽车产量稳步增长。",
        "二、存在的问题\n动力电池本地配套不足，芯片依赖外部供应。",
        "三、主要措施\n加强人才支撑，优化金融服务，推动装备制造业数字化转型。",
    ]
    parsed = parse_file(make_pdf(tmp_path / "plan.pdf", pages), tokenizer)
    check_spans(parsed)
    assert len(parsed.doc.pages) == 3 and parsed.doc.pages[0] == 0
    page_of = {c.text[:6]: c.page for c in parsed.chunks}
    assert page_of["电子信息产业"] == 1
    assert page_of["动力电池本地"] == 2
    assert page_of["加强人才支撑"] == 3
    roles = {c.text[:6]: c.role for c in parsed.chunks}
    assert roles["电子信息产业"] == "status"
    assert roles["动力电池本地"] == "problem"
    assert roles["加强人才支撑"] == "countermeasure"
    assert parsed.doc.metadata["format"] == "pdf"


@needs_font
def test_pdf_sentence_cut_by_a_page_break_is_rejoined(tmp_path: Path, tokenizer) -> None:
    pages = [
        f"{SYNTHETIC_LABEL}\n1 发展现状\n新能源汽车本地配套",
        "率仍然偏低，需要加强整零协同。\n2 对策建议\n建设供需对接平台。",
    ]
    parsed = parse_file(make_pdf(tmp_path / "cut.pdf", pages), tokenizer)
    chunk = next(c for c in parsed.chunks if "本地配套率仍然偏低" in c.text)
    assert chunk.page == 1  # a joined sentence keeps the page it starts on
    assert chunk.section == "1 发展现状"
    later = next(c for c in parsed.chunks if c.text.startswith("建设供需对接平台"))
    assert later.page == 2 and later.role == "countermeasure"


def test_docx_heading_styles_give_section_paths(tmp_path: Path, tokenizer) -> None:
    path = make_docx(
        tmp_path / "plan.docx",
        [
            ("para", SYNTHETIC_LABEL),
            ("heading", 1, "发展现状"),
            ("para", "电子信息产业规模持续扩大。"),
            ("heading", 2, "汽车产业"),
            ("para", "整车产能稳步提升，零部件本地配套率提高"),
            ("para", "第二段没有句号"),
            ("heading", 1, "存在的问题"),
            ("para", "芯片依赖外部供应。"),
            ("heading", 1, "对策建议"),
            ("para", "表1 配套率对比"),
            ("table", [["地区", "配套率/%"], ["甲地", "30"], ["乙地", "45"]]),
            ("para", "完善供应链合作机制。"),
        ],
    )
    parsed = parse_file(path, tokenizer, profile=PAPER_PROFILE)
    check_spans(parsed)
    sections = {s.path: s for s in parsed.doc.sections if s.title}
    assert set(sections) == {"发展现状", "发展现状 > 汽车产业", "存在的问题", "对策建议"}
    assert sections["发展现状 > 汽车产业"].level == sections["发展现状"].level + 1
    assert all(s.number == "" for s in sections.values())  # styled, not numbered
    by_text = {c.text: c for c in parsed.chunks}
    car = by_text["整车产能稳步提升，零部件本地配套率提高\n第二段没有句号"]  # not joined
    assert car.section == "发展现状 > 汽车产业" and car.role == "status"
    assert "汽车" in car.industries
    assert by_text["芯片依赖外部供应。"].role == "problem"
    table = next(c for c in parsed.chunks if c.kind == "table")
    assert table.context == "表1 配套率对比\n地区\t配套率/%"
    assert table.section == "对策建议"
    assert [(r.row, r.value, r.unit) for r in parsed.doc.tables] == [
        ("甲地", "30", "%"),
        ("乙地", "45", "%"),
    ]
    assert all(c.page == -1 for c in parsed.chunks)


def test_gb18030_text_file(tmp_path: Path, tokenizer) -> None:
    path = write_gb18030(tmp_path / "成渝示例方案.txt", SYNTHETIC_PLAN)
    parsed = parse_file(path, tokenizer)
    check_spans(parsed)
    assert parsed.doc.metadata["encoding"] == "gb18030"
    assert parsed.doc.original == SYNTHETIC_PLAN
    assert parsed.doc.doc_id == "成渝示例方案"
    assert SYNTHETIC_LABEL in parsed.chunks[0].text
    assert any("本地配套率偏低" in c.text for c in parsed.chunks)


def test_synthetic_plan_through_parse_file(tmp_path: Path, tokenizer) -> None:
    path = tmp_path / "某市制造业集群实施方案.txt"
    path.write_text(SYNTHETIC_PLAN, encoding="utf-8")
    parsed = parse_file(path, tokenizer, size=120, profile=PAPER_PROFILE)
    check_spans(parsed)
    roles = {c.role for c in parsed.chunks}
    assert {"introduction", "status", "problem", "countermeasure"} <= roles
    problem = next(c for c in parsed.chunks if "车规级芯片" in c.text)
    assert problem.role == "problem" and "汽车" in problem.industries
    assert problem.section.startswith("第二章 发展现状与存在的问题 > 二、存在的问题")
    measure = next(c for c in parsed.chunks if "供应链金融产品" in c.text)
    assert measure.section == "第四章 主要措施 > 二、强化要素保障"
    assert measure.role == "countermeasure"
    article = next(c for c in parsed.chunks if c.text.startswith("第六条"))
    assert article.section == "第五章 保障措施 > 第六条"


def test_sidecar_metadata_sets_id_title_and_type(tmp_path: Path, tokenizer) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(SYNTHETIC_PLAN, encoding="utf-8")
    meta = {"id": "plan-synthetic", "title": "合成示例方案", "doc_type": "plan", "year": 2021}
    (tmp_path / "plan.meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    parsed = parse_file(path, tokenizer)
    assert (parsed.doc.doc_id, parsed.doc.title, parsed.doc.doc_type) == (
        "plan-synthetic",
        "合成示例方案",
        "plan",
    )
    assert parsed.doc.metadata["year"] == 2021
    assert all(
        c.doc_id == "plan-synthetic" and c.doc_title == "合成示例方案" for c in parsed.chunks
    )


def test_paper_metadata_and_footer(tokenizer) -> None:
    parsed = parse_file(PAPER, tokenizer, profile=PAPER_PROFILE)
    doc = parsed.doc
    assert doc.doc_id == "paper-chengyu-three-clusters-2025"
    assert doc.doc_type == "paper"
    assert doc.title.startswith("成渝地区双城经济圈电子信息、汽车、装备制造")
    assert doc.metadata["footer"][0] == "收稿日期: 2024-11-07"
    assert doc.original == PAPER.read_text("utf-8")


def test_html_headings_give_sections(tmp_path: Path, tokenizer) -> None:
    path = make_html(
        tmp_path / "plan.html",
        f"<p>{SYNTHETIC_LABEL}</p><h2>一、发展现状</h2><p>汽车产量稳步增长。</p>"
        "<h2>二、存在的问题</h2><p>动力电池本地配套不足。</p>",
    )
    parsed = parse_file(path, tokenizer)
    check_spans(parsed)
    chunk = next(c for c in parsed.chunks if c.text == "动力电池本地配套不足。")
    assert chunk.section == "二、存在的问题" and chunk.role == "problem"
    assert not any("脚本" in c.text for c in parsed.chunks)


def test_bad_file_raises_load_error(tmp_path: Path, tokenizer) -> None:
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LoadError):
        parse_file(bad, tokenizer)
