"""Keyword indexes over token lists (bm25s), saved as readable folders.

Two views share this class: jieba terms, and character bigrams, which do not
depend on how jieba happens to segment the query versus the passage.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """BM25 over pre-tokenised documents; row i scores the i-th indexed document."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._bm25 = retriever
        self.size = size
        self._vocab = retriever.vocab_dict

    @classmethod
    def build(cls, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        retriever = bm25s.BM25(k1=k1, b=b)
        # an empty document still needs a row ("" is bm25s' placeholder token), and
        # bm25s cannot index nothing: an empty corpus gets one placeholder row of size 0
        retriever.index([d or [""] for d in docs] or [[""]], show_progress=False)
        return cls(retriever, len(docs))

    def scores(self, terms: list[str]) -> np.ndarray:
        known = [t for t in dict.fromkeys(terms) if t in self._vocab and t != ""]
        if not known or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return self._bm25.get_scores(known).astype(np.float32, copy=False)

    def doc_freq(self, term: str) -> int:
        """Number of indexed documents containing term (0 when unknown)."""
        idx = self._vocab.get(term)
        if idx is None or term == "":
            return 0
        indptr = self._bm25.scores["indptr"]
        return int(indptr[idx + 1] - indptr[idx])

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder), allow_pickle=False, show_progress=False)
        (folder / "size.json").write_text(json.dumps({"size": self.size}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False)
        size = json.loads((Path(folder) / "size.json").read_text())["size"]
        return cls(retriever, size)
