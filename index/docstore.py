"""The documents of a generation: their cleaned text, structure, tables and
problem→countermeasure links, one JSON line each, loaded on demand.

    docs.jsonl        one document per line, in ingest order
    docs.index.json   [{doc_id, title, doc_type, path, metadata, offset, length}, …]

The index file is small (no text) and read at open; a document's text is read
only when an answer needs it, and the last few are kept.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from policyqa.documents import Document, Section, TableRecord
from policyqa.errors import IndexDamagedError

FILES = ("docs.jsonl", "docs.index.json")
KEEP = 32  # documents kept in memory


@dataclass(frozen=True)
class DocumentEntry:
    """What is known of a document without reading its text."""

    doc_id: str
    title: str
    doc_type: str
    path: str
    metadata: dict = field(default_factory=dict)
    offset: int = 0
    length: int = 0


def doc_to_json(doc: Document, links: dict[str, list[str]]) -> dict:
    return {
        "doc_id": doc.doc_id,
        "path": doc.path,
        "title": doc.title,
        "text": doc.text,
        "original": doc.original,
        "content_hash": doc.content_hash,
        "doc_type": doc.doc_type,
        "pages": list(doc.pages),
        "metadata": doc.metadata,
        "sections": [s.__dict__ for s in doc.sections],
        "tables": [t.__dict__ for t in doc.tables],
        "links": links,
    }


def doc_from_json(d: dict) -> Document:
    return Document(
        doc_id=d["doc_id"],
        path=d["path"],
        title=d["title"],
        text=d["text"],
        original=d["original"],
        content_hash=d["content_hash"],
        doc_type=d["doc_type"],
        pages=tuple(d["pages"]),
        metadata=d["metadata"],
        sections=[Section(**s) for s in d["sections"]],
        tables=[TableRecord(**t) for t in d["tables"]],
    )


class DocumentStoreWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.folder / "docs.jsonl", "wb")  # noqa: SIM115  closed in close()
        self._entries: list[dict] = []
        self._size = 0

    def add(self, doc: Document, links: dict[str, list[str]]) -> None:
        data = (json.dumps(doc_to_json(doc, links), ensure_ascii=False) + "\n").encode("utf-8")
        self._fh.write(data)
        self._entries.append(
            {
                "doc_id": doc.doc_id,
                "title": doc.title,
                "doc_type": doc.doc_type,
                "path": doc.path,
                "metadata": doc.metadata,
                "offset": self._size,
                "length": len(data),
            }
        )
        self._size += len(data)

    def close(self) -> None:
        self._fh.close()
        text = json.dumps(self._entries, ensure_ascii=False)
        (self.folder / "docs.index.json").write_text(text, encoding="utf-8")


class DocumentStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        try:
            raw = json.loads((self.folder / "docs.index.json").read_text(encoding="utf-8"))
            self.entries = {d["doc_id"]: DocumentEntry(**d) for d in raw}
            self._size = (self.folder / "docs.jsonl").stat().st_size
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexDamagedError(self.folder, f"document store unreadable ({exc})") from exc
        if sum(e.length for e in self.entries.values()) != self._size:
            raise IndexDamagedError(self.folder / "docs.jsonl", "size differs from its index")
        self._cache: OrderedDict[str, tuple[Document, dict]] = OrderedDict()
        self._lock = threading.Lock()  # the cache is shared by concurrent questions

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.entries

    def ids(self) -> list[str]:
        return list(self.entries)

    def _load(self, doc_id: str) -> tuple[Document, dict] | None:
        entry = self.entries.get(doc_id)
        if entry is None:
            return None
        with self._lock:
            hit = self._cache.get(doc_id)
            if hit is not None:
                self._cache.move_to_end(doc_id)
        if hit is None:
            try:
                with open(self.folder / "docs.jsonl", "rb") as fh:
                    fh.seek(entry.offset)
                    d = json.loads(fh.read(entry.length).decode("utf-8"))
                hit = (doc_from_json(d), d.get("links") or {})
            except (OSError, ValueError, TypeError, KeyError) as exc:
                raise IndexDamagedError(
                    self.folder / "docs.jsonl", f"document {doc_id} unreadable"
                ) from exc
            with self._lock:
                self._cache[doc_id] = hit
                if len(self._cache) > KEEP:
                    self._cache.popitem(last=False)
        return hit

    def get(self, doc_id: str) -> Document | None:
        hit = self._load(doc_id)
        return hit[0] if hit else None

    def links(self, doc_id: str) -> dict[str, list[str]]:
        hit = self._load(doc_id)
        return hit[1] if hit else {}
