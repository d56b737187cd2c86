"""Hybrid retrieval: jieba BM25, character-bigram BM25 and dense vectors from
Chroma, fused by reciprocal rank (RRF) or by weighted normalised scores.

>>> retriever = HybridRetriever(settings, embedder, tokenizer)
>>> hits = retriever.search("新能源汽车本地配套率", k=5, filters=Filters.of(role="problem"))
>>> hits[0].chunk.section
'3 … > 3.2 产业链关键环节薄弱,协作配套能力待加强'

`reader()` pins the live generation: everything one question reads (passages,
documents, links) then comes from the same generation, even if an ingest
switches to a new one meanwhile.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict

import numpy as np

from policyqa.documents import Chunk, Document
from policyqa.errors import IndexMissingError, ModelMismatchError
from policyqa.language import Thesaurus, Tokenizer, bigrams, thesaurus_path
from policyqa.results import Passage
from policyqa.settings import Settings

from .chroma_store import ChromaStore
from .embedder import Embedder
from .filters import Filters
from .generation import Generation
from .integrity import check_open
from .manifest import NAME, read_manifest
from .query import Query, parse_query

log = logging.getLogger("policyqa")

VIEWS = ("bm25", "bigram", "dense", "sentence")
MODES = {
    "hybrid": VIEWS,
    "lexical": ("bm25", "bigram"),
    "bm25": ("bm25",),
    "dense": ("dense", "sentence"),
}
RRF_K = 60
DEPTH = 50  # candidates taken from each view before fusion
# Chosen on the development sets (README, "Retrieval"): a passage's best sentence
# matches a question by meaning far better than the passage as a whole (one passage
# often mixes several topics), so the chunk vectors only widen the candidate pool
# and the "sentence" view, the best sentence cosine of each pooled passage, is fused.
WEIGHTS = {"bm25": 1.0, "bigram": 1.0, "dense": 0.0, "sentence": 1.0}


class HybridRetriever:
    """Searches the live index generation; reloads when a new one is switched in."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        tokenizer: Tokenizer,
        mode: str = "hybrid",
        fusion: str = "weighted",
        weights: dict[str, float] | None = None,
        reranker: object | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}: choose from {', '.join(MODES)}")
        self.settings = settings
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.thesaurus = Thesaurus.load(thesaurus_path(settings))
        self.mode = mode
        self.fusion = fusion
        self.weights = weights or WEIGHTS
        self.reranker = reranker
        self._generation: Generation | None = None
        self._stamp: int | None = None
        self._lock = threading.Lock()
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._vectors_lock = threading.Lock()

    @property
    def generation(self) -> Generation:
        """The live generation, reopened when the manifest changes."""
        path = self.settings.index_dir / NAME
        stamp = os.stat(path).st_mtime_ns if path.exists() else None
        with self._lock:
            if self._generation is None or stamp != self._stamp:
                self._generation = self._open()
                self._stamp = stamp
            return self._generation

    def _open(self) -> Generation:
        manifest = read_manifest(self.settings.index_dir)
        if manifest is None:
            raise IndexMissingError(
                f"no index under {self.settings.index_dir}: run `policyqa ingest` first"
            )
        if manifest.model != self.embedder.name:
            raise ModelMismatchError(
                f"the index was built with model {manifest.model!r}, you asked for "
                f"{self.embedder.name!r}: run `policyqa ingest --rebuild` to rebuild it with the "
                f"new model, or set POLICYQA_EMBED_MODEL={manifest.model}"
            )
        s = self.settings
        check_open(s.index_dir, manifest.artifacts)  # a damaged file is named before Chroma opens
        chroma = ChromaStore.open(s.chroma_url, s.chroma_dir, s.collection, manifest.generation)
        try:
            gen = Generation(s.index_dir, manifest, chroma, checked=True)
        except BaseException:
            chroma.close()
            raise
        if manifest.vocabulary != self.tokenizer.vocabulary_key:
            log.warning(
                "the index was segmented with another dictionary or thesaurus than "
                "this process loaded: restart it to match queries to the index"
            )
        return gen

    def reader(self) -> GenerationReader:
        return GenerationReader(self, self.generation)

    def parse(self, question: str) -> Query:
        return parse_query(question, self.tokenizer, self.thesaurus)

    def search(
        self,
        query: str | Query,
        k: int = 10,
        filters: Filters | None = None,
        include_references: bool = False,
    ) -> list[Passage]:
        return self.reader().search(query, k, filters, include_references)

    def embed_query(self, text: str) -> np.ndarray:
        """Query vectors are cached: one question runs several searches."""
        return self._cached(("q", text), lambda: self.embedder.embed_query(text))

    def embed_passage(self, text: str) -> np.ndarray:
        return self._cached(("p", text), lambda: self.embedder.embed([text])[0])

    def _cached(self, key: tuple[str, str], compute) -> np.ndarray:
        with self._vectors_lock:
            vector = self._vectors.get(key)
        if vector is None:
            vector = compute()
            with self._vectors_lock:
                self._vectors[key] = vector
                if len(self._vectors) > 1024:
                    self._vectors.popitem(last=False)
        return vector


class GenerationReader:
    """Everything the assistant reads from one generation (the `IndexReader`
    protocol of `policyqa.assistant.reader`)."""

    def __init__(self, retriever: HybridRetriever, gen: Generation) -> None:
        self.retriever = retriever
        self.gen = gen
        self.tokenizer = retriever.tokenizer
        self.thesaurus = retriever.thesaurus

    @property
    def generation(self) -> int:
        return self.gen.generation

    def parse(self, question: str) -> Query:
        return self.retriever.parse(question)

    def search(
        self,
        query: str | Query,
        k: int = 10,
        filters: Filters | None = None,
        include_references: bool = False,
    ) -> list[Passage]:
        q = query if isinstance(query, Query) else self.parse(query)
        gen = self.gen
        cls = gen.clauses(filters)
        mask = gen.mask(cls)
        if not include_references and not {c.key for c in cls} & {"role", "kind"}:
            mask &= ~gen.chunks.rows_where("kind", ["references"])
        if not q.text or not mask.any():
            return []
        views = MODES[self.retriever.mode]
        ranked: dict[str, list[tuple[int, float]]] = {}
        if "bm25" in views:
            ranked["bm25"] = _top(gen.bm25.scores(q.keyword_terms), mask)
        if "bigram" in views:
            ranked["bigram"] = _top(gen.bigram.scores(bigrams(q.text)), mask)
        if "dense" in views:
            ranked["dense"] = self._dense(q.text, gen.where(cls), mask)
        if "sentence" in views:
            pool = {row for rows in ranked.values() for row, _ in rows}
            ranked["sentence"] = self._sentences(q.text, pool)
        hits = self._fuse(ranked)
        reranker = self.retriever.reranker
        if reranker is not None and hits:
            hits = reranker.rerank(q.text, hits[: max(k, 20)])
        for n, hit in enumerate(hits, 1):
            hit.rank = n
        return hits[:k]

    def _dense(self, text: str, where: dict | None, mask: np.ndarray) -> list[tuple[int, float]]:
        vector = self.retriever.embed_query(text)
        out = []
        for cid, score in self.gen.chroma.query(vector, DEPTH, where):
            row = self.gen.chunks.row_of(cid)
            if row is not None and mask[row]:
                out.append((row, score))
        return out

    def _sentences(self, text: str, pool: set[int]) -> list[tuple[int, float]]:
        """Pooled passages by the cosine of their best sentence with the question."""
        vector = self.retriever.embed_query(text)
        best = []
        for row in pool:
            units = self.gen.units.of(row)
            if len(units):
                best.append((row, float(np.max(units @ vector))))
        best.sort(key=lambda x: (-x[1], x[0]))
        return best[:DEPTH]

    def _fuse(self, ranked: dict[str, list[tuple[int, float]]]) -> list[Passage]:
        fused: dict[int, float] = {}
        view_ranks: dict[int, dict[str, int]] = {}
        fusion, weights = self.retriever.fusion, self.retriever.weights
        for view, rows in ranked.items():
            weight = weights.get(view, 1.0)
            if not weight and fusion != "rrf":
                continue
            top = (rows[0][1] or 1.0) if rows else 1.0
            # cosines crowd near the top (e5: 0.8-0.9 for nearly every passage): the
            # vector views count from their weakest candidate, the keyword views from 0
            floor = rows[-1][1] if view in ("dense", "sentence") and len(rows) > 1 else 0.0
            span = (top - floor) or 1.0
            for n, (row, score) in enumerate(rows, 1):
                view_ranks.setdefault(row, {})[view] = n
                if fusion == "rrf":
                    fused[row] = fused.get(row, 0.0) + weight / (RRF_K + n)
                else:
                    fused[row] = fused.get(row, 0.0) + weight * max(score - floor, 0.0) / span
        order = sorted(fused, key=lambda r: (-fused[r], r))
        chunks = self.gen.chunks
        return [Passage(chunks.chunk(r), float(fused[r]), 0, view_ranks[r]) for r in order]

    # ---- what the assistant reads besides passages

    def query_vector(self, text: str) -> np.ndarray:
        return self.retriever.embed_query(text)

    def passage_vector(self, text: str) -> np.ndarray:
        """A span embedded as a passage (a clause of a sentence, when only it counts)."""
        return self.retriever.embed_passage(text)

    def unit_vectors(self, chunk: Chunk) -> np.ndarray:
        """Vectors of the chunk's evidence units (`policyqa.ingest.units`), in order."""
        row = self.gen.chunks.row_of(chunk.chunk_id)
        return self.gen.units.of(row) if row is not None else np.zeros((0, 0), dtype=np.float32)

    @property
    def chunk_count(self) -> int:
        return len(self.gen.chunks)

    def doc_freq(self, term: str) -> int:
        return self.gen.bm25.doc_freq(term)

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self.gen.chunks.row_of(chunk_id)
        return self.gen.chunks.chunk(row) if row is not None else None

    def document(self, doc_id: str) -> Document | None:
        return self.gen.docs.get(doc_id)

    def links(self, doc_id: str) -> dict[str, list[str]]:
        return self.gen.docs.links(doc_id)

    def section_chunks(self, doc_id: str, path: str) -> list[Chunk]:
        """Text chunks of a section and its subsections, in document order."""
        store = self.gen.chunks
        sections = [s for s in store.names["section"] if s == path or s.startswith(path + " > ")]
        rows = np.flatnonzero(
            store.rows_where("doc", [doc_id])
            & store.rows_where("section", sections)
            & store.rows_where("kind", ["text"])
        )
        return sorted((store.chunk(int(r)) for r in rows), key=lambda c: c.start)

    def titles(self) -> dict[str, str]:
        return {e.doc_id: e.title for e in self.gen.docs.entries.values()}

    def roles(self) -> tuple[str, ...]:
        return self.gen.manifest.roles

    def missing_documents(self) -> tuple[str, ...]:
        return self.gen.manifest.missing

    def corpus_text(self) -> str:
        """All documents' text in matching form (`squash`): does a word occur at all?"""
        return self.gen.corpus_text


def _top(scores: np.ndarray, mask: np.ndarray, depth: int = DEPTH) -> list[tuple[int, float]]:
    scores = np.where(mask, scores, 0.0)
    n = min(depth, int(np.count_nonzero(scores > 0)))
    if n == 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.lexsort((idx, -scores[idx]))]
    return [(int(i), float(scores[i])) for i in idx]
