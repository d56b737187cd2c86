"""jieba-aware sentence packing. Every chunk is a span of the cleaned text.

Invariants (tested): `chunk.text == doc.text[chunk.start:chunk.end]`; the
chunks of a section cover all of its content; no chunk is longer than
`max_chars(size)`; no cut falls inside a jieba token or a number.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import replace

from policyqa.documents import Chunk, Document, Section
from policyqa.language import sentences
from policyqa.profile import Profile

from .structure import Table

_NUM = set("0123456789.,%\u2009\u202f\u00a0 ")  # NBSP too: the tokenizer reads it as a separator
_SIGNS = set("-+\u2212\uff0d\uff0b")
_UNITS = set("年月日号万亿千百个家台套件元辆人名位项倍岁次")
CUT_WINDOW = 500  # characters handed to the tokenizer at once when splitting a long sentence

Cut = Callable[[str], list[str]]


def max_chars(size: int) -> int:
    """Hard bound on a chunk: the target size plus room for one overlap sentence."""
    return size + size // 2


def _safe(text: str, pos: int) -> bool:
    """A cut at pos does not split a number such as "1 707.6" or "1.68"."""
    left, right = text[pos - 1], text[pos]
    if left in _SIGNS and right.isdigit():
        return False  # "-12.5", "+3.0": a sign stays with its number
    if left.isdigit() and right in _UNITS:
        return False  # "2025年", "35个": a unit stays with its number
    if _numeric(left) and _numeric(right):
        return not (_digit_near(text, pos - 1, -1) and _digit_near(text, pos, 1))
    return True


def _numeric(ch: str) -> bool:
    return ch in _NUM or ch.isdigit()  # full-width digits (１２３) too


def _digit_near(text: str, i: int, step: int) -> bool:
    while 0 <= i < len(text) and _numeric(text[i]):
        if text[i].isdigit():
            return True
        i += step
    return False


def _token_ends(text: str, a: int, b: int, cut: Cut) -> Iterator[int]:
    """Token end offsets in text[a:b]. jieba's cost per character grows with the length
    of a run of unknown characters, so a long span is cut window by window, each window
    starting at the last token of the one before (the window edge may have split it)."""
    pos = a
    while pos < b:
        stop = min(b, pos + CUT_WINDOW)
        tokens = cut(text[pos:stop])
        if stop < b and len(tokens) > 1:
            tokens = tokens[:-1]
        start = pos
        for token in tokens:
            pos += len(token)
            yield pos
        if pos == start:  # a cut that returned nothing must not loop forever
            pos = stop
            yield pos


def split_long(text: str, a: int, b: int, size: int, cut: Cut) -> list[tuple[int, int]]:
    """Split one over-long sentence at token boundaries into pieces <= size."""
    bounds = [p for p in _token_ends(text, a, b, cut) if p < b and _safe(text, p)]
    pieces, start = [], a
    while b - start > size:
        k = bisect_right(bounds, start + size) - 1  # the last bound that fits
        stop = bounds[k] if k >= 0 and bounds[k] > start else start + size  # a token > size
        pieces.append((start, stop))
        start = stop
    pieces.append((start, b))
    return pieces


def pack(text: str, spans: list[tuple[int, int]], size: int, overlap: int, cut: Cut):
    """Greedy packing of sentence spans into chunks, with sentence overlap."""
    units: list[tuple[int, int]] = []
    for a, b in spans:
        units.extend(split_long(text, a, b, size, cut) if b - a > size else [(a, b)])
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i + 1
        while j < len(units) and units[j][1] - units[i][0] <= size:
            j += 1
        first = i
        # prepend up to `overlap` sentences of the previous chunk while within bound
        while chunks and first > 0 and i - first < overlap:
            if units[j - 1][1] - units[first - 1][0] > max_chars(size):
                break
            first -= 1
        chunks.append((units[first][0], units[j - 1][1]))
        i = j
    return chunks


def _content_regions(doc: Document, tables: list[Table]) -> Iterator[tuple[Section, int, int]]:
    """Body text of each section, without its subsections and tables."""
    sections = doc.sections
    for k, sec in enumerate(sections):
        # nested sections may start where sec does (a document opening with a heading) and
        # sec's own text may follow them ("（三）…" after item （二） closed), so skip every span
        nested = [
            (s.start, s.end)
            for s in sections[k + 1 :]
            if sec.start <= s.start < sec.end and s.level > sec.level
        ]
        pos = sec.body_start
        for start, stop in [*nested, (sec.end, sec.end)]:
            for t in tables:
                if pos <= t.start < start:
                    yield sec, pos, t.start
                    pos = t.end
            if pos < start:
                yield sec, pos, start
            pos = max(pos, stop)


def chunk_document(
    doc: Document,
    tables: list[Table],
    cut: Cut,
    profile: Profile,
    size: int = 200,
    overlap: int = 1,
) -> list[Chunk]:
    text = doc.text
    out: list[Chunk] = []

    def emit(sec: Section, a: int, b: int, kind: str, context: str = "", role: str = "") -> None:
        body = text[a:b]
        out.append(
            Chunk(
                doc_id=doc.doc_id,
                doc_title=doc.title,
                content_hash=doc.content_hash,
                start=a,
                end=b,
                text=body,
                section=sec.path,
                role=role or sec.role,
                industries=profile.industries_of(f"{sec.title}\n{context}\n{body}"),
                page=doc.page_at(a) or -1,
                kind=kind,
                context=context,
            )
        )

    for sec, a, b in _content_regions(doc, tables):
        kind = "references" if sec.role == "references" else "text"
        for ca, cb in pack(text, sentences(text, a, b), size, overlap, cut):
            emit(sec, ca, cb, kind)
    for t in tables:
        sec = next(
            (s for s in reversed(doc.sections) if s.start <= t.start < s.end), doc.sections[0]
        )
        # caption, then header; a table without a caption keeps the line break before its header
        context = f"{t.caption}\n{t.header}" if t.header else t.caption
        rows = [(r.start, r.end) for r in t.rows]
        rows[0] = (t.start, rows[0][1])  # the first chunk carries the caption itself
        for ca, cb in pack(text, rows, size, 0, cut):
            emit(sec, ca, cb, "table", context, "table")
    out.sort(key=lambda c: (c.start, c.end))
    return [_with_ordinal(c, n) for n, c in enumerate(out)]


def _with_ordinal(chunk: Chunk, n: int) -> Chunk:
    return replace(chunk, ordinal=n)
