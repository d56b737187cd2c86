"""GB/T 7714-2015 reference strings built from a document's metadata sidecar.

Researchers paste these into their own papers, so the string never contains a
field the sidecar does not hold: the paper's sidecar has no journal name, and
none is invented.

>>> gbt7714({"title": "题名", "authors": ["朱兵", "李宸"], "doc_type": "paper",
...          "year": 2025, "issue": "14", "pages": "160-166"}, "3 问题 > 3.2 产业链薄弱")
'朱兵, 李宸. 题名[J]. 2025(14): 160-166. 章节: 3.2 产业链薄弱'
"""

from __future__ import annotations

import re

# doc_type in the sidecar or corpus manifest -> GB/T 7714 document type code.
TYPE_CODES = {
    "paper": "J",
    "article": "J",
    "journal": "J",
    "book": "M",
    "conference": "C",
    "thesis": "D",
    "report": "R",
    "standard": "S",
    "patent": "P",
    "newspaper": "N",
    "news": "N",
    "dataset": "DS",
    "web": "EB/OL",
    "plan": "Z",  # policy documents (实施方案, 规划, 通知) are "other" in GB/T 7714
    "policy": "Z",
    "document": "Z",
}
MAX_AUTHORS = 3  # GB/T 7714-2015 8.1.2: list the first three, then "等" / "et al"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def gbt7714(meta: dict, section: str = "") -> str:
    """One reference string; `section` is a chunk's section path, of which the
    deepest heading is cited. Missing fields are left out, never guessed."""
    meta = meta or {}
    title = _text(meta.get("title")) or _text(meta.get("doc_id")) or "未命名文档"
    code = TYPE_CODES.get(_text(meta.get("doc_type")).lower(), "Z")
    parts = []
    authors = _authors(meta)
    if authors:
        parts.append(authors)
    parts.append(f"{title}[{code}]")
    where = _journal_part(meta) if code == "J" else _publisher_part(meta)
    if where:
        parts.append(where)
    ref = ". ".join(p.rstrip(".") for p in parts) + "."
    doi = _text(meta.get("doi"))
    if doi:
        ref += f" DOI: {doi}."
    url = _text(meta.get("url"))
    if url:
        ref += f" {url}."
    heading = section_heading(section)
    if heading:
        ref += f" 章节: {heading}"
    return ref


def section_heading(section: str) -> str:
    """The deepest heading of a section path like '3 … > 3.2 …'."""
    return (section or "").split(" > ")[-1].strip()


def _authors(meta: dict) -> str:
    raw = meta.get("authors") or meta.get("author") or meta.get("issuer") or []
    names = [raw] if isinstance(raw, str) else [_text(a) for a in raw]
    names = [n for n in (n.strip() for n in names) if n]
    if not names:
        return ""
    shown = ", ".join(names[:MAX_AUTHORS])
    if len(names) > MAX_AUTHORS:
        shown += ", 等" if _CJK.search(names[0]) else ", et al"
    return shown


def _journal_part(meta: dict) -> str:
    """'刊名, 年, 卷(期): 页码' with whatever of it the metadata holds."""
    journal = _text(meta.get("journal"))
    year = _text(meta.get("year"))
    volume = _text(meta.get("volume"))
    issue = _text(meta.get("issue"))
    pages = _text(meta.get("pages")).replace("–", "-").replace("—", "-")
    when = ", ".join(p for p in (year, volume) if p)
    if issue:
        when += f"({issue})"
    head = ", ".join(p for p in (journal, when) if p)
    if pages:
        head = f"{head}: {pages}" if head else pages
    return head


def _publisher_part(meta: dict) -> str:
    """'出版地: 出版者, 年: 页码' for books, reports, plans and other documents."""
    place = _text(meta.get("place"))
    publisher = _text(meta.get("publisher"))
    year = _text(meta.get("year")) or _year_of(_text(meta.get("date")))
    pages = _text(meta.get("pages"))
    who = f"{place}: {publisher}" if place and publisher else publisher or place
    head = ", ".join(p for p in (who, year) if p)
    if pages:
        head = f"{head}: {pages}" if head else pages
    return head


def _year_of(date: str) -> str:
    m = re.match(r"(\d{4})", date)
    return m.group(1) if m else ""


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
