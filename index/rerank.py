"""Optional cross-encoder reranking, used only when POLICYQA_RERANKER names a
sentence-transformers CrossEncoder available offline."""

from __future__ import annotations

from policyqa.errors import PolicyQAError


class CrossEncoderReranker:
    def __init__(self, model: str) -> None:
        self.model_name = model
        self._model = None

    def warm_up(self) -> None:
        if self._model is None:
            from sentence_transformers import CrossEncoder

            try:
                self._model = CrossEncoder(self.model_name, device="cpu")
            except (OSError, ValueError) as exc:
                raise PolicyQAError(
                    f"cannot load reranker {self.model_name!r}: {exc}. "
                    "Unset POLICYQA_RERANKER or point it to a local CrossEncoder model."
                ) from exc

    def rerank(self, question: str, hits: list) -> list:
        self.warm_up()
        scores = self._model.predict([(question, h.chunk.retrieval_text()) for h in hits])
        for hit, score in zip(hits, scores, strict=True):
            hit.score = float(score)
        return sorted(hits, key=lambda h: -h.score)
