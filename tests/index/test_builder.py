"""Incremental ingest with the fake embedder: what is embedded, what is replaced or
removed, the writer lock, model checks and the readable keyword folders."""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from policyqa.app import PolicyQA
from policyqa.documents import Chunk
from policyqa.errors import (
    IndexDamagedError,
    IndexMissingError,
    IngestLockedError,
    ModelMismatchError,
)
from policyqa.index.chroma_store import ChromaStore
from policyqa.index.chunkstore import ChunkStore
from policyqa.index.generation import Generation, gen_dir
from policyqa.index.lock import WriterLock
from policyqa.index.manifest import Manifest
from policyqa.index.manifest import read_manifest as read_manifest_in
from policyqa.index.retriever import HybridRetriever
from policyqa.indexing import ingest
from policyqa.ingest.units import units
from policyqa.language import thesaurus_path, tokenizer_for
from policyqa.settings import Settings
from tests.conftest import PAPER, FakeEmbedder
from tests.fixtures import SYNTHETIC_LABEL, SYNTHETIC_PLAN, write_gb18030

PAPER_ID = "paper-chengyu-three-clusters-2025"
AUTO_PLAN = "成渝地区双城经济圈汽车产业高质量协同发展实施方案"
EXPECTED_PLANS = {
    "成渝地区双城经济圈电子信息产业协同发展实施方案",
    AUTO_PLAN,
    "成渝地区双城经济圈共建世界级装备制造产业集群实施方案",
}


def chroma_ids(settings, generation: int) -> list[str]:
    store = ChromaStore.open(
        settings.chroma_url, settings.chroma_dir, settings.collection, generation
    )
    return store.collection.get(include=[])["ids"]


def read_manifest(settings: Settings) -> Manifest | None:
    return read_manifest_in(settings.index_dir)


def load_chunks(settings: Settings, generation: int) -> list[Chunk]:
    """Every row of a generation's chunk store, in ingest order."""
    store = ChunkStore(gen_dir(settings.index_dir, generation))
    try:
        return list(store)
    finally:
        store.close()


def open_live(settings: Settings, tokenizer, model: str = "fake-embedder") -> Generation:
    """The live generation as a query opens it, with an embedder of this model name."""
    embedder = FakeEmbedder()
    embedder.name = model
    return HybridRetriever(settings, embedder, tokenizer).generation


def documents(gen: Generation) -> list:
    return [gen.docs.get(doc_id) for doc_id in gen.docs.ids()]


def live(settings) -> tuple[Manifest, list[Chunk]]:
    """Manifest and chunks of the live generation, after checking they agree with Chroma."""
    manifest = read_manifest(settings)
    chunks = load_chunks(settings, manifest.generation)
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    assert sorted(chroma_ids(settings, manifest.generation)) == sorted(ids)
    assert manifest.chunk_count == len(ids)
    return manifest, chunks


def ids_of(chunks, doc_id: str) -> set[str]:
    return {c.chunk_id for c in chunks if c.doc_id == doc_id}


def texts_of(chunks) -> int:
    """Texts a build embeds for these chunks: each one's retrieval text and its units'."""
    texts = set()
    for c in chunks:
        texts.add(c.retrieval_text())
        texts.update(u.embed_text for u in units(c))
    return len(texts)


def add_plan(settings, name: str = "synthetic-plan.txt", text: str = SYNTHETIC_PLAN) -> Path:
    path = Path(settings.corpus) / name
    path.write_text(text, encoding="utf-8")
    return path


# --- first and repeated ingest -------------------------------------------------


@pytest.mark.unit
def test_first_ingest_indexes_the_paper(settings, fake_embedder, tokenizer) -> None:
    summary = ingest(settings, fake_embedder, tokenizer)
    assert summary.ok and summary.files == 1 and summary.added == 1
    assert summary.chunks > 50 and summary.embedded == summary.chunks
    manifest, chunks = live(settings)
    assert fake_embedder.texts == texts_of(chunks)
    assert manifest.model == "fake-embedder" and manifest.embedder.dim == fake_embedder.dim
    assert manifest.generation == summary.generation
    assert [f.doc_id for f in manifest.files.values()] == [PAPER_ID]
    assert {c.doc_id for c in chunks} == {PAPER_ID}
    gen = open_live(settings, tokenizer)
    assert gen.generation == summary.generation and len(gen.chunks) == summary.chunks
    assert PAPER_ID in gen.docs and gen.docs.links(PAPER_ID)
    # chunks, documents and vectors are written in the "write" stage, Chroma included
    assert set(summary.stages) >= {"load+clean+chunk", "embed", "write", "keyword index"}


@pytest.mark.unit
def test_second_ingest_is_unchanged_and_embeds_nothing(settings, fake_embedder, tokenizer) -> None:
    first = ingest(settings, fake_embedder, tokenizer)
    texts = fake_embedder.texts
    manifest_before = read_manifest(settings)
    second = ingest(settings, fake_embedder, tokenizer)
    assert fake_embedder.texts == texts
    assert second.embedded == 0 and second.unchanged == 1 and second.added == 0
    assert second.generation == first.generation
    assert read_manifest(settings) == manifest_before  # nothing was rewritten


def test_thesaurus_edit_rebuilds_the_keyword_index_without_embedding(
    settings, fake_embedder, tokenizer, tmp_path
) -> None:
    first = ingest(settings, fake_embedder, tokenizer)
    texts = fake_embedder.texts
    thesaurus = tmp_path / "thesaurus.txt"
    thesaurus.write_text(
        thesaurus_path(settings).read_text(encoding="utf-8") + "\n大厂 龙头企业\n", "utf-8"
    )
    edited = replace(settings, thesaurus=thesaurus)
    assert PolicyQA(settings).status().vocabulary_changed is False
    assert PolicyQA(edited).status().vocabulary_changed is True  # status says: ingest again
    retokenized = tokenizer_for(edited)
    assert retokenized.vocabulary_key != tokenizer.vocabulary_key
    second = ingest(edited, fake_embedder, retokenized)
    assert second.generation == first.generation + 1  # segmentation may differ: re-indexed
    assert second.embedded == 0 and fake_embedder.texts == texts  # vectors reused
    assert read_manifest(edited).vocabulary == retokenized.vocabulary_key
    assert PolicyQA(edited).status().vocabulary_changed is False
    gen = open_live(edited, retokenized)  # the new keyword index finds the new words
    assert gen.generation == second.generation and len(gen.chunks) == second.chunks


def test_vectors_are_copied_not_recomputed(settings, tokenizer) -> None:
    """A new generation reuses the live vectors of unchanged chunks."""
    ingest(settings, FakeEmbedder(), tokenizer)
    _, before = live(settings)
    add_plan(settings)
    second = FakeEmbedder()
    ingest(settings, second, tokenizer)
    manifest, chunks = live(settings)
    paper_ids = sorted(ids_of(chunks, PAPER_ID))
    store = ChromaStore.open("", settings.chroma_dir, settings.collection, manifest.generation)
    got = store.embeddings_for([c for c in chunks if c.chunk_id in set(paper_ids)])
    expected = {c.chunk_id: c.retrieval_text() for c in before}
    vectors = FakeEmbedder().embed([expected[i] for i in paper_ids])
    assert np.allclose(np.asarray([got[i] for i in paper_ids]), vectors, atol=1e-6)
    assert second.texts == texts_of(c for c in chunks if c.chunk_id not in set(paper_ids))


# --- changes to the corpus ------------------------------------------------------


def test_modified_file_replaces_its_chunks(settings, fake_embedder, tokenizer) -> None:
    plan = add_plan(settings)
    ingest(settings, fake_embedder, tokenizer)
    _, before = live(settings)
    old_paper, old_plan = ids_of(before, PAPER_ID), ids_of(before, "synthetic-plan")
    assert old_plan
    texts = fake_embedder.texts

    plan.write_text(SYNTHETIC_PLAN.replace("有效期五年", "有效期三年"), encoding="utf-8")
    summary = ingest(settings, fake_embedder, tokenizer)
    _, after = live(settings)
    new_plan = ids_of(after, "synthetic-plan")
    assert (summary.updated, summary.unchanged, summary.added) == (1, 1, 0)
    assert ids_of(after, PAPER_ID) == old_paper  # untouched document keeps its ids
    assert not new_plan & old_plan  # the changed document's old chunks are gone
    assert summary.embedded == len(new_plan)
    assert fake_embedder.texts - texts == texts_of(c for c in after if c.chunk_id in new_plan)
    assert any("有效期三年" in c.text for c in after)
    assert not any("有效期五年" in c.text for c in after)


def test_deleted_file_loses_its_chunks(settings, fake_embedder, tokenizer) -> None:
    plan = add_plan(settings)
    ingest(settings, fake_embedder, tokenizer)
    plan.unlink()
    summary = ingest(settings, fake_embedder, tokenizer)
    manifest, chunks = live(settings)
    assert summary.removed == 1 and summary.embedded == 0
    assert {c.doc_id for c in chunks} == {PAPER_ID}
    assert [Path(p).name for p in manifest.files] == [PAPER.name]


def test_added_gb18030_file_is_indexed(settings, fake_embedder, tokenizer) -> None:
    ingest(settings, fake_embedder, tokenizer)
    write_gb18030(Path(settings.corpus) / "合成方案-gbk.txt", SYNTHETIC_PLAN)
    summary = ingest(settings, fake_embedder, tokenizer)
    _, chunks = live(settings)
    plan = [c for c in chunks if c.doc_id == "合成方案-gbk"]
    assert summary.added == 1 and summary.ok
    assert summary.embedded == len(plan) > 0
    assert any("本地配套率偏低" in c.text for c in plan)
    doc = open_live(settings, tokenizer).docs.get("合成方案-gbk")
    assert doc.metadata["encoding"] == "gb18030"


@pytest.mark.unit
def test_corrupt_file_is_reported_and_the_rest_indexed(settings, fake_embedder, tokenizer) -> None:
    bad = Path(settings.corpus) / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\nthis is not a pdf")
    (Path(settings.corpus) / "notes.xyz").write_text("不支持的格式", encoding="utf-8")
    add_plan(settings)
    summary = ingest(settings, fake_embedder, tokenizer)
    assert not summary.ok
    reasons = dict(summary.errors)
    assert "corrupt PDF" in reasons[str(bad)]
    assert "unsupported file type" in reasons[str(Path(settings.corpus) / "notes.xyz")]
    manifest, chunks = live(settings)
    assert {c.doc_id for c in chunks} == {PAPER_ID, "synthetic-plan"}
    assert str(bad) not in manifest.files


@pytest.mark.unit
def test_identical_files_are_indexed_once(settings, fake_embedder, tokenizer) -> None:
    add_plan(settings, "a.txt")
    sub = Path(settings.corpus) / "copy"
    sub.mkdir()
    add_plan(settings, "copy/a.txt")
    summary = ingest(settings, fake_embedder, tokenizer)
    manifest, chunks = live(settings)  # asserts no duplicate ids
    assert summary.ok and summary.files == 3
    per_file = {
        Path(p).relative_to(settings.corpus).as_posix(): f.chunks for p, f in manifest.files.items()
    }
    assert per_file["a.txt"] == per_file["copy/a.txt"]
    assert len(chunks) == sum(per_file.values()) - per_file["a.txt"]
    assert summary.embedded == len(chunks)


def test_same_file_name_in_two_folders_keeps_both_documents(
    settings, fake_embedder, tokenizer
) -> None:
    add_plan(settings, "plan.txt")
    (Path(settings.corpus) / "2024").mkdir()
    other = SYNTHETIC_PLAN.replace("本地配套率偏低", "人才流失严重")
    add_plan(settings, "2024/plan.txt", other)
    ingest(settings, fake_embedder, tokenizer)
    gen = open_live(settings, tokenizer)
    plans = [d for d in documents(gen) if d.doc_id.startswith("plan")]
    assert len(plans) == 2 and len({d.doc_id for d in plans}) == 2
    assert {d.path for d in plans} == {
        str(Path(settings.corpus) / "plan.txt"),
        str(Path(settings.corpus) / "2024" / "plan.txt"),
    }
    for c in gen.chunks:  # every chunk reads back from its own document
        assert gen.docs.get(c.doc_id).text[c.start : c.end] == c.text
    top = next(d.doc_id for d in plans if d.path.endswith(f"corpus{os.sep}plan.txt"))
    assert top == "plan"  # the file nearest the top keeps the plain id
    (Path(settings.corpus) / "a").mkdir()
    add_plan(settings, "a/plan.txt", SYNTHETIC_PLAN + "\n附：a 版")
    ingest(settings, fake_embedder, tokenizer)
    again = {d.path: d.doc_id for d in documents(open_live(settings, tokenizer))}
    assert {p: i for p, i in again.items() if p in {d.path for d in plans}} == {
        d.path: d.doc_id for d in plans
    }  # ids already given do not move when another plan.txt arrives


# --- expected documents ------------------------------------------------------------


def test_missing_plans_are_listed_until_added(settings, fake_embedder, tokenizer) -> None:
    summary = ingest(settings, fake_embedder, tokenizer)
    assert set(summary.missing) == EXPECTED_PLANS
    assert set(read_manifest(settings).missing) == EXPECTED_PLANS

    # synthetic stand-in, clearly labelled: the real plan's text is not available
    text = SYNTHETIC_PLAN.replace(
        "某市推动制造业集群高质量发展实施方案（示例）", f"{AUTO_PLAN}（合成示例）"
    )
    assert text.startswith(SYNTHETIC_LABEL)
    add_plan(settings, f"{AUTO_PLAN}.txt", text)
    summary = ingest(settings, fake_embedder, tokenizer)
    assert set(summary.missing) == EXPECTED_PLANS - {AUTO_PLAN}
    assert AUTO_PLAN not in read_manifest(settings).missing


# --- the writer lock ----------------------------------------------------------------


@pytest.mark.unit
def test_second_ingest_is_refused_while_the_lock_is_held(
    settings, fake_embedder, tokenizer
) -> None:
    with WriterLock(settings.home), pytest.raises(IngestLockedError) as info:
        ingest(settings, fake_embedder, tokenizer)
    assert "another ingest is running" in str(info.value)
    assert read_manifest(settings) is None  # nothing was written
    assert ingest(settings, fake_embedder, tokenizer).ok  # released afterwards


@pytest.mark.unit
def test_lock_held_by_another_process_is_refused(settings, fake_embedder, tokenizer) -> None:
    code = (
        "import sys, time; from policyqa.index.lock import WriterLock\n"
        "with WriterLock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(settings.home)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IngestLockedError) as info:
            ingest(settings, fake_embedder, tokenizer)
        assert f"pid {holder.pid}" in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    assert ingest(settings, fake_embedder, tokenizer).ok  # the kernel released it


@pytest.mark.unit
def test_stale_lock_of_a_dead_process_is_cleared(settings, fake_embedder, tokenizer) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "ingest.lock").write_text(json.dumps({"pid": pid, "time": time.time()}))
    summary = ingest(settings, fake_embedder, tokenizer)
    assert summary.ok and str(pid) in summary.stale_lock
    assert ingest(settings, fake_embedder, tokenizer).stale_lock == ""  # released cleanly


# --- model checks and rebuild -------------------------------------------------------


@pytest.mark.unit
def test_querying_with_another_model_is_refused(settings, fake_embedder, tokenizer) -> None:
    with pytest.raises(IndexMissingError, match="policyqa ingest"):
        open_live(settings, tokenizer)
    ingest(settings, fake_embedder, tokenizer)
    with pytest.raises(ModelMismatchError) as info:
        open_live(settings, tokenizer, "other-model")
    assert "fake-embedder" in str(info.value) and "--rebuild" in str(info.value)
    gen = open_live(settings, tokenizer, "fake-embedder")
    assert len(gen.chunks) > 0


class OtherEmbedder(FakeEmbedder):
    name = "other-model"


def test_ingest_with_another_model_needs_rebuild(settings, fake_embedder, tokenizer) -> None:
    first = ingest(settings, fake_embedder, tokenizer)
    other = OtherEmbedder(dim=16)
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        ingest(settings, other, tokenizer)
    assert other.texts == 0
    summary = ingest(settings, other, tokenizer, rebuild=True)
    assert summary.embedded == summary.chunks == first.chunks
    manifest, chunks = live(settings)
    assert other.texts == texts_of(chunks)
    assert manifest.model == "other-model" and manifest.embedder.dim == 16
    assert summary.generation == first.generation + 1
    gen = open_live(settings, tokenizer, "other-model")
    assert gen.chroma.count() == summary.chunks


def test_rebuild_reembeds_everything_with_the_same_ids(settings, fake_embedder, tokenizer) -> None:
    first = ingest(settings, fake_embedder, tokenizer)
    _, before = live(settings)
    summary = ingest(settings, fake_embedder, tokenizer, rebuild=True)
    _, after = live(settings)
    assert summary.embedded == summary.chunks == first.chunks
    assert [c.chunk_id for c in after] == [c.chunk_id for c in before]
    assert summary.generation == first.generation + 1


def test_cli_rebuild_flag(settings, fake_embedder, tokenizer, monkeypatch) -> None:
    from policyqa import app
    from policyqa.cli import main

    monkeypatch.setattr(app, "embedder_for", lambda s: fake_embedder)
    monkeypatch.setattr(app, "tokenizer_for", lambda s: tokenizer)
    monkeypatch.setenv("POLICYQA_CORPUS", str(settings.corpus))
    monkeypatch.setenv("POLICYQA_EMBED_MODEL", "fake-embedder")
    runner = CliRunner()
    args = ["--home", str(settings.home), "ingest"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "generation 1" in first.output and "missing expected document" in first.output
    again = runner.invoke(main, args)
    assert "embedded 0 new" in again.output and "generation 1" in again.output
    rebuilt = runner.invoke(main, [*args, "--rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "generation 2" in rebuilt.output and "embedded 0 new" not in rebuilt.output
    assert read_manifest(settings).generation == 2


# --- old generations -----------------------------------------------------------------


def test_long_running_retriever_releases_replaced_generations(
    settings, fake_embedder, tokenizer
) -> None:
    ingest(settings, fake_embedder, tokenizer)
    retriever = HybridRetriever(settings, fake_embedder, tokenizer)
    held = retriever.generation  # a query still reading the first generation
    released = []
    for n in range(2):
        released.append(retriever.generation.chroma.client)
        add_plan(settings, f"plan-{n}.txt", SYNTHETIC_PLAN + f"\n第{n}版")
        ingest(settings, fake_embedder, tokenizer)
        assert retriever.search("本地配套率", k=3)  # answers from the new generation
    gc.collect()
    assert retriever.generation.generation == held.generation + 2
    assert held.chroma.collection.count() > 0  # still usable while held
    assert released[1]._closed  # the second generation: replaced and no longer held
    del held
    gc.collect()
    assert released[0]._closed
    assert retriever.search("本地配套率", k=3)


def test_only_live_and_previous_generations_are_kept(settings, fake_embedder, tokenizer) -> None:
    plan = add_plan(settings)
    for n in range(3):
        plan.write_text(SYNTHETIC_PLAN + f"\n第七条 第{n}次修订。\n", encoding="utf-8")
        ingest(settings, fake_embedder, tokenizer)
    generation = read_manifest(settings).generation
    assert generation == 3
    folders = sorted(p.name for p in settings.index_dir.glob("gen-*"))
    assert folders == ["gen-000002", "gen-000003"]
    assert sorted(p.name for p in settings.chroma_dir.glob("g*")) == ["g000002", "g000003"]


# --- keyword folders -------------------------------------------------------------------


@pytest.mark.unit
def test_keyword_folders_hold_no_pickle(settings, fake_embedder, tokenizer) -> None:
    ingest(settings, fake_embedder, tokenizer)
    folder = gen_dir(settings.index_dir, read_manifest(settings).generation)
    for view in ("bm25", "bigram"):
        files = list((folder / view).iterdir())
        assert files and {f.suffix for f in files} <= {".npy", ".json"}, files
        for f in files:
            if f.suffix == ".npy":
                np.load(f, allow_pickle=False)
            else:
                json.loads(f.read_text(encoding="utf-8"))
    assert not list(settings.home.rglob("*.pkl")) and not list(settings.home.rglob("*.pickle"))


def test_lost_keyword_index_is_rebuilt_without_embedding(
    settings, fake_embedder, tokenizer
) -> None:
    """A keyword folder lost from the live generation is named when the index is opened;
    the next ingest rebuilds it in place from the stored chunks, embedding nothing."""
    add_plan(settings)
    first = ingest(settings, fake_embedder, tokenizer)
    gen = open_live(settings, tokenizer)
    terms = tokenizer.terms("新能源汽车本地配套率")
    scores = gen.bm25.scores(terms)
    bigram_scores = gen.bigram.scores(["配套", "套率"])
    assert scores.max() > 0
    rows = list(gen.chunks)

    folder = gen_dir(settings.index_dir, gen.generation)
    shutil.rmtree(folder / "bm25")
    with pytest.raises(IndexDamagedError) as info:
        open_live(settings, tokenizer)
    assert "bm25" in str(info.value) and "missing" in str(info.value)

    texts = fake_embedder.texts
    summary = ingest(settings, fake_embedder, tokenizer)
    assert summary.ok and summary.chunks == first.chunks
    assert summary.embedded == 0 and fake_embedder.texts == texts  # nothing embedded again
    assert len(summary.repaired) == 5 and all("/bm25/" in line for line in summary.repaired)
    again = open_live(settings, tokenizer)
    assert again.generation == summary.generation == first.generation  # repaired in place
    assert list(again.chunks) == rows  # same rows, same order
    assert np.allclose(again.bm25.scores(terms), scores)
    assert np.allclose(again.bigram.scores(["配套", "套率"]), bigram_scores)
    assert not list(settings.index_dir.rglob(".*tmp"))


@pytest.mark.unit
def test_keyword_search_needs_an_index(settings, fake_embedder, tokenizer) -> None:
    qa = PolicyQA(settings, fake_embedder, tokenizer)
    with pytest.raises(IndexMissingError, match="policyqa ingest"):
        qa.search("新能源汽车本地配套率")
    assert not settings.index_dir.exists()  # asking built nothing
