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
import tempfile
from array import array
from pathlib import Path

import numpy as np

from policyqa.errors import IndexDamagedError

from .vectorfile import write_npy_header

PLACEHOLDER = ""  # an empty document still has one token, so its length is 1
FILES = ("vocab.json", "indptr.npy", "docs.npy", "scores.npy", "params.json")
POSTING = np.dtype([("row", "<i4"), ("term", "<i4"), ("tf", "<i4")])
BLOCK = 1 << 20  # postings held in memory before they are spilled (12 MiB)
PASS = 1 << 20  # postings sorted at once when saving (about 60 bytes each)
MAX_PASSES = 256  # temporary files open at once when saving; beyond, passes grow


class LexicalBuilder:
    """Collects postings row by row. They go to an unnamed temporary file (in
    `spill_dir`, else the system's) a block at a time, and `save` sorts them by
    term one range of terms at a time: memory holds the vocabulary, one int32
    per row and a bounded number of postings, never all of them."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, spill_dir: Path | None = None) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self._spill_dir = spill_dir
        self._spill = None  # the temporary file, opened with the first full block
        self._spilled = 0  # postings in it
        self._df = np.zeros(0, dtype=np.int64)  # rows per term, of the spilled postings
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
        if len(self._rows) >= BLOCK:
            self._spill_block()

    def __len__(self) -> int:
        return len(self._lengths)

    def _block(self) -> np.ndarray:
        """The postings not spilled yet."""
        block = np.empty(len(self._rows), dtype=POSTING)
        block["row"] = np.frombuffer(self._rows, dtype=np.int32)
        block["term"] = np.frombuffer(self._terms, dtype=np.int32)
        block["tf"] = np.frombuffer(self._tf, dtype=np.int32)
        return block

    def _spill_block(self) -> None:
        if not self._rows:
            return
        block = self._block()
        if self._spill is None:
            self._spill = self._temporary()
        self._spill.write(block.tobytes())
        self._spilled += len(block)
        df = np.bincount(block["term"], minlength=len(self.vocab))
        df[: len(self._df)] += self._df
        self._df = df
        self._rows, self._terms, self._tf = array("i"), array("i"), array("i")

    def _temporary(self):
        """A file without a name: it goes when closed, or when the process dies."""
        return tempfile.TemporaryFile(prefix=".postings-", dir=self._spill_dir)  # noqa: SIM115

    def _blocks(self):
        """The spilled postings in the order they were added, a block at a time."""
        self._spill.seek(0)
        while True:
            block = np.fromfile(self._spill, dtype=POSTING, count=BLOCK)
            if not len(block):
                return
            yield block

    def close(self) -> None:
        """Remove the temporary file (`save` does; call after an error)."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self._save(folder)
        finally:
            self.close()

    def _save(self, folder: Path) -> None:
        if self._spill is not None:
            self._spill_block()
        n = len(self._lengths)
        lengths = np.frombuffer(self._lengths, dtype=np.int32)
        avg = float(lengths.mean()) if n else 0.0
        df = np.zeros(len(self.vocab), dtype=np.int64)
        df[: len(self._df)] = self._df
        if self._rows:  # postings not spilled
            df += np.bincount(np.frombuffer(self._terms, dtype=np.int32), minlength=len(df))
        idf = np.array(
            [math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.tolist()], dtype=np.float32
        )
        indptr = np.zeros(len(self.vocab) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        total = int(indptr[-1])
        with (
            _NpyOut(folder / "docs.npy", np.int32, total) as docs,
            _NpyOut(folder / "scores.npy", np.float32, total) as scores,
        ):
            for postings in self._by_terms(indptr):
                # postings of a term stay in row order
                postings = postings[np.argsort(postings["term"], kind="stable")]
                rows, terms = postings["row"], postings["term"]
                tf = postings["tf"].astype(np.float32)
                norm = self.k1 * ((1 - self.b) + self.b * lengths[rows] / avg)
                weights = idf[terms].astype(np.float64) * (tf / (norm + tf))
                docs.write(rows)
                scores.write(weights.astype(np.float32))
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        np.save(folder / "indptr.npy", indptr, allow_pickle=False)
        params = {"k1": self.k1, "b": self.b, "size": n, "avg_length": avg}
        (folder / "params.json").write_text(json.dumps(params), encoding="utf-8")

    def _by_terms(self, indptr: np.ndarray):
        """All postings, one contiguous range of term ids after another, each range
        with at most PASS postings (or one term; more when there would be more than
        MAX_PASSES ranges) and its postings in the order added."""
        if self._spill is None:  # all in memory still
            if self._rows:
                yield self._block()
            return
        size = max(PASS, -(-self._spilled // MAX_PASSES))
        if self._spilled <= size:
            yield np.concatenate(list(self._blocks()))
            return
        starts = [0]  # first term of each range
        while starts[-1] < len(indptr) - 1:
            first = starts[-1]
            end = int(np.searchsorted(indptr, indptr[first] + size, side="right")) - 1
            starts.append(min(max(end, first + 1), len(indptr) - 1))
        bounds = np.asarray(starts[1:-1], dtype=np.int64)
        buckets = [self._temporary() for _ in starts[:-1]]
        try:
            for block in self._blocks():
                which = np.searchsorted(bounds, block["term"], side="right")
                order = np.argsort(which, kind="stable")
                ends = np.cumsum(np.bincount(which, minlength=len(buckets)))
                block = block[order]
                for k, (a, b) in enumerate(zip(np.r_[0, ends[:-1]], ends, strict=True)):
                    if b > a:
                        buckets[k].write(block[a:b].tobytes())
            for fh in buckets:
                fh.seek(0)
                yield np.fromfile(fh, dtype=POSTING)
                fh.close()
        finally:
            for fh in buckets:
                fh.close()


class _NpyOut:
    """A 1-d .npy file written front to back (what np.save would write), so that no
    more than one piece of it is in memory."""

    def __init__(self, path: Path, dtype: type, length: int) -> None:
        self.path, self.dtype, self.length = Path(path), np.dtype(dtype), length
        self.written = 0

    def __enter__(self) -> _NpyOut:
        self._fh = open(self.path, "wb")  # noqa: SIM115  closed in __exit__
        write_npy_header(self._fh, self.dtype, (self.length,))
        return self

    def write(self, values: np.ndarray) -> None:
        self._fh.write(np.ascontiguousarray(values, dtype=self.dtype).tobytes())
        self.written += len(values)

    def __exit__(self, *exc: object) -> None:
        self._fh.close()
        if exc[0] is None and self.written != self.length:
            raise ValueError(f"{self.path}: {self.written} values written, {self.length} expected")


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
