"""The index manifest: which generation is live, how it was built, and every
file it consists of, with its size and checksum.

    HOME/index/manifest.json                  the live generation
    HOME/index/manifest.prev.json             the one before, kept for recovery
    HOME/index/gen-000003/generation.json     a copy kept with each generation

A new manifest is written to a temporary file, synced and renamed over the old
one, after the old one was copied to manifest.prev.json: a reader always sees a
whole manifest, and a damaged one falls back to the previous generation. The
copy inside the generation folder lets an ingest restore a manifest that was
lost or edited without rebuilding anything (`policyqa.index.integrity`).
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
COPY = "generation.json"  # inside the generation folder, not one of its artifacts
# Large vector files also record a checksum per block, so that a repair re-embeds
# only the rows of the damaged blocks.
VECTORS = "chunks.vectors.npy"  # in a generation folder: the vectors Chroma was given
BLOCKED = ("sentences/vectors.npy", VECTORS)
MIN_BLOCK, MAX_BLOCKS = 16 << 10, 1024


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
    block: int = 0  # block size in bytes when `blocks` is recorded
    blocks: tuple[str, ...] = ()  # sha256[:16] of each block

    @classmethod
    def from_json(cls, d: dict) -> Artifact:
        return cls(
            int(d["size"]), str(d["sha256"]), int(d.get("block", 0)), tuple(d.get("blocks", ()))
        )


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
            artifacts={p: Artifact.from_json(a) for p, a in d["artifacts"].items()},
        )


def gen_dir(index_dir: Path, generation: int) -> Path:
    return Path(index_dir) / f"gen-{generation:06d}"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def block_size(size: int) -> int:
    """The smallest power of two >= MIN_BLOCK that cuts `size` bytes into <= MAX_BLOCKS."""
    block = MIN_BLOCK
    while block * MAX_BLOCKS < size:
        block *= 2
    return block


def block_hashes(path: Path, block: int) -> list[str]:
    out = []
    with open(path, "rb") as fh:
        for data in iter(lambda: fh.read(block), b""):
            out.append(hashlib.sha256(data).hexdigest()[:16])
    return out


def artifact_of(path: Path, blocked: bool = False) -> Artifact:
    size = path.stat().st_size
    if not blocked:
        return Artifact(size, file_sha256(path))
    block = block_size(size)
    return Artifact(size, file_sha256(path), block, tuple(block_hashes(path, block)))


def artifacts_of(index_dir: Path, folder: Path) -> dict[str, Artifact]:
    """Size and checksum of every file under folder, keyed by path relative to index_dir."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel != COPY:
            out[p.relative_to(index_dir).as_posix()] = artifact_of(p, rel in BLOCKED)
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


def load_manifest(path: Path) -> Manifest:
    try:
        return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise IndexDamagedError(path, f"not a readable manifest ({exc})") from exc


def read_state(index_dir: Path) -> tuple[Manifest | None, list[IndexDamagedError]]:
    """The manifest to answer from (the live one, else the previous one) and what was
    unreadable on the way. (None, []) when no index was built."""
    current, previous = Path(index_dir) / NAME, Path(index_dir) / PREVIOUS
    problems: list[IndexDamagedError] = []
    for path in (current, previous):
        if not path.exists():
            if path == current and (previous.exists() or _any_generation(index_dir)):
                problems.append(IndexDamagedError(path, "missing"))
            continue
        try:
            return load_manifest(path), problems
        except IndexDamagedError as exc:
            problems.append(exc)
    return None, problems


def _any_generation(index_dir: Path) -> bool:
    return any(Path(index_dir).glob(f"gen-*/{COPY}"))


def read_manifest(index_dir: Path) -> Manifest | None:
    """The live manifest; if it is damaged, the previous one (with a warning).
    None when no index was built. Raises IndexDamagedError when neither is readable."""
    manifest, problems = read_state(index_dir)
    if manifest is None and problems:
        raise problems[0]
    if problems:
        log.warning(
            "%s; answering from the previous generation %d", problems[0], manifest.generation
        )
    return manifest


def read_copy(folder: Path) -> Manifest:
    """The manifest kept inside a generation folder (IndexDamagedError if unreadable)."""
    return load_manifest(Path(folder) / COPY)


def write_copy(folder: Path, manifest: Manifest) -> None:
    write_json_atomic(Path(folder) / COPY, manifest.to_json())


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Keep the current manifest as the previous one, then switch to the new one."""
    current = Path(index_dir) / NAME
    try:
        old = load_manifest(current)
    except IndexDamagedError:
        old = None  # no readable current manifest: nothing worth keeping
    if old is not None and old.generation != manifest.generation:
        write_json_atomic(Path(index_dir) / PREVIOUS, old.to_json())
    write_json_atomic(current, manifest.to_json())
