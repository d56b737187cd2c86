"""Two years or two places in one question: each answered from its own sentence, or
the answer names the one the documents do not give."""

from __future__ import annotations

import pytest

from policyqa.assistant.compose import verify

pytestmark = pytest.mark.unit

Y2023 = "2023年，全市智能制造产业产值达到1200亿元，同比增长8.5%。"
Y2024 = "2024年，全市智能制造产业产值达到1350亿元，同比增长12.5%。"
FACTORIES = "截至2024年底，成都共有智能制造示范工厂45家，重庆共有智能制造示范工厂38家。"


def parts(answer: str) -> list[str]:
    return answer.rstrip("。").split("；")


def test_two_years_both_answered(assistant, index):
    result = assistant.ask("2023年和2024年全市智能制造产业产值分别是多少？")
    assert result.answerable
    first, second = parts(result.answer)
    assert first.startswith("2023年：") and "1200亿元" in first
    assert second.startswith("2024年：") and "1350亿元" in second
    assert [c.quote for c in result.citations] == [Y2023, Y2024]
    for c in result.citations:
        verify(c, index)


def test_two_years_one_missing_is_named(assistant):
    result = assistant.ask("2022年和2024年全市智能制造产业产值分别是多少？")
    assert result.answer.startswith("2024年：2024年，全市智能制造产业产值达到1350亿元")
    assert result.answer.endswith("；资料未给出2022年的相关内容。")
    assert "1200亿元" not in result.answer  # 2023's figure does not stand in for 2022's
    assert [c.quote for c in result.citations] == [Y2024]


def by_label(answer: str) -> dict[str, str]:
    """Each part of a comparison by its label ("成都：…"); the order of places is not checked."""
    return dict(p.split("：", 1) for p in parts(answer) if "：" in p)


def test_two_places_both_answered(assistant):
    result = assistant.ask("成都和重庆分别有多少家智能制造示范工厂？")
    assert result.answerable
    # one sentence gives both: it is quoted once, whole
    assert "成都共有智能制造示范工厂45家" in result.answer
    assert "重庆共有智能制造示范工厂38家" in result.answer
    assert [c.quote for c in result.citations] == [FACTORIES]


def test_two_places_from_table_rows(assistant):
    result = assistant.ask("成都和绵阳的智能制造产值分别是多少？")
    assert result.answerable
    assert by_label(result.answer) == {"成都": "成都 420 9.1[1]", "绵阳": "绵阳 300 6.4[1]"}
    assert {c.quote for c in result.citations} == {"成都\t420\t9.1", "绵阳\t300\t6.4"}


def test_two_places_one_missing_is_named(assistant):
    result = assistant.ask("成都和西安分别有多少家智能制造示范工厂？")
    answered = by_label(result.answer)
    assert set(answered) == {"成都"} and "45家" in answered["成都"]
    assert result.answer.endswith("；资料未给出西安的相关内容。")
    assert "西安" not in " ".join(c.quote for c in result.citations)
