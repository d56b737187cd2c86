"""The constraints a question states, checked against a candidate sentence.

A sentence answers only if it satisfies all of them: every year the question
names (2024年 is not answered by 2023's figure), every place other than the
corpus's home region (长三角 is not answered by 成渝's figure; a regulation
of 重庆市 speaks for 重庆), the kind of figure asked for (a count is not a
share, money is not an output, 多少家 counts in 家), the measure named (产值
is not 营业收入), the document and the table named.

A number question is checked clause by clause: the figure, and what it is a
figure of, must be in the same clause or in the sentence's opening clause
("截至2023年底,成渝地区……, 汽车年产量已达329.3万辆"): the 新能源汽车 named
elsewhere in the sentence does not make 汽车制造业产值 a figure about it. What
is missing is said in the refusal.
"""

from __future__ import annotations

import re

from policyqa.language import bigrams
from policyqa.profile import Profile

from .evidence import Candidate
from .figures import figures, years_in
from .frame import Frame

COUNTED = (
    "count",
    "output",
    "duration",
    "money",
)  # kinds whose unit the question's classifier names
SAME_UNIT = {"天": ("天", "日"), "日": ("日", "天"), "人": ("人", "名")}
BARE_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?![\d.])")
DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月")
CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")
MEASURE_LABELS = {
    "share": "比例或百分比",
    "growth": "增速",
    "money": "金额",
    "output": "数量",
    "count": "数量",
    "rank": "排名",
    "date": "日期",
    "duration": "期限",
}


def scopes(c: Candidate, frame: Frame, profile: Profile) -> list[tuple[str, str]]:
    """The spans of the sentence a constraint may be met in: for a number question,
    each clause holding a figure of the kind asked, after the sentence's opening
    clause; otherwise the whole sentence."""
    if not frame.number:
        return [(c.text, "")]
    if c.chunk.kind == "table":
        return [(c.text, c.text)] if _row_has_figure(c, frame) else []
    clauses = [m.group(0) for m in CLAUSE.finditer(c.text)]
    kinds = frame.kinds
    return [
        ("".join(dict.fromkeys([clauses[0], clauses[max(i - 1, 0)], clause])), clause)
        for i, clause in enumerate(clauses)
        if _has_figure(clause, kinds, frame)
    ]


def missing(frame: Frame, c: Candidate, profile: Profile, doc_title: str) -> list[str]:
    """What the candidate lacks of the question's constraints ([] when it meets them
    all). Sets `c.scope` to the span that meets them (or comes closest)."""
    found = scopes(c, frame, profile)
    if not found:
        c.scope, c.focus = c.text, ""
        return _lacks(frame, c, c.text, profile, doc_title) + [
            MEASURE_LABELS.get(frame.measure, "数字")
        ]
    if frame.figures_asked > 1 and len(found) > 1:  # 多少家…多少人: the sentence answers both
        found = [(c.text, "")]
    results = [(_lacks(frame, c, s, profile, doc_title), s, f) for s, f in found]
    # of two figures that fit, the one whose clause shares more with the question
    # (其中新能源汽车超过65.2万辆, not 汽车年产量已达329.3万辆, for 新能源汽车产量)
    asked = set(bigrams(frame.text))
    lacks, c.scope, c.focus = min(
        results, key=lambda r: (len(r[0]), -len(asked & set(bigrams(r[2]))))
    )
    return lacks


def _lacks(frame: Frame, c: Candidate, scope: str, profile: Profile, doc_title: str) -> list[str]:
    """Constraints other than the figure itself, checked in scope. A table row is read
    with its caption and header; a sentence with its section's title."""
    frame_text = (
        c.chunk.context if c.chunk.kind == "table" else c.chunk.section.rsplit(" > ", 1)[-1]
    )
    where = f"{frame_text}\n{scope}"
    stated = years_in(where)
    if c.chunk.kind == "table":  # a caption may give its year bare: "表 3 2023 主要地区…"
        stated |= {int(y) for y in BARE_YEAR.findall(c.chunk.context.split("\n", 1)[0])}
    out = [f"{y}年" for y in sorted(frame.years) if y not in stated]
    for place in frame.places:
        if place not in f"{where}\n{doc_title}" and not (
            place in profile.regions.parts and not frame.number
        ):
            out.append(place)
    before = (
        c.before if not figures(c.before) else ""
    )  # what the sentence counts, named just before
    # 多少家企业、多少从业人员: two figures of one sentence, each clause names its own measure
    named = f"{where}\n{before}" + (c.text if frame.figures_asked > 1 else "")
    if frame.measure_nouns and not any(n in named for n in frame.measure_nouns):
        out.append(frame.measure_nouns[0])
    out += [o for o in frame.ordinals if o not in where]
    if frame.subject and frame.subject not in f"{where}\n{before}":
        out.append(frame.subject)
    out += _other_industry(frame, f"{where}\n{before}\n{c.text}", profile)
    if frame.documents and c.chunk.doc_id not in frame.documents:
        out.append("所问的文件")
    if frame.table and not _in_table(c, frame.table):
        out.append(frame.table)
    return out


def _other_industry(frame: Frame, text: str, profile: Profile) -> list[str]:
    """A sentence about another industry only (装备制造业…从业人员) does not answer for the
    industry asked (电子信息产业的从业人员); one naming no industry may."""
    if not frame.industries or frame.subject:
        return []
    named = [i for i in profile.industries if any(w in text for w in i.words)]
    asked = [i for i in profile.industries if any(w in frame.industries for w in i.words)]
    if named and not set(named) & set(asked):
        return [frame.industries[0]]
    return []


def _has_figure(text: str, kinds: tuple[str, ...], frame: Frame) -> bool:
    if frame.measure == "date":
        return bool(DATE.search(text))
    found = figures(text)
    if frame.classifier:  # 多少家 is answered in 家, 多少辆 in 辆 or 万辆, 多少天 in 日
        same = SAME_UNIT.get(frame.classifier, (frame.classifier,))
        found = [f for f in found if f.kind not in COUNTED or f.unit.endswith(same)]
    return any(f.kind in kinds for f in found) if kinds else bool(found)


_CELL = re.compile(r"^[<>≈~约]?\s*-?\d[\d\s\u2009,]*(?:\.\d+)?\s*%?$")
_HEADER_UNIT = re.compile(r"/\s*(%|[\u4e00-\u9fff]+)\s*$")


def _row_has_figure(c: Candidate, frame: Frame) -> bool:
    """A table row answers a number question with a numeric cell whose column's unit
    (汽车本地配套率/%, 研发投入/亿元) is of the kind asked, when the header says."""
    header = c.chunk.context.split("\n")[1] if "\n" in c.chunk.context else ""
    columns = header.split("\t")
    for j, cell in enumerate(c.text.split("\t")[1:], 1):
        if not _CELL.match(cell.strip()):
            continue
        unit = _HEADER_UNIT.search(columns[j]) if j < len(columns) else None
        if unit is None or not frame.kinds:
            return True
        found = figures(f"1{unit.group(1)}")
        if (
            any(f.kind in frame.kinds for f in found)
            or unit.group(1) == "%"
            and "share" in frame.kinds
        ):
            return True
    return False


def _in_table(c: Candidate, label: str) -> bool:
    head = c.chunk.context.split("\n", 1)[0] if c.chunk.kind == "table" else c.text
    return re.sub(r"\s+", "", head).startswith(label)
