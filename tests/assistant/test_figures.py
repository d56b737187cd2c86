"""Figures in text (`policyqa.assistant.figures`): Chinese and Arabic numerals, units
and the kind of quantity they measure, shares written 百分之 / 分之, years and what
is not a figure (dates, names such as 5G, table labels, 一个 in running text)."""

from __future__ import annotations

import pytest

from policyqa.assistant.figures import cn_number, figures, unit_kind, years_in

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("零", 0),
        ("七", 7),
        ("十", 10),
        ("十七", 17),
        ("二十", 20),
        ("二十四", 24),
        ("七十二", 72),
        ("一百零三", 103),
        ("一千二百", 1200),
        ("两万", 20000),
        ("三亿", 300_000_000),
    ],
)
def test_chinese_numerals(text, value):
    assert cn_number(text) == value


@pytest.mark.parametrize("text", ["", "十a", "17", "第十"])
def test_not_a_chinese_numeral(text):
    assert cn_number(text) is None


def one(text: str):
    found = figures(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "value", "unit", "kind"),
    [
        ("汽车年产量已达329.3万辆", 329.3, "万辆", "output"),
        ("本地配套率仅为30%", 30.0, "%", "share"),
        ("占比为１０.９％", 10.9, "％", "share"),
        ("处五万元以下罚款", 50_000.0, "元", "money"),
        ("产值达到1 570.82亿元", 1570.82, "亿元", "money"),
        ("产值达到1350亿元", 1350.0, "亿元", "money"),
        ("共有示范工厂45家", 45.0, "家", "count"),
        ("超过100家企业", 100.0, "家", "count"),
        ("二十余家企业", 20.0, "家", "count"),
        ("共十二项任务", 12.0, "项", "count"),
        ("增长1.5倍", 1.5, "倍", "share"),
        ("约3成企业", 3.0, "成", "share"),
        ("居全国第四位", 4.0, "位", "rank"),
        ("应当在二十四小时内报告", 24.0, "小时", "duration"),
        ("自受理之日起30日内作出决定", 30.0, "日", "duration"),
        ("年满50周岁", 50.0, "周岁", "duration"),
        ("年产2万吨", 2.0, "万吨", "output"),
    ],
)
def test_figure_with_its_unit(text, value, unit, kind):
    f = one(text)
    assert (f.value, f.unit, f.kind) == (value, unit, kind)
    assert unit in text[f.start : f.end]  # the span holds the number and its unit


def test_several_figures_in_one_sentence():
    text = "汽车年产量已达329.3万辆,占全国汽车总产量的10.9%"
    assert [(f.unit, f.kind) for f in figures(text)] == [("万辆", "output"), ("%", "share")]


@pytest.mark.parametrize(
    ("text", "value"),
    [("百分之二十", 20.0), ("百分之五", 5.0), ("达到百分之三十五", 35.0)],
)
def test_percent_written_in_words(text, value):
    f = one(text)
    assert (f.value, f.unit, f.kind) == (value, "%", "share")


@pytest.mark.parametrize("text", ["三分之一的企业", "四分之三的产值"])
def test_a_fraction_is_a_share(text):
    f = one(text)
    assert (f.unit, f.kind) == ("%", "share")


def test_an_ordinal_is_a_rank():
    f = one("排名第3")
    assert f.ordinal and f.kind == "rank" and f.value == 3.0


@pytest.mark.parametrize(
    "text",
    [
        "2023年9月",  # a date
        "2024年以来",  # a year
        "9月15日",  # a day
        "5G产业",  # a name
        "如表2 所示",  # a table label
        "两项工作",  # a word, not a count
        "一个中心",
        "产值增长",
    ],
)
def test_not_a_figure(text):
    assert figures(text) == []


@pytest.mark.parametrize(
    ("unit", "kind"),
    [
        ("亿元", "money"),
        ("%", "share"),
        ("个百分点", "share"),
        ("万台", "output"),
        ("家", "count"),
        ("个工作日", "duration"),
        ("个月", "duration"),
        ("条", "article"),
        ("", "number"),
    ],
)
def test_unit_kind(unit, kind):
    assert unit_kind(unit) == kind


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("2023年,成渝地区", {2023}),
        ("21年产值", {2021}),
        ("2020—2023年", {2020, 2021, 2022, 2023}),
        ("2021至2022年", {2021, 2022}),
        ("近20年来", set()),
        ("21世纪", set()),
        ("60年代", set()),
        ("1350亿元", set()),
    ],
)
def test_years(text, years):
    assert years_in(text) == years
