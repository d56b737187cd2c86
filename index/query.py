"""A question as the index searches it: normalised text, its jieba terms and
the thesaurus words it adds to keyword search."""

from __future__ import annotations

from dataclasses import dataclass

from policyqa.language import Thesaurus, Tokenizer, clean_question


@dataclass(frozen=True)
class Query:
    raw: str
    text: str  # normalised question
    terms: list[str]  # jieba terms of the question
    expansions: list[str]  # thesaurus terms added for keyword search

    @property
    def keyword_terms(self) -> list[str]:
        return self.terms + self.expansions


def parse_query(raw: str, tokenizer: Tokenizer, thesaurus: Thesaurus) -> Query:
    text = clean_question(raw)
    terms = tokenizer.terms(text)
    expansions = [t for w in thesaurus.expand(text) for t in tokenizer.terms(w)]
    return Query(raw, text, terms, [t for t in dict.fromkeys(expansions) if t not in terms])
