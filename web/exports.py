"""Files a user takes away: an answer as Markdown, search results as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from .reference import gbt7714

EXPORT_DIR = Path(tempfile.gettempdir()) / "policyqa-exports"


def export_file(text: str, suffix: str, encoding: str = "utf-8") -> str:
    """A fresh file in the temp dir, where Gradio may pick it up; day-old ones are pruned."""
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 86400
    for old in EXPORT_DIR.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    path = EXPORT_DIR / f"policyqa-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}{suffix}"
    path.write_text(text, encoding=encoding)
    return str(path)


def answer_export(result: dict, ref_of: Callable[[dict], str] | None = None) -> str:
    """The answer and its sources as a Markdown file a user can keep;
    `ref_of(citation)` adds each source's GB/T 7714 reference."""
    lines = [f"# 问题：{result.get('question', '')}", "", "## 回答", ""]
    if not result.get("answerable", True):
        lines += [
            result.get("answer") or "未能根据文件回答该问题。",
            "",
            "## 相关但未回答问题的段落",
            "",
        ]
        for i, p in enumerate(result.get("related") or [], 1):
            lines += [
                f"{i}. 《{p.get('doc_title', '')}》 {p.get('section', '')}",
                f"   {p['text']}",
                "",
            ]
        return "\n".join(lines).rstrip() + "\n"
    lines += [result.get("answer", ""), ""]
    if result.get("notice"):
        lines += [f"> 提示：{result['notice']}", ""]
    lines += ["## 引用", ""]
    groups: dict[int, list[dict]] = {}
    for c in result.get("citations") or []:
        groups.setdefault(c["n"], []).append(c)
    for n, cs in groups.items():
        c = cs[0]
        page = f"，第 {c['page']} 页" if c.get("page") else ""
        lines.append(f"[{n}] 《{c.get('doc_title', '')}》 {c.get('section', '')}{page}")
        lines += [f"> {q['quote']}" for q in cs if q.get("quote")]
        if ref_of:
            lines.append(f"引用格式：{ref_of(c)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


EXPORT_FIELDS = ("rank", "score", "doc_title", "section", "role", "page", "text", "citation")
EXPORT_FIELDS += ("chunk_id", "doc_id")
_FORMULA = re.compile(r"^[=+@\t\r]|^-[^\d\s]")


def results_csv(passages: list[dict]) -> str:
    """CSV text (write it as utf-8-sig so Excel reads the Chinese); cells a
    spreadsheet would run as a formula are prefixed with an apostrophe."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(EXPORT_FIELDS)
    for p in passages:
        row = ["" if p.get(f) is None else str(p.get(f)) for f in EXPORT_FIELDS]
        w.writerow(["'" + v if _FORMULA.match(v) else v for v in row])
    return buf.getvalue()


def results_json(query: str, filters: dict, passages: list[dict]) -> str:
    rows = [{f: p.get(f) for f in EXPORT_FIELDS} for p in passages]
    return json.dumps(
        {"query": query, "filters": filters, "results": rows}, ensure_ascii=False, indent=1
    )


def with_citations(passages: list[dict], meta_of: Callable[[str], dict]) -> list[dict]:
    return [
        {**p, "citation": gbt7714(meta_of(p["doc_id"]), p.get("section", ""))} for p in passages
    ]
