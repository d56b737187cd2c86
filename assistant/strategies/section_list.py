"""Complete lists: "存在哪些问题？" is answered with every item of the section
the question is about, gathered by document structure rather than top-k."""

from __future__ import annotations

from policyqa.documents import Section

from ..compose import Line
from ..evidence import chunk_sentences
from ..ranking import WEIGHTS, overlaps, subject, title_f1
from . import Answer, Context
from .countermeasures import items_in


def answer(ctx: Context) -> Answer | None:
    intent = ctx.intent
    if not (intent.wants_list and intent.role and (not ctx.terms or ctx.ranked)):
        return None
    section, doc_id = _target_section(ctx)
    if section is None:
        return None
    items = _section_items(ctx, doc_id, section)
    if len(items) < 2:
        return None
    lines = items[: WEIGHTS.max_items]
    head = ctx.ranked[0] if ctx.ranked else None
    if (
        head
        and head.coverage >= WEIGHTS.list_head_coverage
        and not any(overlaps(head, li.evidence) for li in lines)
    ):
        lines = [Line(head)] + lines
    lead = f"关于“{subject(ctx.query.text)}”，资料列出以下各项："
    return Answer(lead, lines, numbered=True, structural=True)


def _target_section(ctx: Context) -> tuple[Section | None, str]:
    """The section a list question is about: among the sections holding the
    top passages (and their ancestors), the best F1 match between question
    terms and title terms; with no specific terms, the role's top section."""
    best, best_doc, best_key = None, "", None
    for hit in ctx.hits[:5]:
        doc = ctx.reader.document(hit.chunk.doc_id)
        if doc is None:
            continue
        for sec in doc.sections:
            inside = hit.chunk.section == sec.path or hit.chunk.section.startswith(sec.path + " > ")
            if not sec.title or sec.role == "references":
                continue
            if ctx.intent.role and sec.role != ctx.intent.role:
                continue
            f1 = title_f1(ctx.terms, sec.title, ctx.scorer, ctx.query.text)
            key = (round(f1 + (0.05 if inside else 0.0), 3), -sec.level, -hit.rank)
            if best_key is None or key > best_key:
                best, best_doc, best_key = sec, doc.doc_id, key
    return best, best_doc


def _section_items(ctx: Context, doc_id: str, section: Section) -> list[Line]:
    """The subsections' first sentences, or else the section's enumerated items."""
    doc = ctx.reader.document(doc_id)
    children = [
        s
        for s in doc.sections
        if s.path.startswith(section.path + " > ") and s.level == section.level + 1 and s.title
    ]
    lines: list[Line] = []
    if children:
        for child in children:
            chunks = ctx.reader.section_chunks(doc_id, child.path)
            first = next((s for c in chunks for s in chunk_sentences(c, 1)), None)
            if first is not None:
                lines.append(Line(first, child.title))
        return lines
    return [Line(s) for s in items_in(ctx.reader, doc_id, section.path)]
