"""Answer strategies, tried in turn on a question and its evidence.

Each strategy is a function `answer(ctx) -> Answer | Refusal | None`: the
lines of an answer, a refusal, or nothing when the question is not its kind.
The first that returns something decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from policyqa.index.filters import Filters
from policyqa.index.query import Query
from policyqa.results import Passage

from ..compose import Line
from ..evidence import Scorer, Sentence, Term
from ..intent import Intent
from ..ranking import rank_sentences
from ..reader import IndexReader

POOL = 6  # passages whose sentences are candidates


@dataclass
class Context:
    """What every strategy sees of one question."""

    reader: IndexReader
    query: Query
    intent: Intent
    terms: list[Term]
    hits: list[Passage]
    scorer: Scorer
    filters: Filters
    _ranked: list[Sentence] | None = None

    @property
    def ranked(self) -> list[Sentence]:
        """Sentences of the top passages, best first (computed when first asked for)."""
        if self._ranked is None:
            self._ranked = rank_sentences(
                self.hits[:POOL], self.terms, self.intent, self.scorer, self.query.text, self.reader
            )
        return self._ranked


@dataclass
class Answer:
    lead: str
    lines: list[Line]
    numbered: bool = False
    structural: bool = False  # gathered by document structure: the cited sections lead the passages
    see_also: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Refusal:
    reason: str


Strategy = Callable[[Context], Answer | Refusal | None]


def strategies() -> list[Strategy]:
    from . import countermeasures, extractive, section_list, table_lookup

    return [countermeasures.answer, section_list.answer, table_lookup.answer, extractive.answer]
