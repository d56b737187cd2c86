"""The benchmark's two plots: scale (latency and memory against corpus size)
and warm latency per kind of call."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .measure import MiB


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
    b.axhline(2048, color="grey", lw=0.8, ls=":", label="serving memory target (2 GiB)")
    b.axhline(1024, color="grey", lw=0.8, ls="--", label="ingest memory target (1 GiB)")
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
        ("answer", lat["answer"]),
    ]
    if "baseline" in r:
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
