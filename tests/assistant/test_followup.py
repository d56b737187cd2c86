"""An elliptical follow-up made self-contained from the previous user turn, with the
paper's profile (its region, parts and industries) as data."""

from __future__ import annotations

import pytest

from policyqa.assistant.followup import is_followup, resolve
from policyqa.assistant.frame import analyze
from tests.fixtures import PAPER_PROFILE

pytestmark = pytest.mark.unit

ELECTRONICS = "2023年成渝电子信息产业集群产值规模有多大？"
TALENT = "成渝地区人才方面存在什么问题？"
TITLES = ["成渝地区双城经济圈电子信息、汽车、装备制造世界级产业集群高质量协同发展问题与对策"]


def history(*questions: str) -> list[dict]:
    turns: list[dict] = []
    for q in questions:
        turns += [{"role": "user", "content": q}, {"role": "assistant", "content": "（略）"}]
    return turns


def follow(question: str, turns) -> str:
    return resolve(question, turns, PAPER_PROFILE, TITLES).rstrip("?？")


def test_industry_follow_up_swaps_the_industry() -> None:
    assert follow("那汽车产业呢？", history(ELECTRONICS)) == "2023年成渝汽车产业集群产值规模有多大"


@pytest.mark.parametrize(
    "previous", ["成渝地区新能源汽车本地配套率是多少？", "成渝新能源汽车本地配套率是多少？"]
)
def test_region_follow_up_swaps_the_region(previous: str) -> None:
    assert follow("那东北地区呢？", history(previous)) == "东北新能源汽车本地配套率是多少"


def test_year_follow_up_swaps_the_year() -> None:
    assert (
        follow("那2022年呢？", history(ELECTRONICS)) == "2022年成渝电子信息产业集群产值规模有多大"
    )


def test_countermeasure_follow_up_after_a_problem_question_names_the_problem() -> None:
    resolved = resolve("具体有哪些对策？", history(TALENT), PAPER_PROFILE, TITLES)
    assert resolved == "针对成渝地区人才方面的问题，具体有哪些对策？"
    assert analyze(resolved, PAPER_PROFILE, {}).kind in ("countermeasure", "list")


def test_follow_up_uses_the_last_user_turn_only() -> None:
    assert (
        follow("那汽车产业呢？", history(TALENT, ELECTRONICS))
        == "2023年成渝汽车产业集群产值规模有多大"
    )
    # an assistant turn is never taken as the previous question
    only_assistant = [{"role": "assistant", "content": ELECTRONICS}]
    assert resolve("那汽车产业呢？", only_assistant, PAPER_PROFILE, TITLES) == "那汽车产业呢？"


def test_comparison_follow_up_is_appended() -> None:
    resolved = resolve(
        "和上海比差多少？", history("重庆汽车行业人才占比是多少？"), PAPER_PROFILE, TITLES
    )
    assert resolved.startswith("重庆汽车行业人才占比是多少") and resolved.endswith(
        "和上海比差多少？"
    )


@pytest.mark.parametrize(
    "question",
    [
        "成渝新能源汽车本地配套率是多少？",
        "成渝双城经济圈三大产业集群协同发展存在哪些问题？",
        "针对产业链薄弱有什么对策？",
    ],
)
def test_self_contained_question_is_unchanged(question: str) -> None:
    assert not is_followup(question)
    assert resolve(question, history(ELECTRONICS), PAPER_PROFILE, TITLES) == question


@pytest.mark.parametrize("turns", [None, [], history()])
def test_follow_up_without_history_is_unchanged(turns) -> None:
    assert is_followup("那汽车产业呢？")
    assert resolve("那汽车产业呢？", turns, PAPER_PROFILE, TITLES) == "那汽车产业呢？"


@pytest.mark.parametrize(
    ("question", "kind", "number"),
    [
        ("针对产业链薄弱有什么对策？", "countermeasure", False),
        ("成渝汽车产业面临的问题是什么？", "problem", False),
        ("成渝双城经济圈三大产业集群协同发展存在哪些问题？", "list", False),
        ("成渝新能源汽车本地配套率是多少？", "fact", True),
        (
            "成渝地区通过哪些活动来提升区域配套率？",
            "fact",
            False,
        ),  # names a rate, asks for activities
        ("成渝汽车产业的发展现状", "status", False),
    ],
)
def test_the_kind_of_answer_asked(question: str, kind: str, number: bool) -> None:
    frame = analyze(question, PAPER_PROFILE, {})
    assert (frame.kind, frame.number) == (kind, number)


def test_the_home_regions_parts_together_are_the_home_region() -> None:
    frame = analyze("成都重庆这一片搞电子信息，在全国算排第几？", PAPER_PROFILE, {})
    assert frame.home and frame.places == () and not frame.compare
    frame = analyze("成都和重庆分别有多少家整车企业？", PAPER_PROFILE, {})
    assert frame.places == ("成都", "重庆") and frame.compare
