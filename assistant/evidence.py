"""Sentence-level evidence: split passages into sentences and score how well
each one covers the question's content terms (IDF-weighted, synonyms count)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from policyqa.documents import Chunk
from policyqa.index.query import Query
from policyqa.language import data_path, normalize, sentences, squash, word_list

from .reader import IndexReader

# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset(
    (
        "问题 对策 建议 措施 举措 办法 哪些 哪个 哪几 哪 什么 多少 几 如何 怎么 "
        "怎样 怎么办 为什么 是否 有没有 文章 论文 本文 研究 提出 存在 方面 具体 主要 "
        "分别 情况 可以 应该 应当 需要 能够 能 要 有 是 没有 目前 现在 当前 针对 "
        "关于 概括 体现 包括 哪些方面 有何 何 多 大 高 怎么样 吗 呢 请问 介绍 一下 "
        "列出 说说 讲讲 帮 看看 应对 解决 重点 做 干 做法 表现 哪里 几个 哪几个 "
        "第几 四个 三个 五个 六个 四条 三条 几条 共有 一共 总共 是不是 怎样才能 才能 "
        "为何 原因 意味着 方向 规模 数量 时候 什么时候 何时 几时 哪年 哪一年 "
    ).split()
)
# Spoken fillers (这边, 好多, 咋个): they say how a question is asked, not what about.
FILLERS = frozenset(word_list(data_path("policyqa.assistant", "fillers.txt")))
SKIP = QUESTION_WORDS | FILLERS
UNKNOWN_VERB_WEIGHT = 0.5  # set on eval/dev.jsonl: 0.3 and 0.5 gave the same results
_ENUM = re.compile(
    r"(?:[一二三四五六七八九十]是|[（(][1-9一二三四五六七八九十][）)]|首先|其次|再次|最后|第[一二三四五六七八九十])"
)
_DIGIT = re.compile(r"\d")
_CN_COUNT = re.compile(
    r"第[一二三四五六七八九十百]+|[一二三四五六七八九十百千万两]+(?:大|个|家|位|项|类|倍|成)"
)
_CAPTION = re.compile(r"(图|表)\s*\d+\s")


NOUNISH = ("n", "j", "l", "eng", "vn", "t")


@dataclass
class Term:
    text: str
    idf: float
    alts: tuple[str, ...]  # the term and its synonyms, normalised
    known: bool
    nounish: bool  # nouns, names, terms, ordinals: unknown ones mean another topic
    indexed: bool = False  # a whole token of the keyword index, not just a substring
    whole: bool = False  # a word of the question as written, not a search-mode fragment


@dataclass
class Sentence:
    chunk: Chunk
    start: int  # offsets in the document's cleaned text
    end: int
    text: str
    rank: int  # rank of its passage
    score: float = 0.0
    coverage: float = 0.0
    frame: str = ""  # section title and item head
    before: str = ""  # up to 80 characters before it, within its paragraph

    @property
    def context(self) -> str:
        return f"{self.frame}\n{self.before}" if self.frame or self.before else ""


class Scorer:
    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self.tokenizer = reader.tokenizer
        self.thesaurus = reader.thesaurus
        self.n = max(reader.chunk_count, 1)

    def idf(self, term: str) -> float:
        df = max(self.reader.doc_freq(term), self.reader.doc_freq(normalize(term)))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def terms(self, query: Query) -> list[Term]:
        flags = self.tokenizer.tags(query.text)
        out: list[Term] = []
        for t in dict.fromkeys(query.terms):
            word = t if t in flags else next((w for w in flags if t in w), t)
            if SKIP & {t, word} or len(t) < 2 and not t.isdigit():
                continue  # 不是 of 是不是 asks as much as the whole word
            alts = [t] + [normalize(w) for g in self.thesaurus.groups if t in g for w in g]
            indexed = any(self.reader.doc_freq(a) > 0 for a in alts)
            known = indexed or any(squash(a) in self._vocab_text for a in alts)
            nounish = self._nounish(word, flags.get(word, "x"))
            weight = 1.0
            if not known and not nounish and not any(c.isdigit() for c in t):
                # wording the corpus never uses cannot be covered: adverbs, adjectives and
                # guessed words (明显, 不快) drop out; a verb (申请) may be what is asked
                verb = flags.get(word, "x").startswith("v") and self.tokenizer.in_dictionary(word)
                if not (verb and word == t):
                    continue
                weight = UNKNOWN_VERB_WEIGHT
            alts = [squash(a) for a in alts]
            term = Term(
                t, weight * self.idf(t), tuple(dict.fromkeys(alts)), known, nounish, indexed
            )
            term.whole = t in flags
            out.append(term)

        # search mode also yields the parts of a compound ("成渝", "地区" of "成渝地区"):
        # count the compound once, or its parts when only they occur in the corpus
        def part_of_known(t: Term) -> bool:
            return any(t.text != o.text and t.text in o.text and o.known for o in out)

        def split_unknown(o: Term) -> bool:
            parts = [t for t in out if t.text != o.text and t.text in o.text]
            return not o.known and bool(parts) and all(p.known for p in parts)

        return [t for t in out if not part_of_known(t) and not split_unknown(t)]

    def _nounish(self, word: str, flag: str) -> bool:
        """Nouns, names and terms: unknown ones mean another topic. An ordinal
        (第五) names something, 一年 or 一家 only say how much; untagged words
        come from the domain dictionary and the thesaurus."""
        return (
            flag.startswith(NOUNISH)
            or (flag == "m" and word.startswith("第"))
            or (flag == "x" and self.tokenizer.in_dictionary(word))
        )

    @property
    def _vocab_text(self) -> str:
        return self.reader.corpus_text()

    def coverage(self, terms: list[Term], text: str, context: str = "") -> float:
        """IDF-weighted share of terms found in text; a term found only in the
        context (section title, previous sentence) counts half."""
        total = sum(t.idf for t in terms)
        if not total:
            return 0.0
        norm, ctx = squash(text), squash(context)
        found = 0.0
        for t in terms:
            if any(a in norm for a in t.alts):
                found += t.idf
            elif ctx and any(a in ctx for a in t.alts):
                found += 0.5 * t.idf
        return found / total

    def unknown_share(self, terms: list[Term]) -> float:
        total = sum(t.idf for t in terms)
        return sum(t.idf for t in terms if not t.known and t.nounish) / total if total else 0.0


@lru_cache(maxsize=4096)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentences(text, 0, len(text)))


def chunk_sentences(chunk: Chunk, rank: int) -> list[Sentence]:
    out = []
    for a, b in _spans(chunk.text):
        if chunk.kind == "table" or _CAPTION.match(chunk.text, a):
            continue  # a caption of a missing figure or a table states nothing
        out.append(Sentence(chunk, chunk.start + a, chunk.start + b, chunk.text[a:b], rank))
    return out


def table_rows(chunk: Chunk, rank: int) -> list[Sentence]:
    out = []
    pos = 0
    for line in chunk.text.split("\n"):
        if "\t" in line:
            out.append(
                Sentence(chunk, chunk.start + pos, chunk.start + pos + len(line), line, rank)
            )
        pos += len(line) + 1
    return out


def enumerated_items(chunk: Chunk, rank: int) -> list[Sentence]:
    """Items such as 一是…; / （1）… inside a passage, each as its own span."""
    out = []
    text = chunk.text
    starts = [m.start() for m in _ENUM.finditer(text)]
    for n, a in enumerate(starts):
        limit = starts[n + 1] if n + 1 < len(starts) else len(text)
        stop = _first_stop(text, a, limit)
        out.append(Sentence(chunk, chunk.start + a, chunk.start + stop, text[a:stop], rank))
    return out


def _first_stop(text: str, a: int, limit: int) -> int:
    m = re.compile(r"[。；;!?！？]").search(text, a, limit)
    return m.end() if m else limit


def is_item_head(text: str) -> bool:
    """A sentence that opens an enumerated item: (1)…, 一是…, 首先…"""
    return bool(_ENUM.match(text))


def has_quantity(text: str) -> bool:
    """A figure other than a year or a name such as 5G: what a number question asks for."""
    return has_number(_NOT_QUANTITY.sub("", text))


_NOT_QUANTITY = re.compile(
    r"(?:19|20)\d{2}\s*(?:年|[—\-～~至到]\s*(?:(?:19|20)\d{2}\s*年?)?)"  # 2023 年, 2020—2023年
    r"|\d{1,2}\s*[月日号]"  # 5月
    r"|(?<![\d.])\d[Gg](?![A-Za-z0-9])"  # 5G
)


def has_number(text: str) -> bool:
    """Digits, or a Chinese numeral used as a count or rank (第四大, 三大, 5个)."""
    text = re.sub(r"[表图]\s*\d+", "", text)  # "如表2所示" refers, it does not count
    return bool(_DIGIT.search(text) or _CN_COUNT.search(text))
