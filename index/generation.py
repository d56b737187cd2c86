"""One index generation: written in a streaming pass, then opened read-only.

    HOME/index/gen-000003/     chunk store, document store, bm25/, bigram/, sentences/,
                               chunks.vectors.npy (the vectors Chroma was given)
    HOME/index/chroma/g000003/ that generation's Chroma collection (local mode)

The writer holds at most one batch of chunks and their vectors; keyword
postings go to unnamed temporary files in the generation's folder and are
sorted one range of terms at a time, so memory does not grow with the
postings either (`lexical.LexicalBuilder`). The reader checks every file's
size, and the small files' checksums, against the manifest when it opens
(`integrity.check_open`) and names a damaged file.
"""

from __future__ import annotations

import weakref
from functools import cached_property
from pathlib import Path

import numpy as np

from policyqa.documents import Chunk, Document
from policyqa.errors import IndexDamagedError
from policyqa.language import Tokenizer, bigrams, squash

from .chroma_store import ChromaStore
from .chunkstore import ChunkStore, ChunkStoreWriter
from .docstore import DocumentStore, DocumentStoreWriter
from .filters import Clause, Filters, chroma_where, clauses, row_mask
from .integrity import check_open
from .lexical import LexicalBuilder, LexicalIndex
from .manifest import VECTORS, Manifest, gen_dir
from .sentences import SentenceVectors, SentenceVectorsWriter
from .vectorfile import VectorFileWriter

KINDS = ("text", "table", "references")
CHROMA_BATCH = 2000


class GenerationWriter:
    """Receives documents in order; `finish` closes every file of the generation."""

    def __init__(
        self, folder: Path, store: ChromaStore, tokenizer: Tokenizer, industries: dict[str, str]
    ) -> None:
        self.folder = Path(folder)
        self.industries = industries
        self.chunks = ChunkStoreWriter(self.folder)
        self.docs = DocumentStoreWriter(self.folder)
        # postings spill to unnamed files next to the generation until `finish`
        self.bm25 = LexicalBuilder(spill_dir=self.folder)
        self.bigram = LexicalBuilder(spill_dir=self.folder)
        self.units = SentenceVectorsWriter(self.folder)
        self.vectors = VectorFileWriter(self.folder / VECTORS)  # what Chroma was given
        self.store = store
        self.tokenizer = tokenizer
        self._seen: set[str] = set()
        self._pending: list[tuple[Chunk, np.ndarray]] = []

    def add(self, doc: Document, links: dict, chunks: list[Chunk], vectors: dict) -> int:
        """Write a document and its chunks (`vectors`: chunk id -> ChunkVectors); a chunk
        already written (an identical file elsewhere) is indexed once. Returns the chunks written."""
        self.docs.add(doc, links)
        written = 0
        for c in chunks:
            if c.chunk_id in self._seen:
                continue
            self._seen.add(c.chunk_id)
            text = c.retrieval_text()
            self.chunks.add(c)
            self.bm25.add(self.tokenizer.terms(text))
            self.bigram.add(bigrams(text))
            self.units.add(vectors[c.chunk_id].units)
            self._pending.append((c, vectors[c.chunk_id].chunk))
            written += 1
            if len(self._pending) >= CHROMA_BATCH:
                self._flush()
        return written

    def _flush(self) -> None:
        if self._pending:
            chunks = [c for c, _ in self._pending]
            vectors = np.asarray([v for _, v in self._pending], dtype=np.float32)
            self.vectors.add(vectors)
            self.store.add(chunks, vectors, self.industries)
            self._pending = []

    def __len__(self) -> int:
        return len(self.chunks)

    def finish(self, dim: int) -> None:
        self._flush()
        self.vectors.close(dim)
        self.units.close(dim)
        self.chunks.close()
        self.docs.close()
        self.bm25.save(self.folder / "bm25")
        self.bigram.save(self.folder / "bigram")


class Generation:
    """A live generation, opened for querying. Immutable once open."""

    def __init__(
        self, index_dir: Path, manifest: Manifest, chroma: ChromaStore, checked: bool = False
    ) -> None:
        """`checked`: the caller ran `check_open` already."""
        self.manifest = manifest
        folder = gen_dir(index_dir, manifest.generation)
        if not checked:
            check_open(index_dir, manifest.artifacts)
        self.chunks = ChunkStore(folder)
        self.docs = DocumentStore(folder)
        self.bm25 = LexicalIndex.load(folder / "bm25")
        self.bigram = LexicalIndex.load(folder / "bigram")
        self.units = SentenceVectors(folder, len(self.chunks))
        if not len(self.chunks) == self.bm25.size == self.bigram.size == manifest.chunk_count:
            raise IndexDamagedError(folder, "chunk store and keyword indexes disagree in size")
        self.chroma = chroma
        self._allowed = self._allowed_values()
        # the Chroma client is released once no query holds this generation any more
        weakref.finalize(self, _close, chroma, self.chunks, self.units)

    @property
    def generation(self) -> int:
        return self.manifest.generation

    def _allowed_values(self) -> dict[str, dict[str, str]]:
        docs: dict[str, str] = {}
        for e in self.docs.entries.values():
            docs.setdefault(e.title, e.doc_id)
            docs.setdefault(f"《{e.title}》", e.doc_id)
        docs.update({doc_id: doc_id for doc_id in self.docs.entries})
        return {
            "doc": docs,
            "role": {r: r for r in self.manifest.roles},
            "industry": {i: i for i in self.manifest.industries},
            "kind": {k: k for k in KINDS},
        }

    def clauses(self, filters: Filters | None) -> list[Clause]:
        return clauses(filters or Filters(), self._allowed)

    def mask(self, cls: list[Clause]) -> np.ndarray:
        return row_mask(cls, self.chunks)

    def where(self, cls: list[Clause]) -> dict | None:
        return chroma_where(cls, self.manifest.industries)

    @cached_property
    def corpus_text(self) -> str:
        """Every document's text in matching form, computed once per generation."""
        return squash("\n".join(self.docs.get(d).text for d in self.docs.ids()))


def _close(chroma: ChromaStore, chunks: ChunkStore, units: SentenceVectors) -> None:
    chroma.close()
    chunks.close()
    units.close()
