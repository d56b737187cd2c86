"""Sections, roles, tables and problem->countermeasure links, on the real paper and on
synthetic government plans (numbered 第X章 / 一、 / （一） / 1. / （1） / 第X条)."""

from __future__ import annotations

import pytest

from policyqa.documents import Document, RawDocument, sha256
from policyqa.ingest.clean import clean
from policyqa.ingest.headings import heading_info
from policyqa.ingest.links import problem_links
from policyqa.ingest.loaders import load
from policyqa.ingest.structure import (
    leaf_section,
    parse_sections,
    parse_tables,
    table_records,
)
from policyqa.profile import generic_profile
from tests.conftest import PAPER
from tests.fixtures import SYNTHETIC_LABEL, SYNTHETIC_PLAN

pytestmark = pytest.mark.unit

PROBLEMS = "3 成渝双城经济圈三大产业集群协同发展存在的问题"
MEASURES = "4 成渝双城经济圈三大产业集群协同发展的对策建议"


@pytest.fixture(scope="module")
def paper():
    cleaned = clean(load(PAPER))
    return cleaned, parse_sections(cleaned, generic_profile()), parse_tables(cleaned)


def by_number(sections) -> dict:
    return {s.number: s for s in sections if s.number}


def document(text: str, sections, fmt: str = "txt") -> Document:
    return Document("doc", f"doc.{fmt}", "doc", text, text, sha256(text), sections=sections)


# --- the real paper: sections and roles ---------------------------------------


@pytest.mark.parametrize(
    ("numbers", "role"),
    [
        (["1"], "review"),
        (["2", "2.1", "2.2", "2.2.1", "2.2.5"], "status"),
        (["3", "3.1", "3.2", "3.3", "3.4", "3.5"], "problem"),
        (["4", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6"], "countermeasure"),
    ],
)
def test_paper_numbered_sections_have_roles(paper, numbers: list[str], role: str) -> None:
    sections = by_number(paper[1])
    for number in numbers:
        assert sections[number].role == role, number


def test_paper_named_sections(paper) -> None:
    cleaned, sections, _ = paper
    named = {s.title: s for s in sections if not s.number}
    assert named["摘要"].role == "abstract"
    assert cleaned.text[named["摘要"].start :].startswith("摘要: 协同发展是")
    assert named["引言"].role == "introduction"
    assert named["参考文献"].role == "references"
    english = named["English abstract"]
    assert english.role == "abstract"
    assert cleaned.text[english.start :].startswith("Problems and Countermeasures")
    assert english.start >= named["参考文献"].end


def test_paper_section_paths_levels_and_spans(paper) -> None:
    cleaned, sections, _ = paper
    s = by_number(sections)
    assert s["3.2"].path == f"{PROBLEMS} > 3.2 产业链关键环节薄弱,协作配套能力待加强"
    assert s["4.5"].path == f"{MEASURES} > 4.5 深化区域金融一体化,统筹金融要素助力产业协同"
    assert s["2.2.1"].path.count(" > ") == 2
    assert s["2.2.1"].level == s["2.2"].level + 1 == s["2"].level + 2
    # a section spans its subsections and ends where the next sibling starts
    assert s["3"].start < s["3.1"].start and s["3.5"].end == s["3"].end == s["4"].start
    assert s["3.1"].end == s["3.2"].start
    assert cleaned.text[s["3.2"].start : s["3.2"].body_start].strip() == s["3.2"].title


def test_leaf_section_finds_the_innermost(paper) -> None:
    cleaned, sections, _ = paper
    offset = cleaned.text.index("新能源汽车本地配套率仅为30%")
    assert leaf_section(sections, offset).number == "3.2"


# --- the real paper: tables ----------------------------------------------------


def test_paper_has_three_tables(paper) -> None:
    _, _, tables = paper
    assert [t.label for t in tables] == ["表1", "表2", "表3"]
    parks = tables[0]
    assert len(parks.rows) == 18 and parks.header == ""
    cells = [c for r in parks.rows for c in paper[0].text[r.start : r.end].split("\t")]
    assert "南部经济开发区" in cells and "荣昌高新技术产业开发区" in cells
    assert len(cells) == 35  # 35 parks in two columns
    assert tables[1].header == "地区\t汽车本地配套率/%"
    assert tables[2].header.startswith("地区\t研发投入 GDP/亿元")


def test_paper_table_records(paper) -> None:
    cleaned, _, tables = paper
    t2 = {r.row: r for r in table_records(cleaned, tables[1])}
    assert t2["成渝地区"].value == "30" and t2["成渝地区"].unit == "%"
    assert t2["长三角地区"].value == ">50"
    assert cleaned.text[t2["成渝地区"].start : t2["成渝地区"].end] == "成渝地区\t30"
    t3 = table_records(cleaned, tables[2])
    money = {r.row: r for r in t3 if r.unit == "亿元"}
    share = {r.row: r for r in t3 if r.unit == "%"}
    assert money["成渝地区"].value == "1 570.82" and money["长三角地区"].value == "10 166.8"
    assert share["成渝地区"].value == "3.0"
    assert len(t3) == 8  # 4 regions x 2 numeric columns
    assert table_records(cleaned, tables[0]) == []  # a list of names has no numbers


# --- the real paper: problem -> countermeasure links --------------------------


def test_paper_problem_links(paper, tokenizer) -> None:
    cleaned, sections, _ = paper
    doc = document(cleaned.text, sections)
    links = {
        p.rsplit(" > ", 1)[-1].split()[0]: [m.rsplit(" > ", 1)[-1].split()[0] for m in ms]
        for p, ms in problem_links(doc, tokenizer).items()
    }
    assert set(links) == {"3.1", "3.2", "3.3", "3.4", "3.5"}
    assert links["3.1"] == ["4.1"]
    assert links["3.2"][0] == "4.2"
    assert links["3.3"] == ["4.3"]
    assert sorted(links["3.4"]) == ["4.4", "4.5"]  # 人才 and 金融
    assert links["3.5"] == ["4.6"]


# --- government numbering --------------------------------------------------------


@pytest.fixture(scope="module")
def plan():
    cleaned = clean(RawDocument("plan.txt", SYNTHETIC_PLAN, "txt"))
    return cleaned, parse_sections(cleaned, generic_profile())


def find(sections, title_start: str):
    return next(s for s in sections if s.title.startswith(title_start))


def test_plan_numbers_are_whole_markers(plan) -> None:
    _, sections = plan
    numbers = {s.number for s in sections}
    assert {"第一章", "第五章", "一、", "三、", "（一）", "1.", "（1）", "第一条"} <= numbers
    assert not numbers & {"第", "（"}  # not a prefix of the marker


def test_plan_levels_nest(plan) -> None:
    _, sections = plan
    chapter = find(sections, "第四章")
    part = find(sections, "一、补齐产业链短板")
    item = find(sections, "（二）建立链长工作机制")
    sub = find(sections, "（1）每条重点产业链")
    assert chapter.level < part.level < item.level < sub.level
    assert sub.path == (
        "第四章 主要措施 > 一、补齐产业链短板 > （二）建立链长工作机制 > "
        "（1）每条重点产业链明确一名牵头负责同志"
    )
    article = find(sections, "第一条")
    assert article.path == "第一章 总则 > 第一条"
    assert article.level == find(sections, "第一章").level + 1


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("第一章", "introduction"),  # 总则
        ("第一条", "introduction"),
        ("一、发展现状", "status"),  # in a chapter named 发展现状与存在的问题
        ("二、存在的问题", "problem"),
        ("（二）要素保障不够充分", "problem"),  # 保障 does not make it a countermeasure
        ("第四章", "countermeasure"),
        ("（二）建立链长工作机制", "countermeasure"),
        ("第五章", "countermeasure"),
        ("第六条", "countermeasure"),
    ],
)
def test_plan_roles(plan, title: str, role: str) -> None:
    assert find(plan[1], title).role == role


def test_plan_status_items_are_not_problems(plan) -> None:
    cleaned, sections = plan
    offset = cleaned.text.index("（一）产业规模稳步扩大")
    assert leaf_section(sections, offset).role == "status"


def test_numbered_paragraph_ends_the_previous_item(plan) -> None:
    """The paragraph "（三）区域协同有待加强。跨区域…" is not a heading, yet it is not part
    of item （二）: it belongs to 二、存在的问题."""
    cleaned, sections = plan
    leaf = leaf_section(sections, cleaned.text.index("（三）区域协同有待加强"))
    assert leaf.title == "二、存在的问题"
    leaf = leaf_section(sections, cleaned.text.index("2. 汽车产业动力电池"))
    assert leaf.title == "（一）产业链关键环节薄弱"


def test_item_paragraphs_inside_an_article_stay_in_it() -> None:
    text = (
        f"{SYNTHETIC_LABEL}\n第一章 总则\n第三条 下列行为应当整改：\n"
        "（一）未按规定报送产业链配套数据，或者报送的数据与实际情况明显不符，经提醒后仍未改正的；\n"
        "（二）未按规定履行链长工作机制职责，延误产业链断点堵点问题协调解决，造成较大影响的。\n"
    )
    cleaned = clean(RawDocument("rules.txt", text, "txt"))
    sections = parse_sections(cleaned, generic_profile())
    for item in ("（一）未按规定", "（二）未按规定"):
        leaf = leaf_section(sections, cleaned.text.index(item))
        assert leaf.number == "第三条", item


def test_short_item_headings_nest_to_the_fourth_level() -> None:
    text = (
        f"{SYNTHETIC_LABEL}\n第一章 重点任务\n一、补齐短板\n（一）电子信息产业\n"
        "1. 芯片设计\n（1）设计工具\n推广国产设计工具在本地企业中的应用。\n"
        "（2）人才培养\n支持高校开设芯片设计课程。\n2. 封装测试\n建设封装测试公共平台。\n"
    )
    cleaned = clean(RawDocument("plan.txt", text, "txt"))
    sections = parse_sections(cleaned, generic_profile())
    levels = [(s.number, s.level) for s in sections if s.number]
    assert levels == [
        ("第一章", 2),
        ("一、", 3),
        ("（一）", 4),
        ("1.", 5),
        ("（1）", 6),
        ("（2）", 6),
        ("2.", 5),
    ]
    assert find(sections, "2. 封装测试").path.endswith("（一）电子信息产业 > 2. 封装测试")


def test_sentence_items_are_content_too(plan) -> None:
    """A one-sentence item opens a section, yet its text is body text a chunk can hold."""
    _, sections = plan
    item = find(sections, "（1）每条重点产业链")
    assert item.body_start == item.start


# --- heading_info units ------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "number", "rank"),
    [
        ("1 文献综述", "1", 1),
        ("3.2 产业链关键环节薄弱,协作配套能力待加强", "3.2", 2),
        ("2.2.1 区域联动成效显著,协同发展格局初显", "2.2.1", 3),
        ("第一章 总则", "第一章", 1),
        ("第二节 产业布局", "第二节", 2),
        ("一、发展现状", "一、", 3),
        ("(二)要素保障", "(二)", 4),
        ("1. 芯片设计", "1.", 6),
        ("（1）设计工具", "（1）", 7),
        ("参考文献", "", 1),
    ],
)
def test_heading_info_recognises_headings(line: str, number: str, rank: int) -> None:
    info = heading_info(line)
    assert info is not None and (info.number, info.rank) == (number, rank)
    assert not info.inline


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("第一条 为加快电子信息产业集群建设，制定本方案。", "第一条"),
        ("摘要: 协同发展是成渝地区三大产业集群的必然要求。", ""),
        ("（1）每条重点产业链明确一名牵头负责同志。", "（1）"),
        ("（一）产业链关键环节薄弱。", "（一）"),
    ],
)
def test_heading_info_inline_headings(line: str, number: str) -> None:
    info = heading_info(line)
    assert info is not None and info.inline and info.number == number


@pytest.mark.parametrize(
    "line",
    [
        "(1)完善区域三大产业集群的规划协同。编制和完善三大产业的产业链全景图及合作图谱",
        "（三）区域协同有待加强。跨区域产业分工不够清晰，园区之间存在同质化竞争。",
        "2023 年,成渝地区汽车产量达到新高",
        "2023年成渝地区汽车产量达到新高",
        "1 570.82",
        "10 166.8",
        "1.68万亿元",
        "表 2 全国各地区新能源汽车本地配套率",
        "3 成渝双城经济圈三大产业集群协同发展存在的问题以及原因分析与对策的系统性研究综述",
        "一、主要任务包括：",
        "成渝地区\t30",
        "",
    ],
)
def test_heading_info_rejects_content(line: str) -> None:
    assert heading_info(line) is None


def test_role_words() -> None:
    assert generic_profile().role_of("3 协同发展存在的问题") == "problem"  # 问题 outranks 协同发展
    assert generic_profile().role_of("4 协同发展的对策建议") == "countermeasure"
    assert generic_profile().role_of("2.1 三大产业集群产业发展现状") == "status"
    assert generic_profile().role_of("参考文献") == "references"
    assert generic_profile().role_of("4.5 深化区域金融一体化") is None
