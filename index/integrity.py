"""Is the live index whole? Every file of a generation against the size and
checksum its manifest recorded, and its Chroma collection against the chunk
store (count, ids, each vector's checksum, one search), like SQLite's
`PRAGMA integrity_check`.

>>> result = verify(settings)        # what `policyqa status --verify` prints
>>> [d.line() for d in result.damaged]
['…/gen-000003/bm25/scores.npy: checksum differs from the manifest']

Opening a generation runs the cheap part (`check_open`): every size, and the
checksums of the small files, which are the ones whose damage ends in a
parser error rather than in a wrong score.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from policyqa.errors import IndexDamagedError, IndexMissingError, PolicyQAError
from policyqa.settings import Settings

from .chroma_store import ChromaStore, location
from .manifest import (
    PREVIOUS,
    VECTORS,
    Artifact,
    Manifest,
    file_sha256,
    gen_dir,
    load_manifest,
    read_copy,
    read_state,
)

OPEN_CHECK_BYTES = 8 << 20  # checksummed when a generation is opened, smallest files first
TOLERANCE = 1e-5  # Chroma normalises what it stores: a few ulps are not damage


@dataclass(frozen=True)
class Damage:
    """One damaged file, or the Chroma collection (part "chroma")."""

    path: str
    reason: str
    part: str  # manifest, chunks, docs, bm25, bigram, sentences or chroma
    artifact: str = ""  # its key in the manifest's artifacts, for files of a generation

    def line(self) -> str:
        return f"{self.path}: {self.reason}"

    def error(self) -> IndexDamagedError:
        kind = "Chroma collection" if self.part == "chroma" else "index file"
        return IndexDamagedError(self.path, self.reason, kind=kind)


@dataclass
class Verification:
    """What `verify` found; `ok` when nothing is damaged."""

    index_dir: str
    generation: int | None = None
    files: int = 0
    chunks: int = 0
    chroma: str = ""  # the collection checked, "" when it was not
    damaged: list[Damage] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.damaged

    @property
    def parts(self) -> set[str]:
        return {d.part for d in self.damaged}

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def part_of(artifact: str) -> str:
    """The store a file belongs to: what has to be rebuilt when it is damaged."""
    rel = artifact.split("/", 1)[-1]
    head = rel.split("/", 1)[0]
    if head in ("bm25", "bigram", "sentences"):
        return head
    if rel == VECTORS:
        return "vectors"
    return "docs" if head.startswith("docs.") else "chunks"


def check_artifact(
    index_dir: Path, rel: str, art: Artifact, checksum: bool = True
) -> Damage | None:
    path = Path(index_dir) / rel
    try:
        size = path.stat().st_size
        if size != art.size:
            return Damage(str(path), f"{size} bytes instead of {art.size}", part_of(rel), rel)
        if checksum and file_sha256(path) != art.sha256:
            return Damage(str(path), "checksum differs from the manifest", part_of(rel), rel)
    except OSError as exc:
        reason = "missing" if isinstance(exc, FileNotFoundError) else f"unreadable ({exc})"
        return Damage(str(path), reason, part_of(rel), rel)
    return None


def check_open(index_dir: Path, artifacts: dict[str, Artifact]) -> None:
    """Every file's size, and the checksums of the smallest files up to OPEN_CHECK_BYTES.
    Raises IndexDamagedError naming the first damaged file."""
    budget = OPEN_CHECK_BYTES
    for rel, art in sorted(artifacts.items(), key=lambda item: item[1].size):
        damage = check_artifact(index_dir, rel, art, checksum=art.size <= budget)
        if damage is not None:
            raise damage.error()
        budget -= art.size if art.size <= budget else 0


def verify_files(index_dir: Path, manifest: Manifest) -> list[Damage]:
    found = (check_artifact(index_dir, rel, art) for rel, art in manifest.artifacts.items())
    return [d for d in found if d is not None]


def stored_vectors(index_dir: Path, manifest: Manifest, damaged: list[Damage]) -> dict | None:
    """Chunk id -> the vector the generation gave Chroma (None when its copy or the id
    index is damaged, or the generation has no copy): what Chroma must hold."""
    folder = gen_dir(index_dir, manifest.generation)
    needed = {f"{folder.name}/{name}" for name in ("ids.npy", "ids.rows.npy", VECTORS)}
    if not needed <= set(manifest.artifacts) or needed & {d.artifact for d in damaged}:
        return None
    ids = np.load(folder / "ids.npy", allow_pickle=False)
    rows = np.load(folder / "ids.rows.npy", allow_pickle=False)
    vectors = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
    return {i.decode("ascii"): vectors[int(r)] for i, r in zip(ids.tolist(), rows, strict=True)}


def verify_chroma(
    settings: Settings, manifest: Manifest, expected: dict | None, vectors: bool = True
) -> list[Damage]:
    """The collection holds exactly the chunk ids of `expected` (`vectors`: with the
    same vectors), and a search finds a stored vector again."""
    s, g = settings, manifest.generation
    where = location(s.chroma_url, s.chroma_dir, s.collection, g)
    if not s.chroma_url and not (s.chroma_dir / f"g{g:06d}").is_dir():
        return [Damage(where, "missing", "chroma")]
    try:
        with ChromaStore.open(s.chroma_url, s.chroma_dir, s.collection, g) as store:
            reason = _collection_problem(store, manifest.chunk_count, expected, vectors)
    except IndexDamagedError as exc:
        reason = exc.reason
    return [Damage(where, reason, "chroma")] if reason else []


def _collection_problem(store: ChromaStore, count: int, expected: dict | None, full: bool) -> str:
    have = store.ids()
    if len(have) != count:
        return f"{len(have)} vectors instead of {count}"
    if expected is not None and set(have) != set(expected):
        lost, extra = len(set(expected) - set(have)), len(set(have) - set(expected))
        return f"{lost} chunk ids missing and {extra} unknown"
    checked = have if full else have[:1]  # each vector, or one to search with
    stored = store.stored(checked)
    if expected is not None:
        altered = [
            cid
            for cid, (vec, _) in stored.items()
            if vec.shape != expected[cid].shape or np.abs(vec - expected[cid]).max() > TOLERANCE
        ]
        if altered or len(stored) != len(checked):
            return f"{len(altered) + len(checked) - len(stored)} vectors altered"
    if stored:
        hits = store.query(next(iter(stored.values()))[0], 1)
        if not hits or hits[0][1] < 0.99:
            return "a search does not find a stored vector again"
    return ""


def check_generation(settings: Settings, manifest: Manifest, vectors: bool = True) -> list[Damage]:
    """Damaged files of a generation, and its collection (ChromaServerError when the
    server does not answer). `vectors`: compare every vector, not only ids."""
    damaged = verify_files(settings.index_dir, manifest)
    expected = stored_vectors(settings.index_dir, manifest, damaged)
    return damaged + verify_chroma(settings, manifest, expected, vectors)


def verify(settings: Settings, chroma: bool = True) -> Verification:
    """Everything the live index consists of. Raises IndexMissingError when no index
    was built, ChromaServerError when the Chroma server does not answer."""
    started = time.perf_counter()
    index_dir = settings.index_dir
    manifest, problems = read_state(index_dir)
    out = Verification(str(index_dir.resolve()))
    out.damaged = [Damage(p.path, p.reason, "manifest") for p in problems]
    if manifest is None and not problems:
        raise IndexMissingError(f"no index under {index_dir}: run `policyqa ingest` first")
    if manifest is not None:
        out.damaged += [] if problems else previous_problem(index_dir)
        out.generation, out.chunks = manifest.generation, manifest.chunk_count
        out.files = len(manifest.artifacts)
        if chroma:
            s = settings
            out.chroma = location(s.chroma_url, s.chroma_dir, s.collection, manifest.generation)
            out.damaged += check_generation(settings, manifest)
        else:
            out.damaged += verify_files(index_dir, manifest)
    out.seconds = time.perf_counter() - started
    return out


def previous_problem(index_dir: Path) -> list[Damage]:
    """manifest.prev.json, when it exists and cannot be read."""
    previous = Path(index_dir) / PREVIOUS
    if not previous.exists():
        return []
    try:
        load_manifest(previous)
    except IndexDamagedError as exc:
        return [Damage(exc.path, exc.reason, "manifest")]
    return []


def recover_manifest(index_dir: Path) -> Manifest | None:
    """The manifest of the newest generation whose own copy of it is readable: what an
    ingest restores when manifest.json is not. A copy is written once every file of
    its generation is, so the newest one is the last generation completed; files
    damaged since are found and repaired as in any other generation."""
    for folder in sorted(Path(index_dir).glob("gen-*"), reverse=True):
        try:
            manifest = read_copy(folder)
        except IndexDamagedError:
            continue
        if gen_dir(index_dir, manifest.generation) == folder:
            return manifest
    return None


def raise_if_damaged(settings: Settings, cause: Exception) -> None:
    """After an unexpected error while reading the index: name the damaged file if
    there is one (files only: quick); otherwise the error was not damage."""
    try:
        result = verify(settings, chroma=False)
    except PolicyQAError:
        return
    if result.damaged:
        raise result.damaged[0].error() from cause
