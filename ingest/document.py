"""One file in: its structured Document, its chunks and its problem→countermeasure links out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from policyqa.documents import Chunk, Document, TableRecord, sha256
from policyqa.language import Tokenizer
from policyqa.profile import Profile, generic_profile

from .chunker import chunk_document
from .clean import clean
from .corpus import doc_id_for, sidecar
from .links import problem_links
from .loaders import load
from .structure import parse_sections, parse_tables, table_records


@dataclass
class ParsedDocument:
    """What ingest hands to the index: a document, its chunks and the
    countermeasure sections linked to each problem section."""

    doc: Document
    chunks: list[Chunk]
    links: dict[str, list[str]]


def parse_file(
    path: Path,
    tokenizer: Tokenizer,
    size: int = 200,
    overlap: int = 1,
    max_mb: float = 20.0,
    doc_id: str | None = None,
    profile: Profile | None = None,
) -> ParsedDocument:
    """Load, clean, structure, chunk and link one file. Raises LoadError for bad files.
    `doc_id` defaults to the sidecar's id or the file name; `profile` to the generic one."""
    profile = profile or generic_profile()
    raw = load(Path(path), max_mb=max_mb)
    meta = sidecar(Path(path))
    cleaned = clean(raw)
    sections = parse_sections(cleaned, profile)
    tables = parse_tables(cleaned)
    records: list[TableRecord] = [r for t in tables for r in table_records(cleaned, t)]
    title = meta.get("title") or raw.title or _first_line(cleaned.text) or Path(path).stem
    metadata = {
        **history(cleaned.text),
        **{k: v for k, v in meta.items() if k not in ("id", "title")},
    }
    if cleaned.footer:
        metadata["footer"] = list(cleaned.footer)
    if cleaned.contents:
        metadata["contents"] = list(cleaned.contents)  # a table of contents, not indexed
    metadata.setdefault("format", raw.fmt)
    if raw.encoding:
        metadata.setdefault("encoding", raw.encoding)
    doc = Document(
        doc_id=doc_id or doc_id_for(Path(path), meta),
        path=str(path),
        title=title,
        text=cleaned.text,
        original=raw.text,
        content_hash=sha256(raw.text + "\x00" + str(sorted(meta.items()))),
        doc_type=meta.get("doc_type") or _guess_type(title),
        pages=cleaned.pages,
        metadata=metadata,
        sections=sections,
        tables=records,
    )
    chunks = chunk_document(doc, tables, tokenizer.cut, profile, size=size, overlap=overlap)
    return ParsedDocument(doc, chunks, problem_links(doc, tokenizer))


_MARKUP = re.compile(r"^\s*(?:#{1,6}\s+|[*_=]+)|[*_]{2,}|\s*#+\s*$")
_EVENT = re.compile(
    r"^((?:19|20)\d{2}年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*(.{2,80}?(通过|修订|修正|修改|批准|公布|发布|印发))"
)
_EFFECTIVE = re.compile(r"自\s*((?:19|20)\d{2}年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起施行")


def _first_line(text: str) -> str:
    """The first line as a title: without Markdown marks (# 标题, **标题**)."""
    for line in text.splitlines():
        bare = _MARKUP.sub("", line).strip()
        if bare:
            return bare[:80]
    return ""


def history(text: str) -> dict:
    """Adoption, amendment and commencement dates a policy document states about
    itself (2014年8月1日 …会议通过 / 本条例自2015年1月1日起施行)."""
    events = []
    for line in text.splitlines()[:40]:
        m = _EVENT.match(line.strip())
        if m:
            events.append({"date": re.sub(r"\s+", "", m.group(1)), "event": m.group(2).strip()})
    out: dict = {}
    if events:
        out["history"] = events
        out["adopted"] = events[0]["date"]
        out["date"] = events[-1]["date"]
    effective = _EFFECTIVE.search(text)
    if effective:
        out["effective"] = re.sub(r"\s+", "", effective.group(1))
    return out


def _guess_type(title: str) -> str:
    if any(w in title for w in ("条例", "办法", "规定", "细则", "法")):
        return "regulation"
    if any(w in title for w in ("方案", "规划", "意见", "通知", "纲要", "计划", "决定")):
        return "plan"
    return "document"
