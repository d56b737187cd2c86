"""`policyqa bench`: ingest against the encode-only floor, query latency, a
one-shot question's wall time and memory, concurrency, the naive LangChain
baseline and synthetic scale, in one run.

    >>> result = run_bench(Settings.from_env(), Path("out/bench"), quick=True)
    >>> [(t["name"], t["met"]) for t in result["targets"]][0]
    ('ingest / encode-only', True)

Models and tokenizers come from the product's own factories (`PolicyQA`), so
what is measured is what ships. Model loading and warm-up are excluded from
every timed figure except the one-shot question, which is all about them.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from policyqa.app import PolicyQA
from policyqa.settings import Settings

from .ingest import WARM_NOTE, embedded_texts, measure_ingest
from .measure import bench_queries, log
from .report import write_report
from .scale import REUSED, measure_scale
from .serve import (
    CONCURRENT_CALLS,
    measure_baseline,
    measure_cold_start,
    measure_concurrency,
    measure_queries,
)
from .targets import LARGE, target_table, targets

SECTIONS = ("ingest", "latency", "cold_start", "concurrency", "baseline", "scale")


def run_bench(
    settings: Settings,
    report_dir: Path,
    quick: bool = False,
    scale: int | None = None,
    only: tuple[str, ...] = (),
) -> dict:
    """Run the sections (all, or `only` these) and write bench.json, bench.md and
    the plots to `report_dir`. `scale` is the largest synthetic corpus in chunks."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="policyqa-bench-"))
    started = time.perf_counter()
    wanted = set(only or SECTIONS)
    result: dict = {"quick": quick, "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    result["machine"] = machine()
    result["notes"] = [WARM_NOTE, REUSED]
    timings = result["section_seconds"] = {}

    def section(name: str, fn: Callable[[], object]) -> object:
        if name not in wanted:
            return None
        t = time.perf_counter()
        try:
            result[name] = fn()
            return result[name]
        finally:
            timings[name] = round(time.perf_counter() - t, 1)

    try:
        _run_sections(
            PolicyQA(settings.with_(home=root / "home")),
            root,
            quick,
            scale,
            wanted,
            result,
            section,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["targets"] = targets(result)
    write_report(result, report_dir)
    print(target_table(result["targets"]))
    print(f"\nreport: {report_dir / 'bench.md'}")
    return result


def _run_sections(app, root, quick, scale, wanted, result, section) -> None:
    t = time.perf_counter()
    app.embedder.embed(["预热"] * 4)
    result["model"] = {"name": app.embedder.name, "load_s": round(time.perf_counter() - t, 3)}
    log(f"model loaded in {result['model']['load_s']:.1f} s (excluded from timings)")
    t = time.perf_counter()
    home = _ingested(app, root, quick, result if "ingest" in wanted else None)
    result["section_seconds"]["ingest"] = round(time.perf_counter() - t, 1)
    queries = bench_queries(50 if quick else 250)
    section("latency", lambda: measure_queries(home, queries))
    section("cold_start", lambda: measure_cold_start(home, queries[0], root))
    fresh = bench_queries(CONCURRENT_CALLS, variant=2)  # no cached query vectors
    section("concurrency", lambda: measure_concurrency(home.ask, fresh, "ask"))
    if {"ingest", "latency"} <= wanted:
        section("baseline", lambda: measure_baseline(app, root, queries, result))
    sizes = [80, scale or 800] if quick else [80, 8000, scale or LARGE]
    section(
        "scale", lambda: measure_scale(app, root, sizes, 50 if quick else 125, one_process=quick)
    )


def _ingested(app: PolicyQA, root: Path, quick: bool, result: dict | None) -> PolicyQA:
    """A facade over a built index of the corpus: the measured ingest's (its figures go
    into `result`), or an untimed one. Both leave the source vectors scale needs."""
    if result is not None:
        result["ingest"], home = measure_ingest(app, root, 1 if quick else 3, warm=not quick)
        return home
    app.ingest(rebuild=True)
    texts, chunk_rows = embedded_texts(app)
    np.save(root / "source-vectors.npy", app.embedder.embed([texts[i] for i in chunk_rows]))
    return app


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
