"""Turn selected evidence into a short answer with [n] markers, and verify
every quote against its chunk and its document before returning."""

from __future__ import annotations

from dataclasses import dataclass

from policyqa.documents import Chunk
from policyqa.index.store import Snapshot

from .evidence import Sentence


@dataclass(frozen=True)
class Citation:
    n: int
    chunk: Chunk
    quote: str
    start: int  # offsets of the quote in the document's cleaned text
    end: int

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "n": self.n,
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "doc_title": c.doc_title,
            "section": c.section,
            "page": c.page if c.page > 0 else None,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Line:
    """One answer sentence: an optional label (a section title, table name) and its evidence."""

    evidence: Sentence
    label: str = ""


class QuoteError(AssertionError):
    """A quote is not verbatim in its chunk: a bug, never shown to users."""


def verify(citation: Citation, docs: dict | None = None) -> None:
    """The quote is verbatim in its chunk at its offsets (and in its document, when given)."""
    c = citation.chunk
    if (
        citation.quote not in c.text
        or c.text[citation.start - c.start : citation.end - c.start] != citation.quote
    ):
        raise QuoteError(f"quote not verbatim in chunk {c.chunk_id}: {citation.quote!r}")
    doc = (docs or {}).get(c.doc_id)
    if doc is not None and doc.text[citation.start : citation.end] != citation.quote:
        raise QuoteError(f"quote offsets do not match document {c.doc_id}")


def compose(
    lead: str, lines: list[Line], snap: Snapshot, numbered: bool = False
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
        verify(citation, snap.docs)
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
