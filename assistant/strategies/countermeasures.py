"""What to do about a problem: "本地配套跟不上怎么办？" is answered with the
measures the documents propose for it, by meaning. Every enumerated measure of
the countermeasure sections near the question (一是…, （1）…, each up to the
next) is scored by its best sentence; measures in sections linked at ingest to
the problem the question describes count more. The best measures are quoted
whole, best first."""

from __future__ import annotations

import re

from ..compose import Line, Quote
from ..evidence import Candidate, enumerated_items, gather
from ..ranking import rank
from . import Answer, Context

AGAINST = re.compile(
    r"(?:针对|解决|应对|改善|缓解|破解)(?P<topic>.+?)的?(?:问题|困难|挑战|短板|不足|现象)"
)
ANNOUNCES = re.compile(r"(如下|以下|下列)\s*[。:：]?\s*$")
LINKED = 0.3  # a measure in a section linked to the problem the question describes
KEEP = 0.8  # further measures are quoted when they score this share of the best one
MAX_ITEMS = 3


def answer(ctx: Context) -> Answer | None:
    if ctx.frame.kind != "countermeasure" or "countermeasure" not in ctx.reader.roles():
        return None
    reader = ctx.reader
    hits = reader.search(ctx.query, k=8, filters=ctx.filters.with_(role="countermeasure"))
    if not hits:
        return None
    problem = _problem_section(ctx)
    linked = reader.links(problem[0]).get(problem[1], []) if problem else []
    topic = AGAINST.search(ctx.frame.text)  # 针对X的问题: X is what the measures must answer
    qvec = reader.query_vector(topic.group("topic")) if topic else ctx.qvec
    terms = (
        [t for t in ctx.terms if t.text in topic.group("topic")] or ctx.terms
        if topic
        else ctx.terms
    )
    cands = rank(gather(reader, hits, qvec, terms), ctx.frame)
    items = _scored_items(ctx, cands, linked)
    if not items or max(c.lex for c in cands) == 0 and not linked:
        return None
    best = items[0][0]
    picked = [it for it in items if it[0] >= KEEP * best][:MAX_ITEMS]
    lines = [Line(quote) for _, quote in picked]
    chosen = {q.chunk.section for _, q in picked}
    topic = problem[1].rsplit(" > ", 1)[-1] if problem and chosen & set(linked) else ""
    lead = f"针对“{_title(topic)}”的问题，资料提出的对策是：" if topic else "资料提出的对策是："
    see = [_title(p.rsplit(" > ", 1)[-1]) for p in linked if p not in chosen]
    return Answer(lines, lead=lead, sep="；", end="。", structural=True, see_also=see[:2])


def _problem_section(ctx: Context) -> tuple[str, str] | None:
    """(doc id, path) of the problem section the question describes, by meaning and words."""
    hits = ctx.reader.search(ctx.query, k=5, filters=ctx.filters.with_(role="problem"))
    cands = rank(gather(ctx.reader, hits, ctx.qvec, ctx.terms), ctx.frame)
    if not cands:
        return None
    top = cands[0].chunk
    for path in ctx.reader.links(top.doc_id):
        if top.section == path or top.section.startswith(path + " > "):
            return top.doc_id, path
    return None


def _scored_items(
    ctx: Context, cands: list[Candidate], linked: list[str]
) -> list[tuple[float, Quote]]:
    """Each measure of the candidates' sections with the score of its best sentence; a
    measure not enumerated as an item is quoted as its sentence."""

    def bonus(section: str) -> float:
        return LINKED if any(section == p or section.startswith(p + " > ") for p in linked) else 0.0

    out: dict[int, tuple[float, Quote]] = {}
    spans: list[tuple[str, int, int]] = []
    for doc_id, section in {(c.chunk.doc_id, c.chunk.section) for c in cands}:
        for chunk in ctx.reader.section_chunks(doc_id, section):
            for a, b in enumerated_items(chunk, whole=True):
                inside = [c.score for c in cands if c.chunk.doc_id == doc_id and a <= c.start < b]
                if not inside or a in out:
                    continue
                text = chunk.text[a - chunk.start : b - chunk.start].rstrip()
                out[a] = (max(inside) + bonus(section), Quote(chunk, a, a + len(text), text))
                spans.append((doc_id, a, b))
    for c in cands:
        if ANNOUNCES.search(c.text):
            continue  # 具体建议如下: it announces the measures, it is none of them
        if not any(d == c.chunk.doc_id and a <= c.start < b for d, a, b in spans):
            quote = Quote(c.chunk, c.start, c.end, c.text)
            out.setdefault(c.start, (c.score + bonus(c.chunk.section), quote))
    return sorted(out.values(), key=lambda x: -x[0])


def _title(leaf: str) -> str:
    """A section title without its number: "3.2 产业链关键环节薄弱,…" -> "产业链关键环节薄弱,…"."""
    parts = leaf.split(maxsplit=1)
    return parts[1] if len(parts) == 2 and parts[0].replace(".", "").isdigit() else leaf
