"""The general case: quote the best sentences, after the refusal rule has
decided that they answer the question."""

from __future__ import annotations

from .. import refusal
from ..compose import Line
from ..ranking import WEIGHTS, best, subject
from . import Answer, Context, Refusal
from .countermeasures import linked_measures


def answer(ctx: Context) -> Answer | Refusal:
    ranked = ctx.ranked
    verdict = refusal.decide(ctx.query, ctx.intent, ctx.terms, ranked, ctx.scorer)
    if not verdict.answerable:
        return Refusal(verdict.reason)
    # lead with a sentence the rule accepted (the figure naming what is counted)
    rest = [] if verdict.only else [s for s in ranked if s not in verdict.support]
    ranked = list(verdict.support) + rest
    lines = [Line(s) for s in best(ranked)]
    if ctx.intent.wants_number:
        lines += _table_lines(ranked, lines)
    if not lines:
        return Refusal("检索到的段落没有覆盖问题的要点")
    see_also = []
    if ctx.intent.kind == "problem":
        see_also = linked_measures(ctx.reader, lines[0].evidence.chunk)
    lead = f"关于“{subject(ctx.query.text)}”，资料中的相关内容是："
    return Answer(lead, lines, see_also=see_also)


def _table_lines(ranked, lines: list[Line]) -> list[Line]:
    """The best table row for a number question, cited beside the sentence."""
    rows = [s for s in ranked if s.chunk.kind == "table"]
    if (
        not rows
        or rows[0].coverage < WEIGHTS.table_row_coverage
        or any(li.evidence is rows[0] for li in lines)
    ):
        return []
    return [Line(rows[0])]
