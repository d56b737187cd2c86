"""What kind of answer a question wants: problems, countermeasures, the
countermeasures for a named problem, a number, or a complete list."""

from __future__ import annotations

import re
from dataclasses import dataclass

PROBLEM_WORDS = ("问题", "困难", "挑战", "短板", "不足", "瓶颈", "难点", "制约", "障碍", "薄弱")
MEASURE_WORDS = (
    "对策",
    "建议",
    "措施",
    "怎么办",
    "如何",
    "怎样",
    "怎么做",
    "举措",
    "办法",
    "应对",
    "路径",
    "应该",
    "应当",
)
STATUS_WORDS = ("现状", "成效", "进展", "成果", "成绩", "情况")
LIST_PATTERN = re.compile(
    r"(哪些|哪几|几个|几条|哪[一二三四五六七八九十两]?[个条项点类])"
    r"(方面|问题|对策|建议|措施|举措|做法|工作|任务|成效|进展|挑战|困难|短板|不足|表现)"
    r"|[一二三四五六七八九十两]个方面|包括哪些|(存在|提出|采取|面临)了?哪些"
)
NUMBER_PATTERN = re.compile(
    r"多少|几[个家辆台万亿]|多大|多高|多快|比例|比重|占比|百分之|增速|增长率|规模|排名|第几|数量|产量|产值|金额|成交额|收入|率是"
)
# "针对/解决…问题" asks what to do about it; "面临…问题" only asks what the problem is
AGAINST = re.compile(
    r"(针对|解决|应对|改善|缓解|破解)(?P<topic>.+)的?(问题|困难|挑战|短板|不足|现象)"
)
AGAINST_LOOSE = re.compile(
    r"(针对|对于|解决|应对|改善|缓解|破解)(?P<topic>.+?)[，,]?(?:文章|论文|本文|资料)?"
    r"(有什么|有哪些|提出|怎么|如何|应该|应当|该怎么|需要|可以|建议)"
)


@dataclass(frozen=True)
class Intent:
    kind: str  # problem | countermeasure | problem_countermeasure | status | general
    wants_list: bool
    wants_number: bool
    problem_topic: str = ""  # "产业链薄弱" in 针对产业链薄弱的问题有什么对策

    @property
    def role(self) -> str | None:
        if self.kind == "problem_countermeasure":
            return "countermeasure"
        return self.kind if self.kind in ("problem", "countermeasure", "status") else None


def detect(question: str) -> Intent:
    q = question
    measure = any(w in q for w in MEASURE_WORDS)
    problem = any(w in q for w in PROBLEM_WORDS) or "为什么" in q
    m = AGAINST.search(q) or (AGAINST_LOOSE.search(q) if measure else None)
    if m:
        kind, topic = "problem_countermeasure", m.group("topic").strip("，,、 的")
    elif measure:
        kind, topic = "countermeasure", ""
    elif problem:
        kind, topic = "problem", ""
    elif any(w in q for w in STATUS_WORDS):
        kind, topic = "status", ""
    else:
        kind, topic = "general", ""
    wants_list = bool(LIST_PATTERN.search(q)) and kind != "problem_countermeasure"
    wants_number = bool(NUMBER_PATTERN.search(q)) and not wants_list
    return Intent(kind, wants_list, wants_number, topic)
