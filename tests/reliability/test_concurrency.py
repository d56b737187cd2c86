"""Readers and writers at once: queries during an ingest in another process, a
second ingest refused while the first runs, and 50 questions at the same time
through `ask` and through the web UI's HTTP API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from policyqa.assistant.assistant import Assistant
from policyqa.errors import IngestLockedError
from policyqa.index.manifest import Manifest
from policyqa.index.manifest import read_manifest as read_manifest_in
from policyqa.index.retriever import HybridRetriever
from policyqa.indexing import ingest
from policyqa.profile import profile_for
from tests.conftest import ROOT, FakeEmbedder
from tests.fixtures import SYNTHETIC_PLAN
from tests.reliability.figures import record

RUNNER = [sys.executable, "-m", "tests.reliability.ingest_runner"]
CLI = str(Path(sys.executable).with_name("policyqa"))
QUERIES = ("新能源汽车本地配套率", "产业链关键环节薄弱", "人才支撑", "区域协同发展")
KNOWN = "成渝新能源汽车本地配套率是多少？"
BASE = (
    KNOWN,
    "针对产业链薄弱有什么对策？",
    "成渝地区三大产业集群协同发展存在哪些问题？",
    "成渝地区汽车年产量是多少？",
    "今天成都的天气怎么样？",
)
PREFIXES = (
    "",
    "请问",
    "请问一下，",
    "我想了解：",
    "麻烦告诉我",
    "想知道",
    "咨询：",
    "请教：",
    "你好，",
    "问：",
)
# 50 different questions: each needs its own query embedding, none is served from a cache
QUESTIONS = [prefix + q for prefix in PREFIXES for q in BASE]


def read_manifest(settings) -> Manifest | None:
    return read_manifest_in(settings.index_dir)


def ask(app, question: str) -> dict:
    """The answer as `policyqa ask --json` prints it."""
    return app.ask(question).to_dict()


class GatedIngest:
    """An ingest in another process that stops at its first embedding batch, lock
    held, until `release()`; then embeds slowly (0.1 s a batch) and finishes."""

    def __init__(self, settings, tmp_path: Path) -> None:
        self.gate = tmp_path / "gate"
        self.proc = subprocess.Popen(
            [
                *RUNNER,
                "ingest",
                str(settings.home),
                str(settings.corpus),
                "--sleep",
                "0.1",
                "--gate",
                str(self.gate),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout.readline().strip() == "start"
        assert self.proc.stdout.readline().strip() == "embedding", self.proc.stderr.read()

    def release(self) -> None:
        self.gate.touch()

    def finish(self) -> dict:
        self.release()
        out, err = self.proc.communicate(timeout=300)
        assert self.proc.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def add_plans(corpus: Path, n: int) -> None:
    """New documents, so the next ingest has many batches to embed."""
    for k in range(n):
        text = SYNTHETIC_PLAN.replace("某市", f"并发测试{k}号市").replace("三大", f"第{k}批三大")
        (corpus / f"plan-{k}.txt").write_text(text, encoding="utf-8")


def results(retrievers: dict) -> dict:
    return {
        mode: [[(h.chunk.chunk_id, h.score) for h in r.search(q)] for q in QUERIES]
        for mode, r in retrievers.items()
    }


@pytest.mark.slow
def test_queries_keep_working_while_another_process_ingests(
    settings, fake_embedder, tokenizer, tmp_path
) -> None:
    ingest(settings, fake_embedder, tokenizer)
    old = read_manifest(settings).generation
    retrievers = {
        m: HybridRetriever(settings, FakeEmbedder(), tokenizer, mode=m)
        for m in ("lexical", "dense")
    }
    assistant = Assistant(
        retrievers["lexical"].reader, profile_for(settings), settings.max_question_chars
    )
    reference = results(retrievers)
    known = assistant.ask(KNOWN).answer
    assert "30%" in known

    add_plans(settings.corpus, 6)
    writer = GatedIngest(settings, tmp_path)
    stats = {"during": 0, "after": 0, "errors": []}
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                generation = read_manifest(settings).generation
                got = results(retrievers)
                answer = assistant.ask(KNOWN).answer
                if generation == old == read_manifest(settings).generation:
                    assert got == reference and answer == known
                    stats["during"] += 1
                else:
                    assert all(got["lexical"]) and "30%" in answer
                    stats["after"] += 1
            except Exception as exc:  # collected and reported below
                stats["errors"].append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        time.sleep(1.0)  # readers run while the writer holds the lock, mid-ingest
        summary = writer.finish()  # ... and while it embeds, writes and switches
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
        writer.kill()

    record("queries-during-ingest", **{k: v if k != "errors" else len(v) for k, v in stats.items()})
    assert stats["errors"] == [], "\n".join(stats["errors"])
    assert stats["during"] >= 3, stats
    assert summary["generation"] == old + 1 and not summary["errors"]
    for r in retrievers.values():
        assert r.generation.generation == old + 1  # readers moved to the new generation
    hits = retrievers["lexical"].search("并发测试3号市")
    assert hits and hits[0].chunk.doc_id == "plan-3"


@pytest.mark.slow
def test_a_second_ingest_is_refused_while_one_runs(settings, fake_embedder, tokenizer, tmp_path):
    ingest(settings, fake_embedder, tokenizer)
    add_plans(settings.corpus, 2)
    writer = GatedIngest(settings, tmp_path)
    try:
        with pytest.raises(IngestLockedError) as info:
            ingest(settings, fake_embedder, tokenizer)
        assert "another ingest is running" in str(info.value)
        assert f"pid {writer.proc.pid}" in str(info.value)

        env = {
            **os.environ,
            "POLICYQA_HOME": str(settings.home),
            "POLICYQA_CORPUS": str(settings.corpus),
        }
        cli = subprocess.run(
            [CLI, "ingest"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
        )
        assert cli.returncode == 2, cli.stderr
        assert "error: another ingest is running" in cli.stderr
        assert "Traceback" not in cli.stderr
        summary = writer.finish()
    finally:
        writer.kill()
    assert summary["generation"] == 2 and summary["stale_lock"] == ""
    assert ingest(settings, fake_embedder, tokenizer).ok  # the lock is free again


@pytest.mark.integration
def test_fifty_questions_at_once_through_ask(paper_app) -> None:
    ask(paper_app, KNOWN)  # load the model and the index
    started = time.perf_counter()
    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        answers = list(pool.map(lambda q: ask(paper_app, q), QUESTIONS))
    seconds = time.perf_counter() - started
    record("ask-50-threads", requests=len(QUESTIONS), answered=len(answers), seconds=seconds)
    expected = {q: ask(paper_app, q) for q in QUESTIONS}  # one at a time, for reference
    assert len(answers) == 50
    for q, got in zip(QUESTIONS, answers, strict=True):
        assert isinstance(got, dict) and got["answer"]
        assert (got["answer"], got["answerable"]) == (
            expected[q]["answer"],
            expected[q]["answerable"],
        ), q
        assert [c["chunk_id"] for c in got["citations"]] == [
            c["chunk_id"] for c in expected[q]["citations"]
        ]
    assert "30%" in answers[0]["answer"] and answers[0]["answerable"]
    assert seconds < 120


# --- the web UI -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chat_args(endpoint: dict, question: str) -> list:
    """Arguments for the chat endpoint, from its API description: the question first,
    an empty history for a chatbot, defaults (or blanks) for the filters."""
    args = []
    for n, p in enumerate(endpoint["parameters"]):
        if n == 0:
            args.append(question)
        elif p["component"] == "Chatbot":
            args.append([])
        elif p.get("parameter_has_default"):
            args.append(p.get("parameter_default"))
        else:
            args.append("")
    return args


def _last_answer(chatbot: list) -> str:
    content = [m for m in chatbot if m["role"] == "assistant"][-1]["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


@pytest.mark.integration
@pytest.mark.slow
def test_fifty_users_through_the_web_api(paper_app, paper_settings) -> None:
    webapp = pytest.importorskip("policyqa.web.app")
    from gradio_client import Client

    webapp.warm_up(paper_app)
    demo = webapp.build_app(paper_app)
    port = _free_port()
    demo.launch(
        **webapp.launch_kwargs(paper_settings, server_port=port),
        prevent_thread_lock=True,
        quiet=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        api = Client(url, verbose=False).view_api(print_info=False, return_format="dict")
        endpoint = api["named_endpoints"]["/chat"]
        assert endpoint["parameters"][0]["component"] in ("Textbox", "MultimodalTextbox")

        # 50 users connect (each client fetches the app config), then all ask at once
        with ThreadPoolExecutor(8) as pool:
            clients = list(pool.map(lambda _: Client(url, verbose=False), QUESTIONS))

        def one(client: Client, question: str) -> str:
            out = client.predict(*_chat_args(endpoint, question), api_name="/chat")
            return _last_answer(out[0])

        started = time.perf_counter()
        with ThreadPoolExecutor(len(QUESTIONS)) as pool:
            answers = list(pool.map(one, clients, QUESTIONS))
        seconds = time.perf_counter() - started
    finally:
        demo.close()
    record(
        "web-50-users", requests=len(QUESTIONS), answered=sum(map(bool, answers)), seconds=seconds
    )
    assert len(answers) == 50 and all(answers)
    for q, a in zip(QUESTIONS, answers, strict=True):
        assert "⚠️" not in a and "Traceback" not in a, (q, a)
    assert all("30%" in a for q, a in zip(QUESTIONS, answers, strict=True) if q == KNOWN)
    assert seconds < 180, f"50 users took {seconds:.0f} s"
