"""The answer function shared by the CLI, the web page and the evaluator.

    >>> assistant = Assistant(retriever, max_question_chars=500)
    >>> result = assistant.ask("成渝新能源汽车本地配套率是多少？")
    >>> result.answer
    '关于“成渝新能源汽车本地配套率”，资料中的相关内容是：成渝地区的新能源汽车本地配套率仅为30%,…[1]'

Extractive: every answer sentence is a verbatim span of a cited chunk. When
the evidence does not answer the question, the answer says so
(`answerable=False`) and lists the closest passages as related.
"""

from __future__ import annotations

from collections.abc import Callable

from policyqa.index.filters import Filters
from policyqa.index.query import Query
from policyqa.results import AskResult, Passage

from .compose import compose
from .evidence import Scorer
from .followup import resolve
from .intent import Intent, detect
from .question import EMPTY, NOTHING_TO_SEARCH, conversation, validate
from .reader import IndexReader
from .strategies import Answer, Context, Refusal, strategies

K = 10


class Assistant:
    """`reader_of()` gives the index as of now; each question pins one generation."""

    def __init__(self, reader_of: Callable[[], IndexReader], max_question_chars: int = 500) -> None:
        self.reader_of = reader_of
        self.max_question_chars = max_question_chars
        self.strategies = strategies()

    def ask(
        self, question: object, history: list[dict] | None = None, filters: Filters | None = None
    ) -> AskResult:
        limit = self.max_question_chars
        text, notice = validate(question, limit)
        if not text:
            # only blanks or control characters: nothing to echo
            return AskResult("", EMPTY, False, notice=notice, intent="empty")
        resolved = resolve(text, conversation(history, limit))
        reader = self.reader_of()
        query = reader.parse(resolved)
        if not query.terms:
            return AskResult(text, NOTHING_TO_SEARCH, False, notice=notice, intent="empty")
        intent = detect(query.text)
        filters = filters or Filters()
        hits = _retrieve(reader, query, intent, filters)
        scorer = Scorer(reader)
        ctx = Context(reader, query, intent, scorer.terms(query), hits, scorer, filters)
        result = AskResult(
            question=text,
            answer="",
            answerable=True,
            passages=hits,
            notice=notice,
            intent=intent.kind
            + ("+list" if intent.wants_list else "")
            + ("+number" if intent.wants_number else ""),
            resolved_question=resolved if resolved != text else "",
        )
        for strategy in self.strategies:
            outcome = strategy(ctx)
            if isinstance(outcome, Refusal):
                return _refuse(result, outcome.reason, hits)
            if outcome is not None:
                return _finish(result, outcome, reader)
        return _refuse(result, "检索到的段落没有覆盖问题的要点", hits)


def _retrieve(reader: IndexReader, query: Query, intent: Intent, filters: Filters) -> list[Passage]:
    """Top passages, with the best of the section role the question asks for first."""
    hits = reader.search(query, k=K, filters=filters)
    if intent.role and not filters.role:
        role_hits = reader.search(query, k=K, filters=filters.with_(role=intent.role))
        hits = merge(role_hits[:4], hits)
    return hits[:K]


def _finish(result: AskResult, answer: Answer, reader: IndexReader) -> AskResult:
    result.answer, result.citations = compose(answer.lead, answer.lines, reader, answer.numbered)
    result.see_also = answer.see_also
    if answer.see_also:
        result.answer += "\n相关对策见：" + "；".join(answer.see_also) + "。"
    if answer.structural:
        # sections gathered by structure are what was retrieved: list them first
        cited: list[Passage] = []
        for c in result.citations:
            if c.chunk.chunk_id not in {h.chunk.chunk_id for h in cited}:
                cited.append(Passage(c.chunk, 1.0, 0, {"structure": c.n}))
        result.passages = merge(cited, result.passages)[: max(K, len(cited))]
    return result


def _refuse(result: AskResult, reason: str, hits: list[Passage]) -> AskResult:
    result.answerable = False
    result.answer = (
        f"资料中未找到能回答该问题的内容（{reason}）。以下段落与问题相关，但并未回答它。"
    )
    result.related = hits[:3]
    return result


def merge(first: list[Passage], rest: list[Passage]) -> list[Passage]:
    out, seen = [], set()
    for h in first + rest:
        if h.chunk.chunk_id not in seen:
            seen.add(h.chunk.chunk_id)
            out.append(Passage(h.chunk, h.score, len(out) + 1, h.views))
    return out
