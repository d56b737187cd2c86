"""Reading a question (`policyqa.assistant.frame`): the kind of answer, the years,
places, measure, article, table and documents it names. Questions are read as the
index parses them: `clean_question` first (full-width to half-width, simplified)."""

from __future__ import annotations

import pytest

from policyqa.assistant.frame import analyze, core_title, names_document
from policyqa.language import clean_question
from policyqa.profile import generic_profile

pytestmark = pytest.mark.unit

TITLES = {
    "reg": "某市数据安全管理条例",
    "quality": "重庆市产品质量条例",
    "measures": "某市个人信息保护办法",
}
MISSING = ("某市数字经济促进条例",)


def read(question: str):
    return analyze(clean_question(question), generic_profile(), TITLES, MISSING)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("第十七条规定了什么？", "article"),
        ("第3条讲的是什么？", "article"),
        ("存在哪些问题？", "list"),
        ("提出了哪些对策？", "list"),
        ("从哪几个方面提出建议？", "list"),
        ("怎么解决人才短缺？", "countermeasure"),
        ("本地配套跟不上怎么办？", "countermeasure"),
        ("为什么本地配套率低？", "problem"),
        ("发展现状如何？", "status"),
        ("2024年产值是多少？", "fact"),
    ],
)
def test_kind(question, kind):
    assert read(question).kind == kind


def test_an_article_number_without_asking_what_it_says_is_not_an_article_question():
    frame = read("第三条中的义务有哪些方面？")
    assert frame.article == 3 and frame.kind == "list"


@pytest.mark.parametrize(
    ("question", "years"),
    [
        ("2024年产值是多少？", {2024}),
        ("21年产值是多少？", {2021}),
        ("２０２４年产值是多少？", {2024}),  # full-width digits
        ("2023年和2024年产值分别是多少？", {2023, 2024}),
        ("2020—2023年产量是多少？", {2020, 2021, 2022, 2023}),
        ("近20年来产值增长了多少？", set()),
        ("21世纪以来产值增长了多少？", set()),
        ("90年代的产值是多少？", set()),
    ],
)
def test_years(question, years):
    assert read(question).years == years


@pytest.mark.parametrize(
    ("question", "measure", "noun", "kinds"),
    [
        ("2024年产值是多少？", "money", "产值", ("money", "share")),
        ("汽车产量是多少？", "output", "产量", ("output",)),
        ("本地配套率是多少？", "share", "", ("share",)),
        ("增速是多少？", "growth", "增速", ("share",)),
        ("排名第几？", "rank", "", ("rank",)),
        ("发生泄露后几天内报告？", "duration", "", ("duration",)),
    ],
)
def test_measure(question, measure, noun, kinds):
    frame = read(question)
    assert frame.number
    assert frame.measure == measure
    assert (frame.measure_nouns[0] if frame.measure_nouns else "") == noun
    assert frame.kinds == kinds


def test_a_classifier_says_what_is_counted():
    frame = read("全市有多少家示范工厂？")
    assert frame.measure == "count" and frame.classifier == "家"
    assert read("能造多少万辆？").measure == "output"


def test_no_figure_asked():
    frame = read("数据处理者应当履行什么义务？")
    assert not frame.number and frame.measure == "" and frame.kinds == ()


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("第十七条规定了什么？", 17),
        ("第１７条规定了什么？", 17),
        ("第一百零三条规定了什么？", 103),
        ("第二十条规定了什么？", 20),
        ("第 5 条规定了什么？", 5),
        ("这一条规定了什么？", None),
    ],
)
def test_article_number(question, article):
    frame = read(question)
    assert frame.article == article
    assert not frame.number  # 第十七条 is not a figure asked for


@pytest.mark.parametrize(
    ("question", "documents"),
    [
        ("《某市数据安全管理条例》第三条规定了什么？", ("reg",)),
        ("某市数据安全管理条例第三条规定了什么？", ("reg",)),
        ("产品质量条例第五条规定了什么？", ("quality",)),  # without the place
        ("《某市个人信息保护办法》什么时候施行？", ("measures",)),
        ("某市数据安全管理条例和某市个人信息保护办法有什么不同？", ("reg", "measures")),
        ("数据安全有哪些要求？", ()),
    ],
)
def test_documents_named(question, documents):
    assert read(question).documents == documents


def test_a_missing_expected_document_is_named_as_missing():
    frame = read("《某市数字经济促进条例》第二条规定了什么？")
    assert frame.missing == "某市数字经济促进条例" and frame.documents == ()


def test_a_place_inside_a_title_names_the_document_not_a_place():
    frame = read("重庆市产品质量条例第五条规定了什么？")
    assert frame.documents == ("quality",) and frame.places == ()


def test_core_title_and_names_document():
    assert core_title("重庆市产品质量条例") == "产品质量条例"
    assert core_title("某市数据安全管理条例") == "某市数据安全管理条例"
    assert names_document("《产品质量条例》", "重庆市产品质量条例")
    assert not names_document("《专利条例》", "重庆市产品质量条例")


@pytest.mark.parametrize(
    ("question", "entities"),
    [
        ("2023年和2024年产值分别是多少？", ("2023", "2024")),
        ("成都和西安的产值相比如何？", ("成都", "西安")),
    ],
)
def test_comparison(question, entities):
    frame = read(question)
    assert frame.compare
    assert sorted(frame.entities) == sorted(entities)


def test_places():
    assert read("武汉的产值是多少？").places == ("武汉",)
    assert read("2024年产值是多少？").places == ()


@pytest.mark.parametrize(
    ("question", "table", "extreme"),
    [
        ("表2里哪个地区的配套率最高？", "表2", "max"),
        ("表 3 中哪个城市增速最低？", "表3", "min"),
        ("哪个城市的产值排第一？", "", "max"),
        ("哪个城市的产值垫底？", "", "min"),
        ("成都的产值是多少？", "", ""),
    ],
)
def test_table_and_extreme(question, table, extreme):
    frame = read(question)
    assert (frame.table, frame.extreme) == (table, extreme)


def test_which_document_and_ordinals():
    assert read("哪部条例规定了数据泄露报告？").which_document
    assert read("第五次会议什么时候召开？").ordinals == ("第五次",)
