"""The generation's writers hold a bounded amount in memory: keyword postings
spill to an unnamed file and are sorted one range of terms at a time, vector
files are copied into their .npy through a small buffer. Whatever the block
sizes, the files written are byte for byte those of an all-in-memory build."""

from __future__ import annotations

import filecmp
import os
import random
from pathlib import Path

import numpy as np
import pytest

from policyqa.index import lexical
from policyqa.index.lexical import FILES, LexicalBuilder, LexicalIndex
from policyqa.index.sentences import SentenceVectors, SentenceVectorsWriter
from policyqa.index.vectorfile import VectorFileWriter


def _rows(n: int = 3000, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"词{i}" for i in range(400)]
    rows = []
    for _ in range(n):
        length = rng.choice([0, 1, 5, 30, 90])
        vocab = words[: rng.choice([3, 40, 400])]  # a few terms in most rows, many rare ones
        rows.append([rng.choice(vocab) for _ in range(length)])
    return rows


def _build(folder: Path, rows: list[list[str]], spill: Path) -> None:
    builder = LexicalBuilder(spill_dir=spill)
    for terms in rows:
        builder.add(terms)
    builder.save(folder)


@pytest.mark.unit
@pytest.mark.parametrize(("block", "per_pass", "passes"), [(50, 7, 4), (211, 1000, 256), (1, 1, 2)])
def test_spilled_keyword_index_equals_the_in_memory_one(
    tmp_path, monkeypatch, block, per_pass, passes
) -> None:
    rows = _rows()
    spill = tmp_path / "spill"
    spill.mkdir()
    _build(tmp_path / "memory", rows, spill)  # default sizes: nothing spills
    monkeypatch.setattr(lexical, "BLOCK", block)
    monkeypatch.setattr(lexical, "PASS", per_pass)
    monkeypatch.setattr(lexical, "MAX_PASSES", passes)
    _build(tmp_path / "spilled", rows, spill)

    for name in FILES:
        assert filecmp.cmp(tmp_path / "memory" / name, tmp_path / "spilled" / name, shallow=False)
    assert os.listdir(spill) == []  # the spill files have no name and are gone
    index = LexicalIndex.load(tmp_path / "spilled")
    assert index.size == len(rows)
    assert index.doc_freq("词0") == sum("词0" in r for r in rows)
    scores = index.scores(["词1", "词399"])
    assert set(np.flatnonzero(scores)) == {
        i for i, r in enumerate(rows) if {"词1", "词399"} & set(r)
    }


@pytest.mark.unit
def test_postings_in_memory_stay_under_one_block(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(lexical, "BLOCK", 100)
    builder = LexicalBuilder(spill_dir=tmp_path)
    for terms in _rows(2000):
        builder.add(terms)
        assert len(builder._rows) < 100
    assert builder._spilled > 10_000
    builder.close()


@pytest.mark.unit
@pytest.mark.parametrize("n", [0, 1, 70_001])
def test_vector_files_are_what_numpy_saves(tmp_path, n) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, 8), dtype=np.float32)
    writer = VectorFileWriter(tmp_path / "v.npy")
    for i in range(0, n, 999):
        writer.add(vectors[i : i + 999])
    writer.close(8)
    np.save(tmp_path / "expected.npy", vectors)
    assert filecmp.cmp(tmp_path / "v.npy", tmp_path / "expected.npy", shallow=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["expected.npy", "v.npy"]  # no .raw


@pytest.mark.unit
def test_unit_vectors_are_what_numpy_saves(tmp_path) -> None:
    rng = np.random.default_rng(1)
    per_chunk = [rng.standard_normal((k, 8), dtype=np.float32) for k in (2, 0, 5, 1)]
    writer = SentenceVectorsWriter(tmp_path)
    for vectors in per_chunk:
        writer.add(vectors)
    writer.close(8)
    expected = np.concatenate(per_chunk).astype(np.float16)
    np.save(tmp_path / "expected.npy", expected)
    folder = tmp_path / "sentences"
    assert filecmp.cmp(folder / "vectors.npy", tmp_path / "expected.npy", shallow=False)
    assert np.load(folder / "offsets.npy").tolist() == [0, 2, 2, 7, 8]
    assert not list(folder.glob(".*"))
    stored = SentenceVectors(tmp_path, len(per_chunk))
    assert np.array_equal(stored.of(2), per_chunk[2].astype(np.float16).astype(np.float32))


def _resident_kib(path: Path) -> int:
    """KiB of `path` mapped and resident in this process (Linux)."""
    total, current = 0, None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:
            current = fields[5] if len(fields) > 5 else None
        elif fields[0] == "Rss:" and current == str(path):
            total += int(fields[1])
    return total


@pytest.mark.unit
@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_rows_read_by_questions_stay_out_of_the_process(tmp_path) -> None:
    """A serving process reads chunk rows and unit vectors; mapping their files
    would keep every page read resident, the whole file after enough questions."""
    from policyqa.documents import Chunk
    from policyqa.index.chunkstore import ChunkStore, ChunkStoreWriter

    rng = np.random.default_rng(2)
    writer, units = ChunkStoreWriter(tmp_path), SentenceVectorsWriter(tmp_path)
    chunks = []
    for i in range(3000):
        text = f"成渝地区产业协同第{i}条。" * 20
        chunk = Chunk("d", "标题", "h", i, i + len(text), text, "1 引言", "text", "")
        chunks.append(chunk)
        writer.add(chunk)
        units.add(rng.standard_normal((3, 64), dtype=np.float32))
    writer.close()
    units.close(64)
    store, vectors = ChunkStore(tmp_path), SentenceVectors(tmp_path, len(chunks))
    try:
        for row in range(len(chunks)):
            assert store.chunk(row).text == chunks[row].text
            assert vectors.of(row).shape == (3, 64)
        assert _resident_kib(tmp_path / "chunks.jsonl") == 0
        assert _resident_kib(tmp_path / "sentences" / "vectors.npy") == 0
    finally:
        store.close()
        vectors.close()
