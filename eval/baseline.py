"""The naive LangChain pipeline we compare against: what a tutorial would build.

Raw corpus text, `RecursiveCharacterTextSplitter(500, 50)` with its default
separators, the same sentence-transformers model, a persistent
`langchain_chroma.Chroma`, dense top-k, and the top passage's first two
sentences as the answer. No cleaning, no jieba, no refusal. It answers in the
same dict shape as `AskResult.to_dict`, so the same scorer applies.

>>> base = NaiveLangChainBaseline(settings, app.embedder)
>>> base.ask("成渝地区汽车年产量是多少？")["answer"]
'...'
>>> base.close()
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from policyqa.index.embedder import Embedder
from policyqa.settings import Settings

CHUNK_SIZE = 500
CHUNK_OVERLAP = 50
_SENTENCE = re.compile(r"[^。！？]*[。！？]?")


class EmbedderEmbeddings(Embeddings):
    """Our embedder seen through LangChain's interface, so both pipelines use
    the same model and differ only in what surrounds it."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return np.asarray(self.embedder.embed(list(texts)), dtype=float).tolist()

    def embed_query(self, text: str) -> list[float]:
        return np.asarray(self.embedder.embed_query(text), dtype=float).tolist()


def first_sentences(text: str, n: int = 2) -> str:
    """The first n sentences, split after 。！？; the tail when no terminator follows."""
    parts = [s for s in _SENTENCE.findall(text) if s.strip()]
    return "".join(parts[:n]).strip()


def corpus_texts(settings: Settings) -> list[tuple[Path, str]]:
    """Each corpus file as loaded, before any policyqa cleaning."""
    from policyqa.ingest.corpus import discover
    from policyqa.ingest.loaders import load

    return [(p, load(p, settings.max_file_mb).text) for p in discover([settings.corpus]).files]


class NaiveLangChainBaseline:
    """Builds its own Chroma collection in a temp folder under the policyqa
    home on `warm_up` (first `ask`), and removes it on `close`."""

    def __init__(self, settings: Settings, embedder: Embedder, k: int = 10) -> None:
        self.settings = settings
        self.embeddings = EmbedderEmbeddings(embedder)
        self.k = k
        self._store = None
        self._dir: Path | None = None
        self._chunks: dict[str, str] = {}

    def warm_up(self) -> None:
        if self._store is not None:
            return
        import chromadb
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from policyqa.ingest.corpus import doc_id_for, sidecar

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        texts, metas, ids = [], [], []
        for path, text in corpus_texts(self.settings):
            meta = sidecar(path)
            doc_id = doc_id_for(path, meta)
            for d in splitter.create_documents([text]):
                start = d.metadata["start_index"]
                # Stable ids (not LangChain's uuid4) keep reruns identical.
                cid = "lc-" + hashlib.sha256(f"{doc_id}:{start}".encode()).hexdigest()[:24]
                texts.append(d.page_content)
                metas.append(
                    {"doc_id": doc_id, "doc_title": meta.get("title", path.stem), "start": start}
                )
                ids.append(cid)
                self._chunks[cid] = d.page_content
        root = Path(self.settings.home)
        root.mkdir(parents=True, exist_ok=True)
        self._dir = Path(tempfile.mkdtemp(prefix="langchain-baseline-", dir=root))
        store = Chroma(
            collection_name="naive_baseline",
            embedding_function=self.embeddings,
            persist_directory=str(self._dir),
            client_settings=chromadb.Settings(anonymized_telemetry=False),
        )
        store.add_texts(texts, metadatas=metas, ids=ids)
        self._store = store

    def chunk_text(self, chunk_id: str) -> str | None:
        return self._chunks.get(chunk_id)

    def ask(self, question: str, history: list[dict] | None = None) -> dict:
        """Dense top-k and the first two sentences of the top passage. History is
        ignored: the naive pipeline has no follow-up handling."""
        self.warm_up()
        found = self._store.similarity_search_with_score(question, k=self.k)
        passages = []
        for rank, (doc, distance) in enumerate(found, 1):
            cid = doc.id or ""
            start = int(doc.metadata.get("start", 0))
            passages.append(
                {
                    "rank": rank,
                    "chunk_id": cid,
                    # Chroma's default space is squared L2; on unit vectors 1 - d/2 is cosine.
                    "score": round(1 - float(distance) / 2, 6),
                    "text": doc.page_content,
                    "doc_id": doc.metadata.get("doc_id"),
                    "doc_title": doc.metadata.get("doc_title"),
                    "section": "",
                    "role": "",
                    "page": None,
                    "start": start,
                    "end": start + len(doc.page_content),
                }
            )
        answer, citations = "", []
        if passages:
            top = passages[0]
            answer = first_sentences(top["text"])
            offset = top["text"].find(answer)
            citations.append(
                {
                    "n": 1,
                    "chunk_id": top["chunk_id"],
                    "doc_id": top["doc_id"],
                    "doc_title": top["doc_title"],
                    "section": "",
                    "page": None,
                    "quote": answer,
                    "start": top["start"] + max(offset, 0),
                    "end": top["start"] + max(offset, 0) + len(answer),
                }
            )
        return {
            "question": question,
            "answer": answer,
            "answerable": True,
            "mode": "extractive",
            "citations": citations,
            "passages": passages,
            "notice": None,
        }

    def close(self) -> None:
        """Drop the collection and its folder; the baseline leaves nothing behind."""
        if self._store is not None:
            self._store.delete_collection()
            self._store = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
