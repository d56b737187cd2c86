"""The corpus folder: which files to ingest, their sidecar metadata, and the
manifest of documents the corpus is expected to hold."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .loaders import SUPPORTED

MANIFEST = "manifest.json"
SIDECAR = ".meta.json"


@dataclass(frozen=True)
class Expected:
    id: str
    title: str
    doc_type: str
    file: str = ""
    match: tuple[str, ...] = ()
    adopted: str = ""

    def matches(self, doc_id: str, path: str, title: str) -> bool:
        name = Path(path).name
        if doc_id == self.id or (self.file and name == self.file):
            return True
        return any(m in name or m in title for m in self.match)


@dataclass
class CorpusFiles:
    files: list[Path]
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason)


def discover(paths: list[Path]) -> CorpusFiles:
    """Files to ingest under the given files or folders, in a stable order.
    Metadata sidecars and the manifest are not documents."""
    found = CorpusFiles([])
    for root in paths:
        candidates = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for p in candidates:
            if p.name == MANIFEST or p.name.endswith(SIDECAR) or p.name.startswith("."):
                continue
            if p.name.lower() in ("readme.md", "readme.txt"):
                continue
            if p.suffix.lower() not in SUPPORTED:
                reason = f"unsupported file type {p.suffix or '(none)'}; supported: {', '.join(SUPPORTED)}"
                found.skipped.append((p, reason))
                continue
            found.files.append(p)
    return found


def sidecar(path: Path) -> dict:
    """Metadata from `<name>.meta.json` beside the file, if any."""
    meta = path.with_name(path.stem + SIDECAR)
    if not meta.exists():
        return {}
    return json.loads(meta.read_text(encoding="utf-8"))


def doc_id_for(path: Path, meta: dict) -> str:
    if meta.get("id"):
        return str(meta["id"])
    return re.sub(r"\s+", "-", path.stem.strip())


def doc_ids(files: list[Path]) -> dict[Path, str]:
    """Each file's document id. Files that would share one (plan.txt in two
    folders, plan.txt beside plan.pdf) are kept apart: the one nearest the top
    keeps the plain id, the others add a hash of their folder and name, which
    stays the same when the whole corpus moves."""
    out: dict[Path, str] = {}
    taken: set[str] = set()
    for path in sorted(files, key=lambda p: (len(p.parts), str(p))):
        doc_id = doc_id_for(path, sidecar(path))
        if doc_id in taken:
            where = f"{path.parent.name}/{path.name}"
            doc_id = f"{doc_id}-{hashlib.sha256(where.encode()).hexdigest()[:8]}"
        taken.add(doc_id)
        out[path] = doc_id
    return out


def expected_documents(corpus_dir: Path) -> list[Expected]:
    manifest = Path(corpus_dir) / MANIFEST
    if not manifest.exists():
        return []
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return [
        Expected(
            id=d["id"],
            title=d["title"],
            doc_type=d.get("doc_type", "document"),
            file=d.get("file", ""),
            match=tuple(d.get("match", ())),
            adopted=d.get("adopted", ""),
        )
        for d in data.get("documents", [])
    ]


def missing_documents(expected: list[Expected], indexed: list[dict]) -> list[Expected]:
    """Expected documents no indexed document matches (`indexed`: dicts with doc_id, path, title)."""
    return [
        e
        for e in expected
        if not any(e.matches(d["doc_id"], d["path"], d["title"]) for d in indexed)
    ]
