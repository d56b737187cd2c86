"""The chat answer as shown: its Markdown message and its sources panel.

An answer cites passages [n]; a refusal says what is missing and cites the
nearest facts the documents do hold, then lists related passages; a question
that needs an earlier one (那珠三角呢？ after 清空对话) gets a request to
complete it. Document and user text is escaped by `render`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .render import UPLOAD_LINK, card, esc, marked, md_text, pick_box, quote_spans
from .render import where as where_html

CLARIFY = "clarify"
# a refusal that already says so needs no "未能回答" label in front of it
_SAYS_MISSING = re.compile(
    r"^(资料中|文件中|已收录|《[^》]+》的全文)|未找到|没有关于|尚未收录|无法回答"
)


def refused(result: dict) -> bool:
    return not result.get("answerable", True)


def clarifying(result: dict) -> bool:
    return result.get("intent") == CLARIFY


def message_parts(result: dict, question: str) -> tuple[str, str]:
    """(head, tail) of an answer's chat message, around its streamed Markdown."""
    answer = result.get("answer") or ""
    head = ""
    if refused(result) and not clarifying(result) and not _SAYS_MISSING.search(answer):
        head = "**资料未能回答这个问题：** "
    resolved = result.get("resolved_question") or ""
    if resolved and resolved != question and not clarifying(result):
        head = f"*（按“{md_text(resolved)}”理解）*\n\n" + head
    tail = "\n\n> 提示：" + md_text(result["notice"]) if result.get("notice") else ""
    return head, tail


def empty_sources() -> str:
    return (
        '<div class="pq-sources"><div class="pq-panel-head"><h3>来源</h3></div>'
        '<p class="pq-empty">回答引用的段落会显示在这里。</p></div>'
    )


def sources_html(
    result: dict,
    turn: int,
    text_of: Callable[[str], str | None],
    picked: Iterable[str] = (),
    labels: dict[str, str] | None = None,
) -> str:
    """The sources panel: the cited passages with their quotes highlighted; for a
    refusal the nearest facts, a way to upload a missing document and the related
    passages; for a question to complete, what to do."""
    head = '<div class="pq-panel-head"><h3>来源</h3></div>'
    if clarifying(result):
        return (
            f'<div class="pq-sources pq-clarify" data-pq-turn="{turn}">{head}<div class="pq-banner">需要一个完整的问题</div>'
            "<p>这句话是接着上一个问题的追问，但对话中没有上一个问题（可能刚清空了对话）。"
            "请在输入框中把问题补充完整后再发送，例如写明地区、产业和要问的指标。</p></div>"
        )
    picked = set(picked)
    cited = _cited_cards(result, turn, text_of, picked, labels)
    if not refused(result):
        body = "".join(cited) or '<p class="pq-empty">本回答没有引用。</p>'
        return f'<div class="pq-sources" data-pq-turn="{turn}">{head}{body}</div>'
    parts = ['<div class="pq-banner">资料未能直接回答这个问题。</div>']
    if UPLOAD_LINK in (result.get("answer") or ""):
        parts.append(
            '<div class="pq-upload-hint">所问文件的全文尚未收录。'
            '<button type="button" class="pq-goto" data-pq-goto="文档管理">'
            "前往“文档管理”上传文件</button></div>"
        )
    if cited:
        parts.append('<h4 class="pq-sub">资料中最接近的内容</h4>' + "".join(cited))
    shown = {c["chunk_id"] for c in result.get("citations") or []}
    related = [
        (i, p)
        for i, p in enumerate(result.get("related") or result.get("passages") or [])
        if p["chunk_id"] not in shown
    ]
    if related:
        parts.append('<h4 class="pq-sub">相关但未回答问题的段落</h4>')
        parts += [
            card(
                f"{turn}-r{i}",
                where_html(p, labels),
                marked(p.get("text") or "", []),
                pick_box(f"{turn}-r{i}", p["chunk_id"], picked, "选用该相关段落"),
            )
            for i, p in related
        ]
    return f'<div class="pq-sources pq-refused" data-pq-turn="{turn}">{head}{"".join(parts)}</div>'


def _cited_cards(
    result: dict,
    turn: int,
    text_of: Callable[[str], str | None],
    picked: set[str],
    labels: dict[str, str] | None,
) -> list[str]:
    by_id = {p["chunk_id"]: p for p in result.get("passages") or []}
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
        ref = f"{turn}-{n}"
        cards.append(
            card(
                ref,
                where_html({**p, **cs[0]}, labels),
                marked(text, spans),
                pick_box(ref, cs[0]["chunk_id"], picked, f"选用来源 [{n}]"),
                n=f"[{n}]",
            ).replace('<div class="pq-card"', f'<div class="pq-card" id="pq-src-{esc(ref)}"', 1)
        )
    return cards
