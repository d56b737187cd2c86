"""Human-readable outputs of an evaluation: the printed table, `report.md`,
`metrics.json` and `compare.png`. Writers only; the numbers come from `metrics`."""

from __future__ import annotations

import json
from pathlib import Path

from . import metrics

# (key in a summary, column header); the first header gets "@k" filled in.
COLUMNS = (
    ("hit_at_1", "hit@1"),
    ("hit_at_k", "hit@{k}"),
    ("recall_at_k", "recall@{k}"),
    ("mrr_at_10", "MRR@10"),
    ("ndcg_at_10", "nDCG@10"),
    ("fact_accuracy", "facts"),
    ("lead_fact", "lead"),
    ("citation_precision", "cite P"),
    ("citation_validity", "cite valid"),
    ("citation_recall", "cite R"),
    ("abstention_precision", "abst P"),
    ("abstention_recall", "abst R"),
    ("false_refusal_rate", "false ref"),
    ("nearest_shown", "nearest"),
    ("latency_median_s", "p50 ms"),
    ("latency_p95_s", "p95 ms"),
)
PLOTTED = (
    "hit_at_k",
    "recall_at_k",
    "mrr_at_10",
    "ndcg_at_10",
    "fact_accuracy",
    "citation_precision",
    "citation_recall",
    "abstention_recall",
)
SNIPPET = 120


def _cell(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    if key.startswith("latency"):
        return f"{value * 1000:.0f}"
    return f"{value:.3f}"


def _headers(k: int) -> list[str]:
    return [h.format(k=k) for _, h in COLUMNS]


def _rows(summaries: dict[str, dict]) -> list[list[str]]:
    return [
        [name] + [_cell(key, s[key]) for key, _ in COLUMNS] + [str(s["n"])]
        for name, s in summaries.items()
    ]


def text_table(headers: list[str], rows: list[list[str]]) -> str:
    """Plain text with aligned columns: first column left, the rest right."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def md_table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def _tables(out: dict, main: str) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    k = out["k"]
    labels = out["labels"]
    heads = ["variant", *_headers(k), "n"]
    rows = _rows({labels[n]: v["overall"] for n, v in out["variants"].items()})
    type_heads = ["type", *_headers(k), "n"]
    type_rows = _rows(out["variants"][main]["by_type"])
    return heads, rows, type_heads, type_rows


def summary_text(out: dict, main: str) -> str:
    """The table `policyqa eval` prints: one row per variant, then the main
    variant per question type."""
    heads, rows, type_heads, type_rows = _tables(out, main)
    return "\n\n".join(
        [
            text_table(heads, rows),
            f"by question type ({out['labels'][main]}):",
            text_table(type_heads, type_rows),
        ]
    )


def _snippet(text: str, n: int = SNIPPET) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[:n] + "…"


def _worst_section(records: list[dict], n: int = 10) -> list[str]:
    by_id = {r["gold"]["id"]: r for r in records}
    lines = [f"## Worst {n} questions", ""]
    for row in metrics.worst([r["scores"] for r in records], n):
        rec = by_id[row["id"]]
        gold, result = rec["gold"], rec["result"]
        lines.append(f"### {row['id']} ({row['type']}) quality {row['quality']:.2f}")
        lines.append("")
        lines.append(f"- question: {gold['question']}")
        if gold.get("history"):
            lines.append(f"- history: {_snippet(gold['history'][0]['content'])}")
        lines.append(f"- evidence: {' / '.join(gold['evidence']) or '(unanswerable)'}")
        if row["facts_missing"]:
            lines.append(f"- facts missing from answer: {', '.join(row['facts_missing'])}")
        lines.append(
            f"- answerable={result.get('answerable')}, first relevant rank "
            f"{row['first_relevant_rank'] or '-'}, citations {row['n_citations']}, "
            f"cite recall {_cell('x', row['citation_recall'])}"
        )
        lines.append(f"- answer: {_snippet(result.get('answer') or '', 300)}")
        lines.append("- top passages:")
        for p in (result.get("passages") or [])[:3]:
            where = p.get("section") or p.get("doc_title") or ""
            lines.append(
                f"  {p.get('rank')}. [{_snippet(where, 40)}] {_snippet(p.get('text') or '')}"
            )
        lines.append("")
    return lines


def _unreachable_section(items: list[dict]) -> list[str]:
    if not items:
        return []
    return [
        "## Gold evidence in no indexed passage",
        "",
        "These strings straddle a chunk boundary or are not in the corpus, so no",
        "retriever can score them: fix the gold line or the chunker.",
        "",
        *(f"- {i['id']}: {i['evidence']}" for i in items),
        "",
    ]


def write_report(dir_: Path, out: dict, results: dict, main: str, plot: bool) -> None:
    """report.md (summary, per-type breakdown, worst 10), metrics.json (aggregates
    and per-question scores) and, when comparing, compare.png."""
    dir_.mkdir(parents=True, exist_ok=True)
    heads, rows, type_heads, type_rows = _tables(out, main)
    records = results["variants"][main]["questions"]
    md = [
        "# policyqa evaluation",
        "",
        f"Gold: `{out['gold']}` ({len(records)} questions), k = {out['k']}. "
        "Latency in milliseconds; '-' where a metric does not apply.",
        "",
        "## Summary",
        "",
        md_table(heads, rows),
        "",
        *(["![compare](compare.png)", ""] if plot else []),
        f"## By question type ({out['labels'][main]})",
        "",
        md_table(type_heads, type_rows),
        "",
        *_worst_section(records),
        *_unreachable_section(out.get("unreachable_evidence") or []),
    ]
    if plot:
        write_compare_png(dir_ / "compare.png", out)
    (dir_ / "report.md").write_text("\n".join(md), encoding="utf-8")
    per_question = {
        name: [r["scores"] for r in v["questions"]] for name, v in results["variants"].items()
    }
    data = {**out, "questions": per_question}
    (dir_ / "metrics.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def write_compare_png(path: Path, out: dict) -> None:
    """Grouped bars: one group per metric, one bar per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = out["k"]
    names = list(out["variants"])
    titles = dict(COLUMNS)
    fig, ax = plt.subplots(figsize=(12, 4.8))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        overall = out["variants"][name]["overall"]
        values = [overall[key] or 0.0 for key in PLOTTED]
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(PLOTTED))]
        ax.bar(xs, values, width, label=out["labels"][name])
    ax.set_xticks(range(len(PLOTTED)), [titles[key].format(k=k) for key in PLOTTED])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(f"policyqa vs baseline on {out['gold']} (k={k})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(names), fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
