"""Measuring tools shared by the benchmark's sections: latency summaries,
a peak-RSS sampler, the questions that are timed, and the environment of the
processes the benchmark starts.

Timings are only compared within a run (medians and ratios), never against an
absolute number from another machine or another moment.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np

from policyqa.language import data_path
from policyqa.settings import Settings

MiB = 1024 * 1024
PREFIXES = ("", "请问", "想了解：", "请教一下，")
WARM_UP = ["预热：成渝地区产业协同现状如何？", "预热：汽车产业配套率", "预热：人才政策协同"]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


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
    """Peak resident memory of a process (this one by default), sampled every
    20 ms in a thread (VmHWM, see `peak_rss`, also sees peaks between samples)."""

    def __init__(self, pid: int | None = None, every: float = 0.02) -> None:
        import psutil

        self._proc = psutil.Process(pid)
        self.every = every
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        import psutil

        try:
            return int(self._proc.memory_info().rss)
        except psutil.Error:  # the process has ended
            return 0

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
    with open(data_path("policyqa.eval", "gold.jsonl"), encoding="utf-8") as fh:
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


def child_env(settings: Settings, **changes: object) -> dict[str, str]:
    """Environment that makes `Settings.from_env()` in a child equal `settings` + changes."""
    env = dict(os.environ)
    values = {f.name: getattr(settings, f.name) for f in fields(Settings)}
    values.update(changes)
    for f in fields(Settings):
        value = values[f.name]
        if f.name == "auth" or value is None:
            continue
        env[f.metadata["env"]] = str(Path(value).resolve() if isinstance(value, Path) else value)
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", ANONYMIZED_TELEMETRY="False")
    return env
