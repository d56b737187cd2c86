"""SIGKILL ingests at every stage: the live index must answer exactly as before,
the next ingest must finish, and Chroma, chunks.jsonl, BM25 and the manifest
must always agree.

Each trial edits the corpus (replaces, modifies or adds a file), forks a real
ingest process, waits until it enters a target stage (lock taken, parsing,
embedding, writing Chroma, writing the keyword index, switching the manifest),
waits a random part of that stage's usual length and kills it with SIGKILL. The
targets cycle, so every stage is hit several times; `POLICYQA_RELIABILITY_KILLS`
sets the number of trials. At the end the index that survived every kill must
equal a clean build of the final corpus.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import pytest

from policyqa.errors import IngestLockedError
from policyqa.index.chroma_store import ChromaStore
from policyqa.index.generation import gen_dir
from policyqa.index.lexical import LexicalIndex
from policyqa.index.manifest import NAME as MANIFEST
from policyqa.index.manifest import Manifest
from policyqa.index.retriever import HybridRetriever
from policyqa.indexing import ingest
from policyqa.ingest.corpus import discover
from policyqa.language import Tokenizer
from policyqa.settings import Settings
from tests.conftest import ROOT, FakeEmbedder
from tests.fixtures import SYNTHETIC_PLAN, load_chunks, read_manifest
from tests.reliability.figures import record

pytestmark = pytest.mark.slow

TRIALS = int(os.environ.get("POLICYQA_RELIABILITY_KILLS", "20"))
TARGETS = ("start", "locked", "parse", "embed", "chroma", "keyword", "manifest")
QUERIES = ("动力电池 本地配套", "产业链关键环节薄弱", "订单式培养 产业学院", "区域协同 利益共享")
RUNNER = [sys.executable, "-m", "tests.reliability.ingest_runner"]
SLEEP_PER_BATCH = "0.05"


@dataclass
class State:
    generation: int
    manifest: Manifest
    results: dict  # mode -> [[(chunk_id, score), ...] per query]
    files: dict  # path in the generation folder -> sha256 of its bytes


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def observe(settings: Settings, tokenizer) -> State:
    """Check the live generation is whole and consistent; return what it answers.

    Every Chroma client opened here is closed again, so the next look reads the
    files on disk instead of a client cached in this process."""
    manifest = read_manifest(settings)
    generation = manifest.generation
    folder = gen_dir(settings.index_dir, generation)
    chunks = load_chunks(folder)
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
        lines = sum(1 for _ in fh)
    bm25 = LexicalIndex.load(folder / "bm25")
    bigram = LexicalIndex.load(folder / "bigram")
    store = ChromaStore.open("", settings.chroma_dir, settings.collection, generation)
    try:
        chroma_ids = store.collection.get(include=[])["ids"]
        count = store.count()
    finally:
        store.client.close()
    sizes = {
        "chroma": count,
        "chroma ids": len(chroma_ids),
        "chunks.jsonl": lines,
        "bm25": bm25.size,
        "bigram": bigram.size,
        "manifest": manifest.chunk_count,
        "manifest files": sum(f.chunks for f in manifest.files.values()),
    }
    assert set(sizes.values()) == {len(ids)}, sizes
    assert set(chroma_ids) == set(ids), "a chunk is orphaned between Chroma and chunks.jsonl"
    docs = json.loads((folder / "docs.index.json").read_text(encoding="utf-8"))
    assert {d["path"] for d in docs} == set(manifest.files)
    with open(folder / "docs.jsonl", encoding="utf-8") as fh:
        assert [json.loads(line)["doc_id"] for line in fh] == [d["doc_id"] for d in docs]
    assert {c.doc_id for c in chunks} <= {f.doc_id for f in manifest.files.values()}

    results = {}
    for mode in ("lexical", "dense"):
        retriever = HybridRetriever(settings, FakeEmbedder(), tokenizer, mode=mode)
        try:
            results[mode] = [
                _ranking(retriever.search(q), exact=mode == "lexical") for q in QUERIES
            ]
        finally:
            retriever.generation.chroma.close()
    assert all(results["lexical"]), "every query finds passages"
    files = {str(p.relative_to(folder)): _sha(p) for p in folder.rglob("*") if p.is_file()}
    files[MANIFEST] = _sha(settings.index_dir / MANIFEST)
    return State(generation, manifest, results, files)


def _ranking(hits, exact: bool) -> list:
    """A search's result as compared across kills. Equal vectors (the fake embedder's
    duplicate texts) tie, and Chroma may return any of the tied: for vectors, the
    scores (the vectors themselves are compared after the kills)."""
    pairs = [(h.chunk.chunk_id, round(h.score, 9)) for h in hits]
    return pairs if exact else [score for _, score in pairs]


def vectors(settings: Settings, generation: int) -> dict[str, np.ndarray]:
    store = ChromaStore.open("", settings.chroma_dir, settings.collection, generation)
    try:
        got = store.collection.get(include=["embeddings"])
    finally:
        store.client.close()
    return {
        cid: np.asarray(v, dtype=np.float32)
        for cid, v in zip(got["ids"], got["embeddings"], strict=True)
    }


def assert_matches_corpus(settings: Settings, summary: dict) -> None:
    manifest = read_manifest(settings)
    failed = {path for path, _ in summary["errors"]}
    on_disk = {str(p) for p in discover([settings.corpus]).files}
    assert set(manifest.files) == on_disk - failed
    assert failed == {str(settings.corpus / "broken.pdf")}
    gens = {int(p.name[4:]) for p in settings.index_dir.glob("gen-*")}
    chroma = {int(p.name[1:]) for p in settings.chroma_dir.glob("g*")}
    live = manifest.generation
    assert gens | chroma <= {live, live - 1}, "a killed ingest left a generation behind"


def change_corpus(corpus: Path, trial: int) -> None:
    """Replace, modify or add a document: every ingest has chunks to embed and to drop."""
    extras = sorted(corpus.glob("plan-*.txt"))
    if trial % 3 == 0 and extras:
        extras[0].unlink()
    elif trial % 3 == 1 and extras:
        with open(extras[-1], "a", encoding="utf-8") as fh:
            fh.write(f"\n第七条 第{trial}次修订：新增人才公寓{trial}套。\n")
        return
    text = SYNTHETIC_PLAN.replace("某市", f"第{trial}号示范市").replace("三大", f"{trial}大")
    (corpus / f"plan-{trial:03d}.txt").write_text(text, encoding="utf-8")


class ForkServer:
    """The runner's fork server: one real child process per ingest, no import cost."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.folder = folder
        self.proc = subprocess.Popen(
            [
                *RUNNER,
                "fork-server",
                str(settings.home),
                str(settings.corpus),
                "--sleep",
                SLEEP_PER_BATCH,
                "--folder",
                str(folder),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def fork(self, tag: str) -> int:
        self.proc.stdin.write(f"fork {tag}\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def stages(self, tag: str) -> list[str]:
        return [stage for stage, _ in self.stage_times(tag)]

    def stage_times(self, tag: str) -> list[tuple[str, float]]:
        path = self.folder / f"{tag}.stages"
        if not path.exists():
            return []
        lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
        return [(stage, float(t)) for stage, t in lines]

    def durations(self, tag: str) -> dict[str, float]:
        """How long the ingest `tag` stayed in each stage."""
        times = self.stage_times(tag)
        return {a: tb - ta for (a, ta), (_, tb) in zip(times, times[1:], strict=False)}

    def result(self, tag: str) -> dict | None:
        error = self.folder / f"{tag}.error"
        assert not error.exists(), error.read_text()
        path = self.folder / f"{tag}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def wait_stage(self, tag: str, stage: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while stage not in self.stages(tag) and self.result(tag) is None:
            assert time.monotonic() < deadline, f"{tag} never reached {stage}"
            time.sleep(0.001)

    def run(self, tag: str, timeout: float = 120) -> dict:
        pid = self.fork(tag)
        deadline = time.monotonic() + timeout
        while (result := self.result(tag)) is None:
            assert time.monotonic() < deadline, f"ingest {tag} did not finish"
            time.sleep(0.01)
        wait_gone(pid)
        return result

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_gone(pid: int, timeout: float = 30) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).wait(timeout=timeout)


@pytest.fixture
def kill_settings(tmp_path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "synthetic-plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    (corpus / "plan-000.txt").write_text(SYNTHETIC_PLAN.replace("某市", "甲市"), encoding="utf-8")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<\x00\xff garbage")
    return Settings.from_env(home=tmp_path / "home", corpus=corpus, embed_model="fake-embedder")


def test_sigkill_at_every_stage_loses_nothing(kill_settings, tokenizer, tmp_path) -> None:
    settings = kill_settings
    folder = tmp_path / "trials"
    folder.mkdir()
    server = ForkServer(settings, folder)
    rng = random.Random(20250716)
    landed: dict[str, int] = {}
    survived = switched = lost = 0
    try:
        first = server.run("initial")
        durations = server.durations("initial")
        assert first["generation"] == 1
        assert_matches_corpus(settings, first)
        before = observe(settings, tokenizer)

        for trial in range(1, TRIALS + 1):
            change_corpus(settings.corpus, trial)
            tag = f"kill-{trial:02d}"
            target = TARGETS[trial % len(TARGETS)]
            pid = server.fork(tag)
            server.wait_stage(tag, target)
            # a random moment inside the stage, scaled by how long it took last time
            time.sleep(rng.uniform(0, 0.8 * durations.get(target, 0.005)))
            with contextlib.suppress(ProcessLookupError):  # it may have finished already
                os.kill(pid, signal.SIGKILL)
            wait_gone(pid)
            stages = server.stages(tag)
            finished = server.result(tag) is not None
            landed[stages[-1] if stages else "fork"] = (
                landed.get(stages[-1] if stages else "fork", 0) + 1
            )

            after = observe(settings, tokenizer)  # raises if anything is inconsistent
            if after.generation == before.generation:
                survived += 1
                if (after.results, after.files) != (before.results, before.files):
                    lost += 1
                assert after.results == before.results, f"{tag} ({stages}) changed answers"
                assert after.files == before.files, f"{tag} ({stages}) touched the live generation"
            else:  # killed after the switch: the new generation is whole (observe checked it)
                switched += 1
                assert "manifest" in stages and after.generation == before.generation + 1

            result = server.run(f"complete-{trial:02d}")
            durations = server.durations(f"complete-{trial:02d}") or durations
            if "locked" in stages and "manifest" not in stages and not finished:
                assert f"pid {pid}" in result["stale_lock"], (tag, stages, result)
            assert_matches_corpus(settings, result)
            before = observe(settings, tokenizer)
            assert before.generation == result["generation"]
    finally:
        server.close()

    # the index that survived all kills equals a clean build of the same corpus
    # (a fresh tokenizer, as the runner's: retrievers add thesaurus words to theirs)
    fresh = settings.with_(home=tmp_path / "fresh-home")
    ingest(fresh, FakeEmbedder(), Tokenizer(cache_dir=tmp_path / "jieba-cache"))
    clean = observe(fresh, tokenizer)
    assert clean.results["lexical"] == before.results["lexical"]
    # dense rankings may order equal vectors either way: compare the vectors themselves
    # (to float rounding: a vector copied into a new generation is normalised again)
    live, rebuilt = vectors(settings, before.generation), vectors(fresh, clean.generation)
    assert live.keys() == rebuilt.keys()
    assert all(np.allclose(live[k], rebuilt[k], rtol=0, atol=1e-6) for k in live)
    live_chunks = load_chunks(gen_dir(settings.index_dir, before.generation))
    clean_chunks = load_chunks(gen_dir(fresh.index_dir, clean.generation))
    assert sorted((c.chunk_id, c.text) for c in live_chunks) == sorted(
        (c.chunk_id, c.text) for c in clean_chunks
    )

    record(
        "kills",
        kills=TRIALS,
        last_stage_entered=landed,
        live_index_kept=survived,
        switched_before_the_kill=switched,
        answers_changed=lost,
    )
    assert survived + switched == TRIALS
    for stage in ("locked", "parse", "embed", "chroma", "keyword"):
        assert landed.get(stage, 0) >= 1, f"no kill landed while in {stage}: {landed}"


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*RUNNER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )


def test_lock_of_a_killed_holder_is_cleared(settings, fake_embedder, tokenizer) -> None:
    holder = _start("hold-lock", str(settings.home))
    assert holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    lock = json.loads((settings.home / "ingest.lock").read_text())
    assert lock["pid"] == holder.pid  # the dead holder's record is still there

    summary = ingest(settings, fake_embedder, tokenizer)
    assert summary.ok and summary.chunks > 0
    assert f"pid {holder.pid}" in summary.stale_lock
    assert ingest(settings, fake_embedder, tokenizer).stale_lock == ""


def test_live_lock_refuses_an_ingest_in_another_process(settings, fake_embedder, tokenizer):
    holder = _start("hold-lock", str(settings.home))
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = subprocess.run(
            [*RUNNER, "ingest", str(settings.home), str(settings.corpus)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        assert second.returncode == 3, second.stderr
        message = json.loads(second.stdout.strip().splitlines()[-1])["locked"]
        assert "another ingest is running" in message and f"pid {holder.pid}" in message
        with pytest.raises(IngestLockedError):  # and in this process too
            ingest(settings, fake_embedder, tokenizer)
        assert read_manifest(settings) is None  # the refused ingests wrote nothing
    finally:
        holder.kill()
        holder.wait()
    assert ingest(settings, fake_embedder, tokenizer).ok
