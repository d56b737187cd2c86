"""Helpers of the fault-injection suite (test_damage.py): a pristine index to copy,
ways to damage a file, and what a healthy index must answer."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from policyqa.app import PolicyQA
from policyqa.index.chunkstore import FILES as CHUNK_FILES
from policyqa.index.docstore import FILES as DOC_FILES
from policyqa.index.lexical import FILES as LEXICAL_FILES
from policyqa.index.manifest import VECTORS
from policyqa.index.sentences import FILES as SENTENCE_FILES
from policyqa.settings import Settings
from tests.conftest import ROOT, FakeEmbedder

# every kind of file a generation consists of (test_damage checks none is left out)
KINDS = (
    *CHUNK_FILES,
    *DOC_FILES,
    *(f"bm25/{name}" for name in LEXICAL_FILES),
    *(f"bigram/{name}" for name in LEXICAL_FILES),
    *SENTENCE_FILES,
    VECTORS,
)
MODES = ("truncate", "flip", "delete", "replace")
QUESTIONS = (
    "成渝新能源汽车本地配套率是多少？",
    "针对产业链薄弱有什么对策？",
    "动力电池本地配套不足怎么办？",
)
TIMING = ("seconds", "elapsed", "ms")  # keys of timings in an answer, if any appear


def damage(path: Path, mode: str, other: Path | None = None) -> None:
    """Truncate to half, flip bytes in the middle, delete, or replace with `other`."""
    if mode == "truncate":
        os.truncate(path, path.stat().st_size // 2)
    elif mode == "flip":
        data = bytearray(path.read_bytes())
        at = len(data) // 2
        for i in range(at, min(at + 2, len(data))):
            data[i] ^= 0xA5
        path.write_bytes(bytes(data))
    elif mode == "delete":
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    elif mode == "replace":
        shutil.copyfile(other, path)
    else:
        raise ValueError(mode)


def without_timing(value: object) -> object:
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


@dataclass(frozen=True)
class Chunks:
    rows: list[str]  # chunk ids in row order
    chroma: list[str]  # ids in the collection, sorted


@dataclass(frozen=True)
class Observed:
    answers: list[dict]  # `policyqa ask --json` of every question
    chunks: Chunks


def observe(settings: Settings, tokenizer) -> Observed:
    """What the index answers, through the facade the CLI uses, and its chunks."""
    qa = PolicyQA(settings, FakeEmbedder(), tokenizer)
    found = [without_timing(qa.ask(q).to_dict()) for q in QUESTIONS]
    gen = qa.retriever().generation
    chunks = Chunks([c.chunk_id for c in gen.chunks], sorted(gen.chroma.ids()))
    return Observed(found, chunks)


def assert_same(settings: Settings, tokenizer, before: Observed) -> None:
    """Answers identical to before; no chunk lost, duplicated or reordered."""
    after = observe(settings, tokenizer)
    assert after.answers == before.answers, "answers changed"
    rows = after.chunks.rows
    assert len(rows) == len(set(rows)), "a chunk is duplicated"
    assert rows == before.chunks.rows, "chunks lost, added or reordered"
    assert after.chunks.chroma == sorted(rows), "Chroma lost or gained ids"


def copy_home(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def one_line_naming(stderr: str, name: str) -> None:
    """What a damaged index prints: one line, naming the file and the fix."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and name in lines[0], stderr
    assert "policyqa ingest" in lines[0], stderr


def paper_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for f in (ROOT / "corpus").iterdir():
        shutil.copy(f, folder / f.name)
    return folder
