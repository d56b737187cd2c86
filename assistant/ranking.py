"""Rank evidence candidates for a question. Every constant is a field of
`Weights`, with what it does and why; they were set on the development sets
(eval/dev.jsonl, eval/dev-meaning.jsonl) and only checked on the others."""

from __future__ import annotations

from dataclasses import dataclass

from .evidence import Candidate
from .figures import figures
from .frame import Frame

SUMMARY_ROLES = ("abstract", "introduction", "other")


@dataclass(frozen=True)
class Weights:
    # meaning: the candidate's cosine with the question, scaled to 0..1 between the
    # weakest and the strongest candidate of this question (e5 cosines crowd in 0.8-0.95)
    meaning: float = 1.0
    # words: share of the question's content terms in the sentence (context half)
    words: float = 1.0
    # + passage / rank: of two sentences alike, the one in the better-ranked passage
    passage: float = 0.1
    # a sentence in the section role the question asks for (问题, 对策, 现状)
    same_role: float = 0.15
    # abstract, introduction and title block restate what a section says in full
    summary_role: float = -0.1
    # a number question prefers a sentence holding a figure of the kind it asks for
    figure: float = 0.2
    # a sentence meeting every constraint of the question
    constraints: float = 0.3


WEIGHTS = Weights()


def rank(candidates: list[Candidate], frame: Frame, w: Weights = WEIGHTS) -> list[Candidate]:
    """Candidates best first; `score` is set on each."""
    if not candidates:
        return []
    lo = min(c.sem for c in candidates)
    span = (max(c.sem for c in candidates) - lo) or 1.0
    for c in candidates:
        score = w.meaning * (c.sem - lo) / span + w.words * c.lex + w.passage / c.rank
        if frame.role and c.chunk.role == frame.role:
            score += w.same_role
        elif frame.role and c.chunk.role in SUMMARY_ROLES:
            score += w.summary_role
        if frame.number and figures(c.text):
            score += w.figure
        if not c.missing:
            score += w.constraints
        c.score = score
    return sorted(candidates, key=lambda c: (-c.score, c.rank, c.start))
