"""Documents a question names: an expected document the corpus lacks is reported
missing (with what other documents say of it), one nobody knows is said to be absent,
and a question naming one indexed document is answered from it alone."""

from __future__ import annotations

import pytest

from policyqa.assistant.compose import verify
from tests.assistant.fake_index import (
    MEASURES_TITLE,
    MISSING_TITLE,
    REGULATION_TITLE,
)

pytestmark = pytest.mark.unit

MENTION = "本规划依据《某市数字经济促进条例》等有关规定编制。"


def test_the_expected_document_is_known_to_be_missing(index):
    assert index.missing_documents() == (MISSING_TITLE,)
    assert MISSING_TITLE not in index.titles().values()


@pytest.mark.parametrize(
    "question",
    [
        f"《{MISSING_TITLE}》第二条规定了什么？",
        f"《{MISSING_TITLE}》对数据交易有什么规定？",
        f"{MISSING_TITLE}什么时候施行？",
    ],
)
def test_a_missing_expected_document_is_reported_missing(assistant, index, question):
    result = assistant.ask(question)
    assert not result.answerable
    assert result.answer.startswith(f"《{MISSING_TITLE}》的全文尚未收录")
    assert "上传" in result.answer
    # what an indexed document says of it is shown as the nearest fact, verbatim
    assert [c.quote for c in result.nearest] == [MENTION]
    for c in result.nearest:
        verify(c, index)


def test_a_document_nobody_knows_is_said_to_be_absent(assistant):
    result = assistant.ask("《某省大数据发展条例》第二条规定了什么？")
    assert not result.answerable
    assert result.answer.startswith("资料中没有《某省大数据发展条例》的全文")
    assert result.citations == []


@pytest.mark.parametrize(
    ("question", "doc_id", "own", "other"),
    [
        (
            f"《{MEASURES_TITLE}》规定发生泄露后多长时间内报告？",
            "synthetic-measures",
            "七十二小时",
            "二十四小时",
        ),
        (
            f"《{REGULATION_TITLE}》规定发生泄露后多长时间内报告？",
            "synthetic-regulation",
            "二十四小时",
            "七十二小时",
        ),
        (
            f"{REGULATION_TITLE}规定发生泄露后多长时间内报告？",
            "synthetic-regulation",
            "二十四小时",
            "七十二小时",
        ),
    ],
)
def test_a_question_naming_a_document_is_answered_from_it(
    assistant, index, question, doc_id, own, other
):
    result = assistant.ask(question)
    assert result.answerable
    first = result.answer.split("[1]", 1)[0]
    assert own in first and other not in result.answer
    assert result.citations and {c.chunk.doc_id for c in result.citations} == {doc_id}
    assert {p.chunk.doc_id for p in result.passages} == {doc_id}
    for c in result.citations:
        verify(c, index)


def test_without_a_document_named_both_documents_are_searched(index):
    hits = index.search("发生泄露后多长时间内报告")
    assert {"synthetic-measures", "synthetic-regulation"} <= {h.chunk.doc_id for h in hits[:3]}
