"""Evidence units: the pieces of a chunk an answer can quote, each embedded at
ingest. A text chunk's units are its sentences (a figure or table caption
states nothing and is left out); a table chunk's units are its rows, embedded
with the table's caption and header so that a row can be read on its own.

Units are recomputed from the chunk text whenever they are needed, so the
index stores only their vectors, in this order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from policyqa.documents import Chunk
from policyqa.language import sentences

_CAPTION = re.compile(r"(图|表)\s*\d+\s")


@dataclass(frozen=True)
class Unit:
    start: int  # offsets in the document's cleaned text
    end: int
    text: str  # verbatim
    embed_text: str  # what the model reads: a table row with its caption and header


@lru_cache(maxsize=8192)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentences(text, 0, len(text)))


def units(chunk: Chunk) -> list[Unit]:
    if chunk.kind == "table":
        return _rows(chunk)
    out = []
    for a, b in _spans(chunk.text):
        if _CAPTION.match(chunk.text, a):
            continue
        text = chunk.text[a:b]
        out.append(Unit(chunk.start + a, chunk.start + b, text, text))
    return out


def _rows(chunk: Chunk) -> list[Unit]:
    caption, _, header = chunk.context.partition("\n")
    out, pos = [], 0
    for line in chunk.text.split("\n"):
        if "\t" in line and line != header:
            cells = line.replace("\t", " | ")
            head = f"（{header.replace(chr(9), ' | ')}）" if header else ""
            out.append(
                Unit(
                    chunk.start + pos,
                    chunk.start + pos + len(line),
                    line,
                    f"{caption}{head}：{cells}",
                )
            )
        pos += len(line) + 1
    return out
