"""Complete lists: a list question gets every item the document enumerates (the
subsections of a section, the items of an article), gathered by structure."""

from __future__ import annotations

import pytest

from policyqa.assistant.compose import verify
from tests.assistant.fake_index import REGULATION_TITLE

pytestmark = pytest.mark.unit

PROBLEMS = ("（一）关键零部件依赖外地供应", "（二）专业人才供给不足", "（三）中小企业融资困难")
MEASURES = (
    "（一）提升关键零部件本地配套能力",
    "（二）加强专业人才培养",
    "（三）拓宽中小企业融资渠道",
)
DUTIES = (
    "（一）建立健全数据安全管理制度",
    "（二）组织开展数据安全教育培训",
    "（三）采取技术措施保障数据安全",
)


@pytest.mark.parametrize(
    ("question", "items", "section"),
    [
        ("存在哪些问题？", PROBLEMS, "二、存在的问题"),
        ("提出了哪些对策？", MEASURES, "三、对策措施"),
    ],
)
def test_every_subsection_is_listed_in_order(assistant, index, question, items, section):
    result = assistant.ask(question)
    assert result.answerable and result.intent == "list"
    assert result.answer.startswith(f"共{len(items)}项：")
    positions = [result.answer.find(item) for item in items]
    assert -1 not in positions and positions == sorted(positions)
    # one citation per item, each in its own subsection
    assert [c.chunk.section for c in result.citations] == [f"{section} > {i}" for i in items]
    for c in result.citations:
        verify(c, index)


def test_every_item_of_an_article_is_listed(assistant, index):
    result = assistant.ask(f"《{REGULATION_TITLE}》第三条规定了哪些义务？")
    assert result.answerable and result.intent == "list"
    assert result.answer.startswith("共3项：")
    for item in DUTIES:
        assert item in result.answer
    quotes = [c.quote for c in result.citations]
    for item in DUTIES:
        assert any(q.startswith(item) for q in quotes)
    assert {c.chunk.section for c in result.citations} == {"第二章 数据处理 > 第三条"}
    for c in result.citations:
        verify(c, index)
