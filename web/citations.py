"""The citation list a researcher builds from search results and answer
sources, and its exports: GB/T 7714-2015 text, CSV for Excel (UTF-8 with BOM,
Chinese headers and labels), RIS and BibTeX for reference managers.

An entry is one passage: where it sits (document, section, page) and the
excerpt chosen (the quoted sentences of a source, or the passage of a search
result). References are per document, so two passages of one paper share
one reference number.

>>> entry = {"chunk_id": "c1", "doc_id": "d", "doc_title": "题名", "text": "原文"}
>>> gbt_text([entry], lambda doc_id: {"title": "题名", "doc_type": "paper"}).splitlines()[1]
'[1] 题名[J].'
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

from .reference import (
    creators,
    doc_date,
    doc_number,
    gbt7714,
    page_range,
    section_heading,
    type_code,
)
from .render import ROLE_LABELS, plain

MetaOf = Callable[[str], dict]
MAX_PICKED = 200  # a list longer than this is not a selection any more

CSV_HEADERS = (
    "序号",
    "文献题名",
    "责任者",
    "文献类型",
    "章节",
    "章节类型",
    "页码",
    "摘录",
    "引用格式（GB/T 7714-2015）",
    "文号",
    "日期",
    "文档编号",
    "段落编号",
)
TYPE_NAMES = {
    "J": "期刊论文",
    "M": "专著",
    "C": "会议录",
    "D": "学位论文",
    "R": "报告",
    "S": "标准",
    "P": "专利",
    "N": "报纸",
    "DS": "数据集",
    "EB/OL": "电子资源",
    "Z": "其他（政策文件）",
}
RIS_TYPES = {"J": "JOUR", "M": "BOOK", "C": "CONF", "D": "THES", "R": "RPRT", "S": "STAND"}
_FORMULA = re.compile(r"^[=+@\t\r]|^-[^\d\s]")


def entry(p: dict, excerpt: str = "") -> dict:
    """A citation-list entry from a passage or citation dict."""
    return {
        "chunk_id": p["chunk_id"],
        "doc_id": p.get("doc_id", ""),
        "doc_title": p.get("doc_title", ""),
        "section": p.get("section", ""),
        "role": p.get("role", ""),
        "page": p.get("page"),
        "text": excerpt or p.get("text", ""),
    }


def toggle(picked: list[dict], item: dict | None, add: bool) -> list[dict]:
    """The list with `item` added (once) or removed; the order of picking is kept."""
    if item is None:
        return picked
    rest = [p for p in picked if p["chunk_id"] != item["chunk_id"]]
    if add:
        return ([*picked] if len(rest) < len(picked) else [*rest, item])[:MAX_PICKED]
    return rest


def _documents(picked: list[dict]) -> list[str]:
    return list(dict.fromkeys(p["doc_id"] for p in picked))


def gbt_text(picked: list[dict], meta_of: MetaOf) -> str:
    """References (one per document) in GB/T 7714-2015 form, then the excerpts
    with their reference number, (deepest) section heading and page."""
    docs = _documents(picked)
    number = {d: n for n, d in enumerate(docs, 1)}
    lines = ["参考文献（GB/T 7714-2015）"]
    lines += [f"[{number[d]}] {gbt7714(meta_of(d))}" for d in docs]
    lines += ["", "摘录"]
    for i, p in enumerate(picked, 1):
        where = "，".join(x for x in (section_heading(p.get("section", "")), _page(p)) if x)
        where = f"（{where}）" if where else ""
        lines.append(f"{i}. “{plain(p['text']).strip()}”[{number[p['doc_id']]}]{where}")
    return "\n".join(lines) + "\n"


def _page(p: dict) -> str:
    """The passage's own page; the document's page range is in its reference."""
    return f"第 {p['page']} 页" if p.get("page") else ""


def csv_text(picked: list[dict], meta_of: MetaOf, labels: dict | None = None) -> str:
    """CSV text (write it as utf-8-sig so Excel reads the Chinese); cells a
    spreadsheet would run as a formula are prefixed with an apostrophe."""
    labels = {**ROLE_LABELS, **(labels or {})}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_HEADERS)
    for i, p in enumerate(picked, 1):
        meta = meta_of(p["doc_id"])
        row = [
            str(i),
            p.get("doc_title") or meta.get("title", ""),
            "；".join(creators(meta)),
            TYPE_NAMES.get(type_code(meta), "其他"),
            p.get("section") or "",
            labels.get(p.get("role") or "", ""),
            str(p["page"]) if p.get("page") else page_range(meta),
            plain(p.get("text") or ""),
            gbt7714(meta),
            doc_number(meta),
            doc_date(meta),
            p.get("doc_id") or "",
            p["chunk_id"],
        ]
        w.writerow(["'" + v if _FORMULA.match(v) else v for v in row])
    return buf.getvalue()


def ris_text(picked: list[dict], meta_of: MetaOf) -> str:
    """One RIS record per document; the excerpts are its notes (N1)."""
    out = []
    for d in _documents(picked):
        meta = meta_of(d)
        code = type_code(meta)
        kind = RIS_TYPES.get(code) or ("STAT" if meta.get("doc_type") == "regulation" else "GOVDOC")
        tags = [("TY", kind), ("TI", meta.get("title", ""))]
        tags += [("AU", a) for a in creators(meta)]
        tags += _ris_source(meta, code)
        tags += [("N1", _note(p)) for p in picked if p["doc_id"] == d]
        tags.append(("ER", ""))
        out.append("\n".join(f"{t}  - {v}".rstrip() for t, v in tags if v or t == "ER"))
    return "\n\n".join(out) + "\n"


def _ris_source(meta: dict, code: str) -> list[tuple[str, str]]:
    date = doc_date(meta)
    pages = page_range(meta)
    first, _, last = pages.partition("-")
    tags = [
        ("PY", str(meta.get("year") or date[:4] or "")),
        ("DA", date.replace("-", "/") if len(date) == 10 else ""),
        ("JO" if code == "J" else "PB", str(meta.get("journal") or meta.get("publisher") or "")),
        ("VL", str(meta.get("volume") or "")),
        ("IS", str(meta.get("issue") or "")),
        ("SP", first),
        ("EP", last),
        ("SN", str(meta.get("issn") or "")),
        ("M1", doc_number(meta)),
        ("DO", str(meta.get("doi") or "")),
        ("UR", str(meta.get("url") or "")),
        ("LA", "zh"),
    ]
    return tags


def _note(p: dict) -> str:
    where = f"（{p['section']}）" if p.get("section") else ""
    return f"摘录{where}：{plain(p.get('text') or '').strip()}".replace("\n", " ")


def bibtex_text(picked: list[dict], meta_of: MetaOf) -> str:
    """One BibTeX entry per document (@article for papers, @misc otherwise)."""
    out = []
    for n, d in enumerate(_documents(picked), 1):
        meta = meta_of(d)
        code = type_code(meta)
        date = doc_date(meta)
        fields = [
            ("author", " and ".join(_braced(a) for a in creators(meta))),
            ("title", _bib(meta.get("title", ""))),
            ("journal", _bib(meta.get("journal", "")) if code == "J" else ""),
            ("year", _bib(meta.get("year") or date[:4])),
            ("date", date if code != "J" else ""),
            ("volume", _bib(meta.get("volume", ""))),
            ("number", _bib(meta.get("issue", "") if code == "J" else doc_number(meta))),
            ("pages", page_range(meta).replace("-", "--")),
            ("issn", _bib(meta.get("issn", ""))),
            ("doi", _bib(meta.get("doi", ""))),
            ("language", "chinese"),
            ("note", _bib("；".join(_note(p) for p in picked if p["doc_id"] == d))),
        ]
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
        kind = "article" if code == "J" else "misc"
        out.append(f"@{kind}{{{_key(d, n)},\n{body}\n}}")
    return "\n\n".join(out) + "\n"


def _bib(value: object) -> str:
    text = "" if value is None else str(value)
    return re.sub(r"([{}\\%&#$_])", r"\\\1", text).replace("\n", " ")


def _braced(name: str) -> str:
    """A Chinese name or an issuing body as one unit (BibTeX must not split it)."""
    return "{" + _bib(name) + "}" if re.search(r"[\u4e00-\u9fff]", name) else _bib(name)


def _key(doc_id: str, n: int) -> str:
    """An ASCII citation key from the document id (Chinese ids keep only their number)."""
    base = re.sub(r"[^A-Za-z0-9]+", "-", doc_id).strip("-")
    return f"{base}-{n}" if base[:1].isalpha() else f"doc{n}-{base}".rstrip("-")
