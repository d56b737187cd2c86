"""The refusal rule: a near miss (another year, another place, another measure) is
refused with a reason naming what is missing and the nearest fact shown; a question
about nothing in the corpus is refused; an answerable fact leads with the fact, and
every citation is verbatim in its chunk."""

from __future__ import annotations

import re

import pytest

from policyqa.assistant.compose import verify
from tests.assistant.fake_index import REGULATION_TITLE

pytestmark = pytest.mark.unit

NEAREST = "资料中最接近的内容是："
OUTPUT_2024 = "2024年，全市智能制造产业产值达到1350亿元，同比增长12.5%。"


def first_sentence(answer: str) -> str:
    return re.split(r"(?<=[。！？])|\[\d+\]", answer, maxsplit=1)[0]


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("2021年全市智能制造产业产值是多少？", "2021年"),  # a year the documents do not give
        ("武汉智能制造产业产值是多少？", "武汉"),  # a place they do not name
        ("2024年全市智能制造产业产量是多少？", "产量"),  # 产量 asked, only 产值 given
        ("2022年全市智能制造产业产值增速是多少？", "2022年"),
    ],
)
def test_a_near_miss_is_refused_naming_what_is_missing(assistant, index, question, named):
    result = assistant.ask(question)
    assert not result.answerable
    reason, _, rest = result.answer.partition(NEAREST)
    assert reason.startswith("资料未给出") and named in reason
    # the nearest fact is shown, quoted verbatim and cited
    assert result.nearest and result.citations == result.nearest
    assert "全市智能制造产业产值" in result.nearest[0].quote
    assert rest.endswith("[1]。")
    assert result.nearest[0].quote.rstrip("。") in rest
    for c in result.nearest:
        verify(c, index)
    assert result.related  # the closest passages are offered


def test_the_measure_asked_is_not_answered_by_another(assistant):
    result = assistant.ask("2024年全市智能制造产业产量是多少？")
    reason = result.answer.partition(NEAREST)[0]
    assert "产值" not in reason  # the reason names what is missing, not what is given
    assert [c.quote for c in result.nearest] == [OUTPUT_2024]


@pytest.mark.parametrize("question", ["明天天气怎么样？", "足球比赛的比分是多少？"])
def test_a_question_about_nothing_in_the_corpus_is_refused(assistant, question):
    result = assistant.ask(question)
    assert not result.answerable
    assert result.answer == "资料中没有能回答这个问题的内容。"
    assert result.citations == [] and result.nearest == []


@pytest.mark.parametrize(
    ("question", "fact", "quote"),
    [
        ("2024年全市智能制造产业产值是多少？", "1350亿元", OUTPUT_2024),
        (
            "2023年全市智能制造产业产值是多少？",
            "1200亿元",
            "2023年，全市智能制造产业产值达到1200亿元，同比增长8.5%。",
        ),
        (
            f"《{REGULATION_TITLE}》自何时起施行？",
            "2025年1月1日",
            "第五条 本条例自2025年1月1日起施行。",
        ),
        (
            "数据处理者发生数据泄露的，应当在多长时间内报告？",
            "二十四小时",
            "第四条 数据处理者发生数据泄露的，应当在二十四小时内向网信部门报告。",
        ),
    ],
)
def test_an_answerable_fact_leads_with_the_fact(assistant, index, question, fact, quote):
    result = assistant.ask(question)
    assert result.answerable
    assert fact in first_sentence(result.answer)
    assert result.citations[0].quote == quote
    assert result.nearest == []
    for c in result.citations:
        assert c.quote in c.chunk.text
        verify(c, index)
