"""Scoring answers and retrieval against gold evidence: pure functions on plain dicts.

Everything here works on JSON-shaped data (a gold line and the dict `ask`
returns), so a results file can be re-scored later without the index or the
model: `recompute(json.load(fh))` gives the same numbers the run printed.

Matching is on normalised text (`norm`): NFKC, no whitespace, no thousands
separators. The paper's tables write "10 166.8" and PDF extraction breaks
lines mid-sentence; a gold string should match whatever the layout did to it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# A comma between digits followed by exactly three digits: "1,707.6", "3,000家".
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")

# Per-question scores that are averaged over the questions where they are defined.
MEAN_KEYS = (
    "hit_at_1",
    "hit_at_k",
    "recall_at_k",
    "mrr_at_10",
    "ndcg_at_10",
    "fact_accuracy",
    "lead_fact",
    "nearest_shown",
    "citation_precision",
    "citation_validity",
    "citation_recall",
)


@lru_cache(maxsize=65536)
def norm(s: str) -> str:
    """Text as compared: NFKC (full-width → ASCII), all whitespace removed, and
    thousands separators dropped, so "1,707.6" and "10 166.8" match "1707.6"
    and "10166.8"."""
    s = unicodedata.normalize("NFKC", s).translate(_INVISIBLE)
    return _THOUSANDS.sub("", "".join(s.split()))


def contains_evidence(passage_text: str, evidence: str) -> bool:
    """Whether the passage holds the evidence string; empty evidence matches nothing."""
    e = norm(evidence)
    return bool(e) and e in norm(passage_text)


def passage_text(p: dict) -> str:
    """What a passage shows the reader: its heading path, then its text. The
    chunker keeps headings out of `text`, and some gold evidence is a heading
    (list questions whose answer is the section titles), so matching `text`
    alone would make that evidence unreachable."""
    return f"{p.get('section') or ''}\n{p.get('text') or ''}"


def _ndcg(relevant: list[bool], depth: int = 10) -> float:
    """Binary-gain nDCG. The ideal ranking puts every relevant passage the run
    returned (at any depth) first: the gold names evidence strings, not
    passages, so the returned list is the only pool of judged passages."""
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(relevant[:depth]) if r)
    ideal = min(depth, sum(relevant))
    idcg = sum(1 / math.log2(i + 2) for i in range(ideal))
    return dcg / idcg if idcg else 0.0


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def score_question(
    gold: dict,
    result: dict,
    k: int = 5,
    chunk_texts: dict[str, str | None] | None = None,
    latency_s: float | None = None,
) -> dict:
    """Scores for one question. Metrics that do not apply are None, not 0, so
    they drop out of means: retrieval, facts, citation precision and recall
    only for answerable gold; citation validity whenever there are citations.

    `chunk_texts` supplies the text of cited chunks that are not among the
    returned passages (the runner looks them up in the index and stores them
    in the results file so this stays recomputable).
    """
    evidence = [e for e in (norm(x) for x in gold.get("evidence") or []) if e]
    facts = [f for f in gold.get("answer_facts") or [] if norm(f)]
    answerable = bool(evidence)
    passages = result.get("passages") or []
    texts = [norm(passage_text(p)) for p in passages]
    relevant = [any(e in t for e in evidence) for t in texts]

    row: dict = {
        "id": gold.get("id"),
        "type": gold.get("type"),
        "gold_answerable": answerable,
        "refused": not result.get("answerable", True),
        "latency_s": latency_s,
    }
    if answerable:
        top = texts[:k]
        first = next((i + 1 for i, r in enumerate(relevant[:10]) if r), None)
        row |= {
            "hit_at_1": float(bool(relevant[:1]) and relevant[0]),
            "hit_at_k": float(any(relevant[:k])),
            "recall_at_k": sum(any(e in t for t in top) for e in evidence) / len(evidence),
            "mrr_at_10": 1 / first if first else 0.0,
            "ndcg_at_10": _ndcg(relevant),
            "first_relevant_rank": first,
        }
    else:
        row |= dict.fromkeys(("hit_at_1", "hit_at_k", "recall_at_k", "mrr_at_10", "ndcg_at_10"))
        row["first_relevant_rank"] = None

    answer = norm(result.get("answer") or "")
    missing = [f for f in facts if norm(f) not in answer]
    row["fact_accuracy"] = _share(len(facts) - len(missing), len(facts)) if answerable else None
    row["facts_missing"] = missing if answerable else []
    lead = norm(first_sentence(result.get("answer") or ""))
    row["lead_fact"] = float(norm(facts[0]) in lead) if answerable and facts else None
    row["nearest_shown"] = _nearest_shown(gold, result)
    row |= _citation_scores(result, passages, evidence, answerable, chunk_texts or {})
    row["quality"] = question_quality(row)
    return row


_SENTENCE_END = re.compile(r"[。！？!?\n]")


def first_sentence(answer: str) -> str:
    """The answer up to its first sentence end (。！？ or a line break), markers included."""
    m = _SENTENCE_END.search(answer)
    return answer[: m.end()] if m else answer


def _nearest_shown(gold: dict, result: dict) -> float | None:
    """For a near miss with gold `nearest` evidence that was refused: does the refusal
    show that nearest fact (in `nearest` or its citations)?"""
    nearest = [norm(n) for n in gold.get("nearest") or [] if norm(n)]
    if gold.get("evidence") or not nearest or result.get("answerable", True):
        return None
    shown = [norm(q.get("quote") or "") for q in result.get("nearest") or []]
    shown += [norm(c.get("quote") or "") for c in result.get("citations") or []]
    return float(any(n in q or q and q in n for n in nearest for q in shown))


def _citation_scores(
    result: dict,
    passages: list[dict],
    evidence: list[str],
    answerable: bool,
    chunk_texts: dict[str, str | None],
) -> dict:
    """Precision: a citation counts when its quote holds evidence, or the quote
    lies inside a cited passage (heading path and text) that does. Validity:
    the quote is verbatim (byte for byte) in the cited chunk's text. Recall:
    evidence strings found in the cited passages (or in the quote when the
    chunk is unknown)."""
    by_id = {cid: text for cid, text in chunk_texts.items() if text is not None}
    by_id |= {p["chunk_id"]: p.get("text") or "" for p in passages if p.get("chunk_id")}
    citations = result.get("citations") or []
    supported = valid = 0
    cited: list[str] = []
    for c in citations:
        quote = c.get("quote") or ""
        chunk = by_id.get(c.get("chunk_id") or "")
        valid += chunk is not None and bool(quote) and quote in chunk
        q = norm(quote)
        shown = (
            norm(passage_text({"section": c.get("section"), "text": chunk}))
            if chunk is not None
            else None
        )
        inside = shown is not None and q in shown
        supported += any(e in q for e in evidence) or (inside and any(e in shown for e in evidence))
        cited.append(shown if shown is not None else q)
    n = len(citations)
    covered = sum(any(e in t for t in cited) for e in evidence)
    return {
        "n_citations": n,
        "citation_precision": _share(supported, n) if answerable else None,
        "citation_validity": _share(valid, n),
        "citation_recall": covered / len(evidence) if answerable else None,
    }


def question_quality(row: dict) -> float:
    """One number per question for ranking the worst: for answerable gold the
    mean of recall@k, fact accuracy and citation recall; for unanswerable gold
    1 when the assistant refused, else 0."""
    if not row["gold_answerable"]:
        return 1.0 if row["refused"] else 0.0
    parts = [row[key] for key in ("recall_at_k", "fact_accuracy", "citation_recall")]
    parts = [p for p in parts if p is not None]
    return sum(parts) / len(parts) if parts else 0.0


def worst(rows: list[dict], n: int = 10) -> list[dict]:
    """The n lowest-quality questions; ties keep gold order (stable sort)."""
    return sorted(rows, key=lambda r: r["quality"])[:n]


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), None for no values."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 6) if values else None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def summarize(rows: list[dict]) -> dict:
    """Means of the per-question scores, refusal rates and latency for a set of rows.

    Abstention precision: refusals that were on unanswerable gold.
    Abstention recall: unanswerable gold that was refused.
    False-refusal rate: answerable gold that was refused.
    """
    out: dict = {
        "n": len(rows),
        "n_answerable": sum(r["gold_answerable"] for r in rows),
    }
    for key in MEAN_KEYS:
        out[key] = _mean([r[key] for r in rows if r.get(key) is not None])
    refused = [r for r in rows if r["refused"]]
    unanswerable = [r for r in rows if not r["gold_answerable"]]
    answerable = [r for r in rows if r["gold_answerable"]]
    out["abstention_precision"] = _round(
        _share(sum(not r["gold_answerable"] for r in refused), len(refused))
    )
    out["abstention_recall"] = _round(
        _share(sum(r["refused"] for r in unanswerable), len(unanswerable))
    )
    out["false_refusal_rate"] = _round(
        _share(sum(r["refused"] for r in answerable), len(answerable))
    )
    latencies = [r["latency_s"] for r in rows if r.get("latency_s") is not None]
    out["latency_median_s"] = _round(percentile(latencies, 50))
    out["latency_p95_s"] = _round(percentile(latencies, 95))
    return out


def aggregate(rows: list[dict]) -> dict:
    """Overall and per-type summaries; types in order of first appearance."""
    by_type: dict[str, list[dict]] = {}
    for r in rows:
        by_type.setdefault(r["type"], []).append(r)
    return {
        "overall": summarize(rows),
        "by_type": {t: summarize(rs) for t, rs in by_type.items()},
    }


def score_records(records: list[dict], k: int) -> list[dict]:
    """Per-question scores for stored records (`gold`, `result`, `chunk_texts`, `latency_s`)."""
    return [
        score_question(r["gold"], r["result"], k, r.get("chunk_texts"), r.get("latency_s"))
        for r in records
    ]


def recompute(results_json: dict) -> dict:
    """Aggregate metrics per variant from a results file alone (what `--json` wrote)."""
    k = results_json["k"]
    return {
        name: aggregate(score_records(v["questions"], k))
        for name, v in results_json["variants"].items()
    }


def strip_latency(data: object) -> object:
    """A copy without latency fields: what two runs on the same index must agree on."""
    if isinstance(data, dict):
        return {k: strip_latency(v) for k, v in data.items() if not k.startswith("latency")}
    if isinstance(data, list):
        return [strip_latency(v) for v in data]
    return data
