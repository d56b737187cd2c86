"""Serving: warm query latency, the cold start of a one-shot `policyqa ask`,
concurrent questions, and the naive LangChain baseline in the same run."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from policyqa.app import PolicyQA

from .measure import WARM_UP, RssSampler, child_env, latency, timed

CONCURRENT_CALLS = 50


def measure_queries(app: PolicyQA, queries: list[str]) -> dict:
    """Each kind of call on a fresh facade, so no query vector is cached from an
    earlier measurement."""

    def fresh() -> PolicyQA:
        other = PolicyQA(app.settings, app.embedder, app.tokenizer)
        for q in WARM_UP:
            other.ask(q)  # index load, first-call costs
        return other

    search, answer, embed = fresh(), fresh(), fresh()
    return {
        "queries": len(queries),
        "retrieval": latency(timed(lambda q: search.search(q, k=10), queries)),
        "retrieval_repeated": latency(timed(lambda q: search.search(q, k=10), queries[:50])),
        "embed_query": latency(timed(embed.retriever().embed_query, queries)),
        "answer": latency(timed(answer.ask, queries)),
    }


def measure_cold_start(app: PolicyQA, question: str, root: Path) -> dict:
    """Wall clock and peak memory of `policyqa ask --json QUESTION`, as a user runs it."""
    cmd = [sys.executable, "-m", "policyqa.cli", "ask", "--json", question]
    err = root / "cold-start.stderr"
    with open(err, "w", encoding="utf-8") as fh:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, env=child_env(app.settings), stdout=subprocess.PIPE, stderr=fh)
        with RssSampler(proc.pid, every=0.005) as rss:
            out, _ = proc.communicate(timeout=300)
        seconds = time.perf_counter() - t
    if proc.returncode != 0:
        tail = err.read_text(encoding="utf-8")[-800:]
        return {"skipped": f"`policyqa ask` exited {proc.returncode}: {tail}"}
    result = json.loads(out)
    return {
        "seconds": round(seconds, 3),
        "peak_rss": rss.peak,
        "answerable": result["answerable"],
        "command": "policyqa ask --json <question>",
    }


def measure_concurrency(call: Callable[[str], object], queries: list[str], what: str) -> dict:
    """CONCURRENT_CALLS calls released together from as many threads."""
    barrier = threading.Barrier(CONCURRENT_CALLS)

    def one(q: str) -> float:
        barrier.wait()
        t = time.perf_counter()
        call(q)
        return time.perf_counter() - t

    qs = [queries[i % len(queries)] for i in range(CONCURRENT_CALLS)]
    with ThreadPoolExecutor(max_workers=CONCURRENT_CALLS) as pool:
        t = time.perf_counter()
        durations = list(pool.map(one, qs))
        wall = time.perf_counter() - t
    return {
        "what": what,
        "calls": CONCURRENT_CALLS,
        "threads": CONCURRENT_CALLS,
        "wall_s": round(wall, 3),
        "throughput_per_s": round(CONCURRENT_CALLS / wall, 2),
        **latency(durations),
    }


def measure_baseline(app: PolicyQA, root: Path, queries: list[str], ours: dict) -> dict:
    """The naive LangChain pipeline over the same corpus with the same model."""
    import langchain_chroma  # noqa: F401  imports are not ingest work
    import langchain_text_splitters  # noqa: F401

    from policyqa.eval.baseline import NaiveLangChainBaseline

    base = NaiveLangChainBaseline(app.settings.with_(home=root / "baseline"), app.embedder)
    t = time.perf_counter()
    base.warm_up()
    ingest_s = time.perf_counter() - t
    try:
        for q in WARM_UP:
            base.ask(q)
        lat = latency(timed(base.ask, queries))
    finally:
        base.close()
    return {
        "what": "NaiveLangChainBaseline: raw text, RecursiveCharacterTextSplitter(500, 50), same "
        "model, langchain_chroma dense top-10; its ask adds only the first two sentences of "
        "the top passage, so its ask time is its retrieval time",
        "ingest_s": round(ingest_s, 4),
        "ask": lat,
        "ingest_ratio_ours_to_baseline": round(ours["ingest"]["ingest_median_s"] / ingest_s, 3),
        "retrieval_ratio_ours_to_baseline": round(
            ours["latency"]["retrieval"]["median_ms"] / lat["median_ms"], 3
        ),
        "answer_ratio_ours_to_baseline": round(
            ours["latency"]["answer"]["median_ms"] / lat["median_ms"], 3
        ),
    }
