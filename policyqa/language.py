"""Chinese text handling shared by every stage: normalisation, sentence
splitting, character bigrams, the thesaurus and the jieba tokenizer.

One jieba instance per `Tokenizer`, with our dictionary loaded on it; jieba's
module-level globals are never used. Ingest and queries build their tokenizer
through `tokenizer_for(settings)`, so both segment with the same vocabulary.

>>> tok = tokenizer_for(Settings.from_env())
>>> tok.terms("成渝地区新能源汽车本地配套率")
['成渝地区', '新能源汽车', '本地配套率', ...]
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jieba

if TYPE_CHECKING:
    from policyqa.settings import Settings

logging.getLogger("jieba").setLevel(logging.WARNING)

_NUMBER_SPACE = re.compile(r"(?<=\d)[ \u2009\u202f\u00a0](?=\d{3}\b)")
_PUNCT_ONLY = re.compile(r"^[\W_]+$", re.UNICODE)
_SENTENCE_END = re.compile(r"[。！？；;!?]+[”’」』）)]*|\n|(?<=[^\d\s])\.(?=\s)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# terminal escape sequences pasted with a question: CSI (colours), OSC (titles),
# DCS/PM/APC strings, charset selection (ESC ( B) and two-byte codes (ESC 7)
_TERMINAL_CODE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\|$)|[PX^_][^\x1b]*(?:\x1b\\|$)"
    r"|[ -/]+[0-~]|[0-~])|\x9b[0-?]*[ -/]*[@-~]"
)


def data_path(package: str, name: str) -> Path:
    """A data file shipped inside a package: works from a wheel as from a checkout."""
    return Path(str(resources.files(package).joinpath(name)))


def user_dict_path(settings: Settings) -> Path:
    return (
        Path(settings.user_dict)
        if settings.user_dict
        else data_path("policyqa.ingest", "userdict.txt")
    )


def thesaurus_path(settings: Settings) -> Path:
    return (
        Path(settings.thesaurus)
        if settings.thesaurus
        else data_path("policyqa.index", "thesaurus.txt")
    )


def stopwords_path() -> Path:
    return data_path("policyqa.ingest", "stopwords.txt")


# ---- normalisation ---------------------------------------------------------------


def normalize(text: str) -> str:
    """Matching form: NFKC (full-width to half-width), lower case, and
    thousands separators inside numbers removed ("1 707.6" -> "1707.6")."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _NUMBER_SPACE.sub("", text)


def squash(text: str) -> str:
    """Matching form without any whitespace: "研发投入占总 GDP 比例" matches "研发投入占总gdp比例"."""
    return re.sub(r"\s+", "", normalize(text))


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


# ---- sentences and bigrams -------------------------------------------------------------


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans in text[start:end], stripped of surrounding whitespace."""
    spans, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, end))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


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


def word_list(path: Path) -> list[str]:
    """One word per line; blank lines and lines starting with "#" are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [w.strip() for w in lines if w.strip() and not w.lstrip().startswith("#")]


# ---- thesaurus ---------------------------------------------------------------------------


class Thesaurus:
    """Synonym groups, one per line, words separated by spaces; '#' starts a comment."""

    def __init__(self, groups: list[list[str]]) -> None:
        self.groups = groups

    @classmethod
    def load(cls, path: Path | None) -> Thesaurus:
        groups = []
        if path is not None and Path(path).exists():
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


# ---- tokenizer ---------------------------------------------------------------------------


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
    """jieba segmentation plus the term view used by keyword search."""

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
        user_dict = Path(user_dict or data_path("policyqa.ingest", "userdict.txt"))
        stopwords = Path(stopwords or stopwords_path())
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
            import jieba.posseg as posseg

            shared = posseg.dt  # importing the tagger reads the default dictionary's tags
            if self._jieba.dictionary == shared.tokenizer.dictionary:
                self._pos = posseg.POSTokenizer.__new__(posseg.POSTokenizer)
                self._pos.tokenizer = self._jieba
                self._pos.word_tag_tab = dict(shared.word_tag_tab)  # a copy: ours gets user words
            else:
                self._pos = posseg.POSTokenizer(self._jieba)
        return {p.word: p.flag for p in self._pos.lcut(normalize(text))}


def tokenizer_for(settings: Settings) -> Tokenizer:
    """The tokenizer of this configuration: dictionary plus thesaurus words, cache under home."""
    return Tokenizer(
        user_dict_path(settings),
        cache_dir=settings.cache_dir,
        extra_words=Thesaurus.load(thesaurus_path(settings)).words(),
    )


def current_vocabulary(settings: Settings) -> str:
    """The vocabulary key a tokenizer built now would have (see Tokenizer.vocabulary_key)."""
    words = Thesaurus.load(thesaurus_path(settings)).words()
    return vocabulary_key(user_dict_path(settings), words, stopwords_path())
