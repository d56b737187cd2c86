"""Byte ranges of an index file, read on demand without mapping the file.

A memory map keeps every page a question touched resident in the process (with
the kernel's read-around, much more than the bytes asked for): after enough
questions a serving process holds the whole file, gigabytes at a million
chunks. Reading the rows a question needs keeps them in the page cache only.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


class RangeReader:
    """Reads `n` bytes at `offset`; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh = open(self.path, "rb")  # noqa: SIM115  closed in close()
        self._lock = threading.Lock()  # only where there is no pread

    @property
    def size(self) -> int:
        return os.fstat(self._fh.fileno()).st_size

    def read(self, offset: int, n: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self._fh.fileno(), n, offset)
        with self._lock:
            self._fh.seek(offset)
            return self._fh.read(n)

    def close(self) -> None:
        self._fh.close()
