"""The chunks of a generation on disk: one JSON line per chunk, each read when
asked for (`fileread`, no memory map), with numpy columns for filtering and an
id lookup by binary search. Serving memory depends on the number of chunks,
not on their text.

    chunks.jsonl          {"text": …, metadata…} per row, in ingest order
    chunks.offsets.npy    int64 byte offset of every row, plus the end
    columns/*.npy         doc, section, role, kind, industries (codes), page
    columns/names.json    the strings behind each code column
    ids.npy               chunk ids (S32), sorted; ids.rows.npy: their rows
"""

from __future__ import annotations

import json
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from policyqa.documents import Chunk
from policyqa.errors import IndexDamagedError

from .fileread import RangeReader

CODED = ("doc", "section", "role", "kind", "industries")
FILES = (
    "chunks.jsonl",
    "chunks.offsets.npy",
    "ids.npy",
    "ids.rows.npy",
    "columns/names.json",
    "columns/page.npy",
    *(f"columns/{c}.npy" for c in CODED),
)


class ChunkStoreWriter:
    """Appends rows; `close` writes the offsets, columns and id index."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        (self.folder / "columns").mkdir(parents=True, exist_ok=True)
        self._fh = open(self.folder / "chunks.jsonl", "wb")  # noqa: SIM115  closed in close()
        # compact columns: a few bytes per row, not a Python object per value
        self._offsets = array("q", [0])
        self._names: dict[str, dict[str, int]] = {c: {} for c in CODED}
        self._codes: dict[str, array] = {c: array("i") for c in CODED}
        self._pages = array("i")
        self._ids = bytearray()  # 32 bytes per row, as the S32 column it becomes

    def add(self, chunk: Chunk) -> None:
        line = json.dumps({"text": chunk.text, **chunk.metadata()}, ensure_ascii=False) + "\n"
        data = line.encode("utf-8")
        self._fh.write(data)
        self._offsets.append(self._offsets[-1] + len(data))
        values = {
            "doc": chunk.doc_id,
            "section": chunk.section,
            "role": chunk.role,
            "kind": chunk.kind,
            "industries": chunk.industries,
        }
        for col, value in values.items():
            names = self._names[col]
            self._codes[col].append(names.setdefault(value, len(names)))
        self._pages.append(chunk.page)
        self._ids += chunk.chunk_id.encode("ascii")[:32].ljust(32, b"\0")

    def __len__(self) -> int:
        return len(self._pages)

    def close(self) -> None:
        self._fh.close()
        cols = self.folder / "columns"
        np.save(self.folder / "chunks.offsets.npy", np.frombuffer(self._offsets, dtype=np.int64))
        for col in CODED:
            np.save(cols / f"{col}.npy", np.frombuffer(self._codes[col], dtype=np.int32))
        np.save(cols / "page.npy", np.frombuffer(self._pages, dtype=np.int32))
        names = {c: sorted(n, key=n.__getitem__) for c, n in self._names.items()}
        (cols / "names.json").write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
        ids = np.frombuffer(self._ids, dtype="S32")
        order = np.argsort(ids, kind="stable")
        np.save(self.folder / "ids.npy", ids[order])
        np.save(self.folder / "ids.rows.npy", order.astype(np.int64))


class ChunkStore:
    """Read-only rows of one generation."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        try:
            self._offsets = np.load(self.folder / "chunks.offsets.npy", allow_pickle=False)
            cols = self.folder / "columns"
            self.names: dict[str, list[str]] = json.loads(
                (cols / "names.json").read_text(encoding="utf-8")
            )
            self.columns = {c: np.load(cols / f"{c}.npy", allow_pickle=False) for c in CODED}
            self.columns["page"] = np.load(cols / "page.npy", allow_pickle=False)
            self._ids = np.load(self.folder / "ids.npy", mmap_mode="r", allow_pickle=False)
            self._id_rows = np.load(self.folder / "ids.rows.npy", mmap_mode="r", allow_pickle=False)
            size = len(self._offsets) - 1
            lengths = {len(c) for c in self.columns.values()} | {len(self._ids), len(self._id_rows)}
        except (OSError, ValueError, TypeError) as exc:
            raise IndexDamagedError(self.folder, f"chunk store unreadable ({exc})") from exc
        if lengths != {size} or not isinstance(self.names, dict):
            raise IndexDamagedError(self.folder, "chunk store columns disagree in length")
        try:
            self._rows = RangeReader(self.folder / "chunks.jsonl")  # closed in close()
            stored = self._rows.size
        except OSError as exc:
            raise IndexDamagedError(self.folder / "chunks.jsonl", f"unreadable ({exc})") from exc
        if stored != int(self._offsets[-1]):
            self.close()
            raise IndexDamagedError(self.folder / "chunks.jsonl", "size differs from its offsets")
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._lock = threading.Lock()  # the cache is shared by concurrent questions

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def chunk(self, row: int) -> Chunk:
        with self._lock:
            hit = self._cache.get(row)
            if hit is not None:
                self._cache.move_to_end(row)
                return hit
        a, b = int(self._offsets[row]), int(self._offsets[row + 1])
        try:
            d = json.loads(self._rows.read(a, b - a).decode("utf-8"))
            chunk = Chunk.from_metadata(d.pop("text"), d)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexDamagedError(self.folder / "chunks.jsonl", f"row {row} unreadable") from exc
        with self._lock:
            self._cache[row] = chunk
            if len(self._cache) > 4096:
                self._cache.popitem(last=False)
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        for row in range(len(self)):
            yield self.chunk(row)

    def row_of(self, chunk_id: str) -> int | None:
        key = chunk_id.encode("ascii", "replace")[:32]
        i = int(np.searchsorted(self._ids, key))
        if i < len(self._ids) and self._ids[i] == key and len(chunk_id) == 32:
            return int(self._id_rows[i])
        return None

    def rows_where(self, column: str, values: list[str]) -> np.ndarray:
        """Boolean mask of rows whose coded column holds one of values."""
        wanted = set(values)
        codes = [i for i, name in enumerate(self.names[column]) if name in wanted]
        return np.isin(self.columns[column], codes)

    def value(self, column: str, row: int) -> str:
        return self.names[column][int(self.columns[column][row])]

    def close(self) -> None:
        self._rows.close()
