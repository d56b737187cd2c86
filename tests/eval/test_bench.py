"""`policyqa bench --quick` end to end: the real model, the real paper, a fresh
home. It checks that every measurement ran and was written, not how fast:
timings on a shared machine are no test."""

from __future__ import annotations

import json

import pytest

from policyqa.settings import Settings
from tests.conftest import ROOT


@pytest.mark.integration
@pytest.mark.slow
def test_quick_bench_writes_every_report(tmp_path):
    from policyqa.eval.bench.run import run_bench

    settings = Settings.from_env(home=tmp_path / "home", corpus=ROOT / "corpus")
    report = tmp_path / "report"

    result = run_bench(settings, report, quick=True)

    data = json.loads((report / "bench.json").read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(result, ensure_ascii=False))
    assert data["quick"] is True
    ing = data["ingest"]
    assert ing["chunks"] > 0 and ing["errors"] == 0
    assert ing["ingest_median_s"] > 0 and ing["encode_median_s"] > 0 and ing["ratio"] > 0
    assert {"load+clean+chunk", "embed", "write", "keyword index"} <= set(ing["stages_median_s"])
    lat = data["latency"]
    for kind in ("retrieval", "embed_query", "answer"):
        assert lat[kind]["n"] >= 50
        assert 0 < lat[kind]["median_ms"] <= lat[kind]["p95_ms"]
    cold = data["cold_start"]
    assert cold["seconds"] > 0 and cold["peak_rss"] > 0 and cold["answerable"] is True
    assert data["concurrency"]["calls"] == 50 and data["concurrency"]["throughput_per_s"] > 0
    assert data["baseline"]["ask"]["n"] >= 50

    scale = data["scale"]
    assert scale["note"].startswith("embeddings reused from source chunks: yes")
    sizes = scale["sizes"]
    assert [s["multiplier"] for s in sizes] == [1, 10]
    assert sizes[0]["chunks"] < sizes[1]["chunks"]
    for s in sizes:
        assert s["chunks_per_s"] > 0 and s["index_bytes"] > 0
        assert s["query"]["retrieval"]["n"] >= 50 and s["query"]["retrieval"]["p95_ms"] > 0
        assert s["query"]["rss_peak"] > 0 and s["ingest"]["rss_peak"] > 0
        assert s["ingest"]["unmatched_given_hashed_source"] <= 0.05 * s["chunks"]

    names = [t["name"] for t in data["targets"]]
    assert names[0] == "ingest / encode-only" and names[-1] == "whole benchmark"
    assert {"answer p95 (warm)", "`policyqa ask --json` peak RSS"} <= set(names)
    md = (report / "bench.md").read_text(encoding="utf-8")
    assert "| Target | Goal | Measured | Status |" in md
    assert "embeddings reused from source chunks: yes" in md.lower()
    for png in ("scale.png", "latency.png"):
        assert (report / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_synthetic_copies_are_labelled_varied_and_mapped_to_their_sources(tmp_path, tokenizer):
    import numpy as np

    from policyqa.eval.synthetic import (
        SourceVectorEmbedder,
        source_chunks,
        source_documents,
        write_corpus,
    )
    from policyqa.ingest.document import parse_file

    settings = Settings.from_env(home=tmp_path / "home", corpus=ROOT / "corpus")
    sources = source_documents(settings, tokenizer)
    smap, stats = write_corpus(sources, 3, tmp_path / "syn")
    assert stats.files == 3 * len(sources)
    vectors = np.eye(len(source_chunks(sources)), 8, dtype=np.float32) + 0.01
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    embedder = SourceVectorEmbedder("any-model", vectors, smap)

    texts = [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "syn").glob("*.txt"))]
    assert texts[0].startswith("【合成样本 synthetic-0001】")
    assert "长三角" in texts[0] and "京津冀" in texts[1]  # copies 1 and 2 swap the region
    assert texts[0] != texts[1]
    parsed = parse_file(tmp_path / "syn" / "synthetic-0001.txt", tokenizer)
    assert parsed.doc.doc_id == "synthetic-0001" and parsed.doc.doc_type == "synthetic"
    out = embedder.embed([c.retrieval_text() for c in parsed.chunks])
    assert embedder.unmatched == 0 and embedder.matched == len(parsed.chunks)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # a synthetic chunk lands next to the source chunk at the same place
    src = smap.lookup([parsed.chunks[40].retrieval_text()])[0]
    assert src is not None and float(out[40] @ vectors[src]) > 0.8
