"""One jieba tokenizer instance with the domain dictionary, passed to the
chunker and to the keyword indexes. jieba's module-level globals are never used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import unicodedata
from functools import cache
from pathlib import Path

import jieba

logging.getLogger("jieba").setLevel(logging.WARNING)

_HERE = Path(__file__).resolve().parent
USER_DICT = _HERE / "userdict.txt"
STOPWORDS = _HERE / "stopwords.txt"
_NUMBER_SPACE = re.compile(r"(?<=\d)[ \u2009\u202f\u00a0](?=\d{3}\b)")
_WORD = re.compile(r"[\w.%]+", re.UNICODE)
_PUNCT_ONLY = re.compile(r"^[\W_]+$", re.UNICODE)


def normalize(text: str) -> str:
    """Matching form: NFKC (full-width to half-width), lower case, and
    thousands separators inside numbers removed ("1 707.6" -> "1707.6")."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _NUMBER_SPACE.sub("", text)


def word_list(path: Path) -> list[str]:
    """One word per line; blank lines and lines starting with "#" are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [w.strip() for w in lines if w.strip() and not w.lstrip().startswith("#")]


def vocabulary_key(
    user_dict: Path, extra_words: tuple[str, ...] | list[str], stopwords: Path
) -> str:
    """What segmentation and keyword terms depend on: an index built under another key is stale."""
    parts = [
        jieba.__version__,
        Path(user_dict).read_text(encoding="utf-8"),
        list(extra_words),
        word_list(stopwords),
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:16]


class Tokenizer:
    """jieba segmentation plus the term view used by keyword search.

    >>> tok = Tokenizer()
    >>> tok.terms("成渝地区新能源汽车本地配套率")
    ['成渝地区', '新能源汽车', '本地配套率', ...]
    """

    def __init__(
        self,
        user_dict: Path | None = None,
        stopwords: Path | None = None,
        cache_dir: Path | None = None,
        extra_words: tuple[str, ...] | list[str] = (),
    ) -> None:
        """`extra_words` (the thesaurus) join the dictionary, so that ingest and
        queries always segment with the same vocabulary."""
        self._jieba = jieba.Tokenizer()
        if cache_dir is not None:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            self._jieba.tmp_dir = str(cache_dir)
        self._jieba.initialize()
        user_dict = Path(user_dict or USER_DICT)
        stopwords = Path(stopwords or STOPWORDS)
        self._jieba.load_userdict(str(user_dict))
        for word in extra_words:
            self._jieba.add_word(word)
        self.stopwords = frozenset(word_list(stopwords))
        self.vocabulary_key = vocabulary_key(user_dict, extra_words, stopwords)
        self._pos = None

    def in_dictionary(self, word: str) -> bool:
        """A dictionary word, as opposed to one jieba's HMM guessed (比差, 不太)."""
        return bool(self._jieba.FREQ.get(word))

    def cut(self, text: str) -> list[str]:
        """Exact segmentation: the pieces concatenate back to `text`."""
        return self._jieba.lcut(text, HMM=True)

    def terms(self, text: str) -> list[str]:
        """Search terms: normalised, search-mode segmentation, no stopwords or punctuation."""
        out = []
        for token in self._jieba.lcut_for_search(normalize(text), HMM=True):
            token = token.strip()
            if token and token not in self.stopwords and not _PUNCT_ONLY.match(token):
                out.append(sys.intern(token))  # 100k chunks share a few thousand terms
        return out

    def tags(self, text: str) -> dict[str, str]:
        """Part-of-speech flag of each word (n, ns, v, m, …), from jieba's tagger
        running on this instance's dictionary."""
        if self._pos is None:
            import jieba.posseg

            self._pos = jieba.posseg.POSTokenizer(self._jieba)
        return {p.word: p.flag for p in self._pos.lcut(normalize(text))}


def bigrams(text: str) -> list[str]:
    """Character bigrams of each CJK/word run: a lexical view that does not
    depend on how jieba segments the query versus the passage."""
    out: list[str] = []
    for run in re.findall(r"[\u4e00-\u9fff]+|[a-z0-9.%]+", normalize(text)):
        if len(run) == 1 or not "\u4e00" <= run[0] <= "\u9fff":
            out.append(run)
        else:
            out.extend(sys.intern(run[i : i + 2]) for i in range(len(run) - 1))
    return out


@cache
def default_tokenizer(cache_dir: str | None = None) -> Tokenizer:
    return Tokenizer(cache_dir=Path(cache_dir) if cache_dir else None)
