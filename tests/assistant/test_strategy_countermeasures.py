"""What to do about a problem: a problem described in other words than its section's
title reaches the countermeasure section linked to it at ingest."""

from __future__ import annotations

import pytest

from policyqa.assistant.compose import verify

pytestmark = pytest.mark.unit

PROBLEMS = "二、存在的问题 > "
MEASURES = "三、对策措施 > "
PARTS = "（一）关键零部件依赖外地供应"
TALENT = "（二）专业人才供给不足"
FINANCE = "（三）中小企业融资困难"
LINKED = {
    PARTS: "（一）提升关键零部件本地配套能力",
    TALENT: "（二）加强专业人才培养",
    FINANCE: "（三）拓宽中小企业融资渠道",
}


def test_ingest_links_each_problem_to_its_countermeasure(index):
    links = index.links("synthetic-plan")
    assert links == {PROBLEMS + p: [MEASURES + m] for p, m in LINKED.items()}


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        ("关键部件总要从外地采购，怎么办？", PARTS),
        ("传感器只能从外地买怎么办？", PARTS),
        ("缺少懂数字技术的人才怎么办？", TALENT),
        ("中小企业贷款难怎么办？", FINANCE),
        ("融资难的问题怎么解决？", FINANCE),
    ],
)
def test_a_problem_in_other_words_reaches_its_linked_countermeasures(
    assistant, index, question, problem
):
    result = assistant.ask(question)
    assert result.answerable and result.intent == "countermeasure"
    assert result.answer.startswith(f"针对“{problem}”的问题，资料提出的对策是：")
    assert result.citations
    for c in result.citations:
        assert c.chunk.section == MEASURES + LINKED[problem]
        assert c.chunk.role == "countermeasure"
        assert c.quote in result.answer or c.quote.rstrip("。；") in result.answer
        verify(c, index)
    # no measure of another problem is offered
    others = [m for p, m in LINKED.items() if p != problem]
    assert not any(m in result.answer for m in others)
    assert result.see_also == []
    # the cited sections lead the passages shown
    assert result.passages[0].chunk.section == MEASURES + LINKED[problem]


def test_a_measure_is_quoted_whole_as_an_enumerated_item(assistant):
    result = assistant.ask("传感器只能从外地买怎么办？")
    quotes = [c.quote for c in result.citations]
    assert "一是引进传感器和工业软件项目，支持本地企业进入整机企业供应体系；" in quotes
    assert all(q.startswith(("一是", "二是")) for q in quotes)
