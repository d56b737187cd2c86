"""The answer function shared by the CLI, the web UI and the evaluator.

    >>> assistant = Assistant(settings, retriever)
    >>> result = assistant.ask("成渝新能源汽车本地配套率是多少？")
    >>> result.answer
    '关于“成渝新能源汽车本地配套率”，资料中的说法是：成渝地区的新能源汽车本地配套率仅为30%,…[1]'

Extractive by default: every answer sentence is a verbatim span of a cited
chunk. When the evidence does not cover the question, the answer says so
(`answerable=False`) and lists the closest passages as related.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from policyqa.documents import Chunk, Section
from policyqa.index.query import Query
from policyqa.index.retriever import Filters, Hit, HybridRetriever
from policyqa.ingest.tokenizer import bigrams
from policyqa.settings import Settings

from . import refusal
from .compose import Citation, Line, compose
from .evidence import (
    Scorer,
    Sentence,
    chunk_sentences,
    enumerated_items,
    has_quantity,
    is_item_head,
    table_rows,
)
from .followup import resolve
from .intent import LIST_PATTERN, Intent, detect

K = 10
POOL = 6  # passages whose sentences are candidates
MAX_LINES = 4
MAX_ITEMS = 8


@dataclass
class AskResult:
    question: str
    answer: str
    answerable: bool
    mode: str = "extractive"
    citations: list[Citation] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    notice: str | None = None
    intent: str = ""
    resolved_question: str = ""
    related: list[Hit] = field(default_factory=list)
    see_also: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        from policyqa.pipeline import passage_dict

        return {
            "question": self.question,
            "answer": self.answer,
            "answerable": self.answerable,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [passage_dict(h) for h in self.passages],
            "notice": self.notice,
            "intent": self.intent,
            "resolved_question": self.resolved_question,
            "related": [passage_dict(h) for h in self.related],
            "see_also": self.see_also,
        }


class Assistant:
    def __init__(self, settings: Settings, retriever: HybridRetriever) -> None:
        self.settings = settings
        self.retriever = retriever

    def ask(
        self, question: object, history: list[dict] | None = None, filters: Filters | None = None
    ) -> AskResult:
        text, notice = _validate(question, self.settings.max_question_chars)
        if not text:
            return AskResult(
                question="",  # only blanks or control characters: nothing to echo
                answer="请输入一个问题，例如：成渝新能源汽车本地配套率是多少？",
                answerable=False,
                notice=notice,
                intent="empty",
            )
        resolved = resolve(text, _history(history, self.settings.max_question_chars))
        query = self.retriever.parse(resolved)
        if not query.terms:
            return AskResult(
                text, "问题中没有可检索的内容，请换个说法。", False, notice=notice, intent="empty"
            )
        intent = detect(query.text)
        filters = filters or Filters()
        hits = self._retrieve(query, intent, filters)
        snap = self.retriever.snapshot
        scorer = Scorer(snap, self.retriever.tokenizer, self.retriever.thesaurus)
        terms = scorer.terms(query)
        base = AskResult(
            question=text,
            answer="",
            answerable=True,
            passages=hits,
            notice=notice,
            intent=intent.kind
            + ("+list" if intent.wants_list else "")
            + ("+number" if intent.wants_number else ""),
            resolved_question=resolved if resolved != text else "",
        )
        if intent.kind == "problem_countermeasure":
            lines, problem = self._countermeasures_for(query, intent, scorer, filters)
            if lines:
                lead = f"针对“{intent.problem_topic}”的问题（见 {problem}），资料提出的对策包括："
                return self._finish(base, lead, lines, numbered=len(lines) > 1, structural=True)
        ranked = self._rank_sentences(hits[:POOL], terms, intent, scorer, query.text)
        if intent.wants_list and intent.role and (not terms or ranked):
            lines = self._list_answer(terms, intent, hits, ranked, scorer, query.text)
            if lines:
                lead = f"关于“{_subject(query.text)}”，资料列出以下各项："
                return self._finish(base, lead, lines, numbered=True, structural=True)
        extreme = _EXTREME.search(query.text)
        if extreme:
            line = self._table_extreme(ranked, terms, scorer, extreme.group(1) in "高大多")
            if line is not None:
                lead = f"关于“{_subject(query.text)}”，按资料中的表格："
                return self._finish(base, lead, [line])
        verdict = refusal.decide(query, intent, terms, ranked, scorer)
        if not verdict.answerable:
            return _refuse(base, verdict.reason, hits)
        # lead with a sentence the rule accepted (the figure naming what is counted)
        rest = [] if verdict.only else [s for s in ranked if s not in verdict.support]
        ranked = list(verdict.support) + rest
        lines = [Line(s) for s in _best(ranked)]
        if intent.wants_number:
            lines += self._table_lines(ranked, lines)
        if not lines:
            return _refuse(base, "检索到的段落没有覆盖问题的要点", hits)
        if intent.kind == "problem":
            base.see_also = self._linked_measures(lines[0].evidence.chunk)
        lead = f"关于“{_subject(query.text)}”，资料中的相关内容是："
        return self._finish(base, lead, lines)

    def _finish(
        self,
        base: AskResult,
        lead: str,
        lines: list[Line],
        numbered: bool = False,
        structural: bool = False,
    ) -> AskResult:
        snap = self.retriever.snapshot
        base.answer, base.citations = compose(lead, lines, snap, numbered=numbered)
        if base.see_also:
            base.answer += "\n相关对策见：" + "；".join(base.see_also) + "。"
        if structural:
            # sections gathered by structure are what was retrieved: list them first
            cited = []
            for c in base.citations:
                if c.chunk.chunk_id not in {h.chunk.chunk_id for h in cited}:
                    cited.append(Hit(c.chunk, 1.0, 0, {"structure": c.n}))
            base.passages = _merge(cited, base.passages)[: max(K, len(cited))]
        return base

    # retrieval ---------------------------------------------------------------

    def _retrieve(self, query: Query, intent: Intent, filters: Filters) -> list[Hit]:
        hits = self.retriever.search(query, k=K, filters=filters)
        if intent.role and not filters.role:
            role_hits = self.retriever.search(
                query, k=K, filters=replace(filters, role=intent.role)
            )
            hits = _merge(role_hits[:4], hits)
        return hits[:K]

    def _rank_sentences(
        self, hits: list[Hit], terms, intent: Intent, scorer: Scorer, query_text: str
    ) -> list[Sentence]:
        out: list[Sentence] = []
        seen = set()
        for hit in hits:
            table = hit.chunk.kind == "table"
            pieces = (
                table_rows(hit.chunk, hit.rank) if table else chunk_sentences(hit.chunk, hit.rank)
            )
            previous, head = "", ""
            doc = self.retriever.snapshot.docs.get(hit.chunk.doc_id)
            doc_text = doc.text if doc else ""
            for s in pieces:
                key = (s.chunk.doc_id, s.start, s.end)
                if key in seen:
                    continue
                seen.add(key)
                if table:
                    s.coverage = scorer.coverage(terms, f"{s.chunk.context}\n{s.text}")
                    if not _row_named(s.text, query_text, "\n" in s.chunk.context):
                        s.coverage *= 0.5  # a row only answers when the question names it
                else:
                    if is_item_head(s.text):
                        head = s.text
                    before = doc_text[max(0, s.start - 80) : s.start] if doc_text else previous
                    s.frame = f"{_leaf(s.chunk.section)}\n{head}"
                    s.before = before.rsplit("\n\n", 1)[-1]
                    s.coverage = scorer.coverage(terms, s.text, s.context)
                    previous = s.text
                s.score = s.coverage + 0.1 / s.rank
                if intent.role and s.chunk.role == intent.role:
                    s.score += 0.1
                elif intent.role and s.chunk.role in ("abstract", "introduction", "other"):
                    s.score -= 0.1  # summaries restate; prefer the section that says it
                if intent.wants_number and has_quantity(s.text):
                    s.score += 0.15
                out.append(s)
        out.sort(key=lambda s: (-s.score, s.rank, s.start))
        return out

    # selection ---------------------------------------------------------------

    def _list_answer(self, terms, intent, hits, ranked, scorer, question: str) -> list[Line]:
        section, doc_id = self._target_section(terms, intent, hits, scorer, question)
        if section is None:
            return []
        items = self._section_items(doc_id, section)
        if len(items) < 2:
            return []
        lines = items[:MAX_ITEMS]
        head = ranked[0] if ranked else None
        if head and head.coverage >= 0.6 and not any(_overlaps(head, li.evidence) for li in lines):
            lines = [Line(head)] + lines
        return lines

    def _countermeasures_for(self, query, intent, scorer, filters):
        """Countermeasures linked at ingest to the problem section the topic names.
        Returns the answer lines and that problem section's title."""
        topic_query = self.retriever.parse(intent.problem_topic or query.text)
        topic = scorer.terms(topic_query)
        problem_hits = self.retriever.search(
            topic_query, k=5, filters=replace(filters, role="problem")
        )
        scored = [
            (scorer.coverage(topic, h.chunk.text, h.chunk.section), -h.rank, h)
            for h in problem_hits
        ]
        if not scored:
            return [], ""
        cov, _, best_hit = max(scored, key=lambda x: (x[0], x[1]))
        if cov < refusal.MIN_COVERAGE:
            return [], ""
        chunk = best_hit.chunk
        links = self.retriever.snapshot.links.get(chunk.doc_id, {})
        targets = [
            (prob, paths)
            for prob, paths in links.items()
            if chunk.section == prob or chunk.section.startswith(prob + " > ")
        ]
        if not targets:
            return [], ""
        problem, paths = targets[0]
        topic_terms = topic + scorer.terms(query)
        if LIST_PATTERN.search(query.text) or re.search(r"具体.*(对策|建议|措施|举措)", query.text):
            items = [
                Line(s, _leaf(s.chunk.section)) for s in self._items_in(chunk.doc_id, paths[0])
            ]
            if len(items) >= 2:
                return items[:MAX_ITEMS], _leaf(problem)
        candidates: list[Sentence] = []
        for rank, path in enumerate(paths):
            for n, c in enumerate(self._chunks_in(chunk.doc_id, path), 1):
                for s in enumerated_items(c, n) + chunk_sentences(c, n):
                    s.coverage = scorer.coverage(topic_terms, s.text, c.section)
                    s.score = s.coverage + (0.2 if rank == 0 else 0.0)
                    candidates.append(s)
        candidates = [s for s in candidates if not re.search(r"(如下|以下)[。:：]?$", s.text)]
        candidates.sort(key=lambda s: (-s.score, s.start))
        picked: list[Sentence] = []
        for s in candidates:
            if s.coverage <= 0 or len(picked) >= MAX_LINES:
                break
            if s.score >= 0.6 * candidates[0].score and not any(_overlaps(s, p) for p in picked):
                picked.append(s)
                picked += [
                    c for c in _continuation(s, 1) if not any(_overlaps(c, p) for p in picked)
                ]
        picked.sort(key=lambda s: s.start)
        return [Line(s, _leaf(s.chunk.section)) for s in picked], _leaf(problem)

    def _items_in(self, doc_id: str, path: str) -> list[Sentence]:
        """Enumerated items (一是…, （1）…) of a section, in order, without overlaps."""
        seen: list[Sentence] = []
        for n, c in enumerate(self._chunks_in(doc_id, path), 1):
            for item in enumerated_items(c, n):
                if not any(_overlaps(item, s) for s in seen):
                    seen.append(item)
        return seen

    def _target_section(
        self, terms, intent, hits, scorer, question: str
    ) -> tuple[Section | None, str]:
        """The section a list question is about: among the sections holding the
        top passages (and their ancestors), the best F1 match between question
        terms and title terms; with no specific terms, the role's top section."""
        snap = self.retriever.snapshot
        best, best_doc, best_key = None, "", None
        for hit in hits[:5]:
            doc = snap.docs.get(hit.chunk.doc_id)
            if doc is None:
                continue
            for sec in doc.sections:
                inside = hit.chunk.section == sec.path or hit.chunk.section.startswith(
                    sec.path + " > "
                )
                if not sec.title or sec.role == "references":
                    continue
                if intent.role and sec.role != intent.role:
                    continue
                f1 = _title_f1(terms, sec.title, scorer, question) + (0.05 if inside else 0.0)
                key = (round(f1, 3), -sec.level, -hit.rank)
                if best_key is None or key > best_key:
                    best, best_doc, best_key = sec, doc.doc_id, key
        return best, best_doc

    def _section_items(self, doc_id: str, section: Section) -> list[Line]:
        doc = self.retriever.snapshot.docs[doc_id]
        children = [
            s
            for s in doc.sections
            if s.path.startswith(section.path + " > ") and s.level == section.level + 1 and s.title
        ]
        lines: list[Line] = []
        if children:
            for child in children:
                chunks = self._chunks_in(doc_id, child.path)
                first = next((s for c in chunks for s in chunk_sentences(c, 1)), None)
                if first is not None:
                    lines.append(Line(first, child.title))
            return lines
        return [Line(s) for s in self._items_in(doc_id, section.path)]

    def _chunks_in(self, doc_id: str, path: str) -> list[Chunk]:
        """Text chunks of a section and its subsections, in document order."""
        groups = self.retriever.snapshot.by_section
        inside = [
            chunks
            for (doc, section), chunks in groups.items()
            if doc == doc_id and (section == path or section.startswith(path + " > "))
        ]
        return sorted((c for chunks in inside for c in chunks), key=lambda c: c.start)

    def _table_lines(self, ranked: list[Sentence], lines: list[Line]) -> list[Line]:
        """The best table row for a number question, cited beside the sentence."""
        rows = [s for s in ranked if s.chunk.kind == "table"]
        if not rows or rows[0].coverage < 0.5 or any(li.evidence is rows[0] for li in lines):
            return []
        return [Line(rows[0])]

    def _table_extreme(self, ranked, terms, scorer, highest: bool) -> Line | None:
        """ "哪个地区…最低": the row with the extreme value in the column the
        question names, from a table whose caption and header cover the question."""
        rows = [s for s in ranked if s.chunk.kind == "table" and "\n" in s.chunk.context]
        terms = [t for t in terms if not _EXTREME.match(t.text)]
        if not rows or not terms:
            return None
        chunk = max((r.chunk for r in rows), key=lambda c: scorer.coverage(terms, c.context))
        if scorer.coverage(terms, chunk.context) < refusal.MIN_NUMBER_COVERAGE:
            return None
        caption, header = chunk.context.split("\n")[:2]
        columns = header.split("\t")
        if len(columns) < 2:
            return None
        col = max(range(1, len(columns)), key=lambda j: (scorer.coverage(terms, columns[j]), -j))
        valued = []
        for row in table_rows(chunk, 1):
            cells = row.text.split("\t")
            value = _number(cells[col]) if col < len(cells) else None
            if value is not None and row.text != header:
                valued.append((value, row))
        if not valued:
            return None
        value, row = (max if highest else min)(valued, key=lambda v: v[0])
        word = "最高" if highest else "最低"
        return Line(row, f"{caption}中“{columns[col]}”{word}的一行")

    def _linked_measures(self, chunk: Chunk) -> list[str]:
        links = self.retriever.snapshot.links.get(chunk.doc_id, {})
        for prob, paths in links.items():
            if chunk.section == prob or chunk.section.startswith(prob + " > "):
                return [_leaf(p) for p in paths]
        return []


def _validate(question: object, limit: int) -> tuple[str, str | None]:
    if question is None:
        return "", "问题为空。"
    text = str(question)
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    stripped = re.sub(r"[\s\x00-\x1f\x7f]+", " ", text).strip()
    if not stripped:
        return "", "问题为空，请输入问题。"
    if len(stripped) > limit:
        return stripped[:limit], f"问题过长（{len(stripped)} 字），只使用了前 {limit} 字。"
    return stripped, None


def _history(history: object, limit: int) -> list[dict]:
    """Earlier turns as resolve() needs them: dicts whose content passed _validate, so a
    huge, malformed or None turn can neither crash a follow-up nor lift the length limit."""
    turns = []
    for turn in history if isinstance(history, (list, tuple)) else ():
        if isinstance(turn, dict):
            content, _ = _validate(turn.get("content"), limit)
            turns.append({"role": turn.get("role"), "content": content})
    return turns


def _merge(first: list[Hit], rest: list[Hit]) -> list[Hit]:
    out, seen = [], set()
    for h in first + rest:
        if h.chunk.chunk_id not in seen:
            seen.add(h.chunk.chunk_id)
            out.append(Hit(h.chunk, h.score, len(out) + 1, h.views))
    return out


_EXTREME = re.compile(r"最(高|低|大|小|多|少)")


def _number(cell: str) -> float | None:
    """A table cell as a number: "1 570.82" -> 1570.82, ">50" -> 50."""
    m = re.fullmatch(r"[<>≈~约]?\s*(-?\d[\d\s\u2009,]*(?:\.\d+)?)\s*%?", cell.strip())
    return float(re.sub(r"[\s\u2009,]", "", m.group(1))) if m else None


def _refuse(base: AskResult, reason: str, hits: list[Hit]) -> AskResult:
    base.answerable = False
    base.answer = f"资料中未找到能回答该问题的内容（{reason}）。以下段落与问题相关，但并未回答它。"
    base.related = hits[:3]
    return base


def _title_f1(terms, title: str, scorer: Scorer, question: str) -> float:
    """Harmonic mean of how much of the question the title covers (IDF-weighted
    terms) and how much of the title the question covers (character bigrams)."""
    recall = scorer.coverage(terms, title)
    title_grams = set(bigrams(re.sub(r"^[\d.]+\s*", "", title)))
    precision = len(title_grams & set(bigrams(question))) / len(title_grams) if title_grams else 0.0
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def _best(ranked: list[Sentence]) -> list[Sentence]:
    """The top sentence, what it introduces (an item's head is followed by
    its content), and other sentences nearly as good."""
    if not ranked:
        return []
    top = ranked[0]
    picked = [top] + _continuation(top)
    if len(picked) == 1 and top.chunk.kind == "text":
        picked += _next_in_paragraph(top)
    for s in ranked[1:]:
        if len(picked) >= MAX_LINES:
            break
        if (
            s.score >= 0.7 * top.score
            and s.coverage >= 0.5 * top.coverage
            and not any(_overlaps(s, p) for p in picked)
        ):
            picked.append(s)
    picked.sort(key=lambda s: (s.chunk.doc_id, s.start))
    return picked


def _next_in_paragraph(s: Sentence) -> list[Sentence]:
    """The sentence after s when it elaborates on it (same paragraph, not a new item)."""
    following = [n for n in chunk_sentences(s.chunk, s.rank) if n.start >= s.end]
    if not following:
        return []
    nxt = following[0]
    gap = s.chunk.text[s.end - s.chunk.start : nxt.start - s.chunk.start]
    if "\n" in gap or is_item_head(nxt.text) or nxt.coverage == 0 and len(nxt.text) > 120:
        return []
    return [nxt]


def _continuation(s: Sentence, limit: int = 2) -> list[Sentence]:
    """Sentences after an item head or a "如下" lead, up to the next item."""
    if not (is_item_head(s.text) or re.search(r"(如下|以下)[。:：]?$", s.text)):
        return []
    out = []
    for nxt in chunk_sentences(s.chunk, s.rank):
        if nxt.start < s.end:
            continue
        if len(out) >= limit or (out and is_item_head(nxt.text)):
            break
        out.append(nxt)
    return out


def _overlaps(a: Sentence, b: Sentence) -> bool:
    return a.chunk.doc_id == b.chunk.doc_id and a.start < b.end and b.start < a.end


def _leaf(section_path: str) -> str:
    return section_path.rsplit(" > ", 1)[-1]


def _row_named(row: str, question: str, header: bool = True) -> bool:
    """The question names the row (its label; any cell of a headerless list)."""
    cells = row.split("\t")
    for cell in cells[:1] if header else cells:
        core = re.sub(r"(地区|省|市)$", "", cell.strip())
        if core and core in question:
            return True
        if not header and any(
            len(w) >= 3 and w in cell
            for w in re.findall(r"[\u4e00-\u9fff]+", question)
            for w in _grams(w)
        ):
            return True  # "两江新区" names the cell "两江新区鱼复工业开发区"
    return False


def _grams(run: str) -> list[str]:
    """Substrings of length 4 of a CJK run: enough to name a park or a region."""
    return [run[i : i + 4] for i in range(max(len(run) - 3, 1))]


def _subject(question: str) -> str:
    """The question's subject for the lead sentence: the question minus its question words."""
    q = re.sub(r"[？?。!！]+$", "", question)
    q = re.sub(r"(是多少|有多少|有多大|有多高|是什么|有哪些|有什么|是否|怎么样|如何|吗|呢)$", "", q)
    return q[:40] or question[:40]
