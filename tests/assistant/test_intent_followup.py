"""What kind of answer a question wants, and how an elliptical follow-up is made
self-contained from the previous user turn (rule-based, offline)."""

from __future__ import annotations

import pytest

from policyqa.assistant.followup import is_followup, resolve
from policyqa.assistant.intent import detect

pytestmark = pytest.mark.unit

ELECTRONICS = "2023年成渝电子信息产业集群产值规模有多大？"
TALENT = "成渝地区人才方面存在什么问题？"


def history(*questions: str) -> list[dict]:
    turns: list[dict] = []
    for q in questions:
        turns += [{"role": "user", "content": q}, {"role": "assistant", "content": "（略）"}]
    return turns


def bare(text: str) -> str:
    """Without the trailing question mark (the previous turn is NFKC-normalised: ？ -> ?)."""
    return text.rstrip("?？")


# --- intent ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("针对产业链薄弱的问题有什么对策？", "产业链薄弱"),
        ("针对产业链薄弱有什么对策？", "产业链薄弱"),
        ("如何解决同质化竞争问题？", "同质化竞争"),
        ("对于人才短缺，文章提出了哪些建议？", "人才短缺"),
    ],
)
def test_countermeasures_for_a_named_problem(question: str, topic: str) -> None:
    intent = detect(question)
    assert intent.kind == "problem_countermeasure"
    assert intent.problem_topic == topic
    assert intent.role == "countermeasure"  # answered from the countermeasure sections
    assert not intent.wants_list  # the linked section answers it, not a generic list


@pytest.mark.parametrize(
    "question", [TALENT, "成渝产业集群协同发展存在哪些短板？", "为什么成渝产业配套率低？"]
)
def test_problem_questions(question: str) -> None:
    intent = detect(question)
    assert intent.kind == "problem" and intent.role == "problem"
    assert intent.problem_topic == ""


@pytest.mark.parametrize(
    "question",
    ["成渝汽车产业面临的问题是什么？", "成渝产业集群协同发展面临什么挑战？", "成渝面临哪些问题？"],
)
def test_what_problems_does_it_face_is_a_problem_question(question: str) -> None:
    intent = detect(question)
    assert intent.kind == "problem", intent


@pytest.mark.parametrize("question", ["文章提出了什么对策？", "怎样加强人才集聚？"])
def test_countermeasure_questions(question: str) -> None:
    intent = detect(question)
    assert intent.kind == "countermeasure" and intent.role == "countermeasure"
    assert intent.problem_topic == ""


@pytest.mark.parametrize(
    "question",
    [
        "成渝双城经济圈三大产业集群协同发展存在哪些问题？",
        "成渝产业数字化协同方面具体存在哪四个问题？",
        "文章提出了哪些对策建议？",
        "具体有哪些对策？",
    ],
)
def test_list_questions(question: str) -> None:
    intent = detect(question)
    assert intent.wants_list
    assert not intent.wants_number  # "哪四个" asks for items, not a count


@pytest.mark.parametrize(
    "question",
    [
        "成渝新能源汽车本地配套率是多少？",
        "成渝地区研发投入占GDP的比例",
        "电子信息产业在全国的比重",
        "2023年成渝电子信息产业集群产值规模有多大？",
    ],
)
def test_number_questions(question: str) -> None:
    intent = detect(question)
    assert intent.wants_number
    assert not intent.wants_list
    assert intent.kind == "general"


def test_status_and_general_questions() -> None:
    assert detect("成渝汽车产业的发展现状").kind == "status"
    general = detect("成都明天天气怎么样")
    assert general.kind == "general" and general.role is None
    assert not general.wants_list and not general.wants_number


# --- follow-ups ----------------------------------------------------------------


def test_industry_follow_up_swaps_the_industry() -> None:
    resolved = resolve("那汽车产业呢？", history(ELECTRONICS))
    assert bare(resolved) == "2023年成渝汽车产业集群产值规模有多大"


def test_region_follow_up_swaps_the_region() -> None:
    resolved = resolve("那东北地区呢？", history("成渝地区新能源汽车本地配套率是多少？"))
    assert bare(resolved) == "东北地区新能源汽车本地配套率是多少"
    resolved = resolve("那东北地区呢？", history("成渝新能源汽车本地配套率是多少？"))
    assert bare(resolved) == "东北地区新能源汽车本地配套率是多少"


def test_year_follow_up_swaps_the_year() -> None:
    assert bare(resolve("那2022年呢？", history(ELECTRONICS))) == (
        "2022年成渝电子信息产业集群产值规模有多大"
    )


def test_countermeasure_follow_up_after_a_problem_question_names_the_problem() -> None:
    resolved = resolve("具体有哪些对策？", history(TALENT))
    assert resolved == "针对成渝地区人才方面的问题，具体有哪些对策？"
    assert detect(resolved).kind == "problem_countermeasure"
    assert detect(resolved).problem_topic == "成渝地区人才方面"


def test_follow_up_uses_the_last_user_turn_only() -> None:
    turns = history(TALENT, ELECTRONICS)
    assert bare(resolve("那汽车产业呢？", turns)) == "2023年成渝汽车产业集群产值规模有多大"
    # assistant turns are never taken as the previous question
    only_assistant = [{"role": "assistant", "content": ELECTRONICS}]
    assert resolve("那汽车产业呢？", only_assistant) == "那汽车产业呢？"


def test_comparison_follow_up_is_appended() -> None:
    previous = "重庆汽车行业人才占比是多少？"
    resolved = resolve("和上海比差多少？", history(previous))
    assert resolved == f"{bare(previous)}? 和上海比差多少？"
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
    assert resolve(question, history(ELECTRONICS)) == question


@pytest.mark.parametrize("turns", [None, [], history()])
def test_follow_up_without_history_is_unchanged(turns) -> None:
    assert is_followup("那汽车产业呢？")
    assert resolve("那汽车产业呢？", turns) == "那汽车产业呢？"
