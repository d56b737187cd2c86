"""Row vectors written one batch at a time and saved as an .npy file, without
holding them all in memory: raw rows go to a hidden file, `close` copies them
into the .npy a block at a time. The generation keeps the chunk vectors it gave
Chroma this way (`chunks.vectors.npy`), so that Chroma can be verified and
rebuilt from them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

BLOCK_BYTES = 1 << 22


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
        raw_to_npy(self._raw, self.path, self.dtype, self.rows, self.dim or dim)


def raw_to_npy(raw: Path, path: Path, dtype: np.dtype, rows: int, dim: int) -> None:
    """Copy raw rows into an .npy file (what np.save writes) and remove the raw file.
    The copy goes through a small buffer, not a memory map: no more than a block
    of the file is ever resident in this process."""
    dtype = np.dtype(dtype)
    if os.path.getsize(raw) != rows * dim * dtype.itemsize:
        raise ValueError(f"{raw}: {os.path.getsize(raw)} bytes, not {rows} rows of {dim}")
    with open(path, "wb") as out, open(raw, "rb") as fh:
        write_npy_header(out, dtype, (rows, dim))
        shutil.copyfileobj(fh, out, BLOCK_BYTES)
    os.unlink(raw)


def write_npy_header(fh, dtype: np.dtype, shape: tuple[int, ...]) -> None:
    """The header np.save writes for a C-ordered array: the data follows it as raw bytes."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False}
    np.lib.format.write_array_header_1_0(fh, {**header, "shape": shape})
