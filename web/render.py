"""Text for the web UI: escaped HTML panels, escaped chat Markdown and exports.

Everything a document or a user wrote goes through `esc` (HTML panels) or
`md_text` (chat messages) exactly once, here, so the page never renders their
text as markup: a passage holding `<script>alert(1)</script>` shows as those
characters. The only markup is what these functions write themselves.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable

from policyqa.language import data_path

ROLE_LABELS = {
    "abstract": "摘要",
    "introduction": "引言",
    "review": "文献综述",
    "status": "现状",
    "problem": "问题",
    "countermeasure": "对策",
    "table": "表格",
    "references": "参考文献",
    "other": "其他",
}
DOC_TYPES = {"paper": "论文", "plan": "实施方案", "document": "文件"}
MARKER = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]")
_CLICKABLE = 'role="button" tabindex="0" title="点击查看上下文"'
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=$^])")


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def md_text(text: str) -> str:
    """Text shown literally by a Markdown renderer: Markdown punctuation gets a
    backslash, then `& < >` become entities, so no tag or link survives."""
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text or ""), quote=False)


# ---- page assets -------------------------------------------------------------

# Clicks on [n] markers and source cards become a `select` event carrying the
# reference ("turn-n", "turn-rI" or "c:chunk_id"). The chat panel listens on the
# whole chat column, since markers live in the chatbot; other panels on themselves.


def asset(name: str) -> str:
    """A file of web/static (page CSS and scripts), read from the installed package."""
    return data_path("policyqa.web", f"static/{name}").read_text(encoding="utf-8")


def click_js(scope: str = "") -> str:
    """Page script for a panel; `scope` (a CSS selector) widens it to clicks
    anywhere inside that element, such as markers in the chatbot."""
    return asset("click.js") % (json.dumps(scope) if scope else "null")


# Copies the answer's Markdown (the event's input value) to the clipboard; the
# textarea fallback covers pages served over plain http on a LAN address.

# ---- chat -------------------------------------------------------------------


def answer_markdown(answer: str, turn: int, cited: Iterable[int]) -> str:
    """Chat Markdown for an answer: its text escaped, each [n] marker of a known
    citation turned into a link the page script turns into a click on source n."""
    known = set(cited)
    out, pos = [], 0
    for m in MARKER.finditer(answer or ""):
        out.append(md_text(answer[pos : m.start()]))
        numbers = [int(n) for n in re.split(r"\s*[,，、]\s*", m.group(1))]
        if all(n in known for n in numbers):
            out.append("".join(f"[\\[{n}\\]](#pq-{turn}-{n})" for n in numbers))
        else:
            out.append(md_text(m.group(0)))
        pos = m.end()
    out.append(md_text(answer[pos:]))
    return "".join(out)


def stream_cuts(answer: str, pieces: int = 10, min_step: int = 16) -> list[int]:
    """Prefix lengths to show while streaming: about `pieces` steps, never
    inside a [n] marker, ending with the whole answer."""
    step = max(min_step, len(answer) // pieces)
    markers = [(m.start(), m.end()) for m in MARKER.finditer(answer)]
    cuts, at = [], step
    while at < len(answer):
        for a, b in markers:
            if a < at < b:
                at = b
        cuts.append(at)
        at += step
    return [*cuts, len(answer)]


def quote_spans(
    text: str, citations: list[dict], passage_start: int | None = None
) -> list[tuple[int, int]]:
    """Where the citations' quotes sit in a passage text (found by text, else by offsets)."""
    spans = []
    for c in citations:
        quote = c.get("quote") or ""
        i = text.find(quote) if quote else -1
        if i >= 0:
            spans.append((i, i + len(quote)))
            continue
        start, end = c.get("start"), c.get("end")
        if isinstance(start, int) and isinstance(end, int) and passage_start is not None:
            a, b = start - passage_start, end - passage_start
            if 0 <= a < b <= len(text):
                spans.append((a, b))
    return spans


def marked(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """Escaped text with non-overlapping (start, end, css class) spans in <mark>."""
    out, pos = [], 0
    for a, b, cls in sorted(s for s in spans if 0 <= s[0] < s[1]):
        if a < pos:
            continue
        out.append(esc(text[pos:a]))
        out.append(f'<mark class="{cls}">{esc(text[a:b])}</mark>')
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def _where(p: dict) -> str:
    bits = [f'<span class="pq-title">《{esc(p.get("doc_title"))}》</span>']
    if p.get("section"):
        bits.append(f'<span class="pq-section">{esc(p["section"])}</span>')
    if p.get("page"):
        bits.append(f'<span class="pq-page">第 {esc(p["page"])} 页</span>')
    if p.get("role") in ROLE_LABELS:
        bits.append(f'<span class="pq-role">{ROLE_LABELS[p["role"]]}</span>')
    return " · ".join(bits)


def sources_html(result: dict, turn: int, text_of: Callable[[str], str | None]) -> str:
    """The sources panel: cited passages with their quote highlighted, or, for a
    refused question, the related passages that do not answer it."""
    by_id = {p["chunk_id"]: p for p in result.get("passages") or []}
    if not result.get("answerable", True):
        related = result.get("related") or result.get("passages") or []
        cards = [
            f'<div class="pq-card" data-pq-ref="{turn}-r{i}" {_CLICKABLE}>'
            f'<div class="pq-head">{_where(p)}</div>'
            f'<div class="pq-text">{esc(p.get("text"))}</div></div>'
            for i, p in enumerate(related)
        ]
        body = "".join(cards) or '<p class="pq-empty">没有相关段落。</p>'
        return (
            '<div class="pq-sources pq-refused"><div class="pq-banner">未能根据文件回答该问题。'
            "以下为相关但未回答问题的段落：</div>" + body + "</div>"
        )
    groups: dict[int, list[dict]] = {}
    for c in result.get("citations") or []:
        groups.setdefault(c["n"], []).append(c)
    cards = []
    for n, cs in groups.items():
        p = by_id.get(cs[0]["chunk_id"]) or {}
        text = (
            p.get("text")
            or text_of(cs[0]["chunk_id"])
            or " … ".join(c.get("quote", "") for c in cs)
        )
        spans = [(a, b, "pq-quote") for a, b in quote_spans(text, cs, p.get("start"))]
        cards.append(
            f'<div class="pq-card" id="pq-src-{turn}-{n}" data-pq-ref="{turn}-{n}" {_CLICKABLE}>'
            f'<div class="pq-head"><span class="pq-n">[{n}]</span> {_where({**p, **cs[0]})}</div>'
            f'<div class="pq-text">{marked(text, spans)}</div></div>'
        )
    if not cards:
        return '<div class="pq-sources"><p class="pq-empty">本回答没有引用。</p></div>'
    return '<div class="pq-sources">' + "".join(cards) + "</div>"


def context_html(ctx: dict | None, citation: str = "", quotes: Iterable[str] = ()) -> str:
    """A passage inside its paragraph: passage shaded, its quotes highlighted."""
    if not ctx:
        return '<div class="pq-context pq-empty">索引中找不到该段落（索引可能已更新），请重新提问。</div>'
    text = ctx["context"]
    ps, pe = ctx["passage_start"], ctx["passage_end"]
    cuts = []
    if ctx.get("quote_start") is not None and ctx.get("quote_end") is not None:
        cuts.append((ctx["quote_start"], ctx["quote_end"]))
    for q in quotes:
        i = text.find(q, ps, pe) if q else -1
        if i >= 0:
            cuts.append((i, i + len(q)))
    spans, pos = [], ps
    for qs, qe in sorted(c for c in set(cuts) if ps <= c[0] < c[1] <= pe):
        if qs < pos:
            continue
        spans += [(pos, qs, "pq-passage"), (qs, qe, "pq-quote")]
        pos = qe
    spans.append((pos, pe, "pq-passage"))
    cite = f'<div class="pq-cite">引用格式：{esc(citation)}</div>' if citation else ""
    return (
        f'<div class="pq-context"><div class="pq-head">{_where(ctx)}</div>'
        f'<div class="pq-text">{marked(text, spans)}</div>{cite}</div>'
    )


# ---- search -----------------------------------------------------------------


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int, str]]:
    """Occurrences of query terms in text, longest term first, no overlaps."""
    words = sorted({t for t in terms if len(t.strip()) >= 2}, key=len, reverse=True)
    if not words:
        return []
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    return [(m.start(), m.end(), "pq-term") for m in pattern.finditer(text)]


def search_html(passages: list[dict], terms: list[str]) -> str:
    if not passages:
        return '<div class="pq-results pq-empty">没有找到匹配的段落。可以换个说法，或放宽筛选条件。</div>'
    cards = [
        f'<div class="pq-card pq-result" data-pq-ref="c:{esc(p["chunk_id"])}" {_CLICKABLE}>'
        f'<div class="pq-head"><span class="pq-n">{p["rank"]}</span> {_where(p)}'
        f' <span class="pq-score">得分 {p["score"]:.4f}</span></div>'
        f'<div class="pq-text">{marked(p["text"], term_spans(p["text"], terms))}</div>'
        f'<div class="pq-cite">引用格式：{esc(p.get("citation", ""))}</div></div>'
        for p in passages
    ]
    return f'<div class="pq-results"><p>共 {len(passages)} 条结果</p>{"".join(cards)}</div>'


# ---- documents --------------------------------------------------------------


def status_html(status: dict, role_counts: dict[str, dict[str, int]]) -> str:
    if not status.get("built"):
        return '<div class="pq-status pq-empty">尚未建立索引：请运行 <code>policyqa ingest</code>。</div>'
    roles = [r for r in ROLE_LABELS if any(r in c for c in role_counts.values())]
    head = "".join(f"<th>{ROLE_LABELS[r]}</th>" for r in roles)
    rows = []
    for d in status["documents"]:
        counts = role_counts.get(d["doc_id"], {})
        cells = "".join(f"<td>{counts.get(r, 0)}</td>" for r in roles)
        rows.append(
            f"<tr><td>{esc(d['title'])}</td><td>{esc(DOC_TYPES.get(d['doc_type'], d['doc_type']))}</td>"
            f"<td>{d['chunks']}</td>{cells}</tr>"
        )
    info = (
        f"<p>嵌入模型：<code>{esc(status.get('model'))}</code> · 建立时间：{esc(status.get('built_at'))}"
        f" · 段落总数：{esc(status.get('chunk_count'))} · 第 {esc(status.get('generation'))} 版索引</p>"
    )
    table = (
        f'<table class="pq-table"><thead><tr><th>文档</th><th>类型</th><th>段落数</th>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )
    missing = status.get("missing") or []
    if missing:
        items = "".join(
            f"<li>《{esc(m['title'])}》{'（' + esc(m['adopted']) + '）' if m.get('adopted') else ''}</li>"
            for m in missing
        )
        miss = (
            f'<div class="pq-missing"><h4>尚未收录的文件（{len(missing)} 份）</h4><ul>{items}</ul>'
        )
        miss += "<p>这些文件不在索引中，相关问题无法据此回答。可在下方上传后加入索引。</p></div>"
    else:
        miss = '<p class="pq-missing-none">预期文件均已收录。</p>'
    return f'<div class="pq-status">{info}{table}{miss}</div>'
