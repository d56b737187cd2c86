"""Vectors for a batch of chunks being written: each chunk's own vector (what
Chroma searches) and the vectors of its evidence units (what answers are
chosen by). A chunk already in the live generation keeps both: its id is a
hash of its document and its span, so the same id means the same text. The
rest are embedded together in one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyqa.documents import Chunk, sha256
from policyqa.errors import PolicyQAError
from policyqa.ingest.units import units

from .chroma_store import ChromaStore
from .chunkstore import ChunkStore
from .embedder import Embedder
from .sentences import SentenceVectors


@dataclass(frozen=True)
class ChunkVectors:
    chunk: np.ndarray  # (dim,)
    units: np.ndarray  # (number of units, dim)


class LiveVectors:
    """The live generation's vectors, read by chunk id; unreadable parts are skipped
    (their chunks are embedded again)."""

    def __init__(self, chroma: ChromaStore | None, folder: Path | None) -> None:
        self.chroma = chroma
        self.rows: ChunkStore | None = None
        self.units: SentenceVectors | None = None
        if folder is not None:
            try:
                self.rows = ChunkStore(folder)
                self.units = SentenceVectors(folder, len(self.rows))
            except PolicyQAError:
                self.rows = self.units = None

    def get(self, chunks: list[Chunk]) -> dict[str, ChunkVectors]:
        if self.chroma is None or self.rows is None or self.units is None:
            return {}
        try:
            chunk_vectors = self.chroma.embeddings_for(chunks)
        except PolicyQAError:
            return {}
        out = {}
        for c in chunks:
            row = self.rows.row_of(c.chunk_id)
            if c.chunk_id in chunk_vectors and row is not None:
                unit_vectors = self.units.of(row)
                if len(unit_vectors) == len(units(c)):
                    out[c.chunk_id] = ChunkVectors(
                        np.asarray(chunk_vectors[c.chunk_id]), unit_vectors
                    )
        return out

    def close(self) -> None:
        if self.chroma is not None:
            self.chroma.close()
        if self.rows is not None:
            self.rows.close()
        if self.units is not None:
            self.units.close()


def texts_to_embed(chunk: Chunk) -> list[str]:
    """What an ingest embeds for a chunk: its own text, then its evidence units'."""
    return [chunk.retrieval_text(), *(u.embed_text for u in units(chunk))]


def vectors_for(
    chunks: list[Chunk], embedder: Embedder, live: LiveVectors | None, cache: dict | None
) -> tuple[dict[str, ChunkVectors], int]:
    """Vectors of every chunk, and how many chunks had to be embedded.
    `cache` (text hash -> vector) reuses vectors of repeated texts across builds."""
    unique = list({c.chunk_id: c for c in chunks}.values())
    known = live.get(unique) if live is not None else {}
    todo = [c for c in unique if c.chunk_id not in known]
    texts: list[str] = []
    for c in todo:
        texts += texts_to_embed(c)
    missing = [t for t in dict.fromkeys(texts) if cache is None or sha256(t) not in cache]
    fresh = dict(zip(missing, embedder.embed(missing), strict=True)) if missing else {}
    if cache is not None:
        cache.update({sha256(t): v for t, v in fresh.items()})

    def vector(text: str) -> np.ndarray:
        return fresh[text] if text in fresh else cache[sha256(text)]

    for c in todo:
        unit_vectors = [vector(u.embed_text) for u in units(c)]
        dim = len(vector(c.retrieval_text()))
        known[c.chunk_id] = ChunkVectors(
            vector(c.retrieval_text()),
            np.asarray(unit_vectors, dtype=np.float32).reshape(len(unit_vectors), dim),
        )
    return known, len(todo)
