"""Damage in real processes: the installed `policyqa` command with the real default
model on a small synthetic corpus. Whatever is damaged, no command prints a
traceback; `ask` names a damaged file in one line, `status --verify` names each,
`ingest --repair` rebuilds them, and `ask --json` then prints what it printed
before, byte for byte."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import SYNTHETIC_PLAN
from tests.reliability.damage import damage, one_line_naming

pytestmark = [pytest.mark.integration, pytest.mark.slow]

POLICYQA = Path(sys.executable).with_name("policyqa")
QUESTION = "动力电池本地配套不足的问题有哪些对策？"


def policyqa(home: Path, corpus: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "POLICYQA_HOME": str(home), "POLICYQA_CORPUS": str(corpus)}
    env.pop("POLICYQA_EMBED_MODEL", None)  # the default model
    return subprocess.run(
        [str(POLICYQA), *args], capture_output=True, text=True, env=env, timeout=300
    )


def no_traceback(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


class Built:
    def __init__(self, root: Path) -> None:
        self.corpus = root / "corpus"
        self.corpus.mkdir()
        (self.corpus / "plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
        self.home = root / "home"
        done = no_traceback(policyqa(self.home, self.corpus, "ingest"))
        assert done.returncode == 0, done.stderr
        self.answer = self.ask(self.home)

    def ask(self, home: Path) -> str:
        done = no_traceback(policyqa(home, self.corpus, "ask", "--json", QUESTION))
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["answerable"]
        return done.stdout

    def run(self, home: Path, *args: str) -> subprocess.CompletedProcess:
        return no_traceback(policyqa(home, self.corpus, *args))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    if not POLICYQA.exists():
        pytest.skip(f"{POLICYQA} missing: pip install -e .")
    return Built(tmp_path_factory.mktemp("cli-damage"))


def check(built: Built, home: Path, damaged: list[Path]) -> str:
    """The whole cycle; returns the repairing ingest's output."""
    done = built.run(home, "ask", "--json", QUESTION)
    assert done.returncode == 2 and not done.stdout
    one_line_naming(done.stderr, "")
    assert any(str(p) in done.stderr for p in damaged), done.stderr
    done = built.run(home, "status", "--verify")
    assert done.returncode == 1
    for path in damaged:
        assert f"damaged: {path}" in done.stdout or str(path) in done.stdout, done.stdout
    repair = built.run(home, "ingest", "--repair")
    assert repair.returncode == 0, repair.stderr
    done = built.run(home, "status", "--verify")
    assert done.returncode == 0 and "no damage" in done.stdout, done.stdout
    assert built.ask(home) == built.answer
    return repair.stdout


def test_damaged_files_in_real_processes(built, tmp_path) -> None:
    """The cases the issue measured (a keyword array truncated, chunks.jsonl deleted,
    bytes flipped in a vocabulary) and unit vectors with flipped bytes, at once."""
    home = shutil.copytree(built.home, tmp_path / "home")
    gen = home / "index" / "gen-000001"
    damaged = [gen / "bm25" / "docs.npy", gen / "chunks.jsonl", gen / "bigram" / "vocab.json"]
    damaged.append(gen / "sentences" / "vectors.npy")
    damage(damaged[0], "truncate")
    damage(damaged[1], "delete")
    damage(damaged[2], "flip")
    damage(damaged[3], "flip")
    out = check(built, home, damaged)
    assert out.count("repaired:") == 4
    assert "embedded 0 new" not in out  # the damaged block of unit vectors, embedded again
    assert "generation 1" in out  # repaired in place


def test_manifest_not_json_in_real_processes(built, tmp_path) -> None:
    home = shutil.copytree(built.home, tmp_path / "home")
    manifest = home / "index" / "manifest.json"
    manifest.write_text("{ not json", encoding="utf-8")
    out = check(built, home, [manifest])
    assert "restored from gen-000001/generation.json" in out and "embedded 0 new" in out


def test_chroma_folder_lost_in_real_processes(built, tmp_path) -> None:
    home = shutil.copytree(built.home, tmp_path / "home")
    folder = home / "index" / "chroma" / "g000001"
    shutil.rmtree(folder)
    out = check(built, home, [folder])
    assert "rebuilt from chunks.vectors.npy" in out and "embedded 0 new" in out
