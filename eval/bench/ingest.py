"""Ingest against the encode-only floor: a full ingest into a fresh home, each
run paired with the model encoding the same texts (chunks and their evidence
units) in the same batches, which no ingest can beat."""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from policyqa.app import PolicyQA
from policyqa.documents import Chunk
from policyqa.eval.synthetic import source_documents
from policyqa.index.vectors import texts_to_embed

from .measure import log

WARM_NOTE = (
    "Model load and warm-up are excluded from ingest, encode-only and query timings "
    "(the model is loaded and run once before any timing; with --quick only the imports "
    "are warmed, otherwise a first ingest runs untimed). The cold start includes them."
)


def embedded_texts(app: PolicyQA) -> tuple[list[str], list[int]]:
    """What an ingest of the corpus embeds, each text once, in ingest order: every
    chunk's text and its evidence units (`texts_to_embed`). With them,
    the position of each chunk's own text, chunk by chunk."""
    chunks: dict[str, Chunk] = {}
    for p in source_documents(app.settings, app.tokenizer):
        for c in p.chunks:
            chunks.setdefault(c.chunk_id, c)
    texts: dict[str, int] = {}
    for c in chunks.values():
        for text in texts_to_embed(c):
            texts.setdefault(text, len(texts))
    return list(texts), [texts[c.retrieval_text()] for c in chunks.values()]


def measure_ingest(
    app: PolicyQA, root: Path, repeats: int, warm: bool = True
) -> tuple[dict, PolicyQA]:
    """Returns the figures and a facade over the last home built (for the next sections)."""
    texts, chunk_rows = embedded_texts(app)
    group = max(1, app.settings.embed_batch) * 8  # texts per call; the embedder batches within

    def encode() -> np.ndarray:
        return np.concatenate(
            [app.embedder.embed(texts[i : i + group]) for i in range(0, len(texts), group)]
        )

    first = None
    if warm:
        encode()  # first-call allocations at full batch shapes
        t = time.perf_counter()
        _fresh(app, root / "ingest-warm").ingest(rebuild=True)  # imports chromadb, first clients
        first = round(time.perf_counter() - t, 4)
        shutil.rmtree(root / "ingest-warm", ignore_errors=True)
    else:
        app.embedder.embed(texts[:8])
        from policyqa.index.chroma_store import client_for

        client_for("", root / "chroma-warm", 0)
    encode_s, ingest_s, runs = [], [], []
    home = app
    for n in range(repeats):
        t = time.perf_counter()
        vectors = encode()
        encode_s.append(time.perf_counter() - t)
        if n:
            shutil.rmtree(root / f"ingest-{n - 1}", ignore_errors=True)
        home = _fresh(app, root / f"ingest-{n}")
        t = time.perf_counter()
        runs.append(home.ingest(rebuild=True))
        ingest_s.append(time.perf_counter() - t)
        log(f"ingest {ingest_s[-1]:.2f} s, encode-only {encode_s[-1]:.2f} s ({len(texts)} texts)")
    np.save(root / "source-vectors.npy", vectors[chunk_rows])
    return _figures(app, texts, encode_s, ingest_s, runs, first), home


def _fresh(app: PolicyQA, home: Path) -> PolicyQA:
    return PolicyQA(app.settings.with_(home=home), app.embedder, app.tokenizer)


def _figures(app, texts, encode_s, ingest_s, runs, first) -> dict:
    med_ingest, med_encode = statistics.median(ingest_s), statistics.median(encode_s)
    pairs = [a / b for a, b in zip(ingest_s, encode_s, strict=True)]
    # stages of the median run, so that they add up to its total
    mid = sorted(range(len(runs)), key=ingest_s.__getitem__)[(len(runs) - 1) // 2]
    stages = {k: round(v, 4) for k, v in runs[mid].stages.items()}
    stages["other"] = round(ingest_s[mid] - sum(runs[mid].stages.values()), 4)
    return {
        "texts": len(texts),
        "chunks": runs[-1].chunks,
        "files": runs[-1].files,
        "errors": len(runs[-1].errors),
        "batch_size": app.settings.embed_batch,
        "repeats": len(runs),
        "ingest_s": [round(x, 4) for x in ingest_s],
        "encode_s": [round(x, 4) for x in encode_s],
        "ingest_median_s": round(med_ingest, 4),
        "encode_median_s": round(med_encode, 4),
        "ratio": round(statistics.median(pairs), 3),
        "ratio_of_medians": round(med_ingest / med_encode, 3),
        "pair_ratios": [round(x, 3) for x in pairs],
        "stages_median_s": stages,
        "first_ingest_s": first,
        "encode_texts_per_s": round(len(texts) / med_encode, 2),
        "encode_chunks_per_s": round(runs[-1].chunks / med_encode, 2),
        "note": WARM_NOTE,
    }
