"""What the facade hands out: plain dataclasses. JSON appears only at the
edges (CLI, web page, evaluation), through each type's `to_dict`."""

from __future__ import annotations

from dataclasses import dataclass, field

from policyqa.documents import Chunk


@dataclass
class Passage:
    """A retrieved chunk, its fused score, its rank, and its rank in each view."""

    chunk: Chunk
    score: float
    rank: int
    views: dict[str, int] = field(default_factory=dict)  # rank within each view (1-based)

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "rank": self.rank,
            "chunk_id": c.chunk_id,
            "score": round(self.score, 6),
            "text": c.text,
            "doc_id": c.doc_id,
            "doc_title": c.doc_title,
            "section": c.section,
            "role": c.role,
            "industries": c.industries,
            "page": c.page if c.page > 0 else None,
            "kind": c.kind,
            "start": c.start,
            "end": c.end,
        }


@dataclass(frozen=True)
class Citation:
    """A verbatim quote of a chunk, at its offsets in the document's cleaned text."""

    n: int
    chunk: Chunk
    quote: str
    start: int
    end: int

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "n": self.n,
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "doc_title": c.doc_title,
            "section": c.section,
            "page": c.page if c.page > 0 else None,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
        }


@dataclass
class AskResult:
    question: str
    answer: str
    answerable: bool
    mode: str = "extractive"
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    notice: str | None = None
    intent: str = ""
    resolved_question: str = ""
    related: list[Passage] = field(default_factory=list)
    see_also: list[str] = field(default_factory=list)
    nearest: list[Citation] = field(default_factory=list)  # refused: the nearest facts given

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "answerable": self.answerable,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "notice": self.notice,
            "intent": self.intent,
            "resolved_question": self.resolved_question,
            "related": [p.to_dict() for p in self.related],
            "see_also": self.see_also,
            "nearest": [c.to_dict() for c in self.nearest],
        }


@dataclass(frozen=True)
class PassageContext:
    """A passage in its surroundings: the paragraph(s) around it in the cleaned
    document, the passage offsets within that context, and the quote offsets."""

    chunk_id: str
    doc_id: str
    doc_title: str
    section: str
    page: int | None
    context: str
    context_start: int
    passage_start: int
    passage_end: int
    quote_start: int | None
    quote_end: int | None
    metadata: dict

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    doc_type: str
    path: str = ""
    chunks: int = 0
    metadata: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Flat, as a citation formatter reads it: metadata fields beside the title."""
        return {
            **self.metadata,
            "doc_id": self.doc_id,
            "title": self.title,
            "doc_type": self.doc_type,
        }


@dataclass(frozen=True)
class MissingDocument:
    id: str
    title: str
    doc_type: str
    adopted: str = ""


@dataclass(frozen=True)
class IndexStatus:
    index_dir: str
    built: bool
    documents: list[DocumentInfo] = field(default_factory=list)
    missing: list[MissingDocument] = field(default_factory=list)
    model: str = ""
    dim: int = 0
    built_at: str = ""
    generation: int = 0
    chroma: str = ""
    chunk_count: int = 0
    chunk_size: int = 0
    vocabulary_changed: bool = False

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["documents"] = [
            {
                "doc_id": x.doc_id,
                "title": x.title,
                "doc_type": x.doc_type,
                "chunks": x.chunks,
                "path": x.path,
            }
            for x in self.documents
        ]
        d["missing"] = [m.__dict__ for m in self.missing]
        return d
