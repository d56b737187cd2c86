"""Table extremes: "表2里哪个地区的配套率最高？" is answered with the row holding
the extreme value of the column the question names, from the table whose
caption and header match the question best."""

from __future__ import annotations

import re

from policyqa.language import bigrams

from ..compose import Line, Quote
from . import Answer, Context


def answer(ctx: Context) -> Answer | None:
    if not ctx.frame.extreme:
        return None
    tables = {
        c.chunk.chunk_id: c.chunk
        for c in ctx.ranked
        if c.chunk.kind == "table" and "\t" in c.chunk.context
    }
    if not tables:
        return None
    q = set(bigrams(ctx.frame.text))

    def match(text: str) -> float:
        grams = set(bigrams(text))
        return len(grams & q) / (len(grams) or 1)

    chunk = max(tables.values(), key=lambda c: (match(c.context), -c.start))
    if ctx.frame.table and not re.sub(r"\s+", "", chunk.context).startswith(ctx.frame.table):
        return None
    caption, _, header = chunk.context.partition("\n")
    columns = header.split("\t")
    if len(columns) < 2:
        return None
    col = max(range(1, len(columns)), key=lambda j: (len(set(bigrams(columns[j])) & q), -j))
    rows = []
    pos = 0
    for line in chunk.text.split("\n"):
        cells = line.split("\t")
        value = number(cells[col]) if "\t" in line and col < len(cells) and line != header else None
        if value is not None:
            rows.append((value, chunk.start + pos, line))
        pos += len(line) + 1
    if not rows:
        return None
    value = (max if ctx.frame.extreme == "max" else min)(r[0] for r in rows)
    word = "最高" if ctx.frame.extreme == "max" else "最低"
    label = f"{caption or '表中'}“{columns[col]}”{word}的是"
    lines = [
        Line(Quote(chunk, s, s + len(text), text), label=label) for v, s, text in rows if v == value
    ]
    return Answer(lines, sep="；", end="。")


def number(cell: str) -> float | None:
    """A table cell as a number: "1 570.82" -> 1570.82, ">50" -> 50."""
    m = re.fullmatch(r"[<>≈~约]?\s*(-?\d[\d\s\u2009,]*(?:\.\d+)?)\s*%?", cell.strip())
    return float(re.sub(r"[\s\u2009,]", "", m.group(1))) if m else None
