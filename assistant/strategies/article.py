"""第N条规定了什么: the whole article, items and paragraphs included, cited as
第X章 > 第N条. An article number the document does not have is refused with
how many articles it has."""

from __future__ import annotations

from policyqa.documents import Document, Section

from ..compose import Line, Quote
from ..figures import cn_number
from . import Answer, Context, Refusal

CN_DIGITS = "零一二三四五六七八九"


def answer(ctx: Context) -> Answer | Refusal | None:
    n = ctx.frame.article
    if n is None or ctx.frame.kind != "article":
        return None
    docs = _candidates(ctx)
    if not docs:
        return None
    found = [(d, s) for d in docs for s in d.sections if _number(s) == n]
    if not found:
        d = docs[0]
        count = sum(1 for s in d.sections if _number(s) is not None)
        if not count:
            return None
        return Refusal(f"《{d.title}》共{count}条，没有第{cn(n)}条")
    doc, section = found[0]
    lines = _article_lines(ctx, doc, section)
    if not lines:
        return None
    first = lines[0]
    if first.quote.text.startswith(section.number):  # the lead already names the article
        lines[0] = Line(
            first.quote, shown=first.quote.text[len(section.number) :].lstrip(), breaks=True
        )
    lead = f"《{doc.title}》第{cn(n)}条规定："
    return Answer(lines, lead=lead, sep="\n", structural=True)


def _candidates(ctx: Context) -> list[Document]:
    return documents_with_articles(ctx.reader, ctx.frame.documents, ctx.hits)


def documents_with_articles(reader, named: tuple[str, ...], hits) -> list[Document]:
    """The documents named, else those of the retrieved passages, best first."""
    ids = list(named) or list(dict.fromkeys(h.chunk.doc_id for h in hits))
    docs = [reader.document(i) for i in ids]
    return [d for d in docs if d is not None and any(_number(s) is not None for s in d.sections)]


def article_passages(reader, named: tuple[str, ...], hits, n: int):
    """The chunks of article n (of the named document, else of the best retrieved one),
    as passages that lead the retrieved ones: a question about 第N条 is about its text."""
    from policyqa.results import Passage

    for doc in documents_with_articles(reader, named, hits):
        section = next((s for s in doc.sections if _number(s) == n), None)
        if section is not None:
            chunks = reader.section_chunks(doc.doc_id, section.path)
            return [Passage(c, 1.0, i, {"article": i}) for i, c in enumerate(chunks, 1)]
    return []


def _number(s: Section) -> int | None:
    if not (s.number.startswith("第") and s.number.endswith("条")):
        return None
    inner = s.number[1:-1]
    return int(inner) if inner.isdigit() else cn_number(inner)


def _article_lines(ctx: Context, doc: Document, section: Section) -> list[Line]:
    """The article's text, chunk by chunk without the overlap, each piece verbatim."""
    lines, pos = [], section.start
    for chunk in ctx.reader.section_chunks(doc.doc_id, section.path):
        start = max(pos, chunk.start)
        if start >= chunk.end:
            continue
        text = chunk.text[start - chunk.start :].strip()
        if text:
            begin = chunk.text.index(text, start - chunk.start) + chunk.start
            lines.append(Line(Quote(chunk, begin, begin + len(text), text), breaks=True))
        pos = chunk.end
    return lines


def cn(n: int) -> str:
    """17 -> 十七, 103 -> 一百零三 (article numbers as regulations write them)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = (
        ""
        if not rest
        else ("零" + cn(rest) if rest < 10 else ("一" + cn(rest) if rest < 20 else cn(rest)))
    )
    return CN_DIGITS[n // 100] + "百" + tail
