"""Entry points shared by the CLI, the web UI and the evaluator, so that each
feature has exactly one implementation."""

from __future__ import annotations

import sys
from functools import cache

from policyqa.index.builder import IngestSummary, ingest
from policyqa.index.embedder import SentenceTransformerEmbedder
from policyqa.index.retriever import Filters, Hit, HybridRetriever, current_vocabulary
from policyqa.index.retriever import tokenizer_for as index_tokenizer
from policyqa.index.store import read_manifest
from policyqa.ingest.corpus import expected_documents, missing_documents
from policyqa.ingest.tokenizer import Tokenizer
from policyqa.settings import Settings


@cache
def tokenizer_for(settings: Settings) -> Tokenizer:
    return index_tokenizer(settings)


@cache
def embedder_for(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch)


def retriever_for(settings: Settings, mode: str | None = None) -> HybridRetriever:
    return _retriever(settings, mode or settings.retrieval)


@cache
def _retriever(settings: Settings, mode: str) -> HybridRetriever:
    return HybridRetriever.from_settings(
        settings, embedder=embedder_for(settings), tokenizer=tokenizer_for(settings), mode=mode
    )


def run_ingest(
    settings: Settings, paths=None, rebuild: bool = False, progress: bool = False
) -> IngestSummary:
    bar = _progress_bar() if progress else None
    try:
        return ingest(
            settings, embedder_for(settings), tokenizer_for(settings), paths, rebuild, bar
        )
    finally:
        if bar:
            bar.close()


def _progress_bar():
    from tqdm import tqdm

    class Bar:
        def __init__(self) -> None:
            self.bars: dict[str, tqdm] = {}

        def __call__(self, stage: str, done: int, total: int) -> None:
            bar = self.bars.get(stage)
            if bar is None:
                bar = self.bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, leave=False)
            bar.n = done
            bar.refresh()

        def close(self) -> None:
            for bar in self.bars.values():
                bar.close()

    return Bar()


def passage_dict(hit: Hit) -> dict:
    c = hit.chunk
    return {
        "rank": hit.rank,
        "chunk_id": c.chunk_id,
        "score": round(hit.score, 6),
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


def search_passages(
    settings: Settings,
    query: str,
    k: int = 10,
    filters: list[str] | Filters | None = None,
    doc: str | None = None,
    mode: str | None = None,
) -> list[dict]:
    f = filters if isinstance(filters, Filters) else Filters.parse(list(filters or []), doc)
    hits = retriever_for(settings, mode).search(query, k=k, filters=f)
    return [passage_dict(h) for h in hits]


def index_status(settings: Settings) -> dict:
    manifest = read_manifest(settings)
    expected = expected_documents(settings.corpus)
    files = (manifest or {}).get("files", {})
    indexed = [{"doc_id": f["doc_id"], "path": p, "title": f["title"]} for p, f in files.items()]
    info = {
        "index_dir": str(settings.index_dir.resolve()),
        "built": manifest is not None,
        "documents": [
            {
                "doc_id": f["doc_id"],
                "title": f["title"],
                "doc_type": f["doc_type"],
                "chunks": f["chunks"],
                "path": p,
            }
            for p, f in files.items()
        ],
        "missing": [
            {"id": e.id, "title": e.title, "doc_type": e.doc_type, "adopted": e.adopted}
            for e in missing_documents(expected, indexed)
        ],
    }
    if manifest:
        for key in (
            "model",
            "dim",
            "built_at",
            "generation",
            "chroma",
            "chunk_count",
            "chunk_size",
        ):
            info[key] = manifest.get(key)
        # the keyword index was segmented with the dictionary and thesaurus of its build
        info["vocabulary_changed"] = manifest.get("vocabulary") != current_vocabulary(settings)
    return info


def chunk_by_id(settings: Settings, chunk_id: str):
    """The chunk with this id in the live index, or None."""
    snap = retriever_for(settings).snapshot
    row = snap.row_of.get(chunk_id)
    return snap.chunks[row] if row is not None else None


def chunk_text(settings: Settings, chunk_id: str) -> str | None:
    chunk = chunk_by_id(settings, chunk_id)
    return chunk.text if chunk else None


def passage_context(settings: Settings, chunk_id: str, quote: str = "") -> dict | None:
    """A passage in its surroundings: the paragraph(s) around it in the cleaned
    document, the passage offsets within that context, and the quote offsets."""
    snap = retriever_for(settings).snapshot
    row = snap.row_of.get(chunk_id)
    if row is None:
        return None
    c = snap.chunks[row]
    doc = snap.docs[c.doc_id]
    text = doc.text
    a = text.rfind("\n\n", 0, c.start)
    a = 0 if a < 0 else a + 2
    b = text.find("\n\n", c.end)
    b = len(text) if b < 0 else b
    q = text.find(quote, c.start, c.end) if quote else -1
    return {
        "chunk_id": chunk_id,
        "doc_id": c.doc_id,
        "doc_title": doc.title,
        "section": c.section,
        "page": c.page if c.page > 0 else None,
        "context": text[a:b],
        "context_start": a,
        "passage_start": c.start - a,
        "passage_end": c.end - a,
        "quote_start": (q - a) if q >= 0 else None,
        "quote_end": (q - a + len(quote)) if q >= 0 else None,
        "metadata": doc.metadata,
    }


def document_metadata(settings: Settings, doc_id: str) -> dict:
    """Title, doc type and sidecar metadata (authors, article number, …) of an indexed document."""
    doc = retriever_for(settings).snapshot.docs.get(doc_id)
    if doc is None:
        return {}
    return {"doc_id": doc.doc_id, "title": doc.title, "doc_type": doc.doc_type, **doc.metadata}


def assistant_for(settings: Settings, mode: str | None = None):
    return _assistant(settings, mode or settings.retrieval)


@cache
def _assistant(settings: Settings, mode: str):
    from policyqa.assistant.answer import Assistant

    return Assistant(settings, retriever_for(settings, mode))


def ask(
    settings: Settings,
    question: object,
    history: list[dict] | None = None,
    filters: Filters | None = None,
    use_llm: bool = False,
    mode: str | None = None,
) -> dict:
    """The answer as a plain dict (the JSON shape of `policyqa ask --json`)."""
    result = assistant_for(settings, mode).ask(question, history=history, filters=filters)
    if use_llm:
        from policyqa.assistant.llm import llm_answer

        result = llm_answer(settings, result)
    return result.to_dict()
