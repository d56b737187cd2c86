"""Passage search as shown: which passages match what the user typed, how
relevant each is in words a reader understands, and the citation list.

What counts is what the user typed, never the thesaurus words retrieval adds:
a query is split at spaces and punctuation into phrases; a passage matches a
phrase when it holds the phrase, or every word jieba finds in it. Results are
the retriever's ranking of the passages that match every phrase (or, when
none does, of those that match some phrase); a query no passage matches says
未找到 and shows nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .render import card, esc, marked, pick_box, plain
from .render import where as where_html

_SPLIT = re.compile(r"[\s,，、;；。.!！?？:：\"“”'‘’()（）《》<>\[\]【】]+")
LEVELS = ((0.67, "高", "high"), (0.34, "中", "mid"), (0.0, "低", "low"))


@dataclass(frozen=True)
class Phrase:
    """One thing the user typed: the phrase and the words jieba finds in it."""

    text: str
    terms: tuple[str, ...]

    def found_in(self, text: str) -> bool:
        low = plain(text).lower()
        return self.text.lower() in low or all(t in low for t in self.terms)

    def words(self) -> list[str]:
        return [self.text, *self.terms]


def phrases(query: str, terms_of: Callable[[str], list[str]]) -> list[Phrase]:
    """The phrases of a query; a phrase of stop words only (是多少) is dropped."""
    out = []
    for piece in _SPLIT.split(query or ""):
        terms = maximal(terms_of(piece)) if piece.strip() else []
        if terms:
            out.append(Phrase(piece.strip(), tuple(terms)))
    return out


def maximal(terms: Iterable[str]) -> list[str]:
    """Words not inside a longer one (jieba's search mode also gives 能源 for 新能源汽车)."""
    words = list(dict.fromkeys(t.lower() for t in terms if t.strip()))
    return [w for w in words if not any(w != u and w in u for u in words)]


@dataclass
class Matches:
    passages: list[dict]
    complete: bool  # every phrase in every shown passage
    missing: list[str]  # phrases no candidate holds
    absent: list[str]  # words of the phrases no candidate holds


def match(passages: list[dict], wanted: list[Phrase], k: int) -> Matches:
    """The retriever's candidates that hold what the user typed, best first, at most k."""
    if not wanted:
        return Matches([], True, [], [])
    texts = [plain(p["text"]).lower() for p in passages]
    full = [p for p in passages if all(ph.found_in(p["text"]) for ph in wanted)]
    missing = [ph.text for ph in wanted if not any(ph.found_in(p["text"]) for p in passages)]
    absent = [t for ph in wanted for t in ph.terms if not any(t in text for text in texts)]
    if full or len(wanted) == 1:
        return Matches(full[:k], True, missing, absent)
    hits = [(sum(ph.found_in(p["text"]) for ph in wanted), p) for p in passages]
    partial = [p for n, p in sorted(hits, key=lambda x: -x[0]) if n]
    return Matches(partial[:k], False, missing, absent)


def term_spans(text: str, words: Iterable[str]) -> list[tuple[int, int, str]]:
    """Occurrences of the typed words in text, longest first, no overlaps."""
    found = sorted({w for w in words if w.strip()}, key=len, reverse=True)
    if not found:
        return []
    pattern = re.compile("|".join(re.escape(w) for w in found), re.IGNORECASE)
    return [(m.start(), m.end(), "pq-term") for m in pattern.finditer(text)]


def relevance(score: float, top: float) -> tuple[int, str, str]:
    """(percent of the best result's score, 高/中/低, css suffix)."""
    share = score / top if top > 0 else 0.0
    for floor, label, css in LEVELS:
        if share >= floor:
            return round(100 * share), label, css
    return 0, "低", "low"


def search_html(
    query: str,
    found: Matches,
    wanted: list[Phrase],
    picked: Iterable[str] = (),
    filtered: bool = False,
    labels: dict[str, str] | None = None,
) -> str:
    q = esc(query)
    if not wanted:
        return (
            f'<div class="pq-results pq-empty" data-pq-query="{q}">'
            "<p>请输入检索词，如：新能源汽车本地配套率。</p></div>"
        )
    shown = "、".join(f"“{esc(ph.text)}”" for ph in wanted)
    if not found.passages:
        return _none_html(q, shown, found, filtered)
    if found.complete:
        head = f"共 {len(found.passages)} 条包含{shown}的段落，按相关度排序。"
    else:
        absent = "、".join(f"“{esc(m)}”" for m in found.missing)
        head = "没有段落同时包含全部检索词；以下段落只包含其中一部分" + (
            f"（未出现：{absent}）。" if absent else "。"
        )
    top = max(p["score"] for p in found.passages)
    picked = set(picked)
    cards = [
        _result_card(p, n, top, wanted, picked, labels) for n, p in enumerate(found.passages, 1)
    ]
    return (
        f'<div class="pq-results" data-pq-query="{q}"><p class="pq-summary" role="status">{head}</p>'
        '<p class="pq-legend">相关度：与本次检索最相关的段落为 100%，按与它的比例分为高、中、低。</p>'
        f"{''.join(cards)}</div>"
    )


def _none_html(q: str, shown: str, found: Matches, filtered: bool) -> str:
    scope = "所选范围内的文件" if filtered else "已收录的文件"
    if found.absent:
        why = "、".join(f"“{esc(t)}”" for t in found.absent) + f"在{scope}中没有出现。"
    else:
        why = "这些词没有同时出现在同一段落中。可以减少检索词，或用空格分开多个词，查找包含其中任一词的段落。"
    hint = "也可以放宽筛选条件，" if filtered else "也可以"
    return (
        f'<div class="pq-results pq-none" data-pq-query="{q}"><p class="pq-nomatch" role="status">'
        f"未找到包含{shown}的段落。</p><p>{why}{hint}换一个说法，或到“智能问答”直接提问。</p></div>"
    )


def _result_card(
    p: dict, n: int, top: float, wanted: list[Phrase], picked: set, labels: dict | None
) -> str:
    words = [w for ph in wanted for w in ph.words()]
    hit = [w for ph in wanted for w in ph.words() if w.lower() in plain(p["text"]).lower()]
    hit = [w for w in dict.fromkeys(hit) if not any(w != u and w in u for u in hit)]
    share, label, css = relevance(p["score"], top)
    rel = (
        f'<div class="pq-rel pq-rel-{css}"><span class="pq-bar" aria-hidden="true">'
        f'<span style="width:{share}%"></span></span>'
        f"<span>相关度 <b>{label}</b>（{share}%）</span>"
        f'<span class="pq-hit">命中：{"、".join(esc(w) for w in hit)}</span></div>'
    )
    ref = f"c:{p['chunk_id']}"
    return card(
        ref,
        where_html(p, labels),
        marked(p["text"], term_spans(p["text"], words)),
        pick_box(ref, p["chunk_id"], picked, f"选用第 {n} 条结果"),
        n=str(n),
        extra=rel,
        foot=f'<div class="pq-cite">引用格式：{esc(p.get("citation", ""))}</div>',
        role=p.get("role") or "",
    )


# ---- the citation list ----------------------------------------------------------


def picked_html(picked: list[dict]) -> str:
    """The citation list: the passages a user ticked, each removable, with its data
    (the ticked chunk ids) for page.js to keep every checkbox in step."""
    ids = esc(" ".join(p["chunk_id"] for p in picked))
    head = (
        '<div class="pq-panel-head"><h3>引用清单</h3>'
        f'<span class="pq-count" role="status">已选 {len(picked)} 条</span></div>'
    )
    if not picked:
        body = (
            '<p class="pq-empty">尚未选择段落。勾选检索结果或回答来源中的“选用”，'
            "即可导出 GB/T 7714 引用、CSV、RIS 或 BibTeX。</p>"
        )
        return f'<div class="pq-picked" data-pq-picked="{ids}">{head}{body}</div>'
    items = []
    for p in picked:
        excerpt = plain(p.get("text") or "")
        short = excerpt[:60] + ("…" if len(excerpt) > 60 else "")
        items.append(
            f'<li><span class="pq-title">《{esc(p.get("doc_title"))}》</span>'
            f' <span class="pq-section">{esc(p.get("section"))}</span>'
            f'<q>{esc(short)}</q><button type="button" class="pq-remove"'
            f' data-pq-pick="c:{esc(p["chunk_id"])}" aria-label="移出引用清单：{esc(short[:20])}">'
            "移出</button></li>"
        )
    return f'<div class="pq-picked" data-pq-picked="{ids}">{head}<ol>{"".join(items)}</ol></div>'


def picked_note(picked: list[dict]) -> str:
    """The chat tab's line about the citation list, which lives on the search tab."""
    if not picked:
        return '<p class="pq-note">勾选来源中的“选用”可把段落加入引用清单，在“段落检索”页导出。</p>'
    return (
        f'<p class="pq-note">引用清单已选 {len(picked)} 条。'
        '<button type="button" class="pq-goto" data-pq-goto="段落检索">去导出</button></p>'
    )
