"""Ingest and search against a real `chroma run` server (POLICYQA_CHROMA_URL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from policyqa.errors import PolicyQAError
from policyqa.index.chroma_store import ChromaStore, client_for
from policyqa.index.filters import Filters
from policyqa.index.generation import Generation
from policyqa.index.manifest import read_manifest
from policyqa.index.retriever import HybridRetriever
from policyqa.indexing import ingest
from tests.fixtures import SYNTHETIC_PLAN
from tests.index.test_builder import PAPER_ID as PAPER
from tests.index.test_builder import texts_of

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} missing: pip install chromadb")
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            str(CHROMA),
            "run",
            "--path",
            str(folder / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma server did not start: {(folder / 'server.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def server_collections(url: str) -> set[str]:
    client = client_for(url, Path("."), 0)
    try:
        return {c.name for c in client.list_collections()}
    finally:
        client.close()


def open_live(settings, embedder, tokenizer) -> Generation:
    """The live generation as a query opens it."""
    return HybridRetriever(settings, embedder, tokenizer).generation


@pytest.mark.integration
def test_ingest_search_and_reingest_on_a_server(
    chroma_url, settings, fake_embedder, tokenizer
) -> None:
    s = settings.with_(chroma_url=chroma_url, collection="srvtest")
    summary = ingest(s, fake_embedder, tokenizer)
    assert summary.ok and summary.generation == 1
    manifest = read_manifest(s.index_dir)
    assert manifest.chroma == chroma_url
    assert "srvtest-g000001" in server_collections(chroma_url)
    assert not s.chroma_dir.exists()  # nothing stored locally

    gen = open_live(s, fake_embedder, tokenizer)
    assert gen.chroma.count() == summary.chunks == len(gen.chunks)
    # the server returns the exact chunk for its own vector, with cosine similarity 1
    target = next(c for c in gen.chunks if "本地配套率仅为30%" in c.text)
    vector = fake_embedder.embed([target.retrieval_text()])[0]
    (best, score), *_ = gen.chroma.query(vector, k=3)
    assert best == target.chunk_id and score == pytest.approx(1.0, abs=1e-4)
    where = gen.where(gen.clauses(Filters.of(role="countermeasure")))
    found = gen.chroma.query(vector, k=5, where=where)
    assert found and all(
        gen.chunks.chunk(gen.chunks.row_of(cid)).role == "countermeasure" for cid, _ in found
    )

    retriever = HybridRetriever(s, fake_embedder, tokenizer)
    hits = retriever.search("新能源汽车本地配套率", k=5)
    assert any("30%" in h.chunk.text or "成渝地区\t30" in h.chunk.text for h in hits)
    assert all(
        h.chunk.role == "problem"
        for h in retriever.search("配套率", k=5, filters=Filters.of(role="problem"))
    )
    embedded = fake_embedder.texts

    # re-ingest after a change: a new generation, the paper's vectors copied from the server
    embedded = fake_embedder.texts
    plan = Path(s.corpus) / "synthetic-plan.txt"
    plan.write_text(SYNTHETIC_PLAN, encoding="utf-8")
    second = ingest(s, fake_embedder, tokenizer)
    assert second.generation == 2 and second.added == 1
    assert second.embedded == second.chunks - summary.chunks
    held = open_live(s, fake_embedder, tokenizer)
    plan_chunks = [c for c in held.chunks if c.doc_id != PAPER]
    assert fake_embedder.texts - embedded == texts_of(plan_chunks)  # the plan's only
    hits = retriever.search("车规级芯片 本地配套", k=5)  # the retriever reloads by itself
    assert retriever.generation.generation == 2
    assert any(h.chunk.doc_id == "synthetic-plan" for h in hits)
    assert {"srvtest-g000001", "srvtest-g000002"} <= server_collections(chroma_url)

    # one more change: generation 1 is no longer live or previous, so it is dropped
    plan.write_text(SYNTHETIC_PLAN.replace("有效期五年", "有效期三年"), encoding="utf-8")
    third = ingest(s, fake_embedder, tokenizer)
    assert third.generation == 3 and third.updated == 1
    ours = {n for n in server_collections(chroma_url) if n.startswith("srvtest-")}
    assert ours == {"srvtest-g000002", "srvtest-g000003"}
    gen = open_live(s, fake_embedder, tokenizer)
    assert gen.chroma.count() == third.chunks
    assert any("有效期三年" in h.chunk.text for h in retriever.search("有效期", k=5))


@pytest.mark.integration
def test_killed_ingest_leftover_collection_is_removed(
    chroma_url, settings, fake_embedder, tokenizer
) -> None:
    """A collection left by a killed ingest (newer than the live one) goes at the next ingest."""
    s = settings.with_(chroma_url=chroma_url, collection="leftover")
    ingest(s, fake_embedder, tokenizer)
    first = open_live(s, fake_embedder, tokenizer)  # held: closing it closes its stores
    stale = first.chunks.chunk(0)
    stale = replace(stale, start=stale.start + 1, text=stale.text[1:])  # another id
    half_built = ChromaStore.open(chroma_url, s.chroma_dir, "leftover", 2, create=True)
    half_built.add([stale], fake_embedder.embed([stale.text]), {})
    assert "leftover-g000002" in server_collections(chroma_url)
    (Path(s.corpus) / "synthetic-plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    summary = ingest(s, fake_embedder, tokenizer)
    assert summary.generation == 2
    gen = open_live(s, fake_embedder, tokenizer)
    assert gen.chroma.count() == summary.chunks == len(gen.chunks)
    assert not gen.chroma.embeddings_for([stale])


@pytest.mark.unit
def test_unreachable_server_names_the_fix(settings, fake_embedder, tokenizer) -> None:
    s = settings.with_(chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(PolicyQAError) as info:
        ingest(s, fake_embedder, tokenizer)
    assert "cannot reach the Chroma server" in str(info.value)
    assert "chroma run" in str(info.value)
