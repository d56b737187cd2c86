"""Query normalisation: traditional to simplified Chinese, full-width to
half-width, and synonym expansion from an editable thesaurus file."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from policyqa.ingest.tokenizer import Tokenizer

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# terminal escape sequences pasted with a question: CSI (colours), OSC (titles),
# DCS/PM/APC strings, charset selection (ESC ( B) and two-byte codes (ESC 7)
_TERMINAL_CODE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\|$)|[PX^_][^\x1b]*(?:\x1b\\|$)"
    r"|[ -/]+[0-~]|[0-~])|\x9b[0-?]*[ -/]*[@-~]"
)


@cache
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def clean_question(text: str) -> str:
    """Simplified Chinese, NFKC, no terminal colour codes, control characters or lone surrogates."""
    text = _CONTROL.sub(" ", _TERMINAL_CODE.sub("", text))
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    return re.sub(r"\s+", " ", text).strip()


class Thesaurus:
    """Synonym groups, one per line, words separated by spaces; '#' starts a comment."""

    def __init__(self, groups: list[list[str]]) -> None:
        self.groups = groups

    @classmethod
    def load(cls, path: Path) -> Thesaurus:
        groups = []
        if Path(path).exists():
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                words = line.split("#", 1)[0].split()
                if len(words) > 1:
                    groups.append(words)
        return cls(groups)

    def expand(self, text: str) -> list[str]:
        """Synonyms of the words in text that are not already in it."""
        extra: list[str] = []
        for group in self.groups:
            if any(w in text for w in group):
                extra += [w for w in group if w not in text and w not in extra]
        return extra

    def words(self) -> list[str]:
        return [w for g in self.groups for w in g]


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
