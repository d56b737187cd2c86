"""Resolve an elliptical follow-up (那汽车产业呢？/ 具体有哪些对策？) against the
previous question, offline and rule-based."""

from __future__ import annotations

import re

from policyqa.language import clean_question

from .intent import detect

REGIONS = (
    "成渝地区双城经济圈",
    "成渝双城经济圈",
    "成渝地区",
    "成渝",
    "川渝",
    "成都",
    "重庆",
    "四川",
    "京津冀地区",
    "京津冀",
    "长三角地区",
    "长三角",
    "珠三角地区",
    "珠三角",
    "东北地区",
    "东北",
    "上海",
    "广东",
    "北京",
    "西安",
    "武汉",
    "德阳",
    "绵阳",
    "遂宁",
)
INDUSTRIES = (
    "电子信息",
    "新能源汽车",
    "智能网联汽车",
    "汽车",
    "装备制造",
    "集成电路",
    "航空航天",
    "轨道交通",
    "能源装备",
    "智能制造",
)
_REGION_RE = re.compile(r"[\u4e00-\u9fff]{2,4}(?:省|市|地区)")
_YEAR_RE = re.compile(r"(?:19|20)\d{2}年")
_ELLIPSIS = re.compile(
    r"^(那|那么|那个|还有|另外|再|其|这些|这个|它|它们|他们|具体|和|跟|与|比|相比|同|如果)|呢[？?。]?$|^(具体|详细)"
)
_COMPARE = re.compile(r"^(和|跟|与|比|同|相比)")


def _find(words: tuple[str, ...], text: str) -> list[str]:
    found = []
    for w in words:
        if w in text and not any(w in f for f in found):
            found.append(w)
    return found


def _entities(text: str) -> dict[str, list[str]]:
    regions = _find(REGIONS, text)
    regions += [m for m in _REGION_RE.findall(text) if not any(m in r or r in m for r in regions)]
    return {"region": regions, "industry": _find(INDUSTRIES, text), "year": _YEAR_RE.findall(text)}


def is_followup(question: str) -> bool:
    q = question.strip()
    return bool(_ELLIPSIS.search(q)) or len(re.sub(r"\W", "", q)) <= 6


def resolve(question: str, history: list[dict] | None) -> str:
    """The question made self-contained using the last user turn, or unchanged."""
    previous = [
        clean_question(str(h.get("content", ""))) for h in history or () if h.get("role") == "user"
    ]
    previous = [p for p in previous if p]
    if not previous or not is_followup(question):
        return question
    prev = previous[-1]
    q = question.strip()
    if _COMPARE.match(q):
        return f"{prev} {q}"
    new, old = _entities(q), _entities(prev)
    swapped = prev
    for kind in ("region", "industry", "year"):
        if new[kind] and old[kind] and new[kind][0] not in old[kind]:
            swapped = swapped.replace(old[kind][0], new[kind][0], 1)
    if swapped != prev:
        rest = re.sub(r"^(那么?|那个)|呢[？?。]?$", "", q).strip()
        # "那重庆侧重什么？" keeps its own predicate only when it adds one
        for ents in new.values():
            for e in ents:
                rest = rest.replace(e, "")
        return swapped if len(re.sub(r"\W", "", rest)) <= 2 else f"{swapped} {rest}"
    before, after = detect(prev), detect(q)
    if before.kind == "problem" and after.kind in ("countermeasure", "problem_countermeasure"):
        topic = re.sub(
            r"(存在|有|面临)?(哪些|什么|哪几个|几个)?(主要)?(问题|困难|挑战|短板|不足)[？?。]?$",
            "",
            prev,
        )
        return f"针对{topic}的问题，{q}"
    return f"{prev} {q}"
