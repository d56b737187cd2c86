"""Keyword indexes over token lists: BM25 (Lucene's variant), built in one
streaming pass and read through memory maps.

Two views share these classes: jieba terms, and character bigrams, which do not
depend on how jieba happens to segment the query versus the passage.

A saved index is a readable folder (no pickle):

    vocab.json     the terms, in id order
    indptr.npy     int64, postings of term t are [indptr[t], indptr[t+1])
    docs.npy       int32, the row of each posting
    scores.npy     float32, the BM25 weight of each posting
    params.json    k1, b, number of rows, average length

>>> builder = LexicalBuilder()
>>> builder.add(["成渝", "汽车"]); builder.add(["汽车"])
>>> builder.save(folder); LexicalIndex.load(folder).scores(["汽车"])
"""

from __future__ import annotations

import json
import math
from array import array
from pathlib import Path

import numpy as np

from policyqa.errors import IndexDamagedError

PLACEHOLDER = ""  # an empty document still has one token, so its length is 1
FILES = ("vocab.json", "indptr.npy", "docs.npy", "scores.npy", "params.json")


class LexicalBuilder:
    """Collects postings row by row in compact arrays; memory grows with the
    number of distinct (row, term) pairs, never with the text."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self._rows = array("i")
        self._terms = array("i")
        self._tf = array("i")
        self._lengths = array("i")

    def add(self, terms: list[str]) -> None:
        tokens = terms or [PLACEHOLDER]
        counts: dict[int, int] = {}
        for t in tokens:
            tid = self.vocab.setdefault(t, len(self.vocab))
            counts[tid] = counts.get(tid, 0) + 1
        row = len(self._lengths)
        self._lengths.append(len(tokens))
        for tid, tf in counts.items():
            self._rows.append(row)
            self._terms.append(tid)
            self._tf.append(tf)

    def __len__(self) -> int:
        return len(self._lengths)

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        n = len(self._lengths)
        terms = np.frombuffer(self._terms, dtype=np.int32)
        rows = np.frombuffer(self._rows, dtype=np.int32)
        tf = np.frombuffer(self._tf, dtype=np.int32).astype(np.float32)
        lengths = np.frombuffer(self._lengths, dtype=np.int32)
        avg = float(lengths.mean()) if n else 0.0
        df = np.bincount(terms, minlength=len(self.vocab))
        idf = np.array(
            [math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.tolist()], dtype=np.float32
        )
        norm = self.k1 * ((1 - self.b) + self.b * lengths[rows] / avg) if n else np.zeros(0)
        scores = (idf[terms].astype(np.float64) * (tf / (norm + tf))).astype(np.float32)
        order = np.argsort(terms, kind="stable")  # postings of a term stay in row order
        indptr = np.zeros(len(self.vocab) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        np.save(folder / "indptr.npy", indptr, allow_pickle=False)
        np.save(folder / "docs.npy", rows[order], allow_pickle=False)
        np.save(folder / "scores.npy", scores[order], allow_pickle=False)
        params = {"k1": self.k1, "b": self.b, "size": n, "avg_length": avg}
        (folder / "params.json").write_text(json.dumps(params), encoding="utf-8")


class LexicalIndex:
    """BM25 over pre-tokenised rows; row i scores the i-th added document."""

    def __init__(
        self,
        vocab: dict[str, int],
        indptr: np.ndarray,
        docs: np.ndarray,
        scores: np.ndarray,
        size: int,
        folder: Path | None = None,
    ) -> None:
        self._vocab = vocab
        self._indptr = indptr
        self._docs = docs
        self._scores = scores
        self.size = size
        self.folder = folder

    @classmethod
    def build(cls, docs: list[list[str]], folder: Path) -> LexicalIndex:
        builder = LexicalBuilder()
        for d in docs:
            builder.add(d)
        builder.save(folder)
        return cls.load(folder)

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> LexicalIndex:
        """Arrays are memory-mapped: a query touches only its terms' postings."""
        folder = Path(folder)
        mode = "r" if mmap else None
        try:
            words = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
            params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
            indptr = np.load(folder / "indptr.npy", mmap_mode=mode, allow_pickle=False)
            docs = np.load(folder / "docs.npy", mmap_mode=mode, allow_pickle=False)
            scores = np.load(folder / "scores.npy", mmap_mode=mode, allow_pickle=False)
            if len(indptr) != len(words) + 1 or not len(docs) == len(scores) == int(indptr[-1]):
                raise ValueError("array lengths disagree")
            vocab = {w: i for i, w in enumerate(words)}
            return cls(vocab, indptr, docs, scores, int(params["size"]), folder)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise IndexDamagedError(folder, f"keyword index unreadable ({exc})") from exc

    def scores(self, terms: list[str]) -> np.ndarray:
        """Summed BM25 weights per row, in float32, terms added in query order."""
        out = np.zeros(self.size, dtype=np.float32)
        for t in dict.fromkeys(terms):
            tid = self._vocab.get(t)
            if tid is None or t == PLACEHOLDER:
                continue
            a, b = int(self._indptr[tid]), int(self._indptr[tid + 1])
            try:
                out[self._docs[a:b]] += self._scores[a:b]  # one posting per row and term
            except (IndexError, ValueError) as exc:  # postings that point outside the index
                where = Path(self.folder or ".") / "docs.npy"
                raise IndexDamagedError(where, f"unreadable ({exc})") from exc
        return out

    def doc_freq(self, term: str) -> int:
        """Number of indexed rows containing term (0 when unknown)."""
        tid = self._vocab.get(term)
        if tid is None or term == PLACEHOLDER:
            return 0
        return int(self._indptr[tid + 1] - self._indptr[tid])
