"""One file in: its structured Document, its chunks and its problem→countermeasure links out."""

from __future__ import annotations

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
    title = meta.get("title") or _first_line(cleaned.text) or Path(path).stem
    metadata = {k: v for k, v in meta.items() if k not in ("id", "title")}
    if cleaned.footer:
        metadata["footer"] = list(cleaned.footer)
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


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""


def _guess_type(title: str) -> str:
    if any(w in title for w in ("方案", "规划", "意见", "通知", "办法", "条例", "纲要")):
        return "plan"
    return "document"
