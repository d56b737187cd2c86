"""Scale: synthetic corpora made from the real one, each ingested and then
queried in fresh processes (`policyqa bench-worker`), so that the peak memory
of each is its own.

Encoding 100,000 synthetic chunks would cost an hour of CPU, so the ingest
worker gives each synthetic text the real vector of the source chunk its
sentences came from (`SourceVectorEmbedder`); the report says so.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from policyqa.app import PolicyQA
from policyqa.eval.synthetic import source_documents, write_corpus
from policyqa.settings import Settings

from .measure import (
    WARM_UP,
    MiB,
    RssSampler,
    bench_queries,
    child_env,
    folder_bytes,
    latency,
    log,
    peak_rss,
    timed,
)

REUSED = (
    "embeddings reused from source chunks: yes (each synthetic chunk gets the real vector of the "
    "chunk its sentences came from, plus small per-text noise; the model encodes only the real corpus)"
)


def copies_for(chunks: int, per_copy: int) -> int:
    return max(1, math.ceil(chunks / per_copy))


def measure_scale(
    app: PolicyQA, root: Path, sizes: list[int], n_queries: int, one_process: bool
) -> dict:
    """`sizes` are chunk counts; each becomes enough copies of the corpus to reach it."""
    sources = source_documents(app.settings, app.tokenizer)
    per_copy = len({c.chunk_id for p in sources for c in p.chunks})
    out = []
    for size in sizes:
        copies = copies_for(size, per_copy)
        folder = root / f"scale-{copies}"
        t = time.perf_counter()
        sentence_map, stats = write_corpus(sources, copies, folder / "corpus")
        sentence_map.save(folder / "map.npz")
        del sentence_map
        made = time.perf_counter() - t
        log(
            f"scale {copies}x: {stats.files} synthetic files ({stats.bytes / MiB:.1f} MiB) in {made:.1f} s"
        )
        settings = app.settings.with_(home=folder / "home", corpus=folder / "corpus")
        args = ["--vectors", str(root / "source-vectors.npy"), "--map", str(folder / "map.npz")]
        args += ["--queries", str(n_queries)]
        if one_process:
            both = _worker("both", settings, folder, args)
            built, served = both["ingest"], both["query"]
        else:
            built = _worker("ingest", settings, folder, args)
            served = _worker("query", settings, folder, args)
        log(
            f"scale {copies}x: {built['chunks']} chunks, ingest {built['seconds']:.1f} s "
            f"(peak RSS {built['rss_peak'] / MiB:.0f} MiB); retrieval median "
            f"{served['retrieval']['median_ms']:.1f} ms, p95 {served['retrieval']['p95_ms']:.1f} ms "
            f"(peak RSS {served['rss_peak'] / MiB:.0f} MiB)"
        )
        out.append(
            {
                "multiplier": copies,
                "label": f"{copies}x",
                "files": stats.files,
                "corpus_bytes": stats.bytes,
                "generate_s": round(made, 3),
                "chunks": built["chunks"],
                "ingest": built,
                "query": served,
                "chunks_per_s": round(built["chunks"] / built["seconds"], 2),
                "index_bytes": built["index_bytes"],
            }
        )
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "source_chunks": per_copy,
        "one_process_per_size": one_process,
        "note": REUSED,
        "sizes": out,
    }


def _worker(kind: str, settings: Settings, folder: Path, args: list[str]) -> dict:
    out = folder / f"{kind}.json"
    cmd = [sys.executable, "-m", "policyqa.cli", "bench-worker", kind, "--out", str(out), *args]
    with open(folder / f"{kind}.stderr", "w", encoding="utf-8") as err:
        proc = subprocess.run(cmd, env=child_env(settings), stderr=err, stdout=subprocess.DEVNULL)
    if proc.returncode != 0:
        tail = (folder / f"{kind}.stderr").read_text(encoding="utf-8")[-2000:]
        raise RuntimeError(f"bench worker {kind} failed ({proc.returncode}):\n{tail}")
    return json.loads(out.read_text(encoding="utf-8"))


def worker(
    kind: str, settings: Settings, vectors: Path, map_path: Path, queries: int, out: Path
) -> None:
    """The body of `policyqa bench-worker`: ingest, query, or both, in this process."""
    result: dict = {}
    if kind in ("ingest", "both"):
        result["ingest"] = worker_ingest(settings, vectors, map_path)
    if kind in ("query", "both"):
        result["query"] = worker_query(settings, queries)
    out.write_text(json.dumps(result if kind == "both" else result[kind]), encoding="utf-8")


def worker_ingest(settings: Settings, vectors: Path, map_path: Path) -> dict:
    import chromadb  # noqa: F401  imported before timing, as in a warm process

    from policyqa.eval.synthetic import SentenceMap, SourceVectorEmbedder
    from policyqa.indexing import ingest
    from policyqa.language import tokenizer_for

    tokenizer = tokenizer_for(settings)
    embedder = SourceVectorEmbedder(
        settings.embed_model, np.load(vectors, allow_pickle=False), SentenceMap.load(map_path)
    )
    with RssSampler() as rss:
        base = rss.now()
        t = time.perf_counter()
        summary = ingest(settings, embedder, tokenizer, rebuild=True)
        seconds = time.perf_counter() - t
    return {
        "chunks": summary.chunks,
        "files": summary.files,
        "errors": [list(e) for e in summary.errors[:5]],
        "seconds": round(seconds, 3),
        "stages_s": {k: round(v, 3) for k, v in summary.stages.items()},
        "embedded_by_stand_in": summary.embedded,
        "matched_to_source_by_sentence_or_section": embedder.matched,
        "unmatched_given_hashed_source": embedder.unmatched,
        "rss_before": base,
        "rss_peak": rss.peak,
        "vm_hwm": peak_rss(),
        "index_bytes": folder_bytes(settings.index_dir),
        "chroma_bytes": folder_bytes(settings.chroma_dir),
    }


def worker_query(settings: Settings, n_queries: int) -> dict:
    with RssSampler() as rss:
        start = rss.now()
        app = PolicyQA(settings)
        app.embedder.embed(["预热"])
        _ = app.tokenizer
        with_model = rss.now()
        t = time.perf_counter()
        generation = app.retriever().generation
        load_s = time.perf_counter() - t
        loaded = rss.now()
        for q in WARM_UP:
            app.search(q, k=10)
        load_before = os.getloadavg()[0]

        def search(q: str) -> object:
            return app.search(q, k=10)

        queries = bench_queries(max(n_queries, 1))
        lat = latency(timed(search, queries))
        # the same questions again: their query vectors are cached, so this is
        # the index's share of retrieval (keyword views, Chroma, fusion)
        index_only = latency(timed(search, queries))
        fresh = bench_queries(50, variant=3)  # not embedded before
        embed_lat = latency(timed(lambda q: app.embedder.embed([q]), fresh))
    return {
        "chunks": len(generation.chunks),
        "snapshot_load_s": round(load_s, 3),
        "retrieval": lat,
        "retrieval_vector_cached": index_only,
        "embed_query": embed_lat,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "rss_start": start,
        "rss_with_model": with_model,
        "rss_index_loaded": loaded,
        "index_rss": loaded - with_model,
        "rss_peak": rss.peak,
        "vm_hwm": peak_rss(),
    }
