"""Figures in text: Arabic and Chinese numerals with their units, years, and
ordinals. A number question is answered only by a sentence holding a figure
of the kind it asks for (a count is not a share, an amount of money is not an
output), so figures are read with their unit.

>>> [f.unit for f in figures("汽车年产量已达329.3万辆,占全国汽车总产量的10.9%")]
['万辆', '%']
>>> cn_number("五十六")
56
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN = "零〇一二两三四五六七八九十百千万亿"
# longest first: the regex takes the first alternative that matches (个工作日, not 个)
UNITS = "|".join(
    sorted(
        (
            "万亿元 亿元 千万元 百万元 万元 元 万辆 辆 万台 台 万件 件 万套 套 台\\(套\\) 台（套） 万吨 吨"
            " 家 个 项 所 名 位 人次 万人 人 倍 % ％ 成 个百分点 平方公里 平方米 公里 米"
            " 个工作日 工作日 日 天 个月 月 年 小时 周岁 岁 条 款 章"
        ).split(),
        key=len,
        reverse=True,
    )
)
FRACTION_BASE = {"百": 100, "千": 1000, "万": 10000}  # 百分之五 5%, 千分之五 0.5%
_FIGURE = re.compile(
    rf"(?P<prefix>第\s*|超过|超|约|近|逾|达|>|<|≥|≤|[千百万]分之)?(?P<num>\d[\d,\u2009\u202f ]*(?:\.\d+)?|[{CN}]+)"
    rf"(?P<about>多|余)?\s*(?P<unit>{UNITS})?(?P<more>多|余|以上|以下|左右)?"
)
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\s*年|(?=\s*[—\-～~至到]\s*(?:19|20)\d{2}))")
_REFERENCE = re.compile(r"[表图]\s*")
SHORT_YEAR = re.compile(r"(?<![\d近过去这多几每])(\d{2})年(?!代|来|间|内|以来|后|前|期)")


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str
    start: int
    end: int
    ordinal: bool = False  # 第四, 第3位

    @property
    def kind(self) -> str:
        return unit_kind(self.unit, self.ordinal)


def cn_number(text: str) -> int | None:
    """A Chinese numeral as an int ("十七" 17, "一百零三" 103, "两万" 20000), or None."""
    if not text or any(ch not in CN for ch in text):
        return None
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            section += (digit or 1) * CN_UNITS[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10_000
            section, digit = 0, 0
        elif ch == "亿":
            total = (total + section + digit) * 100_000_000
            section, digit = 0, 0
    return total + section + digit


def _value(num: str) -> float | None:
    if num[0].isdigit():
        try:
            return float(re.sub(r"[,\u2009\u202f ]", "", num))
        except ValueError:
            return None
    n = cn_number(num)
    return float(n) if n is not None else None


def figures(text: str) -> list[Figure]:
    """Figures with a unit, a percent, or an ordinal; years and bare digits of names
    (5G, 表2) are left out."""
    out = []
    years = {m.start(1) for m in YEAR.finditer(text)}
    years |= {
        m.end() for m in _REFERENCE.finditer(text)
    }  # 表 3, 图1: a table or figure, not a count
    for m in _FIGURE.finditer(text):
        num, unit, prefix = m.group("num"), m.group("unit") or "", (m.group("prefix") or "").strip()
        value = _value(num)
        if prefix.endswith("分之") and value is not None:  # 百分之二, 千分之五
            unit, prefix, value = "%", "", value * 100 / FRACTION_BASE[prefix[0]]
        elif text.startswith("分之", m.end("num")):  # 三分之一: one part in three
            part = re.match(rf"分之(\d+(?:\.\d+)?|[{CN}]+)", text[m.end("num") :])
            numerator = _value(part.group(1)) if part else None
            unit, value = "%", numerator * 100 / value if numerator and value else None
        if m.start("num") in years or not (
            unit or prefix == "第" or num[0].isdigit() and "." in num
        ):
            continue
        if not num[0].isdigit() and not unit and prefix != "第":
            continue
        if unit in ("年", "月", "日") and num[0].isdigit() and not _is_duration(text, m.end()):
            continue  # dates: 9月, 15日 name a day, not a quantity
        if value is None or (num in ("一", "两") and unit in ("个", "项", "条")):
            continue  # "一个", "两项" in running text are words, not figures
        out.append(Figure(value, unit, m.start(), m.end(), ordinal=prefix == "第"))
    return out


def _is_duration(text: str, end: int) -> bool:
    return bool(re.match(r"\s*(内|以内|以上|以下|之内|后|前|为限)", text[end : end + 4]))


def unit_kind(unit: str, ordinal: bool = False) -> str:
    """What a figure measures: money, share, count, output, rank, duration, date or number."""
    if ordinal:
        return "rank"
    if unit.endswith("元"):
        return "money"
    if unit in ("%", "％", "成", "倍", "个百分点"):
        return "share"
    if unit in (
        "万辆",
        "辆",
        "万台",
        "台",
        "万套",
        "套",
        "台(套)",
        "台（套）",
        "万吨",
        "吨",
    ):
        return "output"
    if unit in ("日", "天", "个月", "月", "年", "小时", "个工作日", "工作日", "周岁", "岁"):
        return "duration"
    if unit in ("条", "款", "章"):
        return "article"
    return "count" if unit else "number"


def years_in(text: str) -> set[int]:
    """Four-digit years (2023年, 2020—2023) and short ones (21年 -> 2021)."""
    found = {int(y) for y in YEAR.findall(text)}
    found |= {2000 + int(y) for y in SHORT_YEAR.findall(text) if 0 <= int(y) <= 49}
    for a, b in re.findall(r"((?:19|20)\d{2})\s*[—\-～~至到]\s*((?:19|20)\d{2})", text):
        found |= set(range(int(a), int(b) + 1))
    return found
