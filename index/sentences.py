"""Vectors of every evidence unit (`policyqa.ingest.units`), in chunk order.

    sentences/vectors.npy   float16, one row per unit, memory-mapped when read
    sentences/offsets.npy   int64, units of chunk row r are [offsets[r], offsets[r+1])

Half precision halves the file and the memory a query touches; cosines keep
three significant digits, more than the ranking needs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from policyqa.errors import IndexDamagedError

FILES = ("sentences/vectors.npy", "sentences/offsets.npy")


class SentenceVectorsWriter:
    """Appends the unit vectors of one chunk at a time to a raw file; `close`
    turns it into an .npy without holding all vectors in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder) / "sentences"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._raw = self.folder / ".vectors.raw"
        self._fh = open(self._raw, "wb")  # noqa: SIM115  closed in close()
        self._offsets = [0]
        self._dim = 0

    def add(self, vectors: np.ndarray) -> None:
        """The unit vectors of the next chunk (zero rows for a chunk without units)."""
        vectors = np.asarray(vectors, dtype=np.float16)
        if len(vectors):
            self._dim = vectors.shape[1]
            self._fh.write(np.ascontiguousarray(vectors).tobytes())
        self._offsets.append(self._offsets[-1] + len(vectors))

    def close(self, dim: int) -> None:
        self._fh.close()
        dim = self._dim or dim
        n = self._offsets[-1]
        out = np.lib.format.open_memmap(
            self.folder / "vectors.npy", mode="w+", dtype=np.float16, shape=(n, dim)
        )
        block = 65536
        with open(self._raw, "rb") as fh:
            for i in range(0, n, block):
                rows = min(block, n - i)
                out[i : i + rows] = np.frombuffer(
                    fh.read(rows * dim * 2), dtype=np.float16
                ).reshape(rows, dim)
        out.flush()
        del out
        os.unlink(self._raw)
        np.save(self.folder / "offsets.npy", np.asarray(self._offsets, dtype=np.int64))


class SentenceVectors:
    def __init__(self, folder: Path, chunks: int) -> None:
        self.folder = Path(folder) / "sentences"
        try:
            self.vectors = np.load(self.folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
            self.offsets = np.load(self.folder / "offsets.npy", allow_pickle=False)
            agree = len(self.offsets) == chunks + 1 and int(self.offsets[-1]) == len(self.vectors)
        except (OSError, ValueError, TypeError, IndexError) as exc:
            raise IndexDamagedError(self.folder, f"sentence vectors unreadable ({exc})") from exc
        if not agree or self.vectors.ndim != 2:
            raise IndexDamagedError(self.folder, "sentence vectors disagree with the chunk store")

    def of(self, row: int) -> np.ndarray:
        """The unit vectors of chunk row `row`, as float32."""
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        return np.asarray(self.vectors[a:b], dtype=np.float32)
