"""Plain dataclasses passed between pipeline stages.

loaders -> RawDocument -> clean -> Document -> structure/chunker -> Chunk -> index
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RawDocument:
    """Text as a loader extracted it, before any repair.

    `pages[i]` is the offset in `text` where page i+1 starts (empty when the
    format has no pages). `headings` are (start, end, level) spans the format
    itself marks as headings (DOCX styles, HTML h1-h6, Markdown #). `title` is
    the document's title when the format states it (a leading Markdown `#`
    line, DOCX properties or Title style, HTML <title>), without markup.
    """

    path: str
    text: str
    fmt: str
    encoding: str | None = None
    pages: tuple[int, ...] = ()
    headings: tuple[tuple[int, int, int], ...] = ()
    title: str = ""


@dataclass(frozen=True)
class Section:
    """A heading and the span of cleaned text it governs."""

    number: str  # "3.2", "（一）", "第二章", "" for un-numbered
    title: str  # the heading line as written
    level: int
    start: int  # offset of the heading line in Document.text
    body_start: int  # first offset after the heading line
    end: int  # end of the section including its subsections
    role: str
    path: str  # "3 …存在的问题 > 3.2 产业链关键环节薄弱…"


@dataclass(frozen=True)
class TableRecord:
    """One cell of a numeric table, addressable for exact number lookups."""

    table: str  # "表2"
    caption: str
    row: str  # row label, e.g. "成渝地区"
    column: str  # header, e.g. "汽车本地配套率/%"
    value: str  # as written, e.g. "1 570.82" or ">50"
    unit: str  # "%", "亿元", ""
    start: int  # offsets of the row line in Document.text
    end: int


@dataclass
class Document:
    """A cleaned document: the text every offset refers to, and its structure."""

    doc_id: str
    path: str
    title: str
    text: str  # cleaned text; Chunk offsets index into this
    original: str  # the file's text as loaded, for display
    content_hash: str
    doc_type: str = "paper"
    pages: tuple[int, ...] = ()
    metadata: dict = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    tables: list[TableRecord] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        if not self.pages:
            return None
        page = 1
        for i, start in enumerate(self.pages):
            if start <= offset:
                page = i + 1
        return page


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage. `text == document.text[start:end]` always holds.

    Metadata is flat scalars so Chroma stores it unchanged. `heading` is the
    section path used as a retrieval prefix; it is never part of `text`.
    """

    doc_id: str
    doc_title: str
    content_hash: str
    start: int
    end: int
    text: str
    section: str
    role: str
    industries: str  # "电子信息,汽车" ('' when none)
    page: int = -1  # -1 when the format has no pages
    kind: str = "text"  # text | table | references
    context: str = ""  # table caption and header row, repeated for every table chunk
    ordinal: int = 0  # position of the chunk in its document

    @property
    def chunk_id(self) -> str:
        return chunk_id(self.content_hash, self.start, self.end)

    def retrieval_text(self) -> str:
        """Text to embed and to index: heading path and table context, then the passage."""
        caption = self.context.split("\n", 1)[0]
        context = "" if caption and self.text.startswith(caption) else self.context.strip("\n")
        return "\n".join(part for part in (self.section, context, self.text) if part)

    def metadata(self) -> dict:
        meta = asdict(self)
        meta.pop("text")
        return meta

    @classmethod
    def from_metadata(cls, text: str, meta: dict) -> Chunk:
        names = cls.__dataclass_fields__
        return cls(text=text, **{k: v for k, v in meta.items() if k in names and k != "text"})


def chunk_id(content_hash: str, start: int, end: int) -> str:
    return sha256(json.dumps([content_hash, start, end]))[:32]
