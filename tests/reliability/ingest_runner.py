"""Ingest in another process, so tests can SIGKILL it or race it.

    python -m tests.reliability.ingest_runner ingest HOME CORPUS [--sleep S] [--gate FILE]
    python -m tests.reliability.ingest_runner hold-lock HOME
    python -m tests.reliability.ingest_runner fork-server HOME CORPUS [--sleep S]

`ingest` runs one ingest and prints its summary as JSON (exit 3 with the message
when the writer lock is taken); with `--gate` it prints "embedding" at its first
batch and waits there, lock held, until the gate file exists. `hold-lock` takes
the writer lock, prints "locked" and sleeps. `fork-server` pays the imports once,
then forks one real child process per "fork TAG" line read on stdin and prints
the child's pid; the child ingests, appends each stage it enters to
DIR/TAG.stages and writes its summary to DIR/TAG.json when done. The crash test
kills these children.

The embedder is the conftest's hash-seeded fake (same vectors, same name)
with a sleep per batch, so a kill can land while batches are being embedded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

STAGES = ("start", "locked", "parse", "embed", "chroma", "keyword", "manifest", "done")


class SlowFakeEmbedder:
    """The conftest FakeEmbedder's vectors, `sleep` seconds per batch."""

    name = "fake-embedder"

    def __init__(self, dim: int = 32, sleep: float = 0.0, on_batch=None, gate: str = "") -> None:
        self._dim = dim
        self.sleep = sleep
        self.on_batch = on_batch
        self.gate = Path(gate) if gate else None

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.on_batch:
            self.on_batch()
        if self.gate and not self.gate.exists():
            print("embedding", flush=True)
            while not self.gate.exists():  # hold the ingest, lock and all, until the test says go
                time.sleep(0.02)
        time.sleep(self.sleep)
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode("utf-8")).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self._dim)
            out[i] = v / np.linalg.norm(v)
        return out


def _settings(home: str, corpus: str):
    from policyqa.settings import Settings

    # embed_batch 1: the builder embeds 8 chunks per call, so one ingest makes many calls
    return Settings.from_env(
        home=Path(home), corpus=Path(corpus), embed_model="fake-embedder", embed_batch=1
    )


def _tokenizer(home: str):
    from policyqa.language import Tokenizer

    return Tokenizer(cache_dir=Path(home).parent / "jieba-cache")


def _summary_json(s) -> dict:
    return {
        "generation": s.generation,
        "files": s.files,
        "chunks": s.chunks,
        "embedded": s.embedded,
        "errors": s.errors,
        "stale_lock": s.stale_lock,
        "pid": os.getpid(),
    }


def run_ingest(home: str, corpus: str, sleep: float, gate: str = "") -> int:
    from policyqa.errors import IngestLockedError
    from policyqa.indexing import ingest

    settings, tokenizer = _settings(home, corpus), _tokenizer(home)
    print("start", flush=True)
    try:
        summary = ingest(settings, SlowFakeEmbedder(sleep=sleep, gate=gate), tokenizer)
    except IngestLockedError as exc:
        print(json.dumps({"locked": str(exc)}, ensure_ascii=False), flush=True)
        return 3
    print(json.dumps(_summary_json(summary), ensure_ascii=False), flush=True)
    return 0


def hold_lock(home: str) -> int:
    from policyqa.index.lock import WriterLock

    with WriterLock(Path(home)):
        print("locked", flush=True)
        time.sleep(3600)
    return 0


def _traced_ingest(settings, tokenizer, sleep: float, stages: Path, result: Path) -> None:
    """One ingest that appends the stage it enters to `stages` (unbuffered)."""
    import policyqa.index.builder as builder
    import policyqa.indexing as indexing
    from policyqa.index.chroma_store import ChromaStore
    from policyqa.index.lexical import LexicalBuilder

    fd = os.open(stages, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    seen: set[str] = set()

    def mark(stage: str) -> None:
        if stage not in seen:
            seen.add(stage)
            os.write(fd, f"{stage} {time.monotonic():.6f}\n".encode())

    class TracedLock(indexing.WriterLock):
        def __enter__(self):
            got = super().__enter__()
            mark("locked")
            return got

    add, save, write_manifest = ChromaStore.add, LexicalBuilder.save, builder.write_manifest

    def traced_add(self, chunks, vectors, industries):
        mark("chroma")
        return add(self, chunks, vectors, industries)

    def traced_save(self, folder):  # the keyword views are written when the chunks are
        mark("keyword")
        return save(self, folder)

    def traced_manifest(*args, **kwargs):  # the switch to the new generation
        mark("manifest")
        return write_manifest(*args, **kwargs)

    indexing.WriterLock = TracedLock
    ChromaStore.add = traced_add
    LexicalBuilder.save = traced_save
    builder.write_manifest = traced_manifest
    mark("start")
    summary = indexing.ingest(
        settings,
        SlowFakeEmbedder(sleep=sleep, on_batch=lambda: mark("embed")),
        tokenizer,
        progress=lambda stage, done, total: mark(stage),
    )
    tmp = result.with_suffix(".tmp")
    tmp.write_text(json.dumps(_summary_json(summary), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, result)
    mark("done")


def fork_server(home: str, corpus: str, sleep: float, folder: str) -> int:
    import chromadb  # noqa: F401 - imported once here, not in every child

    import policyqa.indexing  # noqa: F401

    settings, tokenizer = _settings(home, corpus), _tokenizer(home)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, _, tag = line.strip().partition(" ")
        if cmd != "fork":
            break
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                out = Path(folder)
                _traced_ingest(
                    settings, tokenizer, sleep, out / f"{tag}.stages", out / f"{tag}.json"
                )
            except BaseException as exc:  # report to the test, which fails on it
                Path(folder, f"{tag}.error").write_text(repr(exc), encoding="utf-8")
                code = 1
            finally:
                os._exit(code)
        print(pid, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=("ingest", "hold-lock", "fork-server"))
    p.add_argument("home")
    p.add_argument("corpus", nargs="?", default="")
    p.add_argument("--sleep", type=float, default=0.0, help="seconds per embedded batch")
    p.add_argument("--folder", default="", help="fork-server: where children write")
    p.add_argument("--gate", default="", help="ingest: embed only once this file exists")
    a = p.parse_args(argv)
    if a.command == "ingest":
        return run_ingest(a.home, a.corpus, a.sleep, a.gate)
    if a.command == "hold-lock":
        return hold_lock(a.home)
    return fork_server(a.home, a.corpus, a.sleep, a.folder)


if __name__ == "__main__":
    sys.exit(main())
