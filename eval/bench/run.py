"""`policyqa bench`: ingest against the encode-only floor, query latency, cold
start, concurrency, the naive LangChain baseline and synthetic scale, in one run.

Timings are only compared within a run (medians and ratios), never against an
absolute number from another machine or another moment. Model loading and
warm-up are excluded from every timed figure except the cold start, which is
all about them.

    >>> result = run_bench(Settings.from_env(), Path("out/bench"), quick=True)
    >>> [(t["name"], t["met"]) for t in result["targets"]][0]
    ('ingest / encode-only', True)

Each synthetic corpus size is ingested and then queried in two fresh
subprocesses (`python -m policyqa.eval.bench --worker ingest|query ...`), so
that the peak RSS of each is its own; --quick uses one (`--worker both`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path

import numpy as np

from policyqa.settings import ROOT, Settings

GOLD = Path(__file__).resolve().parent / "gold.jsonl"
MiB = 1024 * 1024
TOP_CHUNKS = 100_000  # the largest synthetic corpus: the size the scale targets name
QUICK_MULTIPLIERS = (1, 10)
FULL_MULTIPLIERS = (1, 100, None)  # None: enough copies for TOP_CHUNKS
CONCURRENT_CALLS = 50
REUSED = (
    "embeddings reused from source chunks: yes (each synthetic chunk gets the real vector of the "
    "chunk its sentences came from, plus small per-text noise; the model encodes only the real corpus)"
)
WARM_NOTE = (
    "Model load and warm-up are excluded from ingest, encode-only and query timings "
    "(the model is loaded and run once before any timing; chromadb is imported and, except "
    "with --quick, a first ingest runs untimed). The cold start includes them."
)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# measurement helpers -----------------------------------------------------------


def latency(seconds: list[float]) -> dict:
    ms = np.asarray(seconds, dtype=float) * 1000
    return {
        "n": len(seconds),
        "median_ms": round(float(np.median(ms)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "max_ms": round(float(ms.max()), 3),
    }


def timed(fn: Callable[[str], object], queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t)
    return out


class RssSampler:
    """Peak resident memory of this process, sampled every 20 ms in a thread
    (VmHWM is reported as well: it also sees peaks between samples)."""

    def __init__(self, every: float = 0.02) -> None:
        import psutil

        self._proc = psutil.Process()
        self.every = every
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        return int(self._proc.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def peak_rss() -> int:
    """This process's RSS high-water mark (VmHWM). Not ru_maxrss: on Linux a
    child started by fork+exec inherits its parent's ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def gold_questions() -> list[str]:
    with open(GOLD, encoding="utf-8") as fh:
        return [json.loads(line)["question"] for line in fh if line.strip()]


def bench_queries(n: int, variant: int = 0) -> list[str]:
    """n distinct questions: the gold set, then "请问" + its traditional-Chinese
    spelling, then further prefixes. The retriever caches query vectors by
    normalised text, so a repeated question would time a cache hit, not a query."""
    from opencc import OpenCC

    gold = list(dict.fromkeys(gold_questions()))
    s2t = OpenCC("s2t")
    pool = []
    for k in range(variant, variant + math.ceil(n / len(gold)) + 1):
        prefix = PREFIXES[k % len(PREFIXES)] + "（再问）" * (k // len(PREFIXES))
        pool += [prefix + (s2t.convert(q) if k % 2 else q) for q in gold]
    return pool[:n]


PREFIXES = ("", "请问", "想了解：", "请教一下，")
WARM_UP = ["预热：成渝地区产业协同现状如何？", "预热：汽车产业配套率", "预热：人才政策协同"]


def child_env(settings: Settings, **changes: object) -> dict[str, str]:
    """Environment that makes `Settings.from_env()` in a child equal `settings` + changes."""
    env = dict(os.environ)
    values = {f.name: getattr(settings, f.name) for f in fields(Settings)}
    values.update(changes)
    for f in fields(Settings):
        if f.name == "auth":
            continue
        value = values[f.name]
        env[f.metadata["env"]] = str(value.resolve() if isinstance(value, Path) else value)
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", ANONYMIZED_TELEMETRY="False")
    return env


def _dedupe(chunks: list) -> list:
    seen: dict[str, object] = {}
    for c in chunks:
        seen.setdefault(c.chunk_id, c)
    return list(seen.values())


# 1. ingest against the encode-only floor --------------------------------------


def measure_ingest(
    settings, embedder, tokenizer, root: Path, repeats: int, warm_ingest: bool = True
) -> tuple[dict, Settings]:
    """Full ingest into fresh homes, interleaved with the model encoding the same
    retrieval texts in the same batches: the floor no ingest can beat."""
    from policyqa.eval.synthetic import source_documents
    from policyqa.index.builder import ingest

    chunks = _dedupe([c for p in source_documents(settings, tokenizer) for c in p.chunks])
    texts = [c.retrieval_text() for c in chunks]
    group = max(1, settings.embed_batch) * 8  # the builder's embed call size

    def encode() -> np.ndarray:
        return np.concatenate(
            [embedder.embed(texts[i : i + group]) for i in range(0, len(texts), group)]
        )

    if warm_ingest:
        encode()  # warm-up: first-call allocations at full batch shapes
    else:
        embedder.embed(texts[:8])
    first = None
    if warm_ingest:  # imports chromadb and bm25s, first-call costs
        t = time.perf_counter()
        ingest(settings.with_(home=root / "ingest-warm"), embedder, tokenizer, rebuild=True)
        first = round(time.perf_counter() - t, 4)
        shutil.rmtree(root / "ingest-warm", ignore_errors=True)
    else:  # --quick: only the imports and a first Chroma client
        from policyqa.index.chroma_store import client_for

        client_for("", root / "chroma-warm", 0)
    encode_s, ingest_s, stages, summaries = [], [], [], []
    home = settings
    for n in range(repeats):
        t = time.perf_counter()
        vectors = encode()
        encode_s.append(time.perf_counter() - t)
        home = settings.with_(home=root / f"ingest-{n}")
        t = time.perf_counter()
        summary = ingest(home, embedder, tokenizer, rebuild=True)
        ingest_s.append(time.perf_counter() - t)
        stages.append(summary.stages)
        summaries.append(summary)
        if n < repeats - 1:
            shutil.rmtree(root / f"ingest-{n}", ignore_errors=True)
        log(f"ingest {ingest_s[-1]:.2f} s, encode-only {encode_s[-1]:.2f} s ({len(texts)} chunks)")
    np.save(root / "source-vectors.npy", vectors)
    med_ingest, med_encode = statistics.median(ingest_s), statistics.median(encode_s)
    pairs = [a / b for a, b in zip(ingest_s, encode_s, strict=True)]
    # stages of the median run, so that they add up to its total
    mid = sorted(range(repeats), key=ingest_s.__getitem__)[(repeats - 1) // 2]
    stage_medians = {k: round(v, 4) for k, v in stages[mid].items()}
    stage_medians["other"] = round(ingest_s[mid] - sum(stages[mid].values()), 4)
    summary = summaries[-1]
    return {
        "chunks": len(texts),
        "files": summary.files,
        "errors": len(summary.errors),
        "batch_size": settings.embed_batch,
        "repeats": repeats,
        "ingest_s": [round(x, 4) for x in ingest_s],
        "encode_s": [round(x, 4) for x in encode_s],
        "ingest_median_s": round(med_ingest, 4),
        "encode_median_s": round(med_encode, 4),
        "ratio": round(statistics.median(pairs), 3),
        "ratio_of_medians": round(med_ingest / med_encode, 3),
        "pair_ratios": [round(x, 3) for x in pairs],
        "stages_median_s": stage_medians,  # of the median run
        "first_ingest_s": first,
        "encode_chunks_per_s": round(len(texts) / med_encode, 2),
        "note": WARM_NOTE,
    }, home


# 2. warm query latency ---------------------------------------------------------


def assistant_or_reason(settings: Settings):
    """The in-process assistant, or why there is none (it is built elsewhere)."""
    try:
        from policyqa.pipeline import assistant_for
    except ImportError as exc:
        return None, f"policyqa.pipeline.assistant_for is not available ({exc})"
    try:
        assistant = assistant_for(settings)
        for q in WARM_UP:
            assistant.ask(q)  # warm-up: model load, snapshot load, first-call costs
    except Exception as exc:  # the assistant is developed concurrently: report, do not crash
        return None, f"assistant failed: {type(exc).__name__}: {exc}"
    return assistant, ""


def measure_queries(settings, embedder, queries: list[str]) -> tuple[dict, object]:
    """Each kind of call on its own retriever, so no query vector is cached
    from an earlier measurement."""
    from policyqa.index.retriever import HybridRetriever
    from policyqa.ingest.tokenizer import Tokenizer

    def fresh() -> HybridRetriever:
        tokenizer = Tokenizer(settings.user_dict, cache_dir=settings.cache_dir)
        retriever = HybridRetriever(settings, embedder, tokenizer)
        for q in WARM_UP:
            retriever.search(q, k=10)
        return retriever

    retriever = fresh()
    out = {
        "queries": len(queries),
        "retrieval": latency(timed(lambda q: retriever.search(q, k=10), queries)),
        "retrieval_repeated": latency(timed(lambda q: retriever.search(q, k=10), queries[:50])),
        "embed_query": latency(timed(fresh().embed_query, queries)),
        "embed_query_one_thread": one_thread(lambda: latency(timed(fresh().embed_query, queries))),
    }
    assistant, reason = assistant_or_reason(settings)
    if assistant is None:
        out["answer"] = {"skipped": reason}
        log(f"answer latency skipped: {reason}")
    else:
        out["answer"] = latency(timed(assistant.ask, queries))
    return out, assistant


def one_thread(measure: Callable[[], dict]) -> dict:
    """A diagnostic: the same measurement with torch limited to one thread."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return {**measure(), "torch_threads": 1, "default_torch_threads": threads}
    finally:
        torch.set_num_threads(threads)


COLD_START = """
import json, sys, time
t0 = time.perf_counter()
from policyqa.settings import Settings
try:
    from policyqa.pipeline import assistant_for
except ImportError:
    assistant_for = None
from policyqa.pipeline import retriever_for
t1 = time.perf_counter()
settings = Settings.from_env()
if assistant_for is not None:
    assistant_for(settings).ask(sys.argv[1])
    what = "answer"
else:
    retriever_for(settings).search(sys.argv[1], k=10)
    what = "search"
t2 = time.perf_counter()
print("BENCH-DONE " + json.dumps({"what": what, "import_s": t1 - t0, "first_s": t2 - t1}), flush=True)
"""


def measure_cold_start(settings: Settings, question: str, root: Path) -> dict:
    """Wall clock from launching `python -c` to its first answer on the built index."""
    env = child_env(settings)
    err = open(root / "cold-start.stderr", "w+", encoding="utf-8")  # noqa: SIM115
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", COLD_START, question],
        stdout=subprocess.PIPE,
        stderr=err,
        text=True,
        env=env,
        cwd=ROOT,
    )
    info, seconds = None, None
    for line in proc.stdout:
        if line.startswith("BENCH-DONE "):
            seconds = time.perf_counter() - t
            info = json.loads(line.split(" ", 1)[1])
            break
    proc.wait(timeout=120)
    if info is None:
        err.seek(0)
        tail = err.read()[-800:]
        err.close()
        return {"skipped": f"cold-start child exited {proc.returncode}: {tail}"}
    err.close()
    return {
        "seconds": round(seconds, 3),
        "what": info["what"],
        "child_import_s": round(info["import_s"], 3),
        "child_first_call_s": round(info["first_s"], 3),
        "interpreter_start_s": round(seconds - info["import_s"] - info["first_s"], 3),
    }


# 5. concurrency ----------------------------------------------------------------


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


# 4. the naive LangChain baseline -------------------------------------------------


def measure_baseline(settings, embedder, root: Path, queries: list[str], ours: dict) -> dict:
    try:
        from policyqa.eval.baseline import NaiveLangChainBaseline
    except ImportError as exc:
        return {"skipped": f"policyqa.eval.baseline is not available ({exc})"}
    import langchain_chroma  # noqa: F401  imports are not ingest work
    import langchain_text_splitters  # noqa: F401

    base = NaiveLangChainBaseline(settings.with_(home=root / "baseline"), embedder)
    t = time.perf_counter()
    base.warm_up()
    ingest_s = time.perf_counter() - t
    try:
        for q in WARM_UP:
            base.ask(q)
        lat = latency(timed(base.ask, queries))
    finally:
        base.close()
    ours_ingest = ours["ingest"]["ingest_median_s"]
    out = {
        "what": "NaiveLangChainBaseline: raw text, RecursiveCharacterTextSplitter(500, 50), same "
        "model, langchain_chroma dense top-10; its ask adds only the first two sentences of "
        "the top passage, so its ask time is its retrieval time",
        "ingest_s": round(ingest_s, 4),
        "ask": lat,
        "ingest_ratio_ours_to_baseline": round(ours_ingest / ingest_s, 3),
        "retrieval_ratio_ours_to_baseline": round(
            ours["latency"]["retrieval"]["median_ms"] / lat["median_ms"], 3
        ),
    }
    answer = ours["latency"].get("answer", {})
    if "median_ms" in answer:
        out["answer_ratio_ours_to_baseline"] = round(answer["median_ms"] / lat["median_ms"], 3)
    return out


# 3. scale ------------------------------------------------------------------------


def measure_scale(
    settings, tokenizer, root: Path, multipliers, n_queries: int, one_process: bool = False
) -> dict:
    """Each size in fresh subprocesses: one to ingest, one to query (with
    `one_process`, as --quick does, one that does both: faster, but its
    memory figures then mix the two)."""
    from policyqa.eval.synthetic import source_documents, write_corpus

    sources = source_documents(settings, tokenizer)
    per_copy = sum(len(p.chunks) for p in sources)
    vectors = root / "source-vectors.npy"
    sizes = []
    for m in multipliers:
        copies = m or math.ceil(TOP_CHUNKS / per_copy)
        folder = root / f"scale-{copies}"
        t = time.perf_counter()
        sentence_map, stats = write_corpus(sources, copies, folder / "corpus")
        sentence_map.save(folder / "map.npz")
        made = time.perf_counter() - t
        log(
            f"scale {copies}x: {stats.files} synthetic files ({stats.bytes / MiB:.1f} MiB) in {made:.1f} s"
        )
        env = child_env(settings, home=folder / "home", corpus=folder / "corpus")
        common = ["--home", str(folder / "home"), "--corpus", str(folder / "corpus")]
        sources_args = ["--vectors", str(vectors), "--map", str(folder / "map.npz")]
        queries_args = ["--queries", str(n_queries)]
        if one_process:
            both = _worker(["both", *common, *sources_args, *queries_args], env, folder)
            built, served = both["ingest"], both["query"]
        else:
            built = _worker(["ingest", *common, *sources_args], env, folder)
        log(
            f"scale {copies}x: ingested {built['chunks']} chunks in {built['seconds']:.1f} s, "
            f"peak RSS {built['rss_peak'] / MiB:.0f} MiB"
        )
        if not one_process:
            served = _worker(["query", *common, *queries_args], env, folder)
        log(
            f"scale {copies}x: retrieval median {served['retrieval']['median_ms']:.1f} ms, "
            f"p95 {served['retrieval']['p95_ms']:.1f} ms, peak RSS {served['rss_peak'] / MiB:.0f} MiB"
        )
        sizes.append(
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
        "embeddings_reused_from_source_chunks": "yes",
        "one_process_per_size": one_process,
        "note": REUSED,
        "sizes": sizes,
    }


def _worker(args: list[str], env: dict, folder: Path) -> dict:
    out = folder / f"{args[0]}.json"
    cmd = [sys.executable, "-m", "policyqa.eval.bench", "--worker", *args, "--out", str(out)]
    with open(folder / f"{args[0]}.stderr", "w", encoding="utf-8") as err:
        proc = subprocess.run(cmd, env=env, cwd=ROOT, stderr=err, stdout=subprocess.DEVNULL)
    if proc.returncode != 0:
        tail = (folder / f"{args[0]}.stderr").read_text(encoding="utf-8")[-2000:]
        raise RuntimeError(f"bench worker {' '.join(args[:1])} failed ({proc.returncode}):\n{tail}")
    return json.loads(out.read_text(encoding="utf-8"))


def worker_ingest(settings: Settings, vectors: Path, map_path: Path) -> dict:
    import chromadb  # noqa: F401  imported before timing, as in a warm process

    from policyqa.eval.synthetic import SentenceMap, SourceVectorEmbedder
    from policyqa.index.builder import ingest
    from policyqa.ingest.tokenizer import Tokenizer

    tokenizer = Tokenizer(settings.user_dict, cache_dir=settings.cache_dir)
    embedder = SourceVectorEmbedder(
        settings.embed_model, np.load(vectors, allow_pickle=False), SentenceMap.load(map_path)
    )
    cache: dict[str, np.ndarray] = {}
    with RssSampler() as rss:
        base = rss.now()
        t = time.perf_counter()
        summary = ingest(settings, embedder, tokenizer, rebuild=True, embed_cache=cache)
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
    from policyqa.index.embedder import SentenceTransformerEmbedder
    from policyqa.index.retriever import HybridRetriever
    from policyqa.ingest.tokenizer import Tokenizer

    with RssSampler() as rss:
        start = rss.now()
        embedder = SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch)
        embedder.warm_up()
        embedder.embed(["预热"])
        tokenizer = Tokenizer(settings.user_dict, cache_dir=settings.cache_dir)
        with_model = rss.now()
        retriever = HybridRetriever(settings, embedder, tokenizer)
        t = time.perf_counter()
        snap = retriever.snapshot
        load_s = time.perf_counter() - t
        loaded = rss.now()
        queries = bench_queries(max(n_queries, 1))
        for q in WARM_UP:
            retriever.search(q, k=10)
        load_before = os.getloadavg()[0]

        def search(q: str) -> object:
            return retriever.search(q, k=10)

        lat = latency(timed(search, queries))
        # the same questions again: their query vectors are cached, so this is
        # the index's share of retrieval (lexical views, Chroma, fusion)
        index_only = latency(timed(search, queries))
        fresh = bench_queries(50, variant=3)  # not embedded before

        def embed(q: str) -> object:
            return embedder.embed([q])

        embed_lat = latency(timed(embed, fresh))
        embed_one = one_thread(lambda: latency(timed(embed, [q + "。" for q in fresh])))
    return {
        "chunks": len(snap.chunks),
        "snapshot_load_s": round(load_s, 3),
        "retrieval": lat,
        "retrieval_vector_cached": index_only,
        "embed_query": embed_lat,
        "embed_query_one_thread": embed_one,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "rss_start": start,
        "rss_with_model": with_model,
        "rss_index_loaded": loaded,
        "index_rss": loaded - with_model,
        "rss_peak": rss.peak,
        "vm_hwm": peak_rss(),
    }


# the run -------------------------------------------------------------------------


def run_bench(
    settings: Settings, report_dir: Path, quick: bool = False, multipliers: tuple | None = None
) -> dict:
    """Run every measurement in this process (and its workers) and write
    bench.json, bench.md, scale.png and latency.png to `report_dir`."""
    from policyqa.index.embedder import SentenceTransformerEmbedder
    from policyqa.ingest.tokenizer import Tokenizer

    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="policyqa-bench-"))
    started = time.perf_counter()
    try:
        t = time.perf_counter()
        embedder = SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch)
        embedder.warm_up()
        embedder.embed(["预热"] * 4)
        load_s = time.perf_counter() - t
        tokenizer = Tokenizer(settings.user_dict, cache_dir=root / "jieba")
        result: dict = {
            "quick": quick,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": machine(),
            "model": {"name": settings.embed_model, "load_s": round(load_s, 3), "excluded": True},
            "notes": [WARM_NOTE, REUSED],
        }
        log(f"model loaded in {load_s:.1f} s (excluded from timings)")
        sections = result["section_seconds"] = {}

        def section(name: str, fn: Callable[[], object]) -> object:
            t = time.perf_counter()
            try:
                return fn()
            finally:
                sections[name] = round(time.perf_counter() - t, 1)

        result["ingest"], home = section(
            "ingest",
            lambda: measure_ingest(
                settings, embedder, tokenizer, root, 1 if quick else 3, warm_ingest=not quick
            ),
        )
        queries = bench_queries(50 if quick else 250)
        result["latency"], assistant = section(
            "latency", lambda: measure_queries(home, embedder, queries)
        )
        log(f"latency: {json.dumps(result['latency'], ensure_ascii=False)}")
        result["cold_start"] = section(
            "cold_start", lambda: measure_cold_start(home, queries[0], root)
        )
        log(f"cold start: {result['cold_start']}")
        # questions not asked before: no cached query vectors
        fresh_qs = bench_queries(CONCURRENT_CALLS, variant=2)
        if assistant is not None:
            call, what = assistant.ask, "assistant.ask"
        else:
            from policyqa.pipeline import retriever_for

            call, what = (lambda q: retriever_for(home).search(q, k=10)), "search (no assistant)"
        result["concurrency"] = section(
            "concurrency", lambda: measure_concurrency(call, fresh_qs, what)
        )
        result["baseline"] = section(
            "baseline", lambda: measure_baseline(settings, embedder, root, queries, result)
        )
        mults = multipliers or (QUICK_MULTIPLIERS if quick else FULL_MULTIPLIERS)
        result["scale"] = section(
            "scale",
            lambda: measure_scale(
                settings, tokenizer, root, mults, 50 if quick else 125, one_process=quick
            ),
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


def machine() -> dict:
    import torch

    return {
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


# targets and report ----------------------------------------------------------------


def targets(r: dict) -> list[dict]:
    rows = []

    def add(name: str, goal: str, value: float | None, limit: float, unit: str, note: str = ""):
        met = None if value is None else value <= limit
        rows.append(
            {"name": name, "goal": goal, "value": value, "unit": unit, "met": met, "note": note}
        )

    add("ingest / encode-only", "≤ 1.3", r["ingest"]["ratio"], 1.3, "×")
    ret = r["latency"]["retrieval"]
    add("retrieval median (warm)", "≤ 30 ms", ret["median_ms"], 30, "ms")
    ans = r["latency"]["answer"]
    add("answer median (warm)", "≤ 100 ms", ans.get("median_ms"), 100, "ms", ans.get("skipped", ""))
    cold = r["cold_start"]
    note = cold.get("skipped", "") or ("" if cold.get("what") == "answer" else "to first search")
    add("cold start to first answer", "≤ 15 s", cold.get("seconds"), 15, "s", note)
    sizes = r["scale"]["sizes"]
    top = max(sizes, key=lambda s: s["chunks"]) if sizes else None
    big = top if top and top["chunks"] >= 0.9 * TOP_CHUNKS else None
    why = "" if big else "no ~100k-chunk size in this run (--quick)"
    at = f" ({big['chunks']:,} chunks)" if big else ""
    if big:
        q = big["query"]
        why = (
            f"index only {q['retrieval_vector_cached']['p95_ms']:.0f} ms; query embedding "
            f"{q['embed_query']['p95_ms']:.0f} ms, 1 torch thread "
            f"{q['embed_query_one_thread']['p95_ms']:.0f} ms"
        )
    add(
        f"retrieval p95 at 100k chunks{at}",
        "≤ 200 ms",
        big["query"]["retrieval"]["p95_ms"] if big else None,
        200,
        "ms",
        why,
    )
    why = "" if big else "no ~100k-chunk size in this run (--quick)"
    add(
        f"serving peak RSS at 100k chunks{at}",
        "≤ 2048 MiB",
        round(big["query"]["rss_peak"] / MiB) if big else None,
        2048,
        "MiB",
        why or "query process: model + index",
    )
    add(
        f"ingest peak RSS at 100k chunks{at}",
        "≤ 2048 MiB",
        round(big["ingest"]["rss_peak"] / MiB) if big else None,
        2048,
        "MiB",
        why or "ingest process (stand-in embedder)",
    )
    return rows


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f} {unit}" if isinstance(value, float) else f"{value:,} {unit}"


def target_table(rows: list[dict]) -> str:
    lines = ["| Target | Goal | Measured | Status |", "|---|---|---|---|"]
    for t in rows:
        status = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        note = f" ({t['note']})" if t["note"] else ""
        lines.append(
            f"| {t['name']} | {t['goal']} | {_fmt(t['value'], t['unit'])} | {status}{note} |"
        )
    return "\n".join(lines)


def write_report(r: dict, folder: Path) -> None:
    (folder / "bench.json").write_text(
        json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    plot_scale(r["scale"]["sizes"], folder / "scale.png")
    plot_latency(r, folder / "latency.png")
    (folder / "bench.md").write_text(markdown(r), encoding="utf-8")


def _lat_row(name: str, d: dict) -> str:
    if "median_ms" not in d:
        return f"| {name} | — | — | — | {d.get('skipped', '')} |"
    return f"| {name} | {d['median_ms']:.1f} | {d['p95_ms']:.1f} | {d['n']} | |"


def markdown(r: dict) -> str:
    m = r["machine"]
    head = [
        "# policyqa bench" + (" (--quick)" if r["quick"] else ""),
        "",
        f"{r['started_at']}, {m['cpus']} CPUs, torch threads {m['torch_threads']}, "
        f"Python {m['python']}, load average (1, 5, 15 min) at start {m['load_average']}, "
        f"at end {m.get('load_average_at_end')}; total {r['seconds']} s. "
        f"Model `{r['model']['name']}` loaded in {r['model']['load_s']} s (excluded).",
        "",
        "Seconds per section: "
        + ", ".join(f"{k} {v}" for k, v in r.get("section_seconds", {}).items())
        + ".",
        "",
        "## Targets",
        "",
        target_table(r["targets"]),
        "",
        "Notes:",
        "",
        *[f"- {n}" for n in r["notes"]],
        "- Ratios and medians come from this one run; absolute times on a shared 2-core "
        "machine move with its load (see the load averages).",
        "",
    ]
    parts = (_md_ingest, _md_latency, _md_scale, _md_baseline, _md_concurrency)
    body = [line for part in parts for line in part(r)]
    return "\n".join(head + body + ["![scale](scale.png)", "", "![latency](latency.png)", ""])


def _md_ingest(r: dict) -> list[str]:
    ing = r["ingest"]
    return [
        "## 1. Ingest against the encode-only floor",
        "",
        f"{ing['chunks']} chunks from {ing['files']} file(s), batch size {ing['batch_size']}, "
        f"{ing['repeats']} repeat(s), each an encode-only run followed by a full ingest into a "
        "fresh home. The ratio is the median of the per-pair ratios (a pair shares the "
        "machine's load of the moment).",
        "",
        "| | median s | runs |",
        "|---|---|---|",
        f"| full ingest | {ing['ingest_median_s']:.3f} | {ing['ingest_s']} |",
        f"| encode only (floor) | {ing['encode_median_s']:.3f} | {ing['encode_s']} |",
        f"| **ratio ingest / encode-only** | **{ing['ratio']:.3f}** | per pair "
        f"{ing['pair_ratios']}; ratio of medians {ing['ratio_of_medians']:.3f} |",
        f"| first ingest in process (untimed warm-up, imports chromadb) "
        f"| {ing['first_ingest_s']} | |",
        "",
        "| stage (median run) | s | share of ingest |",
        "|---|---|---|",
        *[
            f"| {k} | {v:.3f} | {v / ing['ingest_median_s']:.0%} |"
            for k, v in ing["stages_median_s"].items()
        ],
        "",
    ]


def _md_latency(r: dict) -> list[str]:
    lat, cold = r["latency"], r["cold_start"]
    out = [
        "## 2. Query latency (warm) and cold start",
        "",
        "| | median ms | p95 ms | queries | |",
        "|---|---|---|---|---|",
        _lat_row("retrieval `search(q, k=10)`", lat["retrieval"]),
        _lat_row("retrieval, question repeated (query vector cached)", lat["retrieval_repeated"]),
        _lat_row("query embedding `embed_query(q)`", lat["embed_query"]),
        _lat_row(
            "diagnostic: query embedding, torch limited to 1 thread", lat["embed_query_one_thread"]
        ),
        _lat_row("extractive answer `assistant.ask(q)`", lat["answer"]),
        "",
        f'Queries: the {len(set(gold_questions()))} gold questions, then "请问" + the same in '
        "traditional Chinese; every timed question is new to the retriever that answers it "
        "(query vectors are cached by normalised text).",
        "",
    ]
    if "seconds" in cold:
        out += [
            f"Cold start (`python -c` launch to first {cold['what']}): **{cold['seconds']:.2f} s** "
            f"= interpreter {cold['interpreter_start_s']:.2f} s + imports "
            f"{cold['child_import_s']:.2f} s + first call (model load, index load, answer) "
            f"{cold['child_first_call_s']:.2f} s.",
            "",
        ]
    else:
        out += [f"Cold start: not measured ({cold['skipped']}).", ""]
    return out


def _md_scale(r: dict) -> list[str]:
    s, ing = r["scale"], r["ingest"]
    out = [
        "## 3. Scale (synthetic corpora)",
        "",
        f"Copies of the {s['source_chunks']}-chunk real corpus with regions swapped, amounts "
        "scaled and sentences shuffled (`eval/synthetic.py`), labelled synthetic "
        "(`synthetic-0001`, 【合成样本】). "
        + (
            "With --quick each size is ingested and queried in one fresh process, so its memory "
            "figures mix ingest and serving."
            if s.get("one_process_per_size")
            else "Each size is ingested and then queried in its own fresh process."
        ),
        "",
        f"**{s['note'][0].upper() + s['note'][1:]}.** Ingest throughput therefore excludes "
        "model encoding; at the encode-only rate measured above "
        f"({ing['encode_chunks_per_s']:.1f} chunks/s) real encoding would add the last column.",
        "",
        "| size | files | chunks | ingest s | chunks/s | ingest peak RSS MiB "
        "| index on disk MiB | + real encoding s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for z in s["sizes"]:
        i = z["ingest"]
        out.append(
            f"| {z['label']} | {z['files']} | {z['chunks']:,} | {i['seconds']:.1f} | "
            f"{z['chunks_per_s']:.0f} | {i['rss_peak'] / MiB:.0f} | "
            f"{z['index_bytes'] / MiB:.0f} ({i['chroma_bytes'] / MiB:.0f} Chroma) | "
            f"{z['chunks'] / ing['encode_chunks_per_s']:.0f} |"
        )
    names = _stage_names(s)
    out += ["", "Ingest stages per size (s):", "", "| size | " + " | ".join(names) + " |"]
    out.append("|---|" + "---|" * len(names))
    for z in s["sizes"]:
        st = z["ingest"]["stages_s"]
        out.append(f"| {z['label']} | " + " | ".join(f"{st.get(k, 0):.2f}" for k in names) + " |")
    out += [
        "",
        "Queries against each size, in a fresh process holding the model and the index. "
        "*Index only* repeats the same questions, whose query vectors are then cached: it is "
        "retrieval minus the query embedding. The embedding columns time the model alone, "
        "with torch's default threads and limited to one thread.",
        "",
        "| size | retrieval median ms | p95 ms | queries | index only median ms | p95 ms "
        "| embedding median ms | p95 ms | 1-thread median ms | p95 ms | serving peak RSS MiB "
        "| index in RSS MiB | index load s | load avg (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for z in s["sizes"]:
        q = z["query"]
        r1, r2 = q["retrieval"], q["retrieval_vector_cached"]
        e1, e2 = q["embed_query"], q["embed_query_one_thread"]
        out.append(
            f"| {z['label']} | {r1['median_ms']:.1f} | {r1['p95_ms']:.1f} | {r1['n']} | "
            f"{r2['median_ms']:.1f} | {r2['p95_ms']:.1f} | {e1['median_ms']:.1f} | "
            f"{e1['p95_ms']:.1f} | {e2['median_ms']:.1f} | {e2['p95_ms']:.1f} | "
            f"{q['rss_peak'] / MiB:.0f} | {q['index_rss'] / MiB:.0f} | "
            f"{q['snapshot_load_s']:.1f} | {q['load_average_1min']} |"
        )
    hwm = ", ".join(
        f"{z['label']} ingest {z['ingest']['vm_hwm'] / MiB:.0f} / query "
        f"{z['query']['vm_hwm'] / MiB:.0f}"
        for z in s["sizes"]
    )
    return out + ["", f"VmHWM (the kernel's RSS high-water mark) per size, MiB: {hwm}.", ""]


def _md_baseline(r: dict) -> list[str]:
    b, ing, lat = r["baseline"], r["ingest"], r["latency"]
    out = ["## 4. Naive LangChain baseline (same machine, same run)", ""]
    if "skipped" in b:
        return out + [f"Not measured: {b['skipped']}", ""]
    out += [
        b["what"] + ".",
        "",
        "| | policyqa | baseline | ratio policyqa / baseline |",
        "|---|---|---|---|",
        f"| ingest s | {ing['ingest_median_s']:.3f} | {b['ingest_s']:.3f} | "
        f"{b['ingest_ratio_ours_to_baseline']:.2f} |",
        f"| retrieval median ms | {lat['retrieval']['median_ms']:.1f} | "
        f"{b['ask']['median_ms']:.1f} | {b['retrieval_ratio_ours_to_baseline']:.2f} |",
    ]
    if "answer_ratio_ours_to_baseline" in b:
        out.append(
            f"| answer median ms | {lat['answer']['median_ms']:.1f} | "
            f"{b['ask']['median_ms']:.1f} | {b['answer_ratio_ours_to_baseline']:.2f} |"
        )
    return out + [""]


def _md_concurrency(r: dict) -> list[str]:
    c = r["concurrency"]
    seq = r["latency"]["answer"] if c["what"] == "assistant.ask" else r["latency"]["retrieval"]
    serial = f" (one at a time: {1000 / seq['mean_ms']:.1f} calls/s)" if "mean_ms" in seq else ""
    return [
        "## 5. Concurrency",
        "",
        f"{c['calls']} concurrent `{c['what']}` calls released together from {c['threads']} "
        f"threads against the in-process assistant: {c['throughput_per_s']:.1f} calls/s{serial} "
        f"over {c['wall_s']:.2f} s; per call median {c['median_ms']:.0f} ms, "
        f"p95 {c['p95_ms']:.0f} ms.",
        "",
    ]


def _stage_names(scale: dict) -> list[str]:
    names: list[str] = []
    for z in scale["sizes"]:
        names += [k for k in z["ingest"]["stages_s"] if k not in names]
    return names


def plot_scale(sizes: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 5))
    x = [z["chunks"] for z in sizes]
    a.plot(x, [z["query"]["retrieval"]["median_ms"] for z in sizes], "o-", label="median")
    a.plot(x, [z["query"]["retrieval"]["p95_ms"] for z in sizes], "s--", label="p95")
    a.plot(
        x,
        [z["query"]["retrieval_vector_cached"]["p95_ms"] for z in sizes],
        "^:",
        label="p95, index only (query vector cached)",
    )
    a.axhline(200, color="grey", lw=0.8, ls=":", label="p95 target (200 ms)")
    a.set(
        xscale="log",
        yscale="log",
        xlabel="chunks (synthetic corpus)",
        ylabel="retrieval latency (ms)",
    )
    a.set_title("Retrieval latency vs corpus size")
    b.plot(x, [z["query"]["rss_peak"] / MiB for z in sizes], "o-", label="query process peak RSS")
    b.plot(
        x, [z["ingest"]["rss_peak"] / MiB for z in sizes], "s--", label="ingest process peak RSS"
    )
    b.plot(x, [z["index_bytes"] / MiB for z in sizes], "^:", label="index on disk")
    b.axhline(2048, color="grey", lw=0.8, ls=":", label="memory target (2 GiB)")
    b.set(xscale="log", yscale="log", xlabel="chunks (synthetic corpus)", ylabel="MiB")
    b.set_title("Memory vs corpus size")
    for ax in (a, b):
        ax.grid(True, which="both", lw=0.3)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_latency(r: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lat = r["latency"]
    rows = [
        ("retrieval", lat["retrieval"]),
        ("retrieval, vector cached", lat["retrieval_repeated"]),
        ("query embedding", lat["embed_query"]),
        ("query embedding, 1 thread", lat["embed_query_one_thread"]),
    ]
    if "median_ms" in lat["answer"]:
        rows.append(("answer", lat["answer"]))
    if "ask" in r["baseline"]:
        rows.append(("LangChain baseline", r["baseline"]["ask"]))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    y = np.arange(len(rows))
    ax.barh(y - 0.2, [d["median_ms"] for _, d in rows], 0.4, label="median")
    ax.barh(y + 0.2, [d["p95_ms"] for _, d in rows], 0.4, label="p95")
    ax.set_yticks(y, [n for n, _ in rows])
    ax.set_xlabel("ms per call (warm, one call at a time)")
    ax.set_title("Query latency")
    ax.legend(loc="center right", framealpha=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# worker entry point ----------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="policyqa bench worker (used by run_bench)")
    parser.add_argument("--worker", choices=["ingest", "query", "both"], required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--vectors", type=Path)
    parser.add_argument("--map", type=Path)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args(argv)
    settings = Settings.from_env(home=args.home, corpus=args.corpus)
    if args.worker == "ingest":
        result = worker_ingest(settings, args.vectors, args.map)
    elif args.worker == "query":
        result = worker_query(settings, args.queries)
    else:
        result = {
            "ingest": worker_ingest(settings, args.vectors, args.map),
            "query": worker_query(settings, args.queries),
        }
    args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
