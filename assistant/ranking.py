"""Rank the sentences of the retrieved passages for a question, and pick the
ones an answer quotes.

Every constant is a field of `Weights`, with what it does and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policyqa.language import bigrams
from policyqa.results import Passage

from .evidence import Scorer, Sentence, chunk_sentences, has_quantity, is_item_head, table_rows
from .intent import Intent
from .reader import IndexReader


@dataclass(frozen=True)
class Weights:
    """Set on eval/dev.jsonl and checked on eval/gold.jsonl (README, "Quality")."""

    # + passage_rank / rank: of two sentences covering the question equally, the
    # one from the better-ranked passage comes first
    passage_rank: float = 0.1
    # a sentence in the section role the question asks for (问题, 对策, 现状)
    same_role: float = 0.1
    # abstract, introduction and title block restate what a section says in full
    summary_role: float = -0.1
    # a number question prefers sentences holding a figure
    quantity: float = 0.15
    # a table row counts at this share unless the question names the row's label
    unnamed_row: float = 0.5
    # further sentences join an answer when their score reaches this share of the
    # best one's and their coverage this share of the best one's
    near_best_score: float = 0.7
    near_best_coverage: float = 0.5
    # quoted sentences per extractive answer, items per list answer
    max_lines: int = 4
    max_items: int = 8
    # problem→countermeasure: sentences of the first linked section get this bonus,
    # and a sentence is kept at this share of the best score
    first_link: float = 0.2
    keep_countermeasure: float = 0.6
    # a list answer opens with the best sentence when it covers this much of the question
    list_head_coverage: float = 0.6
    # a number answer adds the best table row when it covers this much
    table_row_coverage: float = 0.5


WEIGHTS = Weights()
SUMMARY_ROLES = ("abstract", "introduction", "other")


def rank_sentences(
    hits: list[Passage],
    terms: list,
    intent: Intent,
    scorer: Scorer,
    query_text: str,
    reader: IndexReader,
    w: Weights = WEIGHTS,
) -> list[Sentence]:
    """Sentences (table rows for table passages) of the passages, best first."""
    out: list[Sentence] = []
    seen = set()
    for hit in hits:
        table = hit.chunk.kind == "table"
        pieces = table_rows(hit.chunk, hit.rank) if table else chunk_sentences(hit.chunk, hit.rank)
        previous, head = "", ""
        doc = reader.document(hit.chunk.doc_id)
        doc_text = doc.text if doc else ""
        for s in pieces:
            key = (s.chunk.doc_id, s.start, s.end)
            if key in seen:
                continue
            seen.add(key)
            if table:
                s.coverage = scorer.coverage(terms, f"{s.chunk.context}\n{s.text}")
                if not row_named(s.text, query_text, "\n" in s.chunk.context):
                    s.coverage *= w.unnamed_row
            else:
                if is_item_head(s.text):
                    head = s.text
                before = doc_text[max(0, s.start - 80) : s.start] if doc_text else previous
                s.frame = f"{leaf(s.chunk.section)}\n{head}"
                s.before = before.rsplit("\n\n", 1)[-1]
                s.coverage = scorer.coverage(terms, s.text, s.context)
                previous = s.text
            s.score = _score(s, intent, w)
            out.append(s)
    out.sort(key=lambda s: (-s.score, s.rank, s.start))
    return out


def _score(s: Sentence, intent: Intent, w: Weights) -> float:
    score = s.coverage + w.passage_rank / s.rank
    if intent.role and s.chunk.role == intent.role:
        score += w.same_role
    elif intent.role and s.chunk.role in SUMMARY_ROLES:
        score += w.summary_role
    if intent.wants_number and has_quantity(s.text):
        score += w.quantity
    return score


def best(ranked: list[Sentence], w: Weights = WEIGHTS) -> list[Sentence]:
    """The top sentence, what it introduces (an item's head is followed by
    its content), and other sentences nearly as good."""
    if not ranked:
        return []
    top = ranked[0]
    picked = [top] + continuation(top)
    if len(picked) == 1 and top.chunk.kind == "text":
        picked += _next_in_paragraph(top)
    for s in ranked[1:]:
        if len(picked) >= w.max_lines:
            break
        if (
            s.score >= w.near_best_score * top.score
            and s.coverage >= w.near_best_coverage * top.coverage
            and not any(overlaps(s, p) for p in picked)
        ):
            picked.append(s)
    picked.sort(key=lambda s: (s.chunk.doc_id, s.start))
    return picked


def _next_in_paragraph(s: Sentence) -> list[Sentence]:
    """The sentence after s when it elaborates on it (same paragraph, not a new item)."""
    following = [n for n in chunk_sentences(s.chunk, s.rank) if n.start >= s.end]
    if not following:
        return []
    nxt = following[0]
    gap = s.chunk.text[s.end - s.chunk.start : nxt.start - s.chunk.start]
    if "\n" in gap or is_item_head(nxt.text) or nxt.coverage == 0 and len(nxt.text) > 120:
        return []
    return [nxt]


LEAD_IN = re.compile(r"(如下|以下)[。:：]?$")


def continuation(s: Sentence, limit: int = 2) -> list[Sentence]:
    """Sentences after an item head or a "如下" lead, up to the next item."""
    if not (is_item_head(s.text) or LEAD_IN.search(s.text)):
        return []
    out = []
    for nxt in chunk_sentences(s.chunk, s.rank):
        if nxt.start < s.end:
            continue
        if len(out) >= limit or (out and is_item_head(nxt.text)):
            break
        out.append(nxt)
    return out


def overlaps(a: Sentence, b: Sentence) -> bool:
    return a.chunk.doc_id == b.chunk.doc_id and a.start < b.end and b.start < a.end


def leaf(section_path: str) -> str:
    return section_path.rsplit(" > ", 1)[-1]


def row_named(row: str, question: str, header: bool = True) -> bool:
    """The question names the row (its label; any cell of a headerless list)."""
    cells = row.split("\t")
    for cell in cells[:1] if header else cells:
        core = re.sub(r"(地区|省|市)$", "", cell.strip())
        if core and core in question:
            return True
        if not header and any(
            len(w) >= 3 and w in cell
            for w in re.findall(r"[\u4e00-\u9fff]+", question)
            for w in _grams(w)
        ):
            return True  # "两江新区" names the cell "两江新区鱼复工业开发区"
    return False


def _grams(run: str) -> list[str]:
    """Substrings of length 4 of a CJK run: enough to name a park or a region."""
    return [run[i : i + 4] for i in range(max(len(run) - 3, 1))]


def title_f1(terms, title: str, scorer: Scorer, question: str) -> float:
    """Harmonic mean of how much of the question the title covers (IDF-weighted
    terms) and how much of the title the question covers (character bigrams)."""
    recall = scorer.coverage(terms, title)
    title_grams = set(bigrams(re.sub(r"^[\d.]+\s*", "", title)))
    precision = len(title_grams & set(bigrams(question))) / len(title_grams) if title_grams else 0.0
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def subject(question: str) -> str:
    """The question's subject for the lead sentence: the question minus its question words."""
    q = re.sub(r"[？?。!！]+$", "", question)
    q = re.sub(r"(是多少|有多少|有多大|有多高|是什么|有哪些|有什么|是否|怎么样|如何|吗|呢)$", "", q)
    return q[:40] or question[:40]
