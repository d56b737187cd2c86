"""Hybrid retrieval: jieba BM25, character-bigram BM25 and dense vectors from
Chroma, fused by reciprocal rank (RRF) or by weighted normalised scores.

>>> retriever = HybridRetriever.from_settings(Settings.from_env())
>>> hits = retriever.search("新能源汽车本地配套率", k=5, filters=Filters(role="problem"))
>>> hits[0].chunk.section
'3 … > 3.2 产业链关键环节薄弱,协作配套能力待加强'
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from policyqa.documents import Chunk
from policyqa.ingest.tokenizer import STOPWORDS, USER_DICT, Tokenizer, bigrams, vocabulary_key
from policyqa.settings import Settings

from .chroma_store import ChromaStore
from .embedder import Embedder, SentenceTransformerEmbedder
from .query import Query, Thesaurus, parse_query
from .store import MANIFEST, Snapshot

log = logging.getLogger("policyqa")


def tokenizer_for(settings: Settings) -> Tokenizer:
    """The tokenizer for this index: domain dictionary plus thesaurus words."""
    return Tokenizer(
        settings.user_dict,
        cache_dir=settings.cache_dir,
        extra_words=Thesaurus.load(settings.thesaurus).words(),
    )


def current_vocabulary(settings: Settings) -> str:
    """The vocabulary key a tokenizer built now would have (see Tokenizer.vocabulary_key)."""
    return vocabulary_key(
        settings.user_dict or USER_DICT, Thesaurus.load(settings.thesaurus).words(), STOPWORDS
    )


VIEWS = ("bm25", "bigram", "dense")
MODES = {
    "hybrid": VIEWS,
    "lexical": ("bm25", "bigram"),
    "bm25": ("bm25",),
    "dense": ("dense",),
}
RRF_K = 60
DEPTH = 50  # candidates taken from each view before fusion


@dataclass(frozen=True)
class Filters:
    doc: str | tuple[str, ...] | None = None
    role: str | tuple[str, ...] | None = None
    industry: str | tuple[str, ...] | None = None
    page: int | tuple[int, ...] | None = None
    kind: str | tuple[str, ...] | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", ())}

    @classmethod
    def parse(cls, items: list[str], doc: str | None = None) -> Filters:
        """From CLI-style 'key=value' items; repeated keys are OR-ed."""
        values: dict[str, list[str]] = {}
        for item in items:
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or key not in cls.__dataclass_fields__:
                raise ValueError(
                    f"bad filter {item!r}: use key=value with key in "
                    f"{', '.join(cls.__dataclass_fields__)}"
                )
            values.setdefault(key, []).append(value.strip())
        if doc:
            values.setdefault("doc", []).append(doc)
        parsed: dict[str, object] = {}
        for key, vals in values.items():
            conv = [int(v) for v in vals] if key == "page" else vals
            parsed[key] = conv[0] if len(conv) == 1 else tuple(conv)
        return cls(**parsed)


@dataclass
class Hit:
    chunk: Chunk
    score: float
    rank: int
    views: dict[str, int] = field(default_factory=dict)  # rank within each view (1-based)


class Retriever(Protocol):
    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]: ...


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
        self.thesaurus = Thesaurus.load(settings.thesaurus)
        self.mode = mode
        self.fusion = fusion
        # chosen on the gold set (README, "Retrieval ablation"): dense adds little with
        # an English model, so it breaks ties rather than reorders
        self.weights = weights or {"bm25": 1.0, "bigram": 1.0, "dense": 0.25}
        self.reranker = reranker
        self._snapshot: Snapshot | None = None
        self._stamp: float | None = None
        self._lock = threading.Lock()
        self._query_vectors: dict[str, np.ndarray] = {}

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        tokenizer: Tokenizer | None = None,
        **kwargs: object,
    ) -> HybridRetriever:
        """The configured retriever; pass `embedder` and `tokenizer` to share loaded ones."""
        embedder = embedder or SentenceTransformerEmbedder(
            settings.embed_model, settings.embed_batch
        )
        reranker = None
        if settings.reranker_model:
            from .rerank import CrossEncoderReranker

            reranker = CrossEncoderReranker(settings.reranker_model)
        tokenizer = tokenizer or tokenizer_for(settings)
        return cls(settings, embedder, tokenizer, reranker=reranker, **kwargs)

    @property
    def snapshot(self) -> Snapshot:
        """The live generation, reloaded when the manifest changes."""
        path = self.settings.index_dir / MANIFEST
        stamp = os.stat(path).st_mtime_ns if path.exists() else None
        with self._lock:
            if self._snapshot is None or stamp != self._stamp:
                self._snapshot = Snapshot.load(self.settings, self.embedder.name)
                self._stamp = stamp
                if self._snapshot.manifest.get("vocabulary") != self.tokenizer.vocabulary_key:
                    log.warning(
                        "the index was segmented with another dictionary or thesaurus than "
                        "this process loaded: restart it to match queries to the index"
                    )
            return self._snapshot

    def parse(self, question: str) -> Query:
        return parse_query(question, self.tokenizer, self.thesaurus)

    def search(
        self,
        query: str | Query,
        k: int = 10,
        filters: Filters | None = None,
        include_references: bool = False,
    ) -> list[Hit]:
        q = query if isinstance(query, Query) else self.parse(query)
        snap = self.snapshot
        fdict = (filters or Filters()).as_dict()
        mask = snap.mask(**fdict)
        if not include_references and "role" not in fdict and "kind" not in fdict:
            mask &= snap.arrays["kind"] != "references"
        if not q.text or not mask.any():
            return []
        ranked: dict[str, list[tuple[int, float]]] = {}
        views = MODES[self.mode]
        if "bm25" in views:
            ranked["bm25"] = _top(snap.bm25.scores(q.keyword_terms), mask)
        if "bigram" in views:
            ranked["bigram"] = _top(snap.bigram.scores(bigrams(q.text)), mask)
        if "dense" in views:
            ranked["dense"] = self._dense(snap, q.text, fdict, mask)
        hits = self._fuse(snap, ranked)
        if self.reranker is not None and hits:
            hits = self.reranker.rerank(q.text, hits[: max(k, 20)])
        for n, hit in enumerate(hits, 1):
            hit.rank = n
        return hits[:k]

    def embed_query(self, text: str) -> np.ndarray:
        """Query vectors are cached: one question runs several searches."""
        vector = self._query_vectors.get(text)
        if vector is None:
            vector = self.embedder.embed([text])[0]
            if len(self._query_vectors) >= 1024:
                self._query_vectors.pop(next(iter(self._query_vectors)))
            self._query_vectors[text] = vector
        return vector

    def _dense(self, snap: Snapshot, text: str, fdict: dict, mask: np.ndarray):
        vector = self.embed_query(text)
        where = ChromaStore.where(**fdict)
        out = []
        for cid, score in snap.chroma.query(vector, DEPTH, where):
            row = snap.row_of.get(cid)
            if row is not None and mask[row]:
                out.append((row, score))
        return out

    def _fuse(self, snap: Snapshot, ranked: dict[str, list[tuple[int, float]]]) -> list[Hit]:
        fused: dict[int, float] = {}
        view_ranks: dict[int, dict[str, int]] = {}
        for view, rows in ranked.items():
            weight = self.weights.get(view, 1.0)
            if self.fusion == "weighted" and rows:
                top = rows[0][1] or 1.0
            for n, (row, score) in enumerate(rows, 1):
                view_ranks.setdefault(row, {})[view] = n
                if self.fusion == "rrf":
                    fused[row] = fused.get(row, 0.0) + weight / (RRF_K + n)
                else:
                    fused[row] = fused.get(row, 0.0) + weight * max(score, 0.0) / top
        order = sorted(fused, key=lambda r: (-fused[r], r))
        return [Hit(snap.chunks[r], float(fused[r]), 0, view_ranks[r]) for r in order]


def _top(scores: np.ndarray, mask: np.ndarray, depth: int = DEPTH) -> list[tuple[int, float]]:
    scores = np.where(mask, scores, 0.0)
    n = min(depth, int(np.count_nonzero(scores > 0)))
    if n == 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.lexsort((idx, -scores[idx]))]
    return [(int(i), float(scores[i])) for i in idx]
