"""Section tree, section roles, industries and table records of a cleaned document."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policyqa.documents import Section, TableRecord
from policyqa.profile import Profile

from .clean import CleanText, Unit
from .headings import heading_info, number_rank

_ARTICLE = re.compile(r"^第.+条$")


@dataclass
class _Open:
    number: str
    title: str
    rank: int
    start: int
    body_start: int
    role: str
    path: str


def _ascii_share(text: str) -> float:
    return sum(ch.isascii() for ch in text) / max(len(text), 1)


class _Sections:
    """The open headings as a stack; closing one records its Section."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.done: list[Section] = []
        self.stack: list[_Open] = []

    def close(self, until_rank: int, at: int) -> None:
        while self.stack and self.stack[-1].rank >= until_rank:
            s = self.stack.pop()
            level = len(self.stack) + 1
            self.done.append(
                Section(s.number, s.title, level, s.start, s.body_start, at, s.role, s.path)
            )

    def open(self, number: str, title: str, rank: int, start: int, body_start: int) -> None:
        self.close(rank, start)
        parent = self.stack[-1] if self.stack else None
        parent_role = parent.role if parent else "other"
        # a subsection keeps its chapter's role ("对策 > 4.5 深化金融一体化"), except in a
        # chapter that names several roles ("发展现状与存在的问题 > 一、发展现状" is status)
        own = self.profile.role_of(title)
        named = self.profile.roles_in(parent.title) if parent else set()
        role = (
            own
            if own and (parent_role in ("other", "introduction") or own in named)
            else parent_role
        )
        path = " > ".join(t for t in [s.title for s in self.stack] + [title] if t)
        self.stack.append(_Open(number, title, rank, start, body_start, role, path))

    def close_items(self, rank: int, at: int) -> None:
        """A numbered paragraph ("（三）区域协同有待加强。跨区域…") ends the previous item of
        its rank, so its text is not filed under that item; an article (第X条) keeps its items."""
        stack = self.stack
        n = len(stack)
        while n > 1 and stack[n - 1].rank >= rank and not _ARTICLE.match(stack[n - 1].number):
            n -= 1
        if n < len(stack):
            self.close(stack[n].rank, at)


def parse_sections(clean: CleanText, profile: Profile) -> list[Section]:
    """Sections in document order. Text before the first heading becomes a
    title block (role other); in a paper, body text between the abstract and
    the first numbered heading becomes 引言; English back matter after the
    references becomes its own abstract section."""
    text = clean.text
    secs = _Sections(profile)
    first = clean.units[0].start if clean.units else 0
    secs.open("", "", 0, first, first)  # title block / preamble
    for unit in clean.units:
        line = text[unit.start : unit.end]
        item_rank = number_rank(line) if unit.kind == "text" else None
        if item_rank:
            secs.close_items(item_rank, unit.start)
        top = secs.stack[-1]
        if unit.kind == "inline" and number_rank(line) and _ARTICLE.match(top.number):
            continue  # an item （一）… of an article (第X条) is the article's own text
        if unit.kind == "heading":
            secs.open(_number(line), line, unit.level, unit.start, unit.end)
        elif unit.kind == "inline":
            info = heading_info(line)
            title = info.title if info else line.split()[0][:12]
            secs.open(_number(line), title, unit.level, unit.start, unit.start)
        elif unit.kind == "text" and top.title == "摘要":
            secs.open("", "引言", 1, unit.start, unit.start)
            secs.stack[-1].role = "introduction"
        elif top.role == "references" and unit.kind in ("text", "label") and _english(line):
            secs.open("", "English abstract", 1, unit.start, unit.start)
    secs.close(-1, len(text))
    done = sorted(secs.done, key=lambda s: (s.start, s.level))
    return [s for s in done if s.end > s.start]


def _english(line: str) -> bool:
    """English back matter, not a reference entry ("[3] …")."""
    return not re.match(r"^[-•]?\s*\[\d+\]", line) and _ascii_share(line) > 0.7


def _number(line: str) -> str:
    """The heading's number ("第一章", "（一）", "3.2"), '' when a format marks it unnumbered."""
    info = heading_info(line)
    return info.number if info else ""


def leaf_section(sections: list[Section], offset: int) -> Section:
    """The innermost section containing offset."""
    best = sections[0]
    for s in sections:
        if s.start <= offset < s.end and s.level >= best.level:
            best = s
    return best


@dataclass(frozen=True)
class Table:
    label: str  # "表2"
    caption: str
    start: int  # caption start
    rows_start: int
    end: int
    header: str  # header row text ('' when the table has none)
    rows: tuple[Unit, ...]


_UNIT_IN_HEADER = re.compile(r"/\s*(%|[\u4e00-\u9fff]+)\s*$")
_NUMERIC = re.compile(r"^[<>≈~约]?\s*-?\d[\d \u2009.,]*%?$")


def parse_tables(clean: CleanText) -> list[Table]:
    """Tables: a 表N caption and the rows under it, or two or more rows with no
    caption (a DOCX or HTML table nobody titled), whose header names the columns."""
    tables: list[Table] = []
    units = clean.units
    i = 0
    while i < len(units):
        unit = units[i]
        caption = clean.text[unit.start : unit.end]
        captioned = unit.kind == "caption" and caption.startswith("表")
        first = i + 1 if captioned else i
        rows = []
        for nxt in units[first:]:
            if nxt.kind != "row":
                break
            rows.append(nxt)
        if rows and (captioned or (unit.kind == "row" and len(rows) >= 2)):
            tables.append(_table(clean, unit if captioned else None, rows))
            i = first + len(rows)
            continue
        i += 1
    return tables


def _table(clean: CleanText, caption: Unit | None, rows: list[Unit]) -> Table:
    cells = [clean.text[r.start : r.end].split("\t") for r in rows]
    has_header = (
        len(rows) > 1
        and not any(_NUMERIC.match(c) for c in cells[0][1:])
        and (caption is None or any(_NUMERIC.match(c) for row in cells[1:] for c in row[1:]))
    )
    header = clean.text[rows[0].start : rows[0].end] if has_header else ""
    if caption is None:
        return Table("", "", rows[0].start, rows[0].start, rows[-1].end, header, tuple(rows))
    text = clean.text[caption.start : caption.end]
    label = re.sub(r"\s+", "", re.match(r"^表\s*\d+", text).group(0))
    return Table(label, text, caption.start, rows[0].start, rows[-1].end, header, tuple(rows))


def table_records(clean: CleanText, table: Table) -> list[TableRecord]:
    if not table.header:
        return []
    columns = table.header.split("\t")
    records = []
    for row in table.rows[1:]:
        cells = clean.text[row.start : row.end].split("\t")
        for col, value in zip(columns[1:], cells[1:], strict=False):
            m = _UNIT_IN_HEADER.search(col)
            records.append(
                TableRecord(
                    table=table.label,
                    caption=table.caption,
                    row=cells[0],
                    column=col,
                    value=value,
                    unit=m.group(1) if m else "",
                    start=row.start,
                    end=row.end,
                )
            )
    return records
