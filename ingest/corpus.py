"""The corpus folder: which files to ingest, their sidecar metadata, and which
of the documents the profile expects are missing."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from policyqa.profile import Expected

from .loaders import SUPPORTED

SIDECAR = ".meta.json"
NOT_DOCUMENTS = ("profile.toml", "readme.md", "readme.txt")


@dataclass
class CorpusFiles:
    files: list[Path]
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason)


def discover(paths: list[Path]) -> CorpusFiles:
    """Files to ingest under the given files or folders, in a stable order.
    Metadata sidecars, the domain profile and read-me files are not documents."""
    found = CorpusFiles([])
    for root in paths:
        candidates = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for p in candidates:
            if (
                p.name.endswith(SIDECAR)
                or p.name.startswith(".")
                or p.name.lower() in NOT_DOCUMENTS
            ):
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


def missing_documents(expected: tuple[Expected, ...], indexed: list[dict]) -> list[Expected]:
    """Expected documents no indexed document matches (`indexed`: dicts with doc_id, path, title)."""
    return [
        e
        for e in expected
        if not any(e.matches(d["doc_id"], d["path"], d["title"]) for d in indexed)
    ]
