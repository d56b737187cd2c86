"""Repair a damaged live generation in place, rebuilding only what is damaged
from what is intact, so that nothing is lost and answers stay the same:

    chunk and document stores   parsed again from the corpus (same build key)
    bm25/, bigram/              tokenised again from the stored chunks
    sentences/offsets.npy       counted again from the stored chunks
    sentences/vectors.npy,      rows in intact blocks copied, only the rows of damaged
    chunks.vectors.npy          blocks embedded again
    the Chroma collection       filled again from chunks.vectors.npy, nothing embedded

Each file is rebuilt in `.repair-NNNNNN/` next to the generation and renamed
over the damaged one; a rebuilt file must have the checksum its manifest
recorded (vectors excepted when the model does not embed bit for bit alike),
otherwise `CannotRepair` asks the caller for a whole new generation. A repair
killed half way leaves each file either damaged or whole, and runs again.

>>> report = repair(settings, live, damaged, embedder, tokenizer, parsed_documents)
>>> report.repaired
['…/gen-000003/bm25/scores.npy: checksum differs from the manifest (rebuilt)']
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from policyqa.documents import Chunk
from policyqa.errors import IndexDamagedError, PolicyQAError
from policyqa.ingest.document import ParsedDocument
from policyqa.ingest.units import units
from policyqa.language import Tokenizer, bigrams
from policyqa.settings import Settings

from .chroma_store import BATCH, recreate
from .chunkstore import ChunkStore, ChunkStoreWriter
from .docstore import DocumentStoreWriter
from .embedder import Embedder
from .integrity import Damage
from .lexical import LexicalBuilder
from .manifest import (
    BLOCKED,
    PREVIOUS,
    VECTORS,
    Artifact,
    Manifest,
    artifact_of,
    block_hashes,
    gen_dir,
    read_copy,
    write_copy,
    write_json_atomic,
    write_manifest,
)

EMBED_BATCH = 256  # texts per embedding call
REEMBEDDED = BLOCKED  # vector files: may differ bit for bit when embedded again
OFFSETS = "sentences/offsets.npy"


class CannotRepair(PolicyQAError):
    """The damage cannot be rebuilt in place; a whole new generation is needed."""


@dataclass
class RepairReport:
    repaired: list[str] = field(default_factory=list)  # one line per rebuilt file
    embedded: int = 0  # chunks whose vectors were embedded again


class _Repair:
    def __init__(self, settings, live, embedder, tokenizer, parsed) -> None:
        self.s, self.live = settings, live
        self.embedder, self.tokenizer, self.parsed = embedder, tokenizer, parsed
        self.folder = gen_dir(settings.index_dir, live.generation)
        self.scratch = settings.index_dir / f".repair-{live.generation:06d}"
        self.artifacts = dict(live.artifacts)
        self.report = RepairReport()
        self.embedded: dict[str, list[int]] = {}  # damaged vector file -> rows embedded again

    def run(self, damaged: list[Damage]) -> RepairReport:
        files = [d for d in damaged if d.artifact]
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir(parents=True)
        try:
            # in order: each step reads only what the steps before made whole
            for step, rebuilds in (
                (self._stores, lambda d: d.part in ("chunks", "docs")),
                (self._derived, lambda d: d.part in ("bm25", "bigram") or _inner(d) == OFFSETS),
                (self._vector_files, lambda d: _inner(d) in REEMBEDDED),
            ):
                mine = [d for d in files if rebuilds(d)]
                if mine:
                    step(mine)
                    self._swap(mine)
            for d in damaged:
                if d.part == "chroma":
                    self._chroma(d)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.report.embedded = len({r for rows in self.embedded.values() for r in rows})
        manifest = self.live.with_(artifacts=self.artifacts)
        write_copy(self.folder, manifest)
        write_manifest(self.s.index_dir, manifest)
        return self.report

    # ---- files

    def _stores(self, files: list[Damage]) -> None:
        """The chunk and document stores, parsed again from the corpus."""
        chunks = ChunkStoreWriter(self.scratch)
        docs = DocumentStoreWriter(self.scratch)
        seen: set[str] = set()
        for p in self.parsed():
            docs.add(p.doc, p.links)
            for c in p.chunks:
                if c.chunk_id not in seen:  # as GenerationWriter: a repeated chunk once
                    seen.add(c.chunk_id)
                    chunks.add(c)
        chunks.close()
        docs.close()

    def _derived(self, files: list[Damage]) -> None:
        """Keyword indexes and unit offsets, from the stored chunks."""
        parts = {d.part for d in files}
        views = {
            v: LexicalBuilder(spill_dir=self.scratch) for v in ("bm25", "bigram") if v in parts
        }
        offsets = [0]
        with _chunks(self.folder) as store:
            for c in store:
                text = c.retrieval_text()
                if "bm25" in views:
                    views["bm25"].add(self.tokenizer.terms(text))
                if "bigram" in views:
                    views["bigram"].add(bigrams(text))
                offsets.append(offsets[-1] + len(units(c)))
        for view, builder in views.items():
            builder.save(self.scratch / view)
        (self.scratch / "sentences").mkdir(exist_ok=True)
        np.save(self.scratch / OFFSETS, np.asarray(offsets, dtype=np.int64))

    def _vector_files(self, files: list[Damage]) -> None:
        """Unit and chunk vectors: rows in intact blocks copied, the others embedded."""
        for d in files:
            with _chunks(self.folder) as store:
                if _inner(d) == VECTORS:
                    offsets = np.arange(len(store) + 1)
                    self._vectors(store, d, offsets, np.float32, _chunk_text)
                else:
                    offsets = np.load(self.folder / OFFSETS, allow_pickle=False)
                    self._vectors(store, d, offsets, np.float16, _unit_texts)

    def _vectors(self, store, damage: Damage, offsets, dtype, texts_of) -> None:
        n, dim = int(offsets[-1]), int(self.live.embedder.dim)
        target = self.scratch / _inner(damage)
        target.parent.mkdir(parents=True, exist_ok=True)
        out = np.lib.format.open_memmap(target, mode="w+", dtype=dtype, shape=(n, dim))
        header = target.stat().st_size - out.nbytes
        bad = _copy_intact(Path(damage.path), self.live.artifacts[damage.artifact], out, header)
        rows = [r for r in range(len(store)) if bad[offsets[r] : offsets[r + 1]].any()]
        self.embedded[damage.artifact] = rows
        for i in range(0, len(rows), EMBED_BATCH):
            part = rows[i : i + EMBED_BATCH]
            vectors = self._embed([t for r in part for t in texts_of(store.chunk(r))])
            at = 0
            for r in part:
                a, b = int(offsets[r]), int(offsets[r + 1])
                out[a:b] = vectors[at : at + b - a]
                at += b - a
        out.flush()
        del out

    def _swap(self, damaged: list[Damage]) -> None:
        """Move each rebuilt file over its damaged one, if it is what the manifest recorded."""
        for d in damaged:
            inner = _inner(d)
            rebuilt = self.scratch / inner
            art = artifact_of(rebuilt, inner in BLOCKED)
            if art != self.live.artifacts[d.artifact] and inner not in REEMBEDDED:
                raise CannotRepair(f"{d.path}: rebuilt, but not as the manifest recorded it")
            target = self.s.index_dir / d.artifact
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(rebuilt, target)
            self.artifacts[d.artifact] = art
            self.report.repaired.append(f"{d.line()} ({_how(d, self.embedded)})")

    # ---- Chroma

    def _chroma(self, damage: Damage) -> None:
        """The collection again, in row order, from the generation's own vectors."""
        s, g = self.s, self.live.generation
        if f"{self.folder.name}/{VECTORS}" not in self.live.artifacts:
            raise CannotRepair(f"{damage.line()}: this generation keeps no copy of its vectors")
        vectors = np.load(self.folder / VECTORS, mmap_mode="r", allow_pickle=False)
        with (
            _chunks(self.folder) as store,
            recreate(s.chroma_url, s.chroma_dir, s.collection, g) as fresh,
        ):
            for i in range(0, len(store), BATCH):
                rows = [store.chunk(r) for r in range(i, min(len(store), i + BATCH))]
                fresh.add(rows, np.asarray(vectors[i : i + len(rows)]), self.live.industries)
        del vectors
        self.report.repaired.append(f"{damage.line()} (rebuilt from {VECTORS})")

    def _embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.embedder.embed(texts), dtype=np.float32)


def _how(damage: Damage, embedded: dict[str, list[int]]) -> str:
    if damage.artifact not in embedded:
        return "rebuilt"
    return f"rebuilt, vectors of {len(embedded[damage.artifact])} chunks embedded again"


def _inner(damage: Damage) -> str:
    """The damaged file's path inside its generation folder."""
    return damage.artifact.split("/", 1)[1]


@contextmanager
def _chunks(folder: Path) -> Iterator[ChunkStore]:
    store = ChunkStore(folder)
    try:
        yield store
    finally:
        store.close()


def _chunk_text(chunk: Chunk) -> list[str]:
    return [chunk.retrieval_text()]


def _unit_texts(chunk: Chunk) -> list[str]:
    return [u.embed_text for u in units(chunk)]


def _copy_intact(path: Path, art: Artifact, out: np.ndarray, header: int) -> np.ndarray:
    """Copy the rows of `path` that lie in intact blocks into `out`; True for the others."""
    n, dim = out.shape
    row = dim * out.dtype.itemsize
    try:
        size = path.stat().st_size
        have = block_hashes(path, art.block) if art.blocks else []
    except OSError:
        return np.ones(n, dtype=bool)
    good = np.array([w == h for w, h in zip(art.blocks, have, strict=False)] + [False], dtype=bool)
    start = header + np.arange(n, dtype=np.int64) * row
    first = np.minimum(start // max(art.block, 1), len(good) - 1)
    last = np.minimum((start + row - 1) // max(art.block, 1), len(good) - 1)
    bad = ~(good[first] & good[last] & (start + row <= size))
    intact = np.flatnonzero(~bad)
    if len(intact):
        rows = (size - header) // row
        old = np.memmap(path, dtype=out.dtype, mode="r", offset=header, shape=(rows, dim))
        out[intact] = old[intact]
        del old
    return bad


def fix_previous(index_dir: Path, live: Manifest) -> str:
    """An unreadable manifest.prev.json: written again from the previous generation's
    own copy, or removed when that generation is gone. Returns what was done."""
    previous = Path(index_dir) / PREVIOUS
    for folder in sorted(Path(index_dir).glob("gen-*"), reverse=True):
        try:
            manifest = read_copy(folder)
        except IndexDamagedError:
            continue
        if manifest.generation < live.generation:
            write_json_atomic(previous, manifest.to_json())
            return f"{previous}: written again from {folder.name}"
    previous.unlink(missing_ok=True)
    return f"{previous}: removed (no earlier generation to fall back on)"


def repair(
    settings: Settings,
    live: Manifest,
    damaged: list[Damage],
    embedder: Embedder,
    tokenizer: Tokenizer,
    parsed: Callable[[], Iterable[ParsedDocument]],
) -> RepairReport:
    """Rebuild the damaged files and collection of the live generation `live`.
    `parsed` yields the corpus's documents as the build parsed them (same build key)."""
    return _Repair(settings, live, embedder, tokenizer, parsed).run(damaged)
