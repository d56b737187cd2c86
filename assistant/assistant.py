"""The answer function shared by the CLI, the web page and the evaluator.

    >>> assistant = Assistant(retriever.reader, profile, max_question_chars=500)
    >>> assistant.ask("成渝新能源汽车本地配套率是多少？").answer
    '成渝地区的新能源汽车本地配套率仅为30%,显著低于珠三角地区和长三角地区[1]。'

Extractive: every piece of answer text is verbatim from a cited chunk, and the
first sentence is the answer. When the documents do not answer, the result
says so (`answerable=False`), names what is missing, shows the nearest fact
they give (`nearest`) and lists the closest passages as related.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from policyqa.index.filters import Filters
from policyqa.index.query import Query
from policyqa.profile import Profile
from policyqa.results import AskResult, Passage

from .compose import compose
from .evidence import content_terms
from .followup import bare, is_followup, resolve
from .frame import Frame, analyze, core_title, measure_phrases
from .question import EMPTY, NOTHING_TO_SEARCH, conversation, validate
from .reader import IndexReader
from .refusal import MIN_COVERAGE
from .strategies import Answer, Context, Refusal, strategies
from .strategies.article import article_passages

K = 10


class Assistant:
    """`reader_of()` gives the index as of now; each question pins one generation."""

    def __init__(
        self, reader_of: Callable[[], IndexReader], profile: Profile, max_question_chars: int = 500
    ) -> None:
        self.reader_of = reader_of
        self.profile = profile
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
        reader = self.reader_of()
        titles = reader.titles()
        turns = conversation(history, limit)
        resolved = resolve(text, turns, self.profile, list(titles.values()))
        query = reader.parse(resolved)
        if not query.terms:
            return AskResult(text, NOTHING_TO_SEARCH, False, notice=notice, intent="empty")
        if not turns and is_followup(text) and len(bare(text)) <= 6 and _asks_nothing(text):
            return AskResult(text, _clarify(text), False, notice=notice, intent="clarify")
        frame = analyze(query.text, self.profile, titles, reader.missing_documents())
        filters = filters or Filters()
        if frame.documents and not filters.doc:
            filters = filters.with_(doc=list(frame.documents))
        searched = (
            reader.parse(_without_titles(query.text, frame, titles)) if frame.documents else query
        )
        hits = _retrieve(reader, searched if searched.terms else query, frame, filters)
        if frame.article is not None and frame.kind != "article":
            hits = merge(article_passages(reader, frame.documents, hits, frame.article), hits)
        # 老几, 多少钱, 产值: what kind of answer (the constraints see to it), not what about;
        # the home region and the places named are implicit or checked as constraints
        skip = measure_phrases(self.profile) | set(frame.measure_nouns)
        within = set(self.profile.regions.home_names) | set(frame.places)
        text_about = _without_titles(query.text, frame, titles)
        terms = content_terms(text_about, reader, self.profile, skip, within)
        ctx = Context(
            reader,
            self.profile,
            frame,
            query,
            hits,
            terms,
            reader.query_vector(query.text),
            filters,
        )
        result = AskResult(
            question=text,
            answer="",
            answerable=True,
            passages=hits,
            notice=notice,
            intent=frame.kind + ("+number" if frame.number else ""),
            resolved_question=resolved if resolved != text else "",
        )
        for strategy in self.strategies:
            outcome = strategy(ctx)
            if isinstance(outcome, Refusal):
                return _refuse(result, outcome, reader)
            if outcome is not None:
                return _finish(result, outcome, reader)
        return _refuse(result, Refusal("资料中没有能回答这个问题的内容"), reader)

    def _second_search(self, ctx: Context, searched: Query) -> Context:
        """A number question whose passages hold no figure of the kind asked is searched
        again with the word for that measure (造得出好多台车 -> 产量)."""
        word = self.profile.measure_search.get(ctx.frame.measure, "")
        if not (ctx.frame.number and word) or any(
            not c.missing and c.lex >= MIN_COVERAGE for c in ctx.ranked[:10]
        ):
            return ctx
        extra = ctx.reader.search(
            ctx.reader.parse(f"{searched.text} {word}"), k=K, filters=ctx.filters
        )
        hits = merge(
            ctx.hits,
            [h for h in extra if h.chunk.chunk_id not in {x.chunk.chunk_id for x in ctx.hits}][:5],
        )
        return replace(ctx, hits=hits, _ranked=None)


def _asks_nothing(text: str) -> bool:
    """ "那珠三角呢？" alone: a place or a year, but nothing asked about it."""
    return not re.search(r"多少|哪|什么|怎么|如何|是否|吗|规定|几", text)


def _clarify(text: str) -> str:
    subject = bare(text) or text
    return (
        f"“{text}”是接着上一个问题问的，但当前对话中没有上一个问题。"
        f"请把问题说完整，例如：“{subject}的……是多少？”"
    )


def _without_titles(text: str, frame: Frame, titles: dict[str, str]) -> str:
    """The question without the names of the documents it names: the filter does their work."""
    for doc_id in frame.documents:
        title = titles[doc_id]
        for form in (f"《{title}》", title, f"《{core_title(title)}》", core_title(title)):
            text = text.replace(form, " ")
    return re.sub(r"\s+", " ", text).strip() or text


def _retrieve(reader: IndexReader, query: Query, frame: Frame, filters: Filters) -> list[Passage]:
    """Top passages, with the best of the section role the question asks for first."""
    hits = reader.search(query, k=K, filters=filters)
    if frame.role and not filters.role and frame.role in reader.roles():
        role_hits = reader.search(query, k=K, filters=filters.with_(role=frame.role))
        hits = merge(role_hits[:4], hits)
    return hits[:K]


def _finish(result: AskResult, answer: Answer, reader: IndexReader) -> AskResult:
    result.answer, result.citations = compose(
        answer.lines, reader, answer.lead, answer.sep, answer.end
    )
    result.see_also = answer.see_also
    if answer.see_also:
        result.answer += f"\n{answer.see_label}：" + "；".join(answer.see_also) + "。"
    if answer.structural:
        # sections gathered by structure are what was retrieved: list them first
        cited: list[Passage] = []
        for c in result.citations:
            if c.chunk.chunk_id not in {h.chunk.chunk_id for h in cited}:
                cited.append(Passage(c.chunk, 1.0, 0, {"structure": c.n}))
        result.passages = merge(cited, result.passages)[: max(K, len(cited))]
    return result


def _refuse(result: AskResult, refusal: Refusal, reader: IndexReader) -> AskResult:
    result.answerable = False
    result.answer = refusal.reason + "。"
    if refusal.nearest:
        text, nearest = compose(refusal.nearest, reader, lead="资料中最接近的内容是：", end="。")
        result.answer += text
        result.nearest = nearest
        result.citations = nearest
    result.related = result.passages[:3]
    return result


def merge(first: list[Passage], rest: list[Passage]) -> list[Passage]:
    out, seen = [], set()
    for h in first + rest:
        if h.chunk.chunk_id not in seen:
            seen.add(h.chunk.chunk_id)
            out.append(Passage(h.chunk, h.score, len(out) + 1, h.views))
    return out
