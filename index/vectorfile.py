"""Row vectors written one batch at a time and saved as an .npy file, without
holding them all in memory: raw rows go to a hidden file, `close` copies them
into the .npy. The generation keeps the chunk vectors it gave Chroma this way
(`chunks.vectors.npy`), so that Chroma can be verified and rebuilt from them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

BLOCK_ROWS = 65536


class VectorFileWriter:
    def __init__(self, path: Path, dtype: type = np.float32) -> None:
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self._raw = self.path.with_name(f".{self.path.name}.raw")
        self._fh = open(self._raw, "wb")  # noqa: SIM115  closed in close()
        self.rows = 0
        self.dim = 0

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=self.dtype)
        if len(vectors):
            self.dim = vectors.shape[1]
            self._fh.write(vectors.tobytes())
            self.rows += len(vectors)

    def close(self, dim: int) -> None:
        """Write the .npy (`dim` when no row was added) and remove the raw file."""
        self._fh.close()
        dim = self.dim or dim
        out = np.lib.format.open_memmap(
            self.path, mode="w+", dtype=self.dtype, shape=(self.rows, dim)
        )
        row = dim * self.dtype.itemsize
        with open(self._raw, "rb") as fh:
            for i in range(0, self.rows, BLOCK_ROWS):
                n = min(BLOCK_ROWS, self.rows - i)
                out[i : i + n] = np.frombuffer(fh.read(n * row), dtype=self.dtype).reshape(n, dim)
        out.flush()
        del out
        os.unlink(self._raw)
