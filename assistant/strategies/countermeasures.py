"""What to do about a problem: "本地配套跟不上怎么办？" is answered with the
measures the documents propose for it, by meaning. The problem the question
describes is found among the problem sections; the countermeasure sections
linked to it at ingest lead, and the measures of the best section are listed
as the document enumerates them (一是…, （1）…)."""

from __future__ import annotations

import numpy as np

from ..compose import Line, Quote
from ..evidence import Candidate, enumerated_items, gather
from ..ranking import rank
from ..refusal import support
from . import Answer, Context, quote_of

LINKED = 0.3  # a countermeasure in a section linked to the problem the question describes
MAX_ITEMS = 6


def answer(ctx: Context) -> Answer | None:
    if ctx.frame.kind != "countermeasure":
        return None
    reader = ctx.reader
    hits = reader.search(ctx.query, k=8, filters=ctx.filters.with_(role="countermeasure"))
    if not hits:
        return None
    problem = _problem_section(ctx)
    linked = reader.links(problem[0]).get(problem[1], []) if problem else []
    cands = rank(
        gather(reader, hits + _linked_hits(ctx, problem, linked), ctx.qvec, ctx.terms), ctx.frame
    )
    for c in cands:
        if any(c.chunk.section == p or c.chunk.section.startswith(p + " > ") for p in linked):
            c.score += LINKED
    cands.sort(key=lambda c: -c.score)
    best = next(
        (c for c in cands[:3] if support(ctx.frame.text, c, ctx.terms, reader).coverage >= 0.34),
        None,
    )
    if best is None:
        return None
    lines = _measures(ctx, best, cands)
    topic = problem[1].rsplit(" > ", 1)[-1] if problem else ""
    lead = f"针对“{_title(topic)}”的问题，资料提出的对策是：" if topic else "资料提出的对策是："
    see = [_title(p.rsplit(" > ", 1)[-1]) for p in linked if p != best.chunk.section]
    return Answer(lines, lead=lead, sep="；", end="。", structural=True, see_also=see[:2])


def _problem_section(ctx: Context) -> tuple[str, str] | None:
    """(doc id, path) of the problem section the question describes, by meaning and words."""
    hits = ctx.reader.search(ctx.query, k=5, filters=ctx.filters.with_(role="problem"))
    cands = rank(gather(ctx.reader, hits, ctx.qvec, ctx.terms), ctx.frame)
    if not cands:
        return None
    top = cands[0].chunk
    links = ctx.reader.links(top.doc_id)
    for path in links:
        if top.section == path or top.section.startswith(path + " > "):
            return top.doc_id, path
    return None


def _linked_hits(ctx: Context, problem, linked: list[str]):
    """The first chunks of the linked sections, so they are among the candidates."""
    from policyqa.results import Passage

    if not problem:
        return []
    out = []
    for n, path in enumerate(linked, 1):
        for chunk in ctx.reader.section_chunks(problem[0], path)[:3]:
            out.append(Passage(chunk, 0.0, 10 + n))
    return out


def _measures(ctx: Context, best: Candidate, cands: list[Candidate]) -> list[Line]:
    """The enumerated measures of the best candidate's section that bear on the question,
    in document order; else the best sentences of that section."""
    section = best.chunk.section
    chunks = ctx.reader.section_chunks(best.chunk.doc_id, section)
    items = []
    for chunk in chunks:
        for a, b in enumerated_items(chunk):
            if not any(a < e and s < b for s, e, _ in items):
                items.append((a, b, chunk))
    if len(items) >= 2:
        relevance = {c.key[1:]: c.score for c in cands if c.chunk.section == section}
        scores = [
            max((v for (s, e), v in relevance.items() if a <= s < b), default=0.0)
            for a, b, _ in items
        ]
        keep = [i for i, v in enumerate(scores) if v >= np.median(scores)] or list(
            range(len(items))
        )
        picked = [items[i] for i in keep][:MAX_ITEMS]
        return [_item_line(chunk, a, b) for a, b, chunk in picked]
    same = [c for c in cands if c.chunk.section == section][:3]
    return [Line(quote_of(c)) for c in sorted(same, key=lambda c: c.start)]


def _item_line(chunk, a: int, b: int) -> Line:
    text = chunk.text[a - chunk.start : b - chunk.start]
    head = text.split("。", 1)[0].split("；", 1)[0]
    return Line(Quote(chunk, a, b, text), shown=head if len(head) < len(text) else "")


def _title(leaf: str) -> str:
    """A section title without its number: "3.2 产业链关键环节薄弱,…" -> "产业链关键环节薄弱,…"."""
    parts = leaf.split(maxsplit=1)
    return parts[1] if len(parts) == 2 and parts[0].replace(".", "").isdigit() else leaf
