"""Problem→countermeasure: "针对产业链薄弱有什么对策？" is answered from the
countermeasure sections linked at ingest to the problem section the topic names."""

from __future__ import annotations

import re

from ..compose import Line
from ..evidence import Sentence, chunk_sentences, enumerated_items
from ..intent import LIST_PATTERN
from ..ranking import LEAD_IN, WEIGHTS, continuation, leaf, overlaps
from ..reader import IndexReader
from ..refusal import MIN_COVERAGE
from . import Answer, Context


def answer(ctx: Context) -> Answer | None:
    if ctx.intent.kind != "problem_countermeasure":
        return None
    lines, problem = _lines(ctx)
    if not lines:
        return None
    lead = f"针对“{ctx.intent.problem_topic}”的问题（见 {problem}），资料提出的对策包括："
    return Answer(lead, lines, numbered=len(lines) > 1, structural=True)


def _lines(ctx: Context) -> tuple[list[Line], str]:
    """The answer lines and the title of the problem section they answer."""
    reader, scorer, w = ctx.reader, ctx.scorer, WEIGHTS
    topic_query = reader.parse(ctx.intent.problem_topic or ctx.query.text)
    topic = scorer.terms(topic_query)
    problem_hits = reader.search(topic_query, k=5, filters=ctx.filters.with_(role="problem"))
    scored = [
        (scorer.coverage(topic, h.chunk.text, h.chunk.section), -h.rank, h) for h in problem_hits
    ]
    if not scored:
        return [], ""
    cov, _, best_hit = max(scored, key=lambda x: (x[0], x[1]))
    if cov < MIN_COVERAGE:
        return [], ""
    chunk = best_hit.chunk
    targets = [
        (prob, paths)
        for prob, paths in reader.links(chunk.doc_id).items()
        if chunk.section == prob or chunk.section.startswith(prob + " > ")
    ]
    if not targets:
        return [], ""
    problem, paths = targets[0]
    text = ctx.query.text
    if LIST_PATTERN.search(text) or re.search(r"具体.*(对策|建议|措施|举措)", text):
        items = [Line(s, leaf(s.chunk.section)) for s in items_in(reader, chunk.doc_id, paths[0])]
        if len(items) >= 2:
            return items[: w.max_items], leaf(problem)
    topic_terms = topic + scorer.terms(ctx.query)
    candidates: list[Sentence] = []
    for rank, path in enumerate(paths):
        for n, c in enumerate(reader.section_chunks(chunk.doc_id, path), 1):
            for s in enumerated_items(c, n) + chunk_sentences(c, n):
                s.coverage = scorer.coverage(topic_terms, s.text, c.section)
                s.score = s.coverage + (w.first_link if rank == 0 else 0.0)
                candidates.append(s)
    candidates = [s for s in candidates if not LEAD_IN.search(s.text)]
    candidates.sort(key=lambda s: (-s.score, s.start))
    picked: list[Sentence] = []
    for s in candidates:
        if s.coverage <= 0 or len(picked) >= w.max_lines:
            break
        if s.score >= w.keep_countermeasure * candidates[0].score and not any(
            overlaps(s, p) for p in picked
        ):
            picked.append(s)
            picked += [c for c in continuation(s, 1) if not any(overlaps(c, p) for p in picked)]
    picked.sort(key=lambda s: s.start)
    return [Line(s, leaf(s.chunk.section)) for s in picked], leaf(problem)


def items_in(reader: IndexReader, doc_id: str, path: str) -> list[Sentence]:
    """Enumerated items (一是…, （1）…) of a section, in order, without overlaps."""
    seen: list[Sentence] = []
    for n, c in enumerate(reader.section_chunks(doc_id, path), 1):
        for item in enumerated_items(c, n):
            if not any(overlaps(item, s) for s in seen):
                seen.append(item)
    return seen


def linked_measures(reader: IndexReader, chunk) -> list[str]:
    """Titles of the countermeasure sections linked to the problem section holding chunk."""
    for prob, paths in reader.links(chunk.doc_id).items():
        if chunk.section == prob or chunk.section.startswith(prob + " > "):
            return [leaf(p) for p in paths]
    return []
