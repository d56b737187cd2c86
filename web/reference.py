"""GB/T 7714-2015 reference strings built from a document's metadata.

Researchers paste these into their own papers, so the string never contains a
field the metadata does not hold: the paper's sidecar has no journal name, and
none is invented. A regulation or plan is cited with its issuer, document
number and date where known; the issuer may come from the document's own
adoption line (…人民代表大会常务委员会第十二次会议通过), never from a guess.

>>> gbt7714({"title": "题名", "authors": ["朱兵", "李宸"], "doc_type": "paper",
...          "year": 2025, "issue": "14", "pages": "160-166"})
'朱兵, 李宸. 题名[J]. 2025(14): 160-166.'
>>> gbt7714({"title": "重庆市产品质量条例", "doc_type": "regulation",
...          "history": [{"date": "2014年8月1日",
...                       "event": "重庆市第四届人民代表大会常务委员会第十二次会议通过"}],
...          "date": "2014年8月1日"})
'重庆市人民代表大会常务委员会. 重庆市产品质量条例[Z]. 2014-08-01.'
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
    # policy documents (条例, 实施方案, 规划, 通知) are "other" in GB/T 7714
    "regulation": "Z",
    "law": "Z",
    "plan": "Z",
    "policy": "Z",
    "document": "Z",
}
MAX_AUTHORS = 3  # GB/T 7714-2015 8.1.2: list the first three, then "等" / "et al"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NAME_SPLIT = re.compile(r"\s*[,，、;；]\s*")
_ISSUER = re.compile(
    r"^(?P<place>[\u4e00-\u9fff]{1,12}?)(?:第[〇零一二三四五六七八九十百\d]+届)?"
    r"(?P<body>人民代表大会常务委员会|人民代表大会|人民政府)"
)
_CN_DATE = re.compile(r"(\d{4})\s*年(?:\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?)?")
_ISO_DATE = re.compile(r"(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?$")


def gbt7714(meta: dict) -> str:
    """One reference string for a document. Missing fields are left out, never guessed."""
    meta = meta or {}
    title = _text(meta.get("title")) or _text(meta.get("doc_id")) or "未命名文档"
    code = type_code(meta)
    number = doc_number(meta)
    if number and code != "J":
        title = f"{title}: {number}"  # other title information (GB/T 7714-2015 8.2.2)
    parts = []
    authors = ", ".join(_shown(creators(meta)))
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
    return ref


def section_heading(section: str) -> str:
    """The deepest heading of a section path like '3 … > 3.2 …'."""
    return (section or "").split(" > ")[-1].strip()


def type_code(meta: dict) -> str:
    return TYPE_CODES.get(_text(meta.get("doc_type")).lower(), "Z")


def creators(meta: dict) -> list[str]:
    """Authors of a paper, or the issuing body of a policy document: entered
    (`issuer`), from the sidecar (`authors`), or from its adoption line."""
    raw = meta.get("issuer") or meta.get("authors") or meta.get("author") or issuer_of(meta)
    names = _NAME_SPLIT.split(raw) if isinstance(raw, str) else [_text(a) for a in raw or []]
    return [n.strip() for n in names if n and n.strip()]


def issuer_of(meta: dict) -> str:
    """The body that adopted a regulation, read from its first history event."""
    for event in meta.get("history") or []:
        m = _ISSUER.match(_text(event.get("event") if isinstance(event, dict) else ""))
        if m:
            return m.group("place") + m.group("body")
    return ""


def doc_number(meta: dict) -> str:
    """A policy document's number (文号), such as 国发〔2021〕1号, where known."""
    return _text(meta.get("number") or meta.get("doc_number"))


def doc_date(meta: dict) -> str:
    """The date of the cited version as YYYY-MM-DD (or YYYY-MM, YYYY), where known."""
    for key in ("date", "adopted", "published"):
        iso = iso_date(_text(meta.get(key)))
        if iso:
            return iso
    return ""


def iso_date(text: str) -> str:
    """'2014年8月1日' or '2014/8/1' as '2014-08-01'; '' when it is not a date."""
    m = _CN_DATE.search(text) or _ISO_DATE.match(text.strip())
    if not m:
        return ""
    return "-".join([m.group(1)] + [f"{int(g):02d}" for g in m.groups()[1:] if g])


def _shown(names: list[str]) -> list[str]:
    if len(names) <= MAX_AUTHORS:
        return names
    return [*names[:MAX_AUTHORS], "等" if _CJK.search(names[0]) else "et al"]


def _journal_part(meta: dict) -> str:
    """'刊名, 年, 卷(期): 页码' with whatever of it the metadata holds."""
    journal = _text(meta.get("journal"))
    year = _text(meta.get("year")) or doc_date(meta)[:4]
    volume = _text(meta.get("volume"))
    issue = _text(meta.get("issue"))
    pages = page_range(meta)
    when = ", ".join(p for p in (year, volume) if p)
    if issue:
        when += f"({issue})"
    head = ", ".join(p for p in (journal, when) if p)
    if pages:
        head = f"{head}: {pages}" if head else pages
    return head


def _publisher_part(meta: dict) -> str:
    """'出版地: 出版者, 日期: 页码' for books, reports, regulations and plans."""
    place = _text(meta.get("place"))
    publisher = _text(meta.get("publisher"))
    when = doc_date(meta) or _text(meta.get("year"))
    pages = page_range(meta)
    who = f"{place}: {publisher}" if place and publisher else publisher or place
    head = ", ".join(p for p in (who, when) if p)
    if pages:
        head = f"{head}: {pages}" if head else pages
    return head


def page_range(meta: dict) -> str:
    return _text(meta.get("pages")).replace("–", "-").replace("—", "-")


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
