"""The general case: lead with the clause that answers, from the best sentence
that meets every constraint of the question and covers what it is about; or
say what the documents do not give and show the nearest fact they do."""

from __future__ import annotations

import re

from ..compose import Line, lead_clause
from ..constraints import MEASURE_LABELS
from ..evidence import Candidate
from ..figures import figures
from ..refusal import Support, support
from . import Answer, Context, Refusal, quote_of
from .section_list import MAX_ITEMS, article_items

EXTRA = 1  # supporting sentences after the lead of a figure
MORE = 3  # after the lead of a description
MAX_CHARS = 150  # a fact answer stays about this short before its sources


def answer(ctx: Context) -> Answer | Refusal:
    frame = ctx.frame
    if frame.number and not (ctx.terms or frame.measure or frame.classifier or frame.measure_nouns):
        return Refusal("问题没有说明要查的是什么的数字，请说明查询的对象和指标")  # 一共有多少？
    best, sup = choose(ctx, ctx.ranked)
    if best is None or not sup.enough:
        return refuse(ctx, best, sup)
    items = _announced(ctx, best)
    if items:  # 应当提交下列材料：（一）…（二）…: the sentence and what it announces
        return Answer([lead_line(ctx, best)] + items, sep="；", end="。")
    lines = [lead_line(ctx, best)] + _other_figures(ctx, best) + _continued(ctx, best)
    # a figure is answered by its sentence; a description may take a few more
    number = ctx.frame.number
    extra, chars, floor = (EXTRA, MAX_CHARS, 0.85) if number else (MORE, 2 * MAX_CHARS, 0.7)
    for c in ctx.ranked:
        if len(lines) > extra or sum(len(li.shown or li.quote.text) for li in lines) > chars:
            break
        if c.missing or c.score < floor * best.score or _quoted(c, lines):
            continue
        if any(li.quote.text == c.text for li in lines):
            continue  # the same words in another passage
        if ctx.frame.role and c.chunk.role != best.chunk.role:
            continue  # 存在什么问题: more problems, not the measures proposed for them
        if (c.lex >= best.lex or not number) and _support(ctx, c).enough:
            lines.append(Line(quote_of(c)))
    return Answer(
        lines, sep="", end="。", see_also=_measures_for(ctx, best), see_label="相关对策见"
    )


def _measures_for(ctx: Context, best: Candidate) -> list[str]:
    """The countermeasure sections linked to the problem section a problem answer quotes."""
    if ctx.frame.kind != "problem":
        return []
    linked = ctx.reader.links(best.chunk.doc_id)
    paths = next((v for k, v in linked.items() if best.chunk.section.startswith(k)), [])
    return [p.rsplit(" > ", 1)[-1] for p in paths][:2]


def _announced(ctx: Context, best: Candidate) -> list[Line]:
    """The items （一）（二）… of the article a sentence announces (有下列情形之一的：)."""
    text = best.text.rstrip()
    if not (text.endswith(("：", ":")) and re.search(r"下列|以下|如下", text)):
        return []
    doc = ctx.reader.document(best.chunk.doc_id)
    items = article_items(ctx, doc, best) if doc else []
    return [li for li in items if li.quote.start >= best.end][:MAX_ITEMS]


def _quoted(c: Candidate, lines: list[Line]) -> bool:
    return any(
        li.quote.chunk.chunk_id == c.chunk.chunk_id and li.quote.start == c.start for li in lines
    )


_GOES_ON = re.compile(r"^(同时|此外|另外|并且|而且|但是?|然而|其中|具体|[二三四五六七八九]是)")


def _continued(ctx: Context, best: Candidate) -> list[Line]:
    """The next sentence of a description, when it goes on with the same point (同时…,
    二是…) or the sentence announces it (…如下：)."""
    if ctx.frame.number:
        return []
    same = [
        c for c in ctx.ranked if c.chunk.chunk_id == best.chunk.chunk_id and c.start >= best.end
    ]
    after = min(same, key=lambda c: c.start, default=None)
    if after is None or after.missing:
        return []
    base = best.chunk.start
    if "\n" in best.chunk.text[best.end - base : after.start - base]:
        return []  # another paragraph
    text = best.text.rstrip()
    if _GOES_ON.match(after.text.lstrip()) or text.endswith((":", "：")):
        return [Line(quote_of(after))]
    return []


def _other_figures(ctx: Context, best: Candidate) -> list[Line]:
    """A question asking for two kinds of figure ("几个人？能占多少？") gets the second
    from the best other sentence that has it."""
    if len(ctx.frame.measures) < 2:
        return []
    have = {f.kind for f in figures(best.text)}
    for measure in ctx.frame.measures:
        kinds = set(ctx.profile.measure_kinds.get(measure, ()))
        if kinds & have:
            continue
        for c in ctx.ranked[:8]:
            if c is best or c.missing or not c.lex:
                continue
            if any(f.kind in kinds for f in figures(c.text)):
                return [Line(quote_of(c))]
    return []


def choose(ctx: Context, ranked: list[Candidate]) -> tuple[Candidate | None, Support | None]:
    """The best candidate meeting the constraints, and how well it covers the question."""
    ok = [c for c in ranked if not c.missing]
    for c in ok[:3]:  # a close second may cover the question where the first does not
        sup = _support(ctx, c)
        if sup.enough:
            return c, sup
    if not ok:
        return None, None
    return ok[0], _support(ctx, ok[0])


def _support(ctx: Context, c: Candidate) -> Support:
    return support(ctx.frame.text, c, ctx.terms, ctx.reader, ctx.frame.asked)


def asked_words(ctx: Context) -> set[str]:
    return {t.text for t in ctx.terms} | set(ctx.frame.measure_nouns)


def lead_line(ctx: Context, c: Candidate) -> Line:
    """The candidate as an answer's first line: the clause that answers (the whole
    sentence when the question asks for two figures and it holds both), named by its
    document and article when the question asks which document says so."""
    kinds = ctx.frame.kinds if ctx.frame.number else ()
    have = {f.kind for f in figures(c.text)}
    answered = [m for m in ctx.frame.measures if have & set(ctx.profile.measure_kinds.get(m, ()))]
    both = bool(kinds) and len(answered) > 1
    whole = both or not ctx.frame.number  # a description is its whole sentence
    shown = c.text if whole else lead_clause(c.text, asked_words(ctx), kinds, c.focus)
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
        # nothing else the question is about is there either (天气): no fact is near
        return Refusal(reason, [lead_line(ctx, best)] if best and sup.coverage else [])
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
