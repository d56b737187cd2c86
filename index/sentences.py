"""Vectors of every evidence unit (`policyqa.ingest.units`), in chunk order.

    sentences/vectors.npy   float16, one row per unit, a chunk's rows read when asked for
    sentences/offsets.npy   int64, units of chunk row r are [offsets[r], offsets[r+1])

Half precision halves the file and the memory a query touches; cosines keep
three significant digits, more than the ranking needs.
"""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np

from policyqa.errors import IndexDamagedError

from .fileread import RangeReader
from .vectorfile import raw_to_npy

FILES = ("sentences/vectors.npy", "sentences/offsets.npy")


class SentenceVectorsWriter:
    """Appends the unit vectors of one chunk at a time to a raw file; `close`
    turns it into an .npy without holding all vectors in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder) / "sentences"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._raw = self.folder / ".vectors.raw"
        self._fh = open(self._raw, "wb")  # noqa: SIM115  closed in close()
        self._offsets = array("q", [0])
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
        n = self._offsets[-1]
        raw_to_npy(self._raw, self.folder / "vectors.npy", np.float16, n, self._dim or dim)
        np.save(self.folder / "offsets.npy", np.frombuffer(self._offsets, dtype=np.int64))


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
        # rows are read, not taken from the map (which only gives the shape and where
        # the rows start): a map would keep every page questions touched resident
        try:
            self._file = RangeReader(self.folder / "vectors.npy")
        except OSError as exc:
            raise IndexDamagedError(self.folder, f"sentence vectors unreadable ({exc})") from exc
        self._start = int(self.vectors.offset)
        self._row = self.vectors.shape[1] * self.vectors.dtype.itemsize

    def of(self, row: int) -> np.ndarray:
        """The unit vectors of chunk row `row`, as float32."""
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        if b <= a:
            return np.zeros((0, self.vectors.shape[1]), dtype=np.float32)
        data = self._file.read(self._start + a * self._row, (b - a) * self._row)
        if len(data) != (b - a) * self._row:
            raise IndexDamagedError(self.folder / "vectors.npy", "shorter than its offsets")
        rows = np.frombuffer(data, dtype=self.vectors.dtype).reshape(b - a, -1)
        return rows.astype(np.float32)

    def close(self) -> None:
        self._file.close()
