"""The hybrid retriever as a LangChain `BaseRetriever`, for use in any chain.

    from policyqa.index.langchain_retriever import PolicyQARetriever
    from policyqa.settings import Settings

    retriever = PolicyQARetriever.from_settings(Settings.from_env(), k=5, role="countermeasure")
    docs = retriever.invoke("针对产业链薄弱有什么对策？")
    docs[0].metadata["section"]   # '4 … > 4.x …' (a countermeasure section)

Each Document carries the passage text and the chunk's metadata (doc_id,
section, role, industries, page, start, end, chunk_id, score).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from policyqa.settings import Settings

from .filters import Filters


class PolicyQARetriever(BaseRetriever):
    retriever: Any
    k: int = 5
    doc: str | None = None
    role: str | None = None
    industry: str | None = None
    page: int | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> PolicyQARetriever:
        from policyqa.app import PolicyQA

        return cls(retriever=PolicyQA(settings).retriever(), **kwargs)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        filters = Filters.of(doc=self.doc, role=self.role, industry=self.industry, page=self.page)
        hits = self.retriever.search(query, k=self.k, filters=filters)
        return [
            Document(
                page_content=h.chunk.text,
                metadata={**h.chunk.metadata(), "chunk_id": h.chunk.chunk_id, "score": h.score},
                id=h.chunk.chunk_id,
            )
            for h in hits
        ]
