"""Files a user takes away: an answer as Markdown (the citation list's exports
are in `citations`), written where Gradio may serve them for download."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

EXPORT_DIR = Path(tempfile.gettempdir()) / "policyqa-exports"


def export_file(text: str, suffix: str, encoding: str = "utf-8", stem: str = "policyqa") -> str:
    """A fresh file in the temp dir, where Gradio may pick it up; day-old ones are pruned.
    `stem` names it for the reader (回答, 引用清单); a time and a short id keep it unique."""
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 86400
    for old in EXPORT_DIR.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    path = EXPORT_DIR / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}{suffix}"
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
