"""Evidence: the quotable units (sentences, table rows) of the retrieved
passages, each scored against the question by meaning (the cosine of its
e5 vector with the question's) and by words (how much of the question's
content it contains).

A question's content terms are the words that say what it is about: jieba
words with a content part of speech, without the profile's question words
(什么, 多少, 咋个 …) or stop words, weighted by how rare they are in the corpus.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from policyqa.documents import Chunk
from policyqa.ingest.units import Unit, units
from policyqa.language import normalize, squash
from policyqa.profile import Profile
from policyqa.results import Passage

from .reader import IndexReader

_ENUM = re.compile(
    r"(?:[一二三四五六七八九十]是|[（(][1-9一二三四五六七八九十][）)]|首先|其次|再次|最后|第[一二三四五六七八九十]、?)"
)
NOT_NOUN = 0.3  # a verb or an adjective says less of what a question is about than a noun
UNKNOWN_WEIGHT = 1.0  # of a short word the corpus never uses: like a word in a third of passages
CONTEXT_CHARS = 80  # text before a sentence, within its paragraph, that may name what it counts


@dataclass(frozen=True)
class Term:
    text: str
    idf: float  # weight: how rare it is, halved for a word that is not a noun
    alts: tuple[str, ...]  # the term and its thesaurus synonyms, in matching form
    known: bool  # occurs somewhere in the corpus
    noun: bool = True
    parts: tuple[str, ...] = ()  # a compound's words (汽车产量: 汽车, 产量), all found = found
    own: bool = False  # the corpus uses the term itself, not only its parts (国内汽车)

    @property
    def decisive(self) -> bool:
        """A name or term whose absence from the whole corpus means another topic:
        three characters or more (燃料电池, 携号转网), or a proper name; a short
        everyday word the tokenizer guessed (台车 of 好多台车) is not."""
        return self.noun and len(self.text) >= 3


@dataclass
class Candidate:
    """One quotable unit of a retrieved passage."""

    chunk: Chunk
    unit: Unit
    rank: int  # rank of its passage
    sem: float  # cosine with the question
    lex: float = 0.0  # share of the question's content terms found in it (context half)
    context: str = ""  # section title, item head and the text before it in its paragraph
    score: float = 0.0
    missing: list[str] = field(default_factory=list)  # constraints it does not meet
    vector: np.ndarray | None = None  # its e5 vector
    before: str = ""  # the text before it in its paragraph
    scope: str = ""  # for a number question: the opening clause and the clause with the figure
    focus: str = ""  # that figure's clause

    @property
    def start(self) -> int:
        return self.unit.start

    @property
    def end(self) -> int:
        return self.unit.end

    @property
    def text(self) -> str:
        return self.unit.text

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.chunk.doc_id, self.unit.start, self.unit.end)


def content_terms(
    text: str,
    reader: IndexReader,
    profile: Profile,
    skip: set[str] = frozenset(),
    within: set[str] = frozenset(),
) -> list[Term]:
    """What the question is about, heaviest first. A word's weight is its rarity in
    the corpus, halved when it is not a noun; a short word the corpus never uses
    (a colloquial 台车, 出来) weighs like a common one, since nothing can match it."""
    tok = reader.tokenizer
    n = max(reader.chunk_count, 1)
    corpus = reader.corpus_text()
    out: dict[str, Term] = {}
    for word, flag in tok.tags(text).items():
        w = normalize(word).strip()
        # 年产值 asks for 产值, which the constraints check; 汽车产量 is about 汽车
        w = next((w[: -len(s)] for s in skip if len(s) >= 2 and w.endswith(s) and w != s), w)
        if (
            len(w) < 2
            or w in profile.question_words
            or w in tok.stopwords
            or w in skip
            or any(s in w for s in within)
            or not flag.startswith(tuple(profile.content_pos))
            or re.fullmatch(r"[\d.%年月日]+", w)
        ):
            continue
        alts = tuple(
            dict.fromkeys(
                [squash(w)] + [squash(a) for g in reader.thesaurus.groups if w in g for a in g]
            )
        )
        df = max(reader.doc_freq(a) for a in alts)
        parts = tuple(squash(p) for p in dict.fromkeys(tok.terms(w)) if len(p) >= 2 and p != w)
        # two characters inside the corpus's text may straddle two words (中排 of 集群中排名)
        own = df > 0 or any(len(a) >= 3 and a in corpus for a in alts)
        # a compound of corpus words (国内汽车) is known though the compound is not
        known = own or bool(parts) and all(p in corpus for p in parts)
        # a dictionary word jieba has no tag for is one of the corpus's own terms
        noun = flag.startswith(("n", "eng", "j")) or flag == "x" and tok.in_dictionary(word)
        term = Term(w, 0.0, alts, known, noun)
        rarity = math.log(1 + (n - df + 0.5) / (df + 0.5))
        weight = rarity if known or term.decisive else UNKNOWN_WEIGHT
        out[w] = Term(w, weight * (1.0 if noun else NOT_NOUN), alts, known, noun, parts, own)
    return sorted(out.values(), key=lambda t: -t.idf)


def coverage(terms: list[Term], text: str, context: str = "") -> float:
    """IDF-weighted share of terms found in text; a term found only in the
    context (section title, text before) counts half."""
    total = sum(t.idf for t in terms)
    if not total:
        return 0.0
    body, ctx = squash(text), squash(context)
    found = 0.0
    for t in terms:
        if _in(t, body):
            found += t.idf
        elif ctx and _in(t, ctx):
            found += 0.5 * t.idf
    return found / total


def _in(term: Term, squashed: str) -> bool:
    return (
        any(a in squashed for a in term.alts)
        or bool(term.parts)
        and all(p in squashed for p in term.parts)
    )


def found_in(term: Term, text: str) -> bool:
    return _in(term, squash(text))


def gather(
    reader: IndexReader, hits: list[Passage], qvec: np.ndarray, terms: list[Term]
) -> list[Candidate]:
    """Every unit of the passages, once, with its meaning and word scores."""
    out: list[Candidate] = []
    seen: set[tuple[str, int, int]] = set()
    for hit in hits:
        vectors = reader.unit_vectors(hit.chunk)
        pieces = units(hit.chunk)
        if len(vectors) != len(pieces):
            vectors = np.zeros((len(pieces), len(qvec)), dtype=np.float32)
        doc = reader.document(hit.chunk.doc_id)
        for unit, vec in zip(pieces, vectors, strict=True):
            c = Candidate(hit.chunk, unit, hit.rank, float(vec @ qvec), vector=vec)
            if c.key in seen:
                continue
            seen.add(c.key)
            c.context, c.before = context_of(
                c, doc.text if doc else hit.chunk.text, doc is not None
            )
            c.lex = coverage(terms, c.text, c.context)
            out.append(c)
    return out


def context_of(c: Candidate, text: str, whole: bool) -> tuple[str, str]:
    """What a unit is read in: its section's title, the item it belongs to, the
    text before it in its paragraph (or, for a table row, the caption and header);
    and that text before it on its own."""
    leaf = c.chunk.section.rsplit(" > ", 1)[-1]
    if c.chunk.kind == "table":
        return f"{leaf}\n{c.chunk.context}", ""
    offset = c.unit.start if whole else c.unit.start - c.chunk.start
    before = text[max(0, offset - CONTEXT_CHARS) : offset].rsplit("\n\n", 1)[-1]
    head = _item_head(text, offset, whole, c.chunk)
    return f"{leaf}\n{head}\n{before}", before


def _item_head(text: str, offset: int, whole: bool, chunk: Chunk) -> str:
    """The enumerated item (一是…, （1）…) a sentence belongs to, when it is not the first."""
    start = chunk.start if whole else 0
    segment = text[start:offset]
    heads = list(_ENUM.finditer(segment))
    if not heads:
        return ""
    m = heads[-1]
    stop = re.search(r"[。；;]", segment[m.start() :])
    return segment[m.start() : m.start() + (stop.end() if stop else 40)]


def is_item_head(text: str) -> bool:
    """A sentence that opens an enumerated item: (1)…, 一是…, 首先…"""
    return bool(_ENUM.match(text))


def enumerated_items(chunk: Chunk, whole: bool = False) -> list[tuple[int, int]]:
    """Spans (document offsets) of items such as 一是…; / （1）… inside a passage: the
    item's first sentence, or (`whole`) all of it, up to the next item or paragraph."""
    text = chunk.text
    starts = [m.start() for m in _ENUM.finditer(text)]
    out = []
    for n, a in enumerate(starts):
        limit = starts[n + 1] if n + 1 < len(starts) else len(text)
        para = text.find("\n\n", a, limit)
        limit = para if para >= 0 else limit
        m = None if whole else re.compile(r"[。；;!?！？]").search(text, a, limit)
        stop = m.end() if m else limit
        out.append((chunk.start + a, chunk.start + stop))
    return out
