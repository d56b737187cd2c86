"""What the assistant reads from an index: exactly this, and nothing else.

`policyqa.index.retriever.GenerationReader` implements it over one live
generation; unit tests implement it over a few chunks in memory.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from policyqa.documents import Chunk, Document
from policyqa.index.filters import Filters
from policyqa.index.query import Query
from policyqa.language import Thesaurus, Tokenizer
from policyqa.results import Passage


class IndexReader(Protocol):
    tokenizer: Tokenizer
    thesaurus: Thesaurus

    @property
    def generation(self) -> int:
        """Identifies what is read: caches are keyed by it."""
        ...

    @property
    def chunk_count(self) -> int: ...

    def parse(self, question: str) -> Query: ...

    def search(
        self, query: str | Query, k: int = 10, filters: Filters | None = None
    ) -> list[Passage]: ...

    def section_chunks(self, doc_id: str, path: str) -> list[Chunk]:
        """Text chunks of a section and its subsections, in document order."""
        ...

    def links(self, doc_id: str) -> dict[str, list[str]]:
        """Problem section path -> the countermeasure section paths linked to it."""
        ...

    def doc_freq(self, term: str) -> int: ...

    def document(self, doc_id: str) -> Document | None: ...

    def query_vector(self, text: str) -> np.ndarray:
        """The question embedded as a query (cached per text)."""
        ...

    def passage_vector(self, text: str) -> np.ndarray:
        """A span embedded as a passage."""
        ...

    def unit_vectors(self, chunk: Chunk) -> np.ndarray:
        """Vectors of the chunk's evidence units (`policyqa.ingest.units`), in order."""
        ...

    def titles(self) -> dict[str, str]:
        """Document id -> title, for every indexed document."""
        ...

    def roles(self) -> tuple[str, ...]:
        """The section roles the index knows (from the profile it was built with)."""
        ...

    def missing_documents(self) -> tuple[str, ...]:
        """Titles of documents the corpus is expected to hold but does not."""
        ...

    def corpus_text(self) -> str:
        """All documents' text in matching form (`policyqa.language.squash`)."""
        ...
