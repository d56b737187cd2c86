"""The index manifest: which generation is live, how it was built, and every
file it consists of, with its size and checksum.

    HOME/index/manifest.json        the live generation
    HOME/index/manifest.prev.json   the one before, kept for recovery

A new manifest is written to a temporary file, synced and renamed over the old
one, after the old one was copied to manifest.prev.json: a reader always sees a
whole manifest, and a damaged one falls back to the previous generation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from policyqa.errors import IndexDamagedError

log = logging.getLogger("policyqa")

VERSION = 1
NAME = "manifest.json"
PREVIOUS = "manifest.prev.json"


@dataclass(frozen=True)
class FileEntry:
    """One corpus file as it was indexed."""

    doc_id: str
    title: str
    doc_type: str
    content_hash: str
    chunks: int


@dataclass(frozen=True)
class Artifact:
    size: int
    sha256: str


@dataclass(frozen=True)
class EmbedderInfo:
    backend: str
    model: str
    dim: int


@dataclass(frozen=True)
class Manifest:
    generation: int
    embedder: EmbedderInfo
    built_at: str
    chunk_size: int
    chunk_overlap: int
    chroma: str  # "local" or the server URL
    collection: str
    chunk_count: int
    build_key: str  # files, settings and vocabulary the generation was built from
    vocabulary: str
    files: dict[str, FileEntry] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # titles of expected documents not in the corpus
    errors: dict[str, str] = field(default_factory=dict)  # files that could not be indexed
    roles: tuple[str, ...] = ()  # section roles of the profile it was built with
    industries: dict[str, str] = field(default_factory=dict)  # label -> Chroma metadata key
    artifacts: dict[str, Artifact] = field(default_factory=dict)  # relative to the index dir
    version: int = VERSION

    @property
    def model(self) -> str:
        return self.embedder.model

    def with_(self, **changes: object) -> Manifest:
        return replace(self, **changes)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> Manifest:
        if not isinstance(d, dict) or d.get("version") != VERSION:
            raise ValueError(f"manifest version {d.get('version') if isinstance(d, dict) else d!r}")
        return cls(
            generation=int(d["generation"]),
            embedder=EmbedderInfo(**d["embedder"]),
            built_at=str(d["built_at"]),
            chunk_size=int(d["chunk_size"]),
            chunk_overlap=int(d["chunk_overlap"]),
            chroma=str(d["chroma"]),
            collection=str(d["collection"]),
            chunk_count=int(d["chunk_count"]),
            build_key=str(d["build_key"]),
            vocabulary=str(d["vocabulary"]),
            files={p: FileEntry(**f) for p, f in d["files"].items()},
            missing=tuple(d["missing"]),
            errors=dict(d["errors"]),
            roles=tuple(d["roles"]),
            industries=dict(d["industries"]),
            artifacts={p: Artifact(**a) for p, a in d["artifacts"].items()},
        )


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def artifacts_of(index_dir: Path, folder: Path) -> dict[str, Artifact]:
    """Size and checksum of every file under folder, keyed by path relative to index_dir."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            out[p.relative_to(index_dir).as_posix()] = Artifact(p.stat().st_size, file_sha256(p))
    return out


def write_json_atomic(path: Path, data: object) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _load(path: Path) -> Manifest:
    try:
        return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise IndexDamagedError(path, f"not a readable manifest ({exc})") from exc


def read_manifest(index_dir: Path) -> Manifest | None:
    """The live manifest; if it is damaged, the previous one (with a warning).
    None when no index was built. Raises IndexDamagedError when neither is readable."""
    current, previous = Path(index_dir) / NAME, Path(index_dir) / PREVIOUS
    if not current.exists() and not previous.exists():
        return None
    try:
        return _load(current)
    except IndexDamagedError as exc:
        if not previous.exists():
            raise
        fallback = _load(previous)
        log.warning("%s; answering from the previous generation %d", exc, fallback.generation)
        return fallback


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Keep the current manifest as the previous one, then switch to the new one."""
    current = Path(index_dir) / NAME
    try:
        old = _load(current)
    except IndexDamagedError:
        old = None  # no readable current manifest: nothing worth keeping
    if old is not None and old.generation != manifest.generation:
        write_json_atomic(Path(index_dir) / PREVIOUS, old.to_json())
    write_json_atomic(current, manifest.to_json())
