"""Plain-text rendering of an answer for the terminal."""

from __future__ import annotations


def format_answer(result: dict) -> str:
    lines = []
    if result.get("notice"):
        lines.append(f"注意：{result['notice']}")
    lines.append(result["answer"])
    if result["citations"]:
        lines.append("")
        # a refusal cites only the nearest fact, which does not answer the question
        lines.append("来源：" if result["answerable"] else "最接近的内容（未回答该问题）：")
        for c in result["citations"]:
            page = f"，第{c['page']}页" if c.get("page") else ""
            lines.append(f"[{c['n']}] 《{c['doc_title']}》 {c['section']}{page}")
            lines.append(f"    “{c['quote']}”")
    if result.get("related") and not result["answerable"]:
        lines.append("")
        lines.append("相关段落（未回答该问题）：")
        for p in result["related"]:
            lines.append(f"- {p['section']}：{p['text'][:120]}")
    return "\n".join(lines)
