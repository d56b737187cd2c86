"""Complete lists: "存在哪些问题？", "第十九条规定对哪些产品实施抽查？" are answered
with every item the document enumerates, gathered by its structure (the
subsections of a section, the items of an article or a paragraph), not top-k."""

from __future__ import annotations

import re
from dataclasses import replace

from policyqa.documents import Document, Section
from policyqa.language import bigrams

from ..compose import Line, Quote
from ..evidence import Candidate, enumerated_items
from . import Answer, Context, Refusal, article
from .countermeasures import _title

MAX_ITEMS = 15
_ARTICLE_ITEM = re.compile(r"^[（(][一二三四五六七八九十]+[）)]", re.M)


def answer(ctx: Context) -> Answer | Refusal | None:
    if ctx.frame.kind != "list" or not ctx.ranked:
        return None
    if ctx.frame.article is not None:  # 第十五条有哪些要求: its items, or the article whole
        return _of_article(ctx)
    role = _asked_role(ctx)
    for c in ctx.ranked[:3]:
        doc = ctx.reader.document(c.chunk.doc_id)
        if doc is None:
            continue
        # an article's items answer only a list of what it is about (对策 asked: its role)
        items = article_items(ctx, doc, c) if role in (None, c.chunk.role) else []
        lines = items or _section_items(ctx, doc, c)
        if len(lines) >= 2:
            lead = f"共{len(lines)}项："
            return Answer(
                lines[:MAX_ITEMS] + _summary(ctx, lines),
                lead=lead,
                sep="；",
                end="。",
                structural=True,
            )
    return None


def _of_article(ctx: Context) -> Answer | Refusal | None:
    number = f"第{article.cn(ctx.frame.article)}条"
    for c in ctx.ranked[:3]:
        doc = ctx.reader.document(c.chunk.doc_id)
        if doc is not None and c.chunk.section.endswith(number):
            lines = article_items(ctx, doc, c)
            if len(lines) >= 2:
                return Answer(
                    lines, lead=f"共{len(lines)}项：", sep="；", end="。", structural=True
                )
    return article.answer(replace(ctx, frame=replace(ctx.frame, kind="article")))


SUMMARY = 0.6  # a sentence covering this much of the question also sums the list up


def _summary(ctx: Context, lines: list[Line]) -> list[Line]:
    """The sentence that sums the list up in one go (an abstract's "从…6个方面提出…"), after it."""
    top = next((c for c in ctx.ranked[:3] if c.lex >= SUMMARY and _sums_up(c.text, lines)), None)
    if top is None or any(li.quote.start <= top.start < li.quote.end for li in lines):
        return []
    return [Line(Quote(top.chunk, top.start, top.end, top.text), label="概括")]


def _sums_up(text: str, lines: list[Line]) -> bool:
    """A sentence sums a list up when it counts it (6个方面) or names two of its items;
    a question (还存在哪些问题？) sums up nothing."""
    if text.rstrip().endswith(("?", "？")):
        return False
    if re.search(r"[一二三四五六七八九十两\d]+\s*[个项条点类](?!大)", text):  # not 三大产业
        return True
    grams = set(bigrams(text))
    named = [li for li in lines if len(grams & set(bigrams(li.label or li.quote.text))) >= 2]
    return len(named) >= 2


def article_items(ctx: Context, doc: Document, c: Candidate) -> list[Line]:
    """Items （一）（二）… of the article holding the candidate, each a line of its text."""
    article = _container(doc, c.chunk.section, lambda s: s.number.endswith("条"))
    if article is None:
        return []
    out = []
    for chunk in ctx.reader.section_chunks(doc.doc_id, article.path):
        for m in _ARTICLE_ITEM.finditer(chunk.text):
            end = chunk.text.find("\n", m.start())
            end = len(chunk.text) if end < 0 else end
            a = chunk.start + m.start()
            if any(line.quote.start == a for line in out):
                continue
            text = chunk.text[m.start() : end]
            out.append(Line(Quote(chunk, a, a + len(text), text)))
    return out


def _section_items(ctx: Context, doc: Document, c: Candidate) -> list[Line]:
    """The subsections of the section the question is about, or its enumerated items."""
    section = _best_section(ctx, doc, c)
    if section is None:
        return []
    children = [
        s
        for s in doc.sections
        if s.path.startswith(section.path + " > ") and s.level == section.level + 1 and s.title
    ]
    lines = []
    for child in children:
        chunks = ctx.reader.section_chunks(doc.doc_id, child.path)
        if chunks:
            first = chunks[0]
            end = re.search(r"[。；]", first.text)
            text = first.text[: end.end()] if end else first.text
            quote = Quote(first, first.start, first.start + len(text), text)
            lines.append(Line(quote, label=_title(child.title), brief=True))
    if len(lines) >= 2:
        return lines
    items = []
    for chunk in ctx.reader.section_chunks(doc.doc_id, section.path):
        for a, b in enumerated_items(chunk):
            if not any(a < line.quote.end and line.quote.start < b for line in items):
                text = chunk.text[a - chunk.start : b - chunk.start]
                head = re.split(r"[。；;]", text, maxsplit=1)[0]
                items.append(Line(Quote(chunk, a, b, text), shown=head if head != text else ""))
    return items


def _best_section(ctx: Context, doc: Document, c: Candidate) -> Section | None:
    """The section the list is about: of the sections of the role asked for (or, with
    none asked, of the candidate's section and its ancestors), the one whose title
    shares most with the question; the shallower one on a tie."""
    role = _asked_role(ctx)
    chain = [
        s
        for s in doc.sections
        if s.title and (c.chunk.section == s.path or c.chunk.section.startswith(s.path + " > "))
    ]
    pool = [s for s in doc.sections if s.title and s.role == role] if role else chain
    if not pool:
        return None
    q = set(bigrams(ctx.frame.text))

    def match(s: Section) -> float:
        grams = set(bigrams(_title(s.title)))
        shared = len(grams & q) / len(grams) if grams else 0.0
        return shared + (0.1 if s in chain else 0.0)

    return max(pool, key=lambda s: (round(match(s), 2), -s.level))


def _asked_role(ctx: Context) -> str | None:
    text = ctx.frame.text
    # "针对人才问题提出了哪些对策": what is listed is named last
    asked = [
        r for r in ("countermeasure", "target", "status", "problem") if r in ctx.reader.roles()
    ]
    found = [(max(text.rfind(w) for w in dict(ctx.profile.roles)[r]), r) for r in asked]
    found = [(pos, r) for pos, r in found if pos >= 0]
    return max(found)[1] if found else None


def _container(doc: Document, path: str, test) -> Section | None:
    inside = [
        s for s in doc.sections if (path == s.path or path.startswith(s.path + " > ")) and test(s)
    ]
    return max(inside, key=lambda s: s.level) if inside else None
