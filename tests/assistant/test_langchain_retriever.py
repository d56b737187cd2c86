"""The hybrid retriever behind LangChain's `BaseRetriever` interface, on the real paper."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from policyqa.index.langchain_retriever import PolicyQARetriever

pytestmark = pytest.mark.integration

QUESTION = "针对产业链薄弱有什么对策？"


@pytest.fixture(scope="module")
def countermeasures(paper_retriever) -> PolicyQARetriever:
    return PolicyQARetriever(retriever=paper_retriever, k=5, role="countermeasure")


def test_invoke_returns_documents_with_chunk_metadata(countermeasures, paper_retriever) -> None:
    assert isinstance(countermeasures, BaseRetriever)
    docs = countermeasures.invoke(QUESTION)
    assert len(docs) == 5
    assert all(isinstance(d, Document) for d in docs)
    assert all(d.metadata["role"] == "countermeasure" for d in docs)
    assert all(d.metadata["section"].startswith("4 ") for d in docs)
    assert any("> 4.2 推进产业链合作" in d.metadata["section"] for d in docs)
    reader = paper_retriever.reader()
    for d in docs:
        meta = d.metadata
        assert {"doc_id", "section", "role", "industries", "page", "start", "end"} <= set(meta)
        assert d.id == meta["chunk_id"]
        assert d.page_content == reader.document(meta["doc_id"]).text[meta["start"] : meta["end"]]
        assert d.page_content == reader.chunk(meta["chunk_id"]).text
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)


def test_without_role_filter_other_roles_come_back(paper_retriever) -> None:
    docs = PolicyQARetriever(retriever=paper_retriever, k=10).invoke("产业链关键环节薄弱")
    assert len(docs) == 10
    assert {d.metadata["role"] for d in docs} - {"countermeasure"}


def test_k_and_role_are_respected(paper_retriever) -> None:
    docs = PolicyQARetriever(retriever=paper_retriever, k=3, role="problem").invoke(QUESTION)
    assert len(docs) == 3
    assert all(d.metadata["role"] == "problem" for d in docs)


def test_usable_in_an_lcel_chain(countermeasures) -> None:
    chain = countermeasures | RunnableLambda(lambda docs: [d.metadata["section"] for d in docs])
    sections = chain.invoke(QUESTION)
    assert len(sections) == 5 and all(isinstance(s, str) for s in sections)
    assert sections == [d.metadata["section"] for d in countermeasures.invoke(QUESTION)]
    assert any("4.2" in s for s in sections)
    assert len(chain.batch([QUESTION, "如何加强人才集聚？"])) == 2
