"""The facade the CLI, the web page, the evaluator and the benchmark share, so
that each feature has exactly one implementation.

>>> qa = PolicyQA(Settings.from_env())
>>> qa.ingest()                                  # IngestSummary
>>> qa.ask("成渝新能源汽车本地配套率是多少？")     # AskResult
>>> qa.search("人才互认", k=5, filters=Filters.of(role="countermeasure"))

Models and the index load when first needed, once per `PolicyQA`.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from policyqa.documents import Chunk
from policyqa.errors import PolicyQAError
from policyqa.index.embedder import Embedder, embedder_for
from policyqa.index.filters import Filters
from policyqa.index.integrity import Verification, raise_if_damaged, verify
from policyqa.index.manifest import read_manifest
from policyqa.index.retriever import HybridRetriever
from policyqa.language import Tokenizer, current_vocabulary, tokenizer_for
from policyqa.profile import Profile, profile_for
from policyqa.results import (
    AskResult,
    DocumentInfo,
    IndexStatus,
    MissingDocument,
    Passage,
    PassageContext,
)
from policyqa.settings import Settings

# Citation fields a user may enter for a document on the web page (issuer or
# authors, document number 文号, date, journal); they override the sidecar's.
EDITABLE_METADATA = ("issuer", "number", "date", "journal")
METADATA_FILE = "document-metadata.json"

if TYPE_CHECKING:  # ingest code (parsers, loaders) loads only when documents are ingested
    from policyqa.indexing import IngestSummary


class PolicyQA:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._tokenizer = tokenizer
        self._profile: Profile | None = None
        self._retrievers: dict[str, HybridRetriever] = {}
        self._assistants: dict[str, object] = {}
        self._lock = threading.RLock()

    # ---- loaded when first needed

    @property
    def profile(self) -> Profile:
        with self._lock:
            if self._profile is None:
                self._profile = profile_for(self.settings)
            return self._profile

    @property
    def tokenizer(self) -> Tokenizer:
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = tokenizer_for(self.settings)
            return self._tokenizer

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = embedder_for(self.settings)
            return self._embedder

    def retriever(self, mode: str | None = None) -> HybridRetriever:
        mode = mode or self.settings.retrieval
        with self._lock:
            if mode not in self._retrievers:
                self._retrievers[mode] = HybridRetriever(
                    self.settings,
                    self.embedder,
                    self.tokenizer,
                    mode=mode,
                    reranker=self._reranker(),
                )
            return self._retrievers[mode]

    def _reranker(self):
        if not self.settings.reranker_model:
            return None
        from policyqa.index.rerank import CrossEncoderReranker

        return CrossEncoderReranker(self.settings.reranker_model)

    def assistant(self, mode: str | None = None):
        from policyqa.assistant.assistant import Assistant

        mode = mode or self.settings.retrieval
        with self._lock:
            if mode not in self._assistants:
                retriever = self.retriever(mode)
                self._assistants[mode] = Assistant(
                    retriever.reader, self.profile, self.settings.max_question_chars
                )
            return self._assistants[mode]

    # ---- the features

    def ingest(
        self,
        paths: list[Path] | None = None,
        rebuild: bool = False,
        progress: bool = False,
        repair: bool = False,
    ) -> IngestSummary:
        """A damaged live index is always repaired; `repair` also checks every vector."""
        from policyqa.indexing import ingest

        bar = _ProgressBars() if progress else None
        try:
            return ingest(
                self.settings, self.embedder, self.tokenizer, paths, rebuild, bar, repair=repair
            )
        finally:
            if bar:
                bar.close()

    def verify(self) -> Verification:
        """Every file of the live index against its manifest's checksums, and the Chroma
        collection against the chunk store (`policyqa status --verify`)."""
        return verify(self.settings)

    def _checked(self, fn, *args, **kwargs):
        """A query; an unexpected error while it read the index names the damaged file
        when there is one (damage the cheap check on open cannot see), else stands."""
        try:
            return fn(*args, **kwargs)
        except PolicyQAError:
            raise
        except Exception as exc:  # not one of ours: find out whether the index is damaged
            raise_if_damaged(self.settings, exc)
            raise

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, mode: str | None = None
    ) -> list[Passage]:
        return self._checked(self.retriever(mode).search, query, k=k, filters=filters)

    def ask(
        self,
        question: object,
        history: list[dict] | None = None,
        filters: Filters | None = None,
        use_llm: bool = False,
        mode: str | None = None,
    ) -> AskResult:
        result = self._checked(self.assistant(mode).ask, question, history=history, filters=filters)
        if use_llm:
            from policyqa.assistant.llm import llm_answer

            result = llm_answer(self.settings, result, self.tokenizer)
        return result

    def status(self) -> IndexStatus:
        from policyqa.ingest.corpus import missing_documents

        s = self.settings
        manifest = read_manifest(s.index_dir)
        files = manifest.files if manifest else {}
        docs = [
            DocumentInfo(f.doc_id, f.title, f.doc_type, path=p, chunks=f.chunks)
            for p, f in files.items()
        ]
        indexed = [{"doc_id": d.doc_id, "path": d.path, "title": d.title} for d in docs]
        missing = [
            MissingDocument(e.id, e.title, e.doc_type, e.adopted)
            for e in missing_documents(self.profile.expected, indexed)
        ]
        if manifest is None:
            return IndexStatus(str(s.index_dir.resolve()), False, missing=missing)
        return IndexStatus(
            index_dir=str(s.index_dir.resolve()),
            built=True,
            documents=docs,
            missing=missing,
            model=manifest.model,
            dim=manifest.embedder.dim,
            built_at=manifest.built_at,
            generation=manifest.generation,
            chroma=manifest.chroma,
            chunk_count=manifest.chunk_count,
            chunk_size=manifest.chunk_size,
            # the keyword index was segmented with the dictionary and thesaurus of its build
            vocabulary_changed=manifest.vocabulary != current_vocabulary(s),
        )

    def chunk(self, chunk_id: str) -> Chunk | None:
        """The chunk with this id in the live index, or None."""
        return self.retriever().reader().chunk(chunk_id)

    def context(self, chunk_id: str, quote: str = "") -> PassageContext | None:
        """A passage in the paragraph(s) around it, with the passage and quote offsets."""
        reader = self.retriever().reader()
        c = reader.chunk(chunk_id)
        doc = reader.document(c.doc_id) if c else None
        if c is None or doc is None:
            return None
        text = doc.text
        a = text.rfind("\n\n", 0, c.start)
        a = 0 if a < 0 else a + 2
        b = text.find("\n\n", c.end)
        b = len(text) if b < 0 else b
        q = text.find(quote, c.start, c.end) if quote else -1
        return PassageContext(
            chunk_id=chunk_id,
            doc_id=c.doc_id,
            doc_title=doc.title,
            section=c.section,
            page=c.page if c.page > 0 else None,
            context=text[a:b],
            context_start=a,
            passage_start=c.start - a,
            passage_end=c.end - a,
            quote_start=(q - a) if q >= 0 else None,
            quote_end=(q - a + len(quote)) if q >= 0 else None,
            metadata=doc.metadata,
        )

    def document(self, doc_id: str) -> DocumentInfo | None:
        """Title, type and sidecar metadata (authors, article number, …) of an indexed document."""
        entry = self.retriever().generation.docs.entries.get(doc_id)
        if entry is None:
            return None
        metadata = {**entry.metadata, **self.edited_metadata(doc_id)}
        return DocumentInfo(
            entry.doc_id, entry.title, entry.doc_type, entry.path, metadata=metadata
        )

    def edited_metadata(self, doc_id: str) -> dict[str, str]:
        """The citation fields a user entered for a document (`EDITABLE_METADATA`)."""
        return dict(self._metadata_store().get(doc_id, {}))

    def save_metadata(self, doc_id: str, fields: dict[str, str]) -> dict[str, str]:
        """Store a document's citation fields under POLICYQA_HOME; an empty value
        removes the field. Returns what is stored for the document."""
        kept = {k: str(fields[k]).strip() for k in EDITABLE_METADATA if fields.get(k)}
        kept = {k: v for k, v in kept.items() if v}
        with self._lock:
            store = self._metadata_store()
            if kept:
                store[doc_id] = kept
            else:
                store.pop(doc_id, None)
            path = Path(self.settings.home) / METADATA_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(store, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, path)  # readers see the old file or the new one, never half
        return kept

    def _metadata_store(self) -> dict[str, dict[str, str]]:
        path = Path(self.settings.home) / METADATA_FILE
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PolicyQAError(
                f"cannot read {path} ({exc}): fix the JSON or delete the file "
                "and enter the documents' citation fields again"
            ) from exc
        return data if isinstance(data, dict) else {}

    def role_counts(self) -> dict[str, dict[str, int]]:
        """Chunks per document and section role."""
        store = self.retriever().generation.chunks
        pairs = Counter(
            zip(store.columns["doc"].tolist(), store.columns["role"].tolist(), strict=True)
        )
        out: dict[str, dict[str, int]] = {}
        for (doc, role), n in pairs.items():
            out.setdefault(store.names["doc"][doc], {})[store.names["role"][role]] = n
        return out


class _ProgressBars:
    """tqdm bars on stderr, one per ingest stage."""

    def __init__(self) -> None:
        self.bars: dict = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
