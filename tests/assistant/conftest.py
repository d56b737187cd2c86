"""The answer engine over the in-memory index of synthetic documents, shared by the
unit tests of strategies, refusals and regressions (a module may define its own
`assistant`, e.g. over the real paper)."""

from __future__ import annotations

import pytest

from tests.assistant.fake_index import assistant as make_assistant
from tests.assistant.fake_index import fake_index


@pytest.fixture(scope="session")
def assistant(tokenizer):
    return make_assistant(tokenizer)


@pytest.fixture(scope="session")
def index(tokenizer):
    return fake_index(tokenizer)
