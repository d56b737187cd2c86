"""Answer strategies, tried in turn on a question and its evidence.

Each strategy is a function `answer(ctx) -> Answer | Refusal | None`: an
answer, a refusal, or nothing when the question is not its kind. The first
that returns something decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from policyqa.index.filters import Filters
from policyqa.index.query import Query
from policyqa.profile import Profile
from policyqa.results import Passage

from ..compose import Line, Quote
from ..constraints import missing
from ..evidence import Candidate, Term, gather
from ..frame import Frame
from ..ranking import rank
from ..reader import IndexReader


@dataclass
class Context:
    """What every strategy sees of one question."""

    reader: IndexReader
    profile: Profile
    frame: Frame
    query: Query
    hits: list[Passage]
    terms: list[Term]
    qvec: np.ndarray
    filters: Filters
    _ranked: list[Candidate] | None = None

    @property
    def ranked(self) -> list[Candidate]:
        """Units of the retrieved passages, each checked against the question's
        constraints, best first (computed when first asked for)."""
        if self._ranked is None:
            cands = gather(self.reader, self.hits, self.qvec, self.terms)
            for c in cands:
                c.missing = missing(self.frame, c, self.profile, self.title(c.chunk.doc_id))
            self._ranked = rank(cands, self.frame)
        return self._ranked

    def title(self, doc_id: str) -> str:
        doc = self.reader.document(doc_id)
        return doc.title if doc else ""


@dataclass
class Answer:
    lines: list[Line]
    lead: str = ""  # text before the first line (no citation of its own)
    sep: str = ""
    end: str = ""
    structural: bool = False  # gathered by document structure: the cited sections lead the passages
    see_also: list[str] = field(default_factory=list)
    see_label: str = "相关对策另见"


@dataclass
class Refusal:
    reason: str  # one sentence: what the documents do not give
    nearest: list[Line] = field(default_factory=list)  # the nearest facts they do give


Strategy = Callable[[Context], Answer | Refusal | None]


def quote_of(c: Candidate) -> Quote:
    return Quote(c.chunk, c.unit.start, c.unit.end, c.unit.text)


def strategies() -> list[Strategy]:
    from . import (
        article,
        comparison,
        countermeasures,
        documents,
        extractive,
        section_list,
        table_lookup,
    )

    return [
        documents.answer,
        article.answer,
        countermeasures.answer,
        table_lookup.answer,
        section_list.answer,
        comparison.answer,
        extractive.answer,
    ]
