"""Turn chosen evidence into the answer text with [n] markers, and verify every
quote against its chunk and its document before returning.

Every piece of answer text is verbatim from the document: a whole sentence,
or, to lead with the answer, the clause that holds it (with the clause that
says when and where, joined by "……"). Each citation quotes the whole sentence
it comes from, at its offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policyqa.documents import Chunk
from policyqa.results import Citation

from .figures import figures, years_in
from .reader import IndexReader

_CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")
SHORT = 80  # a sentence this short is shown whole


@dataclass(frozen=True)
class Quote:
    """A verbatim span of a chunk."""

    chunk: Chunk
    start: int  # offsets in the document's cleaned text
    end: int
    text: str


@dataclass(frozen=True)
class Line:
    """One piece of the answer: what it shows (verbatim fragments of the quote)
    and the quote it cites."""

    quote: Quote
    shown: str = ""  # '' shows the whole quote
    label: str = ""  # e.g. a row's table, a list item's section
    brief: bool = False  # show only the label (a section title standing for its section)
    breaks: bool = False  # keep the quote's line breaks (an article's items)


class QuoteError(AssertionError):
    """A quote is not verbatim in its chunk: a bug, never shown to users."""


def verify(citation: Citation, reader: IndexReader | None = None) -> None:
    """The quote is verbatim in its chunk at its offsets (and in its document, when given)."""
    c = citation.chunk
    if (
        citation.quote not in c.text
        or c.text[citation.start - c.start : citation.end - c.start] != citation.quote
    ):
        raise QuoteError(f"quote not verbatim in chunk {c.chunk_id}: {citation.quote!r}")
    doc = reader.document(c.doc_id) if reader is not None else None
    if doc is not None and doc.text[citation.start : citation.end] != citation.quote:
        raise QuoteError(f"quote offsets do not match document {c.doc_id}")


def lead_clause(text: str, asked: set[str], kinds: tuple[str, ...] = (), focus: str = "") -> str:
    """The part of a sentence that answers: the clause with the figure (`focus`, or the
    clause with a figure of the asked kind and most of the asked words), after the
    clause that says when or where. Short sentences are kept whole."""
    if len(text) <= SHORT:
        return text
    clauses = [m.group(0) for m in _CLAUSE.finditer(text)]
    if len(clauses) < 2:
        return text

    def value(i: int) -> float:
        if focus:
            return float(clauses[i] == focus) - i * 0.01
        c = clauses[i]
        found = figures(c)
        score = sum(len(w) for w in asked if w in c)
        if kinds and any(f.kind in kinds for f in found):
            score += 10
        return score - i * 0.01

    best = max(range(len(clauses)), key=value)
    shown = clauses[best].rstrip("，,；;：:")
    head = clauses[0].rstrip("，,；;：:")
    if best > 0 and (years_in(head) or re.search(r"截至|目前|当前|近年来|地区|两地", head)):
        # next to each other, the two clauses are shown as written; apart, with an elision
        shown = f"{clauses[0]}{shown}" if best == 1 else f"{head}……{shown}"
    return shown


def compose(
    lines: list[Line], reader: IndexReader, lead: str = "", sep: str = "", end: str = ""
) -> tuple[str, list[Citation]]:
    """Answer text (`lead`, then each line with its [n], joined by `sep`, then `end`)
    and its citations; a chunk cited twice keeps one number."""
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    parts = []
    for line in lines:
        q = line.quote
        n = numbers.setdefault(q.chunk.chunk_id, len(numbers) + 1)
        citation = Citation(n, q.chunk, q.text, q.start, q.end)
        verify(citation, reader)
        if (n, q.start, q.end) not in {(c.n, c.start, c.end) for c in citations}:
            citations.append(citation)
        shown = (line.shown or q.text).replace("\t", " ")
        shown = re.sub(r"\n+", "\n", shown) if line.breaks else shown.replace("\n", " ")
        shown = shown.strip()
        if line.brief and line.label:
            parts.append(f"{_unended(line.label)}[{n}]")
            continue
        label = f"{line.label}：" if line.label else ""
        parts.append(f"{label}{_unended(shown)}[{n}]")
    return lead + sep.join(parts) + end, citations


def _unended(text: str) -> str:
    """Without a final 。 or ；, so that the [n] marker sits inside the sentence."""
    return text.rstrip("。；;，,")


def table_label(chunk: Chunk) -> str:
    """A table row needs its table and header to be read: "表2 …（地区 | 汽车本地配套率/%）"."""
    if chunk.kind != "table" or not chunk.context:
        return ""
    caption, _, header = chunk.context.partition("\n")
    return f"{caption}（{header.replace(chr(9), ' | ')}）" if header else caption
