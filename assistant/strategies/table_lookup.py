"""Table extremes: "哪个地区…最低" is answered with the row holding the extreme
value in the column the question names, from a table whose caption and
header cover the question."""

from __future__ import annotations

import re

from ..compose import Line
from ..evidence import table_rows
from ..ranking import subject
from ..refusal import MIN_NUMBER_COVERAGE
from . import Answer, Context

EXTREME = re.compile(r"最(高|低|大|小|多|少)")


def answer(ctx: Context) -> Answer | None:
    extreme = EXTREME.search(ctx.query.text)
    if not extreme:
        return None
    line = _extreme_row(ctx, extreme.group(1) in "高大多")
    if line is None:
        return None
    return Answer(f"关于“{subject(ctx.query.text)}”，按资料中的表格：", [line])


def _extreme_row(ctx: Context, highest: bool) -> Line | None:
    rows = [s for s in ctx.ranked if s.chunk.kind == "table" and "\n" in s.chunk.context]
    terms = [t for t in ctx.terms if not EXTREME.match(t.text)]
    if not rows or not terms:
        return None
    scorer = ctx.scorer
    chunk = max((r.chunk for r in rows), key=lambda c: scorer.coverage(terms, c.context))
    if scorer.coverage(terms, chunk.context) < MIN_NUMBER_COVERAGE:
        return None
    caption, header = chunk.context.split("\n")[:2]
    columns = header.split("\t")
    if len(columns) < 2:
        return None
    col = max(range(1, len(columns)), key=lambda j: (scorer.coverage(terms, columns[j]), -j))
    valued = []
    for row in table_rows(chunk, 1):
        cells = row.text.split("\t")
        value = number(cells[col]) if col < len(cells) else None
        if value is not None and row.text != header:
            valued.append((value, row))
    if not valued:
        return None
    value, row = (max if highest else min)(valued, key=lambda v: v[0])
    word = "最高" if highest else "最低"
    return Line(row, f"{caption}中“{columns[col]}”{word}的一行")


def number(cell: str) -> float | None:
    """A table cell as a number: "1 570.82" -> 1570.82, ">50" -> 50."""
    m = re.fullmatch(r"[<>≈~约]?\s*(-?\d[\d\s\u2009,]*(?:\.\d+)?)\s*%?", cell.strip())
    return float(re.sub(r"[\s\u2009,]", "", m.group(1))) if m else None
