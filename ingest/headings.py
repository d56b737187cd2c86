"""Recognise heading lines of both numbering families.

Academic: 摘要, 1 / 2.1 / 2.2.1, 参考文献.  Government: 第X章, 第X节, 一、,
（一）, 第X条, 1., （1）.  `rank` orders the levels: a heading closes every
open section of equal or greater rank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_NUM = "一二三四五六七八九十百零〇两"
MAX_HEADING = 40

_LABEL = re.compile(
    r"^(摘\s*要|关\s*键\s*词|中图分类号|文献标志码|文章编号|Abstract|Key\s*words)\s*[:：]"
)
_NAMED = re.compile(r"^(参考文献|引\s*言|前\s*言|结\s*语|结\s*论|附\s*录|致\s*谢)$")
_PATTERNS = (
    ("chapter", 1, re.compile(rf"^(第[{CN_NUM}\d]+章)\s*(.*)$")),
    ("part", 2, re.compile(rf"^(第[{CN_NUM}\d]+节)\s*(.*)$")),
    ("academic", 0, re.compile(r"^((?:[1-9]|1\d)(?:\.\d{1,2}){0,3})\s+(\S.*)$")),
    ("cn", 3, re.compile(rf"^([{CN_NUM}]+、)\s*(.*)$")),
    ("cn_paren", 4, re.compile(rf"^([（(][{CN_NUM}]+[）)])\s*(.*)$")),
    ("article", 5, re.compile(rf"^(第[{CN_NUM}\d]+条)\s*(.*)$")),
    ("arabic", 6, re.compile(r"^(\d{1,2}[.．、])(?!\d)\s*(.*)$")),
    ("arabic_paren", 7, re.compile(r"^([（(]\d{1,2}[）)])\s*(.*)$")),
)

_ITEM_FAMILIES = ("cn", "cn_paren", "arabic", "arabic_paren")


@dataclass(frozen=True)
class HeadingInfo:
    number: str
    title: str  # the heading line as written
    rank: int
    inline: bool = False  # the line is content too (摘要: …, 第一条 …)


def is_label(line: str) -> bool:
    """Front-matter labels (摘要:, 关键词:, 中图分类号:): never joined to other lines."""
    return bool(_LABEL.match(line))


def heading_info(line: str) -> HeadingInfo | None:
    line = line.strip()
    if not line or "\t" in line:
        return None
    if re.match(r"^摘\s*要\s*[:：]", line):
        return HeadingInfo("", "摘要", 1, inline=True)
    if _NAMED.match(line):
        return HeadingInfo("", line, 1)
    for family, rank, pattern in _PATTERNS:
        m = pattern.match(line)
        if not m:
            continue
        number, rest = m.group(1), m.group(2)
        if family == "article":
            return HeadingInfo(number, number, rank, inline=True)
        if not rest or len(line) > MAX_HEADING or re.search(r"[。；;！？!?]", line[:-1]):
            return None
        if rest[-1] in "，,、：:" or re.fullmatch(r"[\d.\s%]+", rest):
            return None
        if family == "academic":
            rank = number.count(".") + 1
        # a list item that is one whole sentence ("（1）每条重点产业链明确一名牵头负责同志。")
        # is content too: as a plain heading its text would be in no chunk
        inline = family in _ITEM_FAMILIES and line[-1] in "。；;"
        return HeadingInfo(number, line.rstrip("。"), rank, inline=inline)
    return None


def number_rank(line: str) -> int | None:
    """Rank of the government list marker (一、 （一） 1. （1）) a line starts with, heading
    or not: "（三）区域协同有待加强。跨区域…" is a paragraph, yet it ends item （二）."""
    line = line.strip()
    for family, rank, pattern in _PATTERNS:
        if family in _ITEM_FAMILIES and pattern.match(line):
            return rank
    return None
