"""第N条规定了什么: the whole article, items included, cited as that article; an
article number the document lacks is refused with how many articles it has."""

from __future__ import annotations

import pytest

from policyqa.assistant.compose import verify
from tests.assistant.fake_index import MEASURES_TITLE, REGULATION_TITLE

pytestmark = pytest.mark.unit

ITEMS = (
    "（一）建立健全数据安全管理制度",
    "（二）组织开展数据安全教育培训",
    "（三）采取技术措施保障数据安全",
)


@pytest.mark.parametrize(
    "question",
    [
        f"《{REGULATION_TITLE}》第三条规定了什么？",
        f"{REGULATION_TITLE}第3条规定了什么？",
        f"《{REGULATION_TITLE}》第３条讲的是什么？",  # full-width digit
    ],
)
def test_an_article_is_answered_whole_with_its_items(assistant, index, question):
    result = assistant.ask(question)
    assert result.answerable and result.intent == "article"
    assert result.answer.startswith(f"《{REGULATION_TITLE}》第三条规定：")
    assert "数据处理者应当履行下列义务" in result.answer
    for item in ITEMS:
        assert item in result.answer
    # the items keep their own lines
    assert result.answer.count("\n") >= len(ITEMS)
    assert result.citations
    for c in result.citations:
        assert c.chunk.doc_id == "synthetic-regulation"
        assert c.chunk.section == "第二章 数据处理 > 第三条"
        verify(c, index)
    # the article's text leads the passages shown
    assert result.passages[0].chunk.section == "第二章 数据处理 > 第三条"


def test_the_article_comes_from_the_document_named(assistant):
    result = assistant.ask(f"《{MEASURES_TITLE}》第二条规定了什么？")
    assert result.answerable
    assert result.answer.startswith(f"《{MEASURES_TITLE}》第二条规定：")
    assert "七十二小时" in result.answer and "二十四小时" not in result.answer
    assert {c.chunk.doc_id for c in result.citations} == {"synthetic-measures"}


def test_the_article_number_is_not_repeated_after_the_lead(assistant):
    result = assistant.ask(f"《{REGULATION_TITLE}》第五条规定了什么？")
    assert result.answer == f"《{REGULATION_TITLE}》第五条规定：本条例自2025年1月1日起施行[1]"
    assert result.citations[0].quote == "第五条 本条例自2025年1月1日起施行。"


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        (f"{REGULATION_TITLE}第九条规定了什么？", f"《{REGULATION_TITLE}》共5条，没有第九条。"),
        (f"《{MEASURES_TITLE}》第十条规定了什么？", f"《{MEASURES_TITLE}》共3条，没有第十条。"),
        (
            f"《{REGULATION_TITLE}》第12条规定了什么？",
            f"《{REGULATION_TITLE}》共5条，没有第十二条。",
        ),
    ],
)
def test_an_article_the_document_lacks_is_refused_with_its_count(assistant, question, reason):
    result = assistant.ask(question)
    assert not result.answerable
    assert result.answer == reason
    assert result.citations == [] and result.nearest == []
