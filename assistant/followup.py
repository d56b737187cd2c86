"""Resolve an elliptical follow-up (那四川呢？/ 招标投标条例呢？/ 那第三十条呢？ /
具体有哪些对策？) against the previous question, offline and rule-based. The
places, industries and documents it swaps come from the profile and the index."""

from __future__ import annotations

import re

from policyqa.language import clean_question
from policyqa.profile import Profile

from .frame import COUNTER, PROBLEM, core_title, names_document

_REGION_RE = re.compile(r"[\u4e00-\u9fff]{2,4}(?:省|市|地区)")
_YEAR_RE = re.compile(r"(?:19|20)\d{2}年")
_ARTICLE_RE = re.compile(r"第[零〇一二两三四五六七八九十百千0-9]+条")
_ELLIPSIS = re.compile(
    r"^(那|那么|那个|还有|另外|再|其|这些|这个|它|它们|他们|具体|和|跟|与|比|相比|同|如果)|呢[？?。]?$|^(具体|详细)"
)
_COMPARE = re.compile(r"^(和|跟|与|比|同|相比)")
_BARE = re.compile(r"^(那么?|那个|还有|另外|和|跟|与|比|相比)?(.*?)(呢|怎么样|如何)?[？?。!！]*$")


def _find(words, text: str) -> list[str]:
    found: list[str] = []
    for w in sorted(words, key=len, reverse=True):
        if w in text and not any(w in f for f in found):
            found.append(w)
    return found


def _entities(text: str, profile: Profile, titles: list[str]) -> dict[str, list[str]]:
    places = (
        set(profile.regions.home_names) | set(profile.regions.parts) | set(profile.regions.others)
    )
    regions = _find(places, text)
    regions += [m for m in _REGION_RE.findall(text) if not any(m in r or r in m for r in regions)]
    industries = _find({w for i in profile.industries for w in (i.label, *i.words)}, text)
    return {
        "region": regions,
        "industry": industries,
        "year": _YEAR_RE.findall(text),
        "article": _ARTICLE_RE.findall(text),
        "document": [_mention(text, t) for t in titles if names_document(text, t)],
    }


def _mention(text: str, title: str) -> str:
    """How text names the document: the title, in 《》, without its place, or shortened."""
    for form in (f"《{title}》", title, f"《{core_title(title)}》", core_title(title)):
        if form in text:
            return form
    m = re.search(
        r"[\u4e00-\u9fff]{2,14}?(?:条例|办法|规定|方案|规划|意见|通知|纲要|决定|细则|法)", text
    )
    return m.group(0) if m else title


def is_followup(question: str) -> bool:
    q = question.strip()
    return bool(_ELLIPSIS.search(q)) or len(re.sub(r"\W", "", q)) <= 6


def bare(question: str) -> str:
    """What a follow-up adds besides its ellipsis: "那珠三角呢？" -> "珠三角"."""
    m = _BARE.match(question.strip())
    return (m.group(2) if m else question).strip()


def resolve(question: str, history: list[dict] | None, profile: Profile, titles: list[str]) -> str:
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
    new, old = _entities(q, profile, titles), _entities(prev, profile, titles)
    swapped = prev
    for kind in ("region", "industry", "year", "article", "document"):
        if new[kind] and old[kind] and new[kind][0] not in old[kind]:
            swapped = swapped.replace(old[kind][0], new[kind][0], 1)
    if swapped != prev:
        rest = bare(q)
        # "那重庆侧重什么？" keeps its own predicate only when it adds one
        for ents in new.values():
            for e in ents:
                rest = rest.replace(e, "")
        return swapped if len(re.sub(r"\W", "", rest)) <= 2 else f"{swapped} {rest}"
    if PROBLEM.search(prev) and COUNTER.search(q) and not PROBLEM.search(q):
        topic = re.sub(
            r"(存在|有|面临)?(哪些|什么|哪几个|几个)?(主要)?(问题|困难|挑战|短板|不足)[？?。]?$",
            "",
            prev,
        )
        return f"针对{topic}的问题，{q}"
    return f"{prev} {q}"
