"""Turn selected evidence into a short answer with [n] markers, and verify
every quote against its chunk and its document before returning."""

from __future__ import annotations

from dataclasses import dataclass

from policyqa.documents import Chunk
from policyqa.results import Citation

from .evidence import Sentence
from .reader import IndexReader


@dataclass(frozen=True)
class Line:
    """One answer sentence: an optional label (a section title, table name) and its evidence."""

    evidence: Sentence
    label: str = ""


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


def compose(
    lead: str, lines: list[Line], reader: IndexReader, numbered: bool = False
) -> tuple[str, list[Citation]]:
    """Answer text and its citations; a chunk cited twice keeps one number."""
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    parts = [lead] if lead else []
    for i, line in enumerate(lines, 1):
        ev = line.evidence
        cid = ev.chunk.chunk_id
        if cid not in numbers:
            numbers[cid] = len(numbers) + 1
        n = numbers[cid]
        citation = Citation(n, ev.chunk, ev.text, ev.start, ev.end)
        verify(citation, reader)
        citations.append(citation)
        quote = ev.text.replace("\t", " ").replace("\n", " ")
        prefix = f"{i}. " if numbered else ""
        label = f"{line.label or table_label(ev.chunk)}："
        label = "" if label == "：" else label
        parts.append(f"{prefix}{label}{quote}[{n}]")
    sep = "\n" if numbered else ""
    return sep.join(parts) if numbered else "".join(parts), _unique(citations)


def table_label(chunk: Chunk) -> str:
    """A table row needs its table and header to be read: "表2 …（地区 | 汽车本地配套率/%）"."""
    if chunk.kind != "table" or not chunk.context:
        return ""
    caption, _, header = chunk.context.partition("\n")
    return f"{caption}（{header.replace(chr(9), ' | ')}）" if header else caption


def _unique(citations: list[Citation]) -> list[Citation]:
    """One citation entry per quote; several quotes of one chunk share its number."""
    seen = set()
    out = []
    for c in citations:
        key = (c.n, c.start, c.end)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
