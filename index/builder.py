"""Write a new index generation from parsed documents, next to the live one.

Unchanged chunks keep their ids and copy their vectors from the live
generation: no embeddings are computed for them. Documents are taken in
batches of chunks, so memory holds one batch of vectors, not the corpus.
The manifest switches only when the generation is complete; an ingest killed
at any point leaves the live generation untouched, and the next ingest removes
what the killed one left behind.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from policyqa.documents import Chunk
from policyqa.errors import PolicyQAError
from policyqa.ingest.document import ParsedDocument
from policyqa.language import Tokenizer
from policyqa.profile import Profile
from policyqa.settings import Settings

from .chroma_store import ChromaStore, drop_generation, industry_keys, server_generations
from .embedder import Embedder
from .generation import GenerationWriter, gen_dir
from .manifest import (
    PREVIOUS,
    EmbedderInfo,
    FileEntry,
    Manifest,
    artifacts_of,
    load_manifest,
    write_copy,
    write_manifest,
)
from .vectors import ChunkVectors, LiveVectors, vectors_for

Progress = Callable[[str, int, int], None]
log = logging.getLogger("policyqa")


@dataclass
class Stages:
    """Seconds spent per stage; stages interleave, so each is a running total."""

    seconds: dict[str, float] = field(default_factory=dict)

    def timed(self, name: str, fn: Callable, *args: object) -> object:
        t = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t


class GenerationBuilder:
    """Streams documents into one new generation.

    >>> builder = GenerationBuilder(settings, embedder, tokenizer, live, generation=4)
    >>> for parsed in documents: builder.add(parsed)
    >>> manifest = builder.finish(files, missing, errors, build_key)
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        tokenizer: Tokenizer,
        live: Manifest | None,
        generation: int,
        profile: Profile,
        embed_cache: dict[str, np.ndarray] | None = None,
        stages: Stages | None = None,
        untrusted: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """`untrusted`: parts of the live generation found damaged (`integrity.verify`),
        whose vectors are not copied."""
        self.settings = settings
        self.profile = profile
        self.industries = industry_keys([(i.key, i.label) for i in profile.industries])
        self.embedder = embedder
        self.generation = generation
        self.stages = stages or Stages()
        self.embedded = 0
        self._cache = embed_cache
        self._batch = max(1, settings.embed_batch) * 8
        self._pending: list[ParsedDocument] = []
        self._store = ChromaStore.open(
            settings.chroma_url, settings.chroma_dir, settings.collection, generation, True
        )
        self._live = None if untrusted & {"chunks", "sentences"} else _live_vectors(settings, live)
        folder = gen_dir(settings.index_dir, generation)
        self._writer = GenerationWriter(folder, self._store, tokenizer, self.industries)

    def add(self, parsed: ParsedDocument) -> None:
        self._pending.append(parsed)
        if sum(len(p.chunks) for p in self._pending) >= self._batch:
            self._flush()

    def _flush(self) -> None:
        chunks = [c for p in self._pending for c in p.chunks]
        vectors = self.stages.timed("embed", self._vectors, chunks)
        for p in self._pending:
            self.stages.timed("write", self._writer.add, p.doc, p.links, p.chunks, vectors)
        self._pending = []

    def _vectors(self, chunks: list[Chunk]) -> dict[str, ChunkVectors]:
        vectors, embedded = vectors_for(chunks, self.embedder, self._live, self._cache)
        self.embedded += embedded
        return vectors

    def finish(
        self,
        files: dict[str, FileEntry],
        missing: list[str],
        errors: dict[str, str],
        build_key: str,
        vocabulary: str,
    ) -> Manifest:
        """Close the generation, record its files and switch the manifest to it."""
        self._flush()
        self.stages.timed("keyword index", self._writer.finish, int(self.embedder.dim))
        self.close()
        s = self.settings
        folder = gen_dir(s.index_dir, self.generation)
        manifest = Manifest(
            generation=self.generation,
            embedder=EmbedderInfo(
                getattr(self.embedder, "backend", "sentence-transformers"),
                self.embedder.name,
                int(self.embedder.dim),
            ),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            chunk_size=s.chunk_size,
            chunk_overlap=s.chunk_overlap,
            chroma=s.chroma_url or "local",
            collection=s.collection,
            chunk_count=len(self._writer),
            build_key=build_key,
            vocabulary=vocabulary,
            files=files,
            missing=tuple(missing),
            errors=errors,
            roles=self.profile.role_names,
            industries=self.industries,
            artifacts=self.stages.timed("checksums", artifacts_of, s.index_dir, folder),
        )
        write_copy(folder, manifest)
        write_manifest(s.index_dir, manifest)
        return manifest

    def close(self) -> None:
        self._store.close()
        if self._live is not None:
            self._live.close()
            self._live = None

    def discard(self) -> None:
        """Remove the unfinished generation (after an error: disk full, …) to free its space;
        what cannot be removed now, the next ingest removes."""
        s = self.settings
        try:
            self.close()
            drop_generation(s.chroma_url, s.chroma_dir, s.collection, self.generation)
        except (PolicyQAError, OSError) as exc:
            log.warning("could not remove the unfinished generation %d: %s", self.generation, exc)
        shutil.rmtree(gen_dir(s.index_dir, self.generation), ignore_errors=True)


def _live_vectors(settings: Settings, live: Manifest | None) -> LiveVectors | None:
    if live is None:
        return None
    try:
        chroma = ChromaStore.open(
            settings.chroma_url, settings.chroma_dir, settings.collection, live.generation
        )
    except PolicyQAError:
        return None  # live vectors unreadable: everything is embedded again
    return LiveVectors(chroma, gen_dir(settings.index_dir, live.generation))


# ---- generations on disk -----------------------------------------------------------------


def generations_on_disk(settings: Settings) -> set[int]:
    gens = set()
    for p in settings.index_dir.glob("gen-*"):
        if p.name[4:].isdigit():
            gens.add(int(p.name[4:]))
    for p in settings.chroma_dir.glob("g*"):
        if p.name[1:].isdigit():
            gens.add(int(p.name[1:]))
    if settings.chroma_url:
        gens |= set(server_generations(settings.chroma_url, settings.collection))
    return gens


def next_generation(settings: Settings, current: Manifest | None) -> int:
    on_disk = generations_on_disk(settings)
    return max(on_disk | ({current.generation} if current else set()), default=0) + 1


def remove_leftovers(
    settings: Settings, live: Manifest | None, keep_previous: bool = False
) -> None:
    """Delete generations other than the live one (and, after a switch, the one before;
    always the one manifest.prev.json names, so that it can be fallen back on)."""
    keep = set()
    if live:
        keep.add(live.generation)
        keep |= _previous(settings, live)
    if live and keep_previous:
        older = [g for g in generations_on_disk(settings) if g < live.generation]
        keep |= set(sorted(older)[-1:])
    for tmp in settings.index_dir.glob(".manifest*.tmp"):
        tmp.unlink(missing_ok=True)  # left by a process killed while switching
    for scratch in settings.index_dir.glob(".repair-*"):
        shutil.rmtree(scratch, ignore_errors=True)  # left by a killed repair
    for g in generations_on_disk(settings) - keep:
        if live and g > live.generation and keep_previous:
            continue
        drop_generation(settings.chroma_url, settings.chroma_dir, settings.collection, g)
        shutil.rmtree(gen_dir(settings.index_dir, g), ignore_errors=True)


def _previous(settings: Settings, live: Manifest) -> set[int]:
    path = settings.index_dir / PREVIOUS
    if not path.exists():
        return set()
    try:
        previous = load_manifest(path).generation
    except PolicyQAError:  # unreadable: keep the newest older one, to write it again from
        previous = max((g for g in generations_on_disk(settings) if g < live.generation), default=0)
    return {previous} if 0 < previous < live.generation else set()
