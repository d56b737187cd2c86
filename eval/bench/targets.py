"""The figures the benchmark is held to, read off one run's results."""

from __future__ import annotations

from .measure import MiB

LARGE = 100_000  # the size the scale targets name
HUGE = 1_000_000  # reached with --scale 1000000 (a manual run)


def _size(r: dict, chunks: int) -> dict | None:
    """The scale size that stands for `chunks` (a synthetic corpus reaches it only
    roughly); a much larger one does not: 1,000,000 chunks are not 100,000."""
    sizes = r.get("scale", {}).get("sizes", [])
    near = [z for z in sizes if 0.9 * chunks <= z["chunks"] <= 1.5 * chunks]
    return min(near, key=lambda z: z["chunks"]) if near else None


def targets(r: dict) -> list[dict]:
    rows: list[dict] = []

    def add(name: str, goal: str, value: float | None, limit: float, unit: str, note: str = ""):
        met = None if value is None else value <= limit
        rows.append(
            {"name": name, "goal": goal, "value": value, "unit": unit, "met": met, "note": note}
        )

    if "ingest" in r:
        add("ingest / encode-only", "≤ 1.3", r["ingest"]["ratio"], 1.3, "×")
    if "latency" in r:
        lat = r["latency"]
        add("retrieval median (warm)", "≤ 30 ms", lat["retrieval"]["median_ms"], 30, "ms")
        add("answer median (warm)", "≤ 100 ms", lat["answer"]["median_ms"], 100, "ms")
        add("answer p95 (warm)", "≤ 200 ms", lat["answer"]["p95_ms"], 200, "ms")
    cold = r.get("cold_start")
    if cold is not None:
        note = cold.get("skipped", "")
        add("`policyqa ask --json` wall time", "≤ 2 s", cold.get("seconds"), 2, "s", note)
        peak = round(cold["peak_rss"] / MiB) if "peak_rss" in cold else None
        add("`policyqa ask --json` peak RSS", "≤ 400 MiB", peak, 400, "MiB", note)
    for chunks, p95, serving, ingest in ((LARGE, 200, 2048, 1024), (HUGE, 100, 4096, None)):
        z = _size(r, chunks)
        if z is None and chunks == HUGE:
            continue
        at = f" at {chunks // 1000}k chunks" + (f" ({z['chunks']:,})" if z else "")
        why = "" if z else "no size near it in this run"
        q = z["query"] if z else {}
        add(
            f"retrieval p95{at}",
            f"≤ {p95} ms",
            q["retrieval"]["p95_ms"] if z else None,
            p95,
            "ms",
            why,
        )
        rss = round(q["rss_peak"] / MiB) if z else None
        add(f"serving peak RSS{at}", f"≤ {serving} MiB", rss, serving, "MiB", why)
        if ingest:
            rss = round(z["ingest"]["rss_peak"] / MiB) if z else None
            add(f"ingest peak RSS{at}", f"≤ {ingest} MiB", rss, ingest, "MiB", why)
    limit = 60 if r["quick"] else 300
    add(
        "whole benchmark",
        f"≤ {limit} s",
        r.get("seconds"),
        limit,
        "s",
        "--quick" if r["quick"] else "",
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
