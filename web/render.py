"""Text for the web UI: escaped HTML panels and escaped chat Markdown.

Everything a document or a user wrote goes through `esc` (HTML panels) or
`md_text` (chat messages) exactly once, in the view modules, so the page never
renders their text as markup: a passage holding `<script>alert(1)</script>`
shows as those characters. The only markup is what these functions write.

The view modules: this one (chat answers, sources, context), `search_view`
(results and the citation list) and `status_view` (the documents tab).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable

from policyqa.language import data_path

ROLE_LABELS = {
    "abstract": "摘要",
    "introduction": "引言/总则",
    "review": "文献综述",
    "status": "现状",
    "problem": "问题",
    "countermeasure": "对策/措施",
    "target": "目标",
    "liability": "法律责任",
    "supplementary": "附则",
    "table": "表格",
    "references": "参考文献",
    "other": "其他",
}
DOC_TYPES = {"paper": "期刊论文", "plan": "实施方案", "regulation": "法规", "document": "文件"}
MARKER = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=$^])")
_EMPHASIS = re.compile(r"\*\*")  # Markdown bold left in extracted text (**文献标志码:**)
_SUPERSCRIPT = re.compile(r"\^(\[\d+(?:[,，\-–]\d+)*\])")  # a reference mark: 杨道玲等^[6]
UPLOAD_LINK = "“文档管理”"


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def plain(text: str) -> str:
    """Extracted text as a reader sees it: Markdown bold and superscript marks dropped."""
    return _SUPERSCRIPT.sub(r"\1", _EMPHASIS.sub("", text or ""))


def md_text(text: str) -> str:
    """Text shown literally by a Markdown renderer: Markdown punctuation gets a
    backslash, then `& < >` become entities, so no tag or link survives."""
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text or ""), quote=False)


def role_label(role: str, labels: dict[str, str] | None = None) -> str:
    return (labels or ROLE_LABELS).get(role) or ROLE_LABELS.get(role, "")


# ---- page assets -------------------------------------------------------------


def asset(name: str) -> str:
    """A file of web/static (page CSS and scripts), read from the installed package."""
    return data_path("policyqa.web", f"static/{name}").read_text(encoding="utf-8")


def click_js() -> str:
    """Script of a clickable panel: it hands the panel's `trigger` to page.js,
    which turns clicks on markers, cards and checkboxes into `select` events."""
    return asset("click.js")


# ---- chat -------------------------------------------------------------------


def answer_markdown(answer: str, turn: int, cited: Iterable[int]) -> str:
    """Chat Markdown for an answer: its text escaped, each [n] marker of a known
    citation turned into a link the page script turns into a click on source n,
    and the name of the documents tab into a link to it."""
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
    return "".join(out).replace(UPLOAD_LINK, f"[{UPLOAD_LINK}](#pq-goto-documents)")


def stream_cuts(answer: str, pieces: int = 6, min_step: int = 24) -> list[int]:
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
        out.append(esc(plain(text[pos:a])))
        out.append(f'<mark class="{cls}">{esc(plain(text[a:b]))}</mark>')
        pos = b
    out.append(esc(plain(text[pos:])))
    return "".join(out)


def where(p: dict, labels: dict[str, str] | None = None) -> str:
    """Title, section, page and section role of a passage, as one escaped line."""
    bits = [f'<span class="pq-title">《{esc(p.get("doc_title"))}》</span>']
    if p.get("section"):
        bits.append(f'<span class="pq-section">{esc(p["section"])}</span>')
    if p.get("page"):
        bits.append(f'<span class="pq-page">第 {esc(p["page"])} 页</span>')
    label = role_label(p.get("role") or "", labels)
    if label and not any(w in (p.get("section") or "") for w in label.split("/")):
        bits.append(f'<span class="pq-role">{esc(label)}</span>')
    return " · ".join(bits)


def pick_box(ref: str, chunk_id: str, picked: Iterable[str], name: str) -> str:
    """The checkbox that puts a passage on the citation list (ticked if it is on it)."""
    checked = " checked" if chunk_id in picked else ""
    return (
        f'<label class="pq-pick"><input type="checkbox" data-pq-pick="{esc(ref)}"'
        f' data-pq-chunk="{esc(chunk_id)}" aria-label="{esc(name)}"{checked}>'
        "<span>选用</span></label>"
    )


def open_button(name: str) -> str:
    """The keyboard's way to a card's context (a click anywhere on the card also works)."""
    return f'<button type="button" class="pq-open" aria-label="{esc(name)}">查看上下文</button>'


def card(
    ref: str,
    head: str,
    body: str,
    pick: str = "",
    n: str = "",
    extra: str = "",
    foot: str = "",
    role: str = "",
) -> str:
    """A passage card; a click anywhere but its checkbox opens its context."""
    number = f'<span class="pq-n">{n}</span>' if n else ""
    return (
        f'<div class="pq-card" data-pq-ref="{esc(ref)}" data-pq-role="{esc(role)}">'
        f'<div class="pq-tools">{pick}{open_button("查看上下文：" + (n or "段落"))}</div>'
        f'<div class="pq-head">{number}{head}</div>{extra}'
        f'<div class="pq-text">{body}</div>{foot}</div>'
    )


def context_html(
    ctx: dict | None,
    citation: str = "",
    quotes: Iterable[str] = (),
    ref: str = "",
    labels: dict[str, str] | None = None,
) -> str:
    """A passage inside its paragraph: passage shaded, its quotes highlighted.
    `ref` is the clicked reference, so the page knows this is the answer to it."""
    close = (
        '<button type="button" class="pq-close" data-pq-close aria-label="关闭上下文">关闭</button>'
    )
    head = f'<div class="pq-panel-head"><h3>上下文</h3>{close}</div>'
    if not ctx:
        return (
            f'<div class="pq-context" data-pq-for="{esc(ref)}">{head}'
            '<p class="pq-empty">索引中找不到该段落（索引可能已更新），请重新提问或检索。</p></div>'
        )
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
        f'<div class="pq-context" data-pq-for="{esc(ref)}">{head}'
        f'<div class="pq-head">{where(ctx, labels)}</div>'
        f'<div class="pq-text">{marked(text, spans)}</div>{cite}</div>'
    )


def context_hint(text: str) -> str:
    return (
        '<div class="pq-context pq-hint"><div class="pq-panel-head"><h3>上下文</h3></div>'
        f'<p class="pq-empty">{esc(text)}</p></div>'
    )


def panel_json(data: object) -> str:
    """Data for page.js inside an HTML panel (escaped as an attribute value)."""
    return esc(json.dumps(data, ensure_ascii=False))
