"""Faults outside the index files: a Chroma server that stops mid-session and comes
back (a real `chroma run`, killed and restarted), and a disk that fills up while
an ingest or a repair writes. No traceback, a clear message, the previous index
keeps answering, and things recover without anyone deleting anything."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from policyqa.app import PolicyQA
from policyqa.errors import ChromaServerError, DiskFullError, PolicyQAError
from policyqa.index import builder as builder_module
from policyqa.index.chunkstore import ChunkStoreWriter
from policyqa.index.integrity import verify
from policyqa.index.lexical import LexicalBuilder
from policyqa.index.manifest import gen_dir, read_manifest
from policyqa.indexing import ingest
from tests.conftest import ROOT, FakeEmbedder
from tests.fixtures import SYNTHETIC_PLAN
from tests.index.test_chroma_server import CHROMA, free_port
from tests.reliability.damage import QUESTIONS, damage, observe

POLICYQA = Path(sys.executable).with_name("policyqa")


class ChromaServer:
    """`chroma run` on a fixed port and folder, which a test can stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - the server holds it
        cmd = [str(CHROMA), "run", "--path", str(self.folder / "db")]
        self.proc = subprocess.Popen(
            [*cmd, "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        log.close()
        deadline = time.monotonic() + 90
        while not self.alive():
            assert self.proc.poll() is None, (self.folder / "server.log").read_text()
            assert time.monotonic() < deadline, "chroma run did not start"
            time.sleep(0.2)

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        """SIGKILL: the server stops as a crash would stop it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


@pytest.fixture
def server(tmp_path):
    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} missing: pip install chromadb")
    srv = ChromaServer(tmp_path)
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.integration
def test_server_stopped_mid_session_is_a_message_per_question_and_recovers(
    server, settings, tokenizer
) -> None:
    s = settings.with_(chroma_url=server.url, collection="faults")
    assert ingest(s, FakeEmbedder(), tokenizer).ok
    qa = PolicyQA(s, FakeEmbedder(), tokenizer)
    before = [qa.ask(q).to_dict() for q in QUESTIONS]
    server.stop()
    for q in QUESTIONS:  # every question says what is wrong and what to do
        with pytest.raises(ChromaServerError) as info:
            qa.ask(q)
        message = str(info.value)
        assert server.url in message and "chroma run" in message and "\n" not in message
    with pytest.raises(PolicyQAError, match="Chroma server"):
        verify(s)
    with pytest.raises(PolicyQAError, match="Chroma server"):  # a new session, too
        PolicyQA(s, FakeEmbedder(), tokenizer).ask(QUESTIONS[0])
    server.start()  # the same folder and port
    assert [qa.ask(q).to_dict() for q in QUESTIONS] == before  # the same session reconnects
    assert verify(s).ok


class Session:
    """An interactive `policyqa ask` in a real process, its output read as it comes."""

    def __init__(self, env: dict) -> None:
        self.proc = subprocess.Popen(
            [str(POLICYQA), "ask"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _read(stream, sink: list[str]) -> None:
        for ch in iter(lambda: stream.read(1), ""):
            sink.append(ch)

    def ask(self, question: str, prompts: int) -> None:
        self.proc.stdin.write(question + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + 120
        while "".join(self.out).count("问> ") < prompts:
            assert self.proc.poll() is None, "".join(self.err)
            assert time.monotonic() < deadline, "".join(self.out) + "".join(self.err)
            time.sleep(0.05)

    def close(self) -> tuple[str, str]:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        assert self.proc.wait(timeout=60) == 0
        time.sleep(0.1)
        return "".join(self.out), "".join(self.err)


@pytest.mark.integration
@pytest.mark.slow
def test_interactive_cli_survives_a_server_restart(server, tmp_path) -> None:
    """The real CLI and model: an answer, then the server killed (one error line, the
    prompt stays), then the server back and the same answer again."""
    if not POLICYQA.exists():
        pytest.skip(f"{POLICYQA} missing: pip install -e .")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    env = {**os.environ, "POLICYQA_HOME": str(tmp_path / "home"), "POLICYQA_CORPUS": str(corpus)}
    env["POLICYQA_CHROMA_URL"] = server.url
    env.pop("POLICYQA_EMBED_MODEL", None)
    done = subprocess.run([str(POLICYQA), "ingest"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    session = Session(env)
    question = "动力电池本地配套不足的问题有哪些对策？"
    session.ask(question, prompts=2)
    first = "".join(session.out)
    server.stop()
    session.ask(question, prompts=3)
    server.start()
    session.ask(question, prompts=4)
    out, err = session.close()
    assert "Traceback" not in out + err
    errors = [line for line in err.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: the Chroma server at"), err
    answers = out.split("问> ")[1:4]
    assert answers[0] == answers[2] and answers[0].strip() and answers[1] == ""
    assert answers[0] in first


# --- disk full ----------------------------------------------------------------------------


def no_space(path: object) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


class FullDisk:
    """A file that takes `room` more bytes, then fails as a full disk does."""

    def __init__(self, fh, room: int) -> None:
        self.fh, self.room = fh, room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            raise no_space(self.fh.name)
        self.room -= len(data)
        return self.fh.write(data)

    def __getattr__(self, name: str):
        return getattr(self.fh, name)


def fill_chunk_store(monkeypatch) -> None:
    """chunks.jsonl fills the disk half way through the corpus."""
    init = ChunkStoreWriter.__init__

    def full(self, folder):
        init(self, folder)
        self._fh = FullDisk(self._fh, 40_000)

    monkeypatch.setattr(ChunkStoreWriter, "__init__", full)


def fill_keyword_index(monkeypatch) -> None:
    def full(self, folder):
        raise no_space(Path(folder) / "scores.npy")

    monkeypatch.setattr(LexicalBuilder, "save", full)


def fill_manifest(monkeypatch) -> None:
    def full(index_dir, manifest):
        raise no_space(Path(index_dir) / ".manifest.json.tmp")

    monkeypatch.setattr(builder_module, "write_manifest", full)


@pytest.mark.unit
@pytest.mark.parametrize("fill", (fill_chunk_store, fill_keyword_index, fill_manifest))
def test_disk_full_during_ingest(settings, tokenizer, monkeypatch, fill) -> None:
    assert ingest(settings, FakeEmbedder(), tokenizer).generation == 1
    before = observe(settings, tokenizer)
    (Path(settings.corpus) / "synthetic-plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    with monkeypatch.context() as patch:
        fill(patch)
        with pytest.raises(DiskFullError) as info:
            ingest(settings, FakeEmbedder(), tokenizer)
    message = str(info.value)
    assert "disk is full" in message and "policyqa ingest" in message and "\n" not in message
    assert "keeps answering" in message
    assert read_manifest(settings.index_dir).generation == 1  # nothing switched
    assert observe(settings, tokenizer) == before and verify(settings).ok
    assert not gen_dir(settings.index_dir, 2).exists()  # the unfinished one is gone
    assert not (settings.chroma_dir / "g000002").exists()
    summary = ingest(settings, FakeEmbedder(), tokenizer)  # room again: the next one completes
    assert summary.ok and summary.generation == 2 and summary.added == 1
    assert verify(settings).ok


@pytest.mark.unit
def test_disk_full_during_a_repair(settings, tokenizer, monkeypatch) -> None:
    ingest(settings, FakeEmbedder(), tokenizer)
    before = observe(settings, tokenizer)
    scores = gen_dir(settings.index_dir, 1) / "bm25" / "scores.npy"
    damage(scores, "flip")
    with monkeypatch.context() as patch:
        fill_keyword_index(patch)
        with pytest.raises(DiskFullError):
            ingest(settings, FakeEmbedder(), tokenizer, repair=True)
    assert [d.path for d in verify(settings).damaged] == [str(scores)]  # no worse than before
    assert not list(settings.index_dir.glob(".repair-*"))
    summary = ingest(settings, FakeEmbedder(), tokenizer, repair=True)
    assert summary.repaired and summary.generation == 1
    assert observe(settings, tokenizer) == before


HELPER = """
import sys
sys.path.insert(0, sys.argv.pop(1))
from tests.conftest import FakeEmbedder
from tests.reliability.test_faults import FullDisk
import policyqa.app
from policyqa.index.chunkstore import ChunkStoreWriter
from policyqa.cli import main

policyqa.app.embedder_for = lambda settings: FakeEmbedder()
init = ChunkStoreWriter.__init__
def full(self, folder):
    init(self, folder)
    self._fh = FullDisk(self._fh, 40_000)
ChunkStoreWriter.__init__ = full
main(prog_name="policyqa")
"""


@pytest.mark.slow
def test_disk_full_through_the_cli(settings, tokenizer, tmp_path) -> None:
    """A real `policyqa ingest` process on a full disk: one line, exit 2, no traceback."""
    ingest(settings, FakeEmbedder(), tokenizer)
    (Path(settings.corpus) / "synthetic-plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    script = tmp_path / "full_disk_cli.py"
    script.write_text(HELPER, encoding="utf-8")
    env = {**os.environ, "POLICYQA_CORPUS": str(settings.corpus)}
    env["POLICYQA_EMBED_MODEL"] = "fake-embedder"
    done = subprocess.run(
        [sys.executable, str(script), str(ROOT), "--home", str(settings.home), "ingest"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ingest stopped, the disk is full")
    assert read_manifest(settings.index_dir).generation == 1
    assert verify(settings).ok
