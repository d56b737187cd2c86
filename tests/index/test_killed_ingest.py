"""SIGKILL an ingest at random moments: the live index must keep answering exactly as
before, and the next ingest must finish with a consistent index."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from policyqa.index.chroma_store import ChromaStore
from policyqa.index.generation import gen_dir
from policyqa.index.lexical import LexicalIndex
from policyqa.index.manifest import Manifest
from policyqa.indexing import ingest
from policyqa.settings import Settings
from tests.conftest import ROOT
from tests.fixtures import SYNTHETIC_PLAN, load_chunks, read_manifest

pytestmark = pytest.mark.slow

TRIALS = int(os.environ.get("POLICYQA_KILL_TRIALS", "5"))
QUERY = "新能源汽车本地配套率"

# The fake embedder cannot be chosen by name in another process, so a small script
# builds the settings and hands the conftest's FakeEmbedder to ingest().
HELPER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from policyqa.indexing import ingest
from policyqa.language import Tokenizer
from policyqa.settings import Settings
from tests.conftest import FakeEmbedder

home, corpus, cache = (Path(a) for a in sys.argv[2:5])
settings = Settings.from_env(home=home, corpus=corpus, embed_model="fake-embedder")
tokenizer = Tokenizer(cache_dir=cache)
import chromadb  # noqa: F401 - imported lazily by ingest; load it before the kill window opens
print("start", flush=True)
s = ingest(settings, FakeEmbedder(), tokenizer)
print(json.dumps({"generation": s.generation, "chunks": s.chunks, "embedded": s.embedded,
                  "stale_lock": s.stale_lock, "errors": s.errors}), flush=True)
import os
os._exit(0)  # skip the slow interpreter shutdown, so the test sees the ingest end at once
"""


class KillableIngest:
    def __init__(self, tmp_path: Path, settings: Settings, cache: Path) -> None:
        self.script = tmp_path / "ingest_helper.py"
        self.script.write_text(HELPER, encoding="utf-8")
        self.args = [str(ROOT), str(settings.home), str(settings.corpus), str(cache)]

    def start(self) -> subprocess.Popen:
        """Start an ingest and return once it is past its imports, about to take the lock."""
        proc = subprocess.Popen(
            [sys.executable, str(self.script), *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        assert proc.stdout.readline().strip() == "start"
        return proc


def bm25_top(settings: Settings, tokenizer) -> tuple[int, list[tuple[str, float]]]:
    """The live generation's keyword ranking for QUERY, read straight from its folder."""
    manifest = read_manifest(settings)
    folder = gen_dir(settings.index_dir, manifest.generation)
    chunks = load_chunks(folder)
    scores = LexicalIndex.load(folder / "bm25").scores(tokenizer.terms(QUERY))
    order = np.argsort(-scores, kind="stable")[:10]
    return manifest.generation, [(chunks[i].chunk_id, round(float(scores[i]), 5)) for i in order]


def check_consistent(settings: Settings) -> Manifest:
    manifest = read_manifest(settings)
    generation = manifest.generation
    chunks = load_chunks(gen_dir(settings.index_dir, generation))
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    store = ChromaStore.open("", settings.chroma_dir, settings.collection, generation)
    try:
        assert store.count() == len(ids) == manifest.chunk_count
        assert sorted(store.collection.get(include=[])["ids"]) == sorted(ids)
    finally:
        store.close()
    return manifest


def change_corpus(corpus: Path, trial: int) -> None:
    """Alternate edits, additions and deletions so every ingest has work to do."""
    plan = corpus / "synthetic-plan.txt"
    extra = corpus / f"synthetic-extra-{trial}.txt"
    if trial % 3 == 0:
        plan.write_text(SYNTHETIC_PLAN + f"\n第七条 第{trial}次修订。\n", encoding="utf-8")
    elif trial % 3 == 1:
        extra.write_text(SYNTHETIC_PLAN.replace("某市", f"第{trial}市"), encoding="utf-8")
    else:
        for old in corpus.glob("synthetic-extra-*.txt"):
            old.unlink()


def test_killed_ingest_leaves_the_live_index_intact(
    settings, fake_embedder, tokenizer, tmp_path
) -> None:
    """Killed ingests run in a subprocess; the ingest after each kill runs here (Chroma
    clients of this process only ever open generations that were already live)."""
    killable = KillableIngest(tmp_path, settings, Path(tokenizer._jieba.tmp_dir))
    change_corpus(Path(settings.corpus), 0)
    # the first build runs to completion in a subprocess: its length sets the kill window
    proc = killable.start()
    started = time.perf_counter()
    out, _ = proc.communicate(timeout=300)
    window = time.perf_counter() - started
    assert proc.returncode == 0 and not json.loads(out)["errors"]
    check_consistent(settings)

    rng = random.Random(20250714)
    killed_mid_ingest = 0
    for trial in range(1, TRIALS + 1):
        before = bm25_top(settings, tokenizer)
        change_corpus(Path(settings.corpus), trial)

        proc = killable.start()
        target, started = rng.uniform(0.02, window), time.perf_counter()
        while proc.poll() is None and time.perf_counter() - started < target:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.kill()  # SIGKILL: no cleanup, no finally blocks
        else:  # it beat the kill: aim within its real length next time
            window = time.perf_counter() - started
        out, _ = proc.communicate(timeout=60)
        finished = bool(out.strip())
        killed_mid_ingest += not finished

        manifest = check_consistent(settings)
        if manifest.generation == before[0]:
            assert bm25_top(settings, tokenizer) == before  # the old index answers as before
        else:  # killed after the switch: the new generation is whole
            assert manifest.generation == before[0] + 1

        summary = ingest(settings, fake_embedder, tokenizer)
        assert summary.ok
        if not finished:
            assert "stale lock" in summary.stale_lock
        manifest = check_consistent(settings)
        assert manifest.generation == summary.generation
        keep = {summary.generation, summary.generation - 1}
        assert {int(p.name[4:]) for p in settings.index_dir.glob("gen-*")} <= keep
        assert {int(p.name[1:]) for p in settings.chroma_dir.glob("g*")} <= keep

    assert killed_mid_ingest >= 1, "every kill came too late: the test exercised nothing"
