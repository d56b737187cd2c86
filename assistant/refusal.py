"""Decide whether the retrieved evidence answers the question.

The rule, set by measurement on eval/dev.jsonl and eval/gold.jsonl (see README):
- the best sentence must cover enough of the question's IDF-weighted content
  terms (synonyms count; spoken fillers and wording the corpus never uses
  are not weighed), and
- few of the question's nouns may be unknown to the whole corpus, and
- a number question needs one sentence that holds a figure (not just a year)
  and names what is counted, and
- years and regions other than the corpus's own subject (成渝) named in the
  question must appear in a supporting sentence, and
- a question about an expected-but-missing document is answered only from a
  sentence that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policyqa.index.query import Query
from policyqa.language import squash

from .evidence import Scorer, Sentence, Term, has_quantity
from .intent import Intent

MIN_COVERAGE = 0.4
MIN_NUMBER_COVERAGE = 0.6  # a number must come from a sentence about exactly that
MAX_UNKNOWN = 0.25
MIN_ANCHOR_IDF = 1.0  # in fewer than about a third of the passages
HOME = ("成渝", "川渝", "双城经济圈", "两地")
PARTS = ("四川", "重庆", "成都")  # parts of the home region: named in number answers
REGION = re.compile(
    r"京津冀|长三角|珠三角|粤港澳|东北|华北|华东|华南|西北|西南|华中|"
    r"北京|天津|上海|广东|江苏|浙江|山东|河南|河北|湖北|湖南|陕西|贵州|云南|广西|福建|安徽|江西|"
    r"西安|武汉|深圳|广州|杭州|南京|苏州|郑州|长沙|合肥|德阳|绵阳|眉山|遂宁|宜宾|泸州"
)
YEAR = re.compile(r"(?:19|20)\d{2}")
ORDINAL = re.compile(r"第[一二三四五六七八九十百\d]+[次届条章节款]")


@dataclass(frozen=True)
class Verdict:
    answerable: bool
    reason: str
    coverage: float
    unknown: float
    support: tuple[Sentence, ...] = ()  # sentences that passed, best first
    only: bool = False  # the answer may quote nothing else (a missing plan's mention)


def required_slots(question: str, number: bool) -> list[str]:
    """Years and regions the supporting sentence must name. The home region
    (成渝) is implicit in the corpus; its parts count only for numbers."""
    slots = YEAR.findall(question) + REGION.findall(question) + ORDINAL.findall(question)
    parts = [p for p in PARTS if p in question]
    apart = re.search("各自|分别|各有|相比|对比|比较|哪个|谁|差距|(?:成都|重庆|四川)比", question)
    together = "重庆" in parts and len(parts) > 1 and not apart
    if number and not together:  # 成都和重庆 together are 成渝, unless asked one by one
        slots += parts
    return list(dict.fromkeys(slots))


def decide(
    query: Query, intent: Intent, terms: list[Term], ranked: list[Sentence], scorer: Scorer
) -> Verdict:
    if not terms:
        return Verdict(False, "问题中没有可检索的内容", 0.0, 0.0)
    candidates = ranked[:10]
    missing = _missing_document(query.text, scorer)
    if missing:
        # the title matches the paper's mention of the plan; what the question asks
        # about the plan must be covered, by a sentence that names the plan
        terms = [t for t in terms if t.text not in missing] or terms
        core = squash(_core(missing))
        candidates = [s for s in candidates if core in squash(_with_context(s))]
    unknown = scorer.unknown_share(terms)

    def coverage(s: Sentence) -> float:  # terms changed for a missing plan: score again
        return scorer.coverage(terms, _with_context(s)) if missing else s.coverage

    best = max(map(coverage, candidates), default=0.0)

    def no(reason: str) -> Verdict:
        return Verdict(False, _why(missing) or reason, best, unknown)

    if unknown > MAX_UNKNOWN:
        return no(
            f"资料中没有出现“{'、'.join(t.text for t in terms if not t.known and t.nounish)}”"
        )
    floor = MIN_NUMBER_COVERAGE if intent.wants_number else MIN_COVERAGE
    support = [s for s in candidates if coverage(s) >= floor]
    if not support:
        return no("检索到的段落没有覆盖问题的要点")
    if intent.wants_number:
        # one sentence must hold a figure and name what is counted, where and when
        anchors = _anchors(terms)
        if all(_is_home(t) for t in terms):
            return no("问题没有说明要问哪一项数字")  # 成渝地区一共有多少？
        support = [s for s in support if has_quantity(s.text) and _names_all(s, anchors)]
        if not support:
            what = "、".join(a.text for a in anchors) or _subject(terms)
            return no(f"资料中没有关于“{what}”的数字")
    slots = required_slots(query.text, intent.wants_number)
    support = [s for s in support if all(slot in _with_context(s) for slot in slots)]
    if not support:
        return no(f"资料中没有关于“{'、'.join(slots)}”的对应内容")
    return Verdict(True, "", best, unknown, tuple(support), only=bool(missing))


def _anchors(terms: list[Term]) -> list[Term]:
    """What a number question counts: its two most specific nouns (highest IDF),
    leaving out the corpus's own subject (成渝) and words in most passages (产业)."""
    nouns = [
        t
        for t in terms
        if t.whole and t.nounish and t.indexed and t.idf >= MIN_ANCHOR_IDF and not _is_home(t)
    ]
    return sorted(nouns, key=lambda t: -t.idf)[:2]


def _is_home(t: Term) -> bool:
    """The corpus's own subject (成渝, 川渝地区, 两地): implicit in every passage."""
    return any(h in t.text for h in HOME)


def _names_all(s: Sentence, anchors: list[Term]) -> bool:
    # what the sentence counts may be named just before it, unless that text
    # has a figure of its own (then the name belongs to that figure)
    before = "" if has_quantity(s.before) else s.before
    text = squash(f"{_with_context(s)}\n{s.frame}\n{before}")
    return all(any(a in text for a in t.alts) for t in anchors)


def _with_context(s: Sentence) -> str:
    return f"{s.chunk.context}\n{s.text}" if s.chunk.kind == "table" else s.text


def _core(title: str) -> str:
    """A plan's title without the region every plan starts with."""
    return title.replace("成渝地区双城经济圈", "")


def _subject(terms: list[Term]) -> str:
    return "、".join(t.text for t in sorted(terms, key=lambda t: -t.idf)[:2])


def _missing_document(question: str, scorer: Scorer) -> str:
    """The title of an expected-but-missing document the question names, if any."""
    for title in scorer.reader.missing_documents():
        if title in question or (_core(title) and _core(title) in question):
            return title
    return ""


def _why(missing_title: str) -> str:
    if not missing_title:
        return ""
    return f"《{missing_title}》的全文尚未收录，将官方文件放入 corpus/ 目录并重新导入后即可检索"
