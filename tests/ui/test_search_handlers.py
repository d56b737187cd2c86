"""The search tab's handlers on the real paper's index: a passage ticked after the
results it came from were replaced is looked up by id and listed whole."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from policyqa.web.search import SearchHandlers


@pytest.mark.integration
def test_a_passage_no_longer_in_the_results_is_ticked_with_its_locator(paper_app):
    passage = paper_app.search("汽车产业", k=1)[0]
    chunk = passage.chunk
    handlers = SearchHandlers(SimpleNamespace(app=paper_app))

    picked = handlers._toggle([], [], chunk.chunk_id, True)

    assert picked == [
        {
            "chunk_id": chunk.chunk_id,
            "doc_id": chunk.doc_id,
            "doc_title": chunk.doc_title,
            "section": chunk.section,
            "role": chunk.role,
            "page": chunk.page if chunk.page > 0 else None,
            "text": chunk.text,
        }
    ]
    assert chunk.doc_title and chunk.section  # the paper's chunks have both
    assert handlers._toggle([], picked, chunk.chunk_id, False) == []
    assert handlers._toggle([], [], "no-such-chunk", True) == [{"chunk_id": "no-such-chunk"}]
