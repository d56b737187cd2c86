"""Checksums, verification and repair, piece by piece (the fault-injection matrix is
tests/reliability/test_damage.py)."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from policyqa import app as app_module
from policyqa.app import PolicyQA
from policyqa.cli import main
from policyqa.errors import IndexDamagedError
from policyqa.index import integrity
from policyqa.index.chroma_store import ChromaStore
from policyqa.index.integrity import check_open, recover_manifest, verify
from policyqa.index.manifest import (
    COPY,
    NAME,
    PREVIOUS,
    VECTORS,
    artifact_of,
    gen_dir,
    read_copy,
    read_manifest,
    read_state,
)
from policyqa.index.retriever import GenerationReader
from policyqa.indexing import ingest
from tests.conftest import FakeEmbedder
from tests.fixtures import SYNTHETIC_PLAN
from tests.reliability.damage import damage, observe

pytestmark = pytest.mark.unit


def built(settings, tokenizer, embedder=None):
    summary = ingest(settings, embedder or FakeEmbedder(), tokenizer)
    assert summary.ok
    return read_manifest(settings.index_dir)


def test_every_file_is_recorded_with_size_and_checksum(settings, tokenizer) -> None:
    manifest = built(settings, tokenizer)
    folder = gen_dir(settings.index_dir, 1)
    files = {p for p in folder.rglob("*") if p.is_file() and p.name != COPY}
    assert {settings.index_dir / rel for rel in manifest.artifacts} == files
    for rel, art in manifest.artifacts.items():
        assert artifact_of(settings.index_dir / rel, bool(art.blocks)) == art
    assert manifest.artifacts[f"gen-000001/{VECTORS}"].blocks  # vector files by block too
    assert read_copy(folder) == manifest


def test_the_check_on_open_hashes_small_files_and_sizes_the_rest(
    settings, tokenizer, monkeypatch
) -> None:
    manifest = built(settings, tokenizer)
    scores = gen_dir(settings.index_dir, 1) / "bm25" / "scores.npy"
    damage(scores, "flip")
    with pytest.raises(IndexDamagedError, match="scores.npy is damaged: checksum"):
        check_open(settings.index_dir, manifest.artifacts)
    monkeypatch.setattr(integrity, "OPEN_CHECK_BYTES", 0)  # a large index: sizes only
    check_open(settings.index_dir, manifest.artifacts)
    damage(scores, "truncate")
    with pytest.raises(IndexDamagedError, match="bytes instead of"):
        check_open(settings.index_dir, manifest.artifacts)


def test_damage_the_check_on_open_cannot_see_is_named_when_a_query_trips_on_it(
    settings, tokenizer, monkeypatch
) -> None:
    """Postings that point outside the index, in a file too large to hash on open."""
    built(settings, tokenizer)
    monkeypatch.setattr(integrity, "OPEN_CHECK_BYTES", 0)
    docs = gen_dir(settings.index_dir, 1) / "bm25" / "docs.npy"
    postings = np.load(docs, mmap_mode="r+")
    postings[:] = 10**6
    postings.flush()
    del postings
    qa = PolicyQA(settings, FakeEmbedder(), tokenizer)
    with pytest.raises(IndexDamagedError) as info:
        qa.ask("成渝新能源汽车本地配套率是多少？")
    assert str(docs) in str(info.value) and "policyqa ingest --repair" in str(info.value)


def test_an_unexpected_error_is_reported_as_damage_only_when_there_is_damage(
    settings, tokenizer, monkeypatch
) -> None:
    built(settings, tokenizer)
    qa = PolicyQA(settings, FakeEmbedder(), tokenizer)

    def broken(self, *args, **kwargs):
        raise ValueError("something unexpected")

    monkeypatch.setattr(GenerationReader, "search", broken)
    with pytest.raises(ValueError, match="something unexpected"):  # not damage: not hidden
        qa.search("本地配套率")
    monkeypatch.setattr(integrity, "OPEN_CHECK_BYTES", 0)
    scores = gen_dir(settings.index_dir, 1) / "bm25" / "scores.npy"
    damage(scores, "flip")  # wrong scores, no error of its own
    with pytest.raises(IndexDamagedError, match="scores.npy"):
        PolicyQA(settings, FakeEmbedder(), tokenizer).search("本地配套率")


def test_only_the_damaged_blocks_of_vectors_are_embedded_again(settings, tokenizer) -> None:
    embedder = FakeEmbedder(dim=384)  # vector files of several blocks
    manifest = built(settings, tokenizer, embedder)
    folder = gen_dir(settings.index_dir, 1)
    units = folder / "sentences" / "vectors.npy"
    original = np.load(units).copy()
    assert len(manifest.artifacts["gen-000001/sentences/vectors.npy"].blocks) > 4
    damage(units, "flip")
    summary = ingest(settings, embedder, tokenizer)
    assert len(summary.repaired) == 1 and summary.generation == 1
    assert 0 < summary.embedded < manifest.chunk_count / 4  # the chunks of one block
    assert f"vectors of {summary.embedded} chunks embedded again" in summary.repaired[0]
    assert np.array_equal(np.load(units), original)
    chunk_vectors = np.load(folder / VECTORS)
    damage(folder / VECTORS, "truncate")  # the rows of the first half are intact
    summary = ingest(settings, embedder, tokenizer)
    assert manifest.chunk_count / 4 < summary.embedded < manifest.chunk_count * 3 / 4
    assert np.array_equal(np.load(folder / VECTORS), chunk_vectors)
    assert verify(settings).ok


def test_a_damaged_index_and_a_changed_corpus_copy_only_intact_vectors(settings, tokenizer) -> None:
    built(settings, tokenizer)
    damage(gen_dir(settings.index_dir, 1) / "sentences" / "vectors.npy", "flip")
    (settings.corpus / "synthetic-plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    summary = ingest(settings, FakeEmbedder(), tokenizer)
    assert summary.generation == 2 and verify(settings).ok
    clean = settings.with_(home=settings.home.parent / "clean")
    ingest(clean, FakeEmbedder(), tokenizer)
    assert np.array_equal(
        np.load(gen_dir(settings.index_dir, 2) / "sentences" / "vectors.npy"),
        np.load(gen_dir(clean.index_dir, 1) / "sentences" / "vectors.npy"),
    )


def test_altered_vectors_in_chroma_are_found_and_replaced(settings, tokenizer) -> None:
    built(settings, tokenizer)
    with ChromaStore.open("", settings.chroma_dir, settings.collection, 1) as store:
        cid = store.ids()[0]
        store.collection.update(ids=[cid], embeddings=[np.ones(32, dtype=np.float32) / 32**0.5])
    damaged = verify(settings).damaged
    assert [d.part for d in damaged] == ["chroma"] and "1 vectors altered" in damaged[0].reason
    summary = ingest(settings, FakeEmbedder(), tokenizer, repair=True)
    assert summary.repaired and summary.embedded == 0
    assert verify(settings).ok


def test_manifest_falls_back_and_is_restored(settings, tokenizer, caplog) -> None:
    built(settings, tokenizer)
    (settings.corpus / "synthetic-plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    built(settings, tokenizer)
    index = settings.index_dir
    (index / NAME).write_text("[", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="policyqa"):
        assert read_manifest(index).generation == 1
    assert f"{index / NAME}" in caplog.text and "previous generation 1" in caplog.text
    manifest, problems = read_state(index)
    assert manifest.generation == 1 and [p.path for p in problems] == [str(index / NAME)]
    assert recover_manifest(index).generation == 2
    damage(gen_dir(index, 2) / "docs.jsonl", "flip")  # the newest generation, damaged too
    assert recover_manifest(index).generation == 2
    (index / NAME).unlink()
    (index / PREVIOUS).unlink()
    assert read_state(index)[1][0].reason == "missing"  # generations but no manifest
    summary = ingest(settings, FakeEmbedder(), tokenizer)  # restored, then repaired
    assert summary.generation == 2 and len(summary.repaired) == 2
    assert verify(settings).ok


def test_the_generation_the_previous_manifest_names_is_kept(settings, tokenizer) -> None:
    built(settings, tokenizer)
    (settings.corpus / "synthetic-plan.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    built(settings, tokenizer)
    built(settings, tokenizer)  # nothing changed: used to remove generation 1
    assert gen_dir(settings.index_dir, 1).is_dir()
    (settings.index_dir / NAME).write_text("{}", encoding="utf-8")
    assert PolicyQA(settings, FakeEmbedder(), tokenizer).search("本地配套率")  # answers from 1


def test_status_verify_in_json_and_the_repair_flag(settings, tokenizer, monkeypatch) -> None:
    built(settings, tokenizer)
    before = observe(settings, tokenizer)
    monkeypatch.setattr(app_module, "embedder_for", lambda s: FakeEmbedder())
    monkeypatch.setattr(app_module, "tokenizer_for", lambda s: tokenizer)
    monkeypatch.setenv("POLICYQA_CORPUS", str(settings.corpus))
    monkeypatch.setenv("POLICYQA_EMBED_MODEL", "fake-embedder")
    home = ["--home", str(settings.home)]
    runner = CliRunner()
    result = runner.invoke(main, [*home, "status", "--verify", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"] is True
    shutil.rmtree(gen_dir(settings.index_dir, 1) / "bigram")
    result = runner.invoke(main, [*home, "status", "--verify", "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and not report["ok"] and len(report["damaged"]) == 5
    assert {d["part"] for d in report["damaged"]} == {"bigram"}
    result = runner.invoke(main, [*home, "ingest", "--repair"])
    assert result.exit_code == 0 and result.stdout.count("repaired: ") == 5
    assert observe(settings, tokenizer) == before
