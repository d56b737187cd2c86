"""The general case: lead with the clause that answers, from the best sentence
that meets every constraint of the question and covers what it is about; or
say what the documents do not give and show the nearest fact they do."""

from __future__ import annotations

from ..compose import Line, lead_clause
from ..constraints import MEASURE_LABELS
from ..evidence import Candidate
from ..figures import figures
from ..refusal import Support, support
from . import Answer, Context, Refusal, quote_of

EXTRA = 1  # supporting sentences after the lead
MAX_CHARS = 150  # a fact answer stays about this short before its sources


def answer(ctx: Context) -> Answer | Refusal:
    best, sup = choose(ctx, ctx.ranked)
    if best is None or not sup.enough:
        return refuse(ctx, best, sup)
    lines = [lead_line(ctx, best)]
    lines += _other_figures(ctx, best)
    for c in ctx.ranked:
        if len(lines) > EXTRA or sum(len(li.shown or li.quote.text) for li in lines) > MAX_CHARS:
            break
        if c is best or c.missing or c.key == best.key or c.score < 0.85 * best.score:
            continue
        if c.lex >= best.lex and support(ctx.frame.text, c, ctx.terms, ctx.reader).enough:
            lines.append(Line(quote_of(c)))
    return Answer(lines, sep="", end="。")


def _other_figures(ctx: Context, best: Candidate) -> list[Line]:
    """A question asking for two kinds of figure ("几个人？能占多少？") gets the second
    from the best other sentence that has it."""
    have = {f.kind for f in figures(best.text)}
    wanted = [k for k in ctx.frame.kinds if k not in have] if len(ctx.frame.kinds) > 1 else []
    for kind in wanted[:1]:
        for c in ctx.ranked[:8]:
            if c is not best and c.lex > 0 and any(f.kind == kind for f in figures(c.text)):
                return [Line(quote_of(c))]
    return []


def choose(ctx: Context, ranked: list[Candidate]) -> tuple[Candidate | None, Support | None]:
    """The best candidate meeting the constraints, and how well it covers the question."""
    ok = [c for c in ranked if not c.missing]
    for c in ok[:3]:  # a close second may cover the question where the first does not
        sup = support(ctx.frame.text, c, ctx.terms, ctx.reader)
        if sup.enough:
            return c, sup
    if not ok:
        return None, None
    return ok[0], support(ctx.frame.text, ok[0], ctx.terms, ctx.reader)


def asked_words(ctx: Context) -> set[str]:
    return {t.text for t in ctx.terms} | set(ctx.frame.measure_nouns)


def lead_line(ctx: Context, c: Candidate) -> Line:
    """The candidate as an answer's first line: the clause that answers (the whole
    sentence when the question asks for two figures and it holds both), named by its
    document and article when the question asks which document says so."""
    kinds = ctx.frame.kinds if ctx.frame.number else ()
    both = len(ctx.frame.kinds) > 1 and len({f.kind for f in figures(c.text)} & set(kinds)) > 1
    shown = c.text if both else lead_clause(c.text, asked_words(ctx), kinds, c.focus)
    label = where_from(c) if ctx.frame.which_document else ""
    return Line(quote_of(c), shown=shown if shown != c.text else "", label=label)


def where_from(c: Candidate) -> str:
    """《重庆市产品质量条例》第十五条: a quote's document and article."""
    article = next(
        (
            p
            for p in reversed(c.chunk.section.split(" > "))
            if p.startswith("第") and p.endswith("条")
        ),
        "",
    )
    return f"《{c.chunk.doc_title}》{article}"


def refuse(ctx: Context, best: Candidate | None, sup: Support | None) -> Refusal:
    """Why the documents do not answer, with the nearest fact they give."""
    if sup is not None and sup.unknown:
        reason = f"资料中没有关于“{'、'.join(sup.unknown)}”的内容"
        return Refusal(reason, [lead_line(ctx, best)] if best else [])
    if best is None and ctx.ranked:
        near = nearest(ctx)
        return Refusal(f"资料未给出{_what(near.missing)}", [lead_line(ctx, near)])
    if best is not None and sup is not None and sup.uncovered:
        return Refusal(
            f"资料中没有直接说明“{'、'.join(sup.uncovered[:2])}”的内容", [lead_line(ctx, best)]
        )
    return Refusal("资料中没有能回答这个问题的内容")


def nearest(ctx: Context) -> Candidate:
    """The candidate closest to answering: fewest unmet constraints, then best score."""
    top = ctx.ranked[: max(5, len(ctx.ranked) // 3)]
    return min(top, key=lambda c: (len(c.missing), -c.score))


def _what(missing: list[str]) -> str:
    """ "2024年的数据", "长三角的数据", "相应的金额"."""
    labels = set(MEASURE_LABELS.values())
    named = [m for m in missing if m not in labels]
    kinds = [m for m in missing if m in labels]
    parts = []
    if named:
        parts.append("、".join(named) + "的数据")
    if kinds:
        parts.append("相应的" + "、".join(dict.fromkeys(kinds)))
    return "，也没有".join(parts) or "相应的内容"
