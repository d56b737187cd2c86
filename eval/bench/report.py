"""bench.json, bench.md and the plots, from one run's results. Sections that
did not run (`--only`) are left out."""

from __future__ import annotations

import json
from pathlib import Path

from .measure import MiB
from .plots import plot_latency, plot_scale
from .targets import target_table


def write_report(r: dict, folder: Path) -> None:
    (folder / "bench.json").write_text(
        json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    if r.get("scale", {}).get("sizes"):
        plot_scale(r["scale"]["sizes"], folder / "scale.png")
    if "latency" in r:
        plot_latency(r, folder / "latency.png")
    (folder / "bench.md").write_text(markdown(r), encoding="utf-8")


def markdown(r: dict) -> str:
    m = r["machine"]
    head = [
        "# policyqa bench" + (" (--quick)" if r["quick"] else ""),
        "",
        f"{r['started_at']}, {m['cpus']} CPUs, Python {m['python']}, load average (1, 5, 15 min) "
        f"at start {m['load_average']}, at end {m.get('load_average_at_end')}; total "
        f"{r['seconds']} s. Embedding model `{r['model']['name']}` loaded in "
        f"{r['model']['load_s']} s (excluded).",
        "",
        "Seconds per section: "
        + ", ".join(f"{k} {v}" for k, v in r["section_seconds"].items())
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
    parts = {
        "ingest": _md_ingest,
        "latency": _md_latency,
        "scale": _md_scale,
        "baseline": _md_baseline,
        "concurrency": _md_concurrency,
    }
    body = [line for key, part in parts.items() if key in r for line in part(r)]
    plots = [
        f"![{p}]({p}.png)" for p in ("scale", "latency") if (p == "latency") == ("latency" in r)
    ]
    return "\n".join(head + body + plots + [""])


def _lat_row(name: str, d: dict) -> str:
    return f"| {name} | {d['median_ms']:.1f} | {d['p95_ms']:.1f} | {d['n']} |"


def _md_ingest(r: dict) -> list[str]:
    ing = r["ingest"]
    return [
        "## Ingest against the encode-only floor",
        "",
        f"{ing['chunks']} chunks ({ing['texts']} texts embedded) from {ing['files']} file(s), "
        f"batch size {ing['batch_size']}, {ing['repeats']} repeat(s), each an encode-only run "
        "followed by a full ingest into a fresh home. The ratio is the median of the per-pair "
        "ratios (a pair shares the machine's load of the moment).",
        "",
        "| | median s | runs |",
        "|---|---|---|",
        f"| full ingest | {ing['ingest_median_s']:.3f} | {ing['ingest_s']} |",
        f"| encode only (floor) | {ing['encode_median_s']:.3f} | {ing['encode_s']} |",
        f"| **ratio ingest / encode-only** | **{ing['ratio']:.3f}** | per pair "
        f"{ing['pair_ratios']}; ratio of medians {ing['ratio_of_medians']:.3f} |",
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
    lat = r["latency"]
    out = [
        "## Query latency (warm) and a one-shot question",
        "",
        "| | median ms | p95 ms | queries |",
        "|---|---|---|---|",
        _lat_row("retrieval `search(q, k=10)`", lat["retrieval"]),
        _lat_row("retrieval, question repeated (query vector cached)", lat["retrieval_repeated"]),
        _lat_row("query embedding", lat["embed_query"]),
        _lat_row("whole answer `ask(q)`", lat["answer"]),
        "",
        'Queries: the gold questions, then "请问" + the same in traditional Chinese; every timed '
        "question is new to the facade that answers it (query vectors are cached by text).",
        "",
    ]
    cold = r.get("cold_start", {})
    if "seconds" in cold:
        out += [
            f"`policyqa ask --json` in a new process, on the built index: **{cold['seconds']:.2f} s** "
            f"wall time, peak RSS **{cold['peak_rss'] / MiB:.0f} MiB** (interpreter start, imports, "
            "model and index load, the answer).",
            "",
        ]
    elif cold:
        out += [f"One-shot question: not measured ({cold['skipped']}).", ""]
    return out


def _md_scale(r: dict) -> list[str]:
    s = r["scale"]
    rate = r.get("ingest", {}).get("encode_chunks_per_s")  # a chunk's units included
    out = [
        "## Scale (synthetic corpora)",
        "",
        f"Copies of the {s['source_chunks']}-chunk real corpus with regions swapped, amounts "
        "scaled and sentences shuffled (`eval/synthetic.py`), labelled synthetic "
        "(`synthetic-0001`, 【合成样本】). "
        + (
            "With --quick each size is ingested and queried in one fresh process, so its memory "
            "figures mix ingest and serving."
            if s["one_process_per_size"]
            else "Each size is ingested and then queried in its own fresh process."
        ),
        "",
        f"**{s['note'][0].upper() + s['note'][1:]}.** Ingest throughput therefore excludes model "
        "encoding"
        + (
            f"; at the encode-only rate above ({rate:.1f} chunks/s, their sentences included) real encoding would add the last column."
            if rate
            else "."
        ),
        "",
        "| size | files | chunks | ingest s | chunks/s | ingest peak RSS MiB | index on disk MiB | + real encoding s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for z in s["sizes"]:
        i = z["ingest"]
        extra = f"{z['chunks'] / rate:.0f}" if rate else "—"
        out.append(
            f"| {z['label']} | {z['files']} | {z['chunks']:,} | {i['seconds']:.1f} | {z['chunks_per_s']:.0f} | "
            f"{i['rss_peak'] / MiB:.0f} | {z['index_bytes'] / MiB:.0f} ({i['chroma_bytes'] / MiB:.0f} Chroma) | {extra} |"
        )
    names = list(dict.fromkeys(k for z in s["sizes"] for k in z["ingest"]["stages_s"]))
    out += ["", "Ingest stages per size (s):", "", "| size | " + " | ".join(names) + " |"]
    out.append("|---|" + "---|" * len(names))
    for z in s["sizes"]:
        st = z["ingest"]["stages_s"]
        out.append(f"| {z['label']} | " + " | ".join(f"{st.get(k, 0):.2f}" for k in names) + " |")
    out += [
        "",
        "Queries against each size, in a fresh process holding the model and the index. *Index only* "
        "repeats the same questions, whose query vectors are then cached: retrieval minus the query embedding.",
        "",
        "| size | retrieval median ms | p95 ms | queries | index only median ms | p95 ms "
        "| embedding median ms | p95 ms | serving peak RSS MiB | index in RSS MiB | index load s | load avg (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for z in s["sizes"]:
        q = z["query"]
        r1, r2, e = q["retrieval"], q["retrieval_vector_cached"], q["embed_query"]
        out.append(
            f"| {z['label']} | {r1['median_ms']:.1f} | {r1['p95_ms']:.1f} | {r1['n']} | {r2['median_ms']:.1f} | "
            f"{r2['p95_ms']:.1f} | {e['median_ms']:.1f} | {e['p95_ms']:.1f} | {q['rss_peak'] / MiB:.0f} | "
            f"{q['index_rss'] / MiB:.0f} | {q['snapshot_load_s']:.1f} | {q['load_average_1min']} |"
        )
    return out + [""]


def _md_baseline(r: dict) -> list[str]:
    b, ing, lat = r["baseline"], r["ingest"], r["latency"]
    return [
        "## Naive LangChain baseline (same machine, same run)",
        "",
        b["what"] + ".",
        "",
        "| | policyqa | baseline | ratio policyqa / baseline |",
        "|---|---|---|---|",
        f"| ingest s | {ing['ingest_median_s']:.3f} | {b['ingest_s']:.3f} | {b['ingest_ratio_ours_to_baseline']:.2f} |",
        f"| retrieval median ms | {lat['retrieval']['median_ms']:.1f} | {b['ask']['median_ms']:.1f} | "
        f"{b['retrieval_ratio_ours_to_baseline']:.2f} |",
        f"| answer median ms | {lat['answer']['median_ms']:.1f} | {b['ask']['median_ms']:.1f} | "
        f"{b['answer_ratio_ours_to_baseline']:.2f} |",
        "",
    ]


def _md_concurrency(r: dict) -> list[str]:
    c = r["concurrency"]
    serial = 1000 / r["latency"]["answer"]["mean_ms"]
    return [
        "## Concurrency",
        "",
        f"{c['calls']} concurrent `{c['what']}` calls released together from {c['threads']} threads "
        f"against one in-process facade: {c['throughput_per_s']:.1f} calls/s (one at a time: "
        f"{serial:.1f} calls/s) over {c['wall_s']:.2f} s; per call median {c['median_ms']:.0f} ms, "
        f"p95 {c['p95_ms']:.0f} ms.",
        "",
    ]
