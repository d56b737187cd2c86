"""Decide whether the best evidence answers the question.

e5 cosines alone cannot tell an answer from a sentence on the same topic (on
eval/dev-meaning.jsonl the best cosine of answerable and unanswerable questions
has the same median, 0.93), so the decision rests on two things:

- **Constraints** (`constraints.py`): the year, place, kind of figure, measure,
  document and table the question names. A sentence that fails one is never
  the answer; the best such sentence is shown as the nearest fact.
- **Coverage of what the question is about**: the share of the question's
  content terms (IDF-weighted) the sentence contains, where a term it does not
  contain word for word still counts when it is there by meaning: removing the
  term from the question lowers the question's cosine with the sentence by at
  least `MEANING_DROP` (整车厂 is covered by 整车企业; 氢燃料电池 is not covered by
  新能源汽车, and removing it brings the question closer to that sentence).

Thresholds, set on the development sets (eval/dev.jsonl, eval/dev-meaning.jsonl):
"""

from __future__ import annotations

from dataclasses import dataclass

from .evidence import Candidate, Term, found_in
from .figures import figures
from .reader import IndexReader

MIN_COVERAGE = 0.5  # share of the question's content weight a supporting sentence must cover
MEANING_DROP = 0.008  # cosine the question loses without a term the sentence covers by meaning
MAX_TESTED = 3  # terms tested by meaning per question (each costs one embedding)


@dataclass(frozen=True)
class Support:
    coverage: float
    uncovered: tuple[str, ...]  # content terms neither in the sentence nor in it by meaning
    unknown: tuple[str, ...]  # uncovered terms that occur nowhere in the corpus

    unasked: tuple[str, ...] = ()  # what the question asks for by name, not given

    @property
    def enough(self) -> bool:
        return self.coverage >= MIN_COVERAGE and not self.unknown and not self.unasked


def support(
    question: str, c: Candidate, terms: list[Term], reader: IndexReader, asked: tuple[str, ...] = ()
) -> Support:
    """How much of what the question is about the candidate covers, by words or by meaning.
    For a figure (`c.focus`), only its own clauses count, and the text just before the
    sentence counts half when it has no figure of its own (then it may name what is counted)."""
    # what a question is about: its nouns; a short word the corpus never uses (a
    # tokenizer's guess at slang, 台车 of 好多台车) can be matched by nothing, so it
    # neither supports nor vetoes
    nouns = [t for t in terms if t.noun]
    terms = [t for t in nouns if t.known or t.decisive]
    total = sum(t.idf for t in terms)
    if not total:  # nothing the question is about occurs in the corpus at all (天气, 下雨)
        return Support(
            0.0 if nouns else 1.0, tuple(t.text for t in nouns), tuple(t.text for t in nouns)
        )
    if c.focus:
        table = c.chunk.context if c.chunk.kind == "table" else ""
        scope = f"{c.chunk.section.rsplit(' > ', 1)[-1]}\n{table}\n{c.scope}"
        nearby = f"{c.chunk.doc_title}\n" + ("" if figures(c.before) else c.before)
    else:
        scope = f"{c.context}\n{c.text}"
        # the document's title and the rest of the passage (an article's items) count half
        nearby = f"{c.chunk.doc_title}\n{c.chunk.text}"
    lexical = [t for t in terms if found_in(t, scope)]
    rest = [t for t in terms if t not in lexical]
    # a specific term the corpus uses (集成电路产业) is there in its own words when a
    # sentence is about it: only words the corpus lacks, compounds of its words (国内汽车)
    # and short words may be there by meaning (整车厂 for 整车企业)
    # and only in a sentence that has some of the question's words: cosines between
    # unrelated texts (asdkjh qwe, an English keyword line) move by chance
    testable = [t for t in rest if not (t.own and t.decisive)] if lexical else []
    found = sum(t.idf for t in lexical)
    by_meaning = []
    for t in testable[:MAX_TESTED]:
        # each test costs an embedding: a word the corpus lacks and the thing asked for
        # are always tested (they decide a refusal), another only while the sentence is
        # short of MIN_COVERAGE
        named = any(a.startswith(t.text) for a in asked)
        needed = (t.decisive and not t.known) or named or found < MIN_COVERAGE * total
        if needed and _covered_by_meaning(question, t, c, reader):
            by_meaning.append(t)
            found += t.idf
    around = [t for t in rest if t not in by_meaning and found_in(t, nearby)]
    covered = found + 0.5 * sum(t.idf for t in around)
    uncovered = [t for t in rest if t not in by_meaning]
    return Support(
        covered / total,
        tuple(t.text for t in uncovered),
        tuple(t.text for t in uncovered if not t.known and t.decisive),
        # 天府英才卡要满足什么条件: a sentence naming the card but no condition does not answer
        tuple(
            t.text
            for t in uncovered
            if t not in around and any(a.startswith(t.text) for a in asked)
        ),
    )


def _covered_by_meaning(question: str, term: Term, c: Candidate, reader: IndexReader) -> bool:
    """Removing the term lowers the question's cosine with the sentence (with the clauses
    of a figure only, for a number) by at least MEANING_DROP."""
    without = question.replace(term.text, "")
    if without == question or not without.strip() or c.vector is None:
        return False
    vector = reader.passage_vector(c.scope) if c.focus and c.scope != c.text else c.vector
    full = c.sem if vector is c.vector else float(vector @ reader.query_vector(question))
    return full - float(vector @ reader.query_vector(without)) >= MEANING_DROP
