"""Repair extraction damage without dropping a character of real content.

Works on lines ("units"). Page-footer blocks (收稿日期, 作者简介, …) are
lifted out into metadata; sentences cut by a page break, a footer or a
floating table/figure are rejoined, and the float is moved after the
sentence. Only text-like formats (txt, pdf) get rejoined: in DOCX, HTML and
Markdown a line break is a real paragraph break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policyqa.documents import RawDocument

from .headings import heading_info, is_label

FOOTER = re.compile(r"^(收稿日期|作者简介|基金项目|通信作者|通讯作者|DOI)\s*[:：]")
CAPTION = re.compile(r"^(表|图)\s*\d+[\s\u3000]")
TERMINAL = set("。！？；：.!?;:…”’」』）)]】")
_SPACES = re.compile(r"[ \u3000\u00a0]{2,}")


@dataclass(frozen=True)
class Unit:
    """A line of cleaned text: heading, caption, row (table row), footer or text."""

    kind: str
    start: int
    end: int
    level: int = 0


@dataclass(frozen=True)
class CleanText:
    text: str
    units: tuple[Unit, ...]
    footer: tuple[str, ...]
    pages: tuple[int, ...]
    contents: tuple[str, ...] = ()  # a table of contents lifted out of the text


@dataclass
class _Line:
    text: str
    raw_start: int
    kind: str
    level: int = 0
    gap: str = "\n"  # separator before this line in the output


def _classify(raw: RawDocument) -> list[_Line]:
    marked = {start: level for start, _end, level in raw.headings}
    lines: list[_Line] = []
    pos, gap, in_footer = 0, "", False
    for line in raw.text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        start, pos = pos, pos + len(line) + 1
        text = line.strip()
        if not text:
            gap, in_footer = ("\n\n" if lines else ""), False
            continue
        kind, level = "text", 0
        if "\t" in text:
            kind = "row"
            text = "\t".join(cell.strip() for cell in text.split("\t"))
        else:
            text = _SPACES.sub(" ", text)
            marked_level = marked.get(start + len(line) - len(line.lstrip()))
            info = heading_info(text)
            if marked_level:
                kind, level = "heading", marked_level
            elif lines and lines[-1].kind == "row" and gap == "\n" and _is_cell(text):
                kind = "row"  # last row of an odd-length list: one cell, no tab
            elif FOOTER.match(text) or (in_footer and gap == "\n"):
                kind, in_footer = "footer", True
            elif CAPTION.match(text):
                kind = "caption"
            elif info:
                kind, level = ("inline" if info.inline else "heading"), info.rank
            elif is_label(text):
                kind = "label"
        lines.append(_Line(text, start, kind, level, gap))
        gap = "\n"
    return lines


def _is_cell(text: str) -> bool:
    return len(text) <= 30 and not any(ch in TERMINAL for ch in text[-1:]) and "，" not in text


def _open_sentence(text: str) -> bool:
    return bool(text) and text[-1] not in TERMINAL and _cjk(text[-1])


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or ch in "、，,（(“"


def _rejoin(lines: list[_Line]) -> list[_Line]:
    """Drop footers; join a sentence cut by a page break, a footer or a float
    (table, figure caption), and move the float after the joined sentence.
    The title block before the first heading is left as it is."""
    first_body = next(
        (i for i, ln in enumerate(lines) if ln.kind in ("heading", "inline")), len(lines)
    )
    out: list[_Line] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if line.kind == "footer":
            continue
        floats: list[_Line] = []
        while line.kind == "text" and i > first_body and _open_sentence(line.text):
            j, skipped = i, []
            while j < n and lines[j].kind in ("footer", "caption", "row"):
                if lines[j].kind != "footer":
                    skipped.append(lines[j])
                j += 1
            if j == n or lines[j].kind != "text" or not _cjk(lines[j].text[0]):
                break
            line = _Line(line.text + lines[j].text, line.raw_start, "text", 0, line.gap)
            floats += skipped
            i = j + 1
        out.append(line)
        if floats:
            floats[0].gap = "\n\n"
            out.extend(floats)
            if i < n:
                lines[i].gap = "\n\n"
    return out


_TOC_TAIL = re.compile(r"[\s.·…．]*\d*$")


def _entry(text: str) -> str:
    """A heading as a table of contents writes it: no spaces, dot leaders or page number."""
    return _TOC_TAIL.sub("", text).replace(" ", "").replace("\u3000", "")


def _contents(lines: list[_Line]) -> set[int]:
    """Lines of a table of contents: three or more headings in a row, with no text
    between them, each of which comes back later as a heading of the body."""
    heads = [i for i, ln in enumerate(lines) if ln.kind in ("heading", "inline")]
    runs: list[list[int]] = []
    for i in heads:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    out: set[int] = set()
    for run in runs:
        for end in range(len(run), 2, -1):
            later = {_entry(lines[j].text) for j in heads if j > run[end - 1]}
            if all(_entry(lines[j].text) in later for j in run[:end]):
                out |= set(run[:end])
                before = run[0] - 1
                if before >= 0 and _entry(lines[before].text) in ("目录", "目次"):
                    out.add(before)
                break
    return out


def clean(raw: RawDocument) -> CleanText:
    lines = _classify(raw)
    toc = _contents(lines)
    contents = tuple(lines[i].text for i in sorted(toc))
    lines = [ln for i, ln in enumerate(lines) if i not in toc]
    footer = tuple(ln.text for ln in lines if ln.kind == "footer")
    if raw.fmt in ("txt", "pdf"):
        lines = _rejoin(lines)
    else:
        lines = [ln for ln in lines if ln.kind != "footer"]
    parts: list[str] = []
    units: list[Unit] = []
    raw_starts: list[int] = []
    pos = 0
    for n, line in enumerate(lines):
        gap = line.gap if n else ""
        parts.append(gap)
        pos += len(gap)
        units.append(Unit(line.kind, pos, pos + len(line.text), line.level))
        raw_starts.append(line.raw_start)
        parts.append(line.text)
        pos += len(line.text)
    pages = tuple(_page_starts(raw.pages, raw_starts, units))
    return CleanText("".join(parts), tuple(units), footer, pages, contents)


def _page_starts(raw_pages: tuple[int, ...], raw_starts: list[int], units: list[Unit]):
    """Map page starts from raw to cleaned offsets (a joined line keeps its first page)."""
    for page_start in raw_pages:
        idx = next((k for k, rs in enumerate(raw_starts) if rs >= page_start), None)
        yield units[idx].start if idx is not None else (units[-1].end if units else 0)
