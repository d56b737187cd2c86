"""`policyqa eval`: run the gold questions through one or more pipelines, score
them, print a table and write the results file and the report.

The results file keeps, per question, the gold line, the full ask result, the
text of cited chunks that were not among the passages, the latency and the
scores, so `metrics.recompute` can re-score it without the index.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from policyqa.app import PolicyQA
from policyqa.errors import PolicyQAError
from policyqa.settings import Settings

from . import metrics, report

WARM_UP = "系统预热"
REQUIRED = {"id": str, "type": str, "question": str, "evidence": list, "answer_facts": list}


@dataclass(frozen=True)
class GoldQuestion:
    """One gold line. Empty `evidence` marks a question the corpus cannot answer."""

    id: str
    type: str
    question: str
    evidence: list[str]
    answer_facts: list[str]
    history: list[dict] = field(default_factory=list)
    nearest: list[str] = field(default_factory=list)  # a near miss: the neighbouring fact to show
    doc: str = ""  # the document the answer must come from
    note: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("history", "nearest", "doc", "note"):
            if not d[key]:
                d.pop(key)
        return d


def _check(line: dict, where: str) -> GoldQuestion:
    for key, kind in REQUIRED.items():
        if key not in line:
            raise PolicyQAError(
                f"{where}: missing key {key!r} (each line needs {', '.join(REQUIRED)})"
            )
        if not isinstance(line[key], kind):
            raise PolicyQAError(f"{where}: {key!r} must be a {kind.__name__}")
    if not line["question"].strip():
        raise PolicyQAError(f"{where}: empty question")
    for key in ("evidence", "answer_facts"):
        if not all(isinstance(x, str) and x.strip() for x in line[key]):
            raise PolicyQAError(f"{where}: {key!r} must hold non-empty strings")
    history = line.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(t, dict) and isinstance(t.get("role"), str) and isinstance(t.get("content"), str)
        for t in history
    ):
        raise PolicyQAError(f"{where}: 'history' must be a list of {{role, content}} turns")
    nearest = line.get("nearest") or []
    if not isinstance(nearest, list) or not all(isinstance(x, str) for x in nearest):
        raise PolicyQAError(f"{where}: 'nearest' must be a list of strings")
    return GoldQuestion(
        line["id"],
        line["type"],
        line["question"],
        line["evidence"],
        line["answer_facts"],
        history,
        nearest,
        str(line.get("doc") or ""),
        str(line.get("note") or ""),
    )


def load_gold(path: Path) -> list[GoldQuestion]:
    """Validated gold questions; errors name the file and line so they can be fixed."""
    gold: list[GoldQuestion] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            where = f"{path}:{n}"
            try:
                line = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise PolicyQAError(f"{where}: not valid JSON ({exc.msg})") from exc
            if not isinstance(line, dict):
                raise PolicyQAError(f"{where}: expected a JSON object per line")
            q = _check(line, where)
            if q.id in seen:
                raise PolicyQAError(f"{where}: duplicate id {q.id!r}")
            seen.add(q.id)
            gold.append(q)
    if not gold:
        raise PolicyQAError(f"{path}: no gold questions")
    return gold


class Asker(Protocol):
    """What a compared pipeline offers: an answer dict, and the text of a chunk it cited."""

    def ask(self, question: str, history: list[dict] | None = None) -> dict: ...

    def chunk_text(self, chunk_id: str) -> str | None: ...


class PipelineAsker:
    """policyqa's own assistant in one retrieval mode (None: the settings default)."""

    def __init__(self, app: PolicyQA, mode: str | None = None) -> None:
        self.app = app
        self.mode = mode

    def ask(self, question: str, history: list[dict] | None = None) -> dict:
        return self.app.ask(question, history=history or None, mode=self.mode).to_dict()

    def chunk_text(self, chunk_id: str) -> str | None:
        chunk = self.app.chunk(chunk_id)
        return chunk.text if chunk else None


@dataclass(frozen=True)
class Variant:
    name: str
    label: str  # English, for the table and the plot
    mode: str | None = None  # retrieval mode for policyqa; None for the baseline


def variants(app: PolicyQA, compare: bool) -> list[Variant]:
    shipped = Variant("shipped", f"policyqa {app.settings.retrieval} (shipped)", None)
    if not compare:
        return [shipped]
    return [
        Variant("bm25", "policyqa BM25 only", "bm25"),
        Variant("dense", "policyqa dense only", "dense"),
        shipped,
        Variant("langchain", "naive LangChain", None),
    ]


def run_questions(asker: Asker, gold: list[GoldQuestion], k: int) -> list[dict]:
    """Ask every question (follow-ups with their history), time it, score it.
    One untimed warm-up question first, so model loading is not in p95; it is
    not a gold question, whose answer could then come from a warm cache."""
    asker.ask(WARM_UP)
    records = []
    for q in gold:
        t0 = time.perf_counter()
        result = asker.ask(q.question, history=q.history or None)
        latency = round(time.perf_counter() - t0, 6)
        in_passages = {p.get("chunk_id") for p in result.get("passages") or []}
        cited = {c.get("chunk_id") for c in result.get("citations") or []}
        chunk_texts = {cid: asker.chunk_text(cid) for cid in sorted(cited - in_passages) if cid}
        record = {
            "gold": q.to_dict(),
            "result": result,
            "chunk_texts": chunk_texts,
            "latency_s": latency,
        }
        record["scores"] = metrics.score_records([record], k)[0]
        records.append(record)
    return records


def unreachable_evidence(app: PolicyQA, gold: list[GoldQuestion]) -> list[dict]:
    """Gold evidence that no indexed passage (heading path and text) contains:
    it straddles a chunk boundary or is missing from the corpus, so retrieval
    scores for its question are capped whatever the retriever does."""
    shown = [
        metrics.norm(metrics.passage_text({"section": c.section, "text": c.text}))
        for c in app.retriever().generation.chunks
    ]
    return [
        {"id": q.id, "evidence": e}
        for q in gold
        for e in q.evidence
        if not any(metrics.norm(e) in t for t in shown)
    ]


def _asker(app: PolicyQA, v: Variant) -> Asker:
    if v.name == "langchain":
        from .baseline import NaiveLangChainBaseline

        return NaiveLangChainBaseline(app.settings, app.embedder)
    return PipelineAsker(app, v.mode)


def corpora_app(settings: Settings, corpora: list[Path]) -> PolicyQA:
    """An app answering from these folders together (the first one's profile applies),
    indexed into a home of their own under the configured one, incrementally: a second
    run over the same folders re-embeds nothing that has not changed."""
    folders = [c.resolve() for c in corpora]
    name = hashlib.sha256("\n".join(map(str, folders)).encode()).hexdigest()[:12]
    app = PolicyQA(Settings.from_env(home=settings.home / "eval" / name, corpus=folders[0]))
    summary = app.ingest(folders)
    print(f"eval: {summary.chunks} passages from {len(folders)} folders", file=sys.stderr)
    if summary.errors:
        raise PolicyQAError(f"these files could not be indexed: {summary.errors}")
    return app


def run_eval(
    app: PolicyQA,
    gold_path: Path,
    k: int = 5,
    compare: bool = False,
    json_out: Path | None = None,
    report_dir: Path | None = None,
) -> dict:
    """Score the shipped pipeline (and with `compare` the other variants) on the
    gold set; print the summary table and return the metrics."""
    gold = load_gold(Path(gold_path))
    chosen = variants(app, compare)
    results: dict = {"k": k, "gold": str(gold_path), "variants": {}}
    for v in chosen:
        print(f"eval: {v.label} on {len(gold)} questions …", file=sys.stderr)
        asker = _asker(app, v)
        try:
            records = run_questions(asker, gold, k)
        finally:
            close = getattr(asker, "close", None)
            if close:
                close()
        results["variants"][v.name] = {"label": v.label, "mode": v.mode, "questions": records}
    scored = metrics.recompute(results)
    for name, agg in scored.items():
        results["variants"][name]["metrics"] = agg
    out = {
        "k": k,
        "gold": str(gold_path),
        "labels": {v.name: v.label for v in chosen},
        "variants": scored,
        "unreachable_evidence": unreachable_evidence(app, gold),
    }
    if out["unreachable_evidence"]:
        n = len(out["unreachable_evidence"])
        print(
            f"eval: {n} gold evidence strings are in no indexed passage (see report)",
            file=sys.stderr,
        )
    print(report.summary_text(out, main="shipped"))
    if json_out:
        _write_json(Path(json_out), results)
    if report_dir:
        report.write_report(Path(report_dir), out, results, main="shipped", plot=compare)
    return out


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
