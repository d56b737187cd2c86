"""Build or refresh the index from corpus files.

Every ingest writes a new generation next to the live one and switches the
manifest only when it is complete. Unchanged chunks keep their ids and copy
their vectors from the live generation: no embeddings are computed for them.
An ingest killed at any point leaves the live generation untouched, and the
next ingest removes what the killed one left behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from policyqa.documents import Chunk, sha256
from policyqa.errors import LoadError, ModelMismatchError, PolicyQAError
from policyqa.ingest.corpus import discover, doc_ids, expected_documents, missing_documents
from policyqa.ingest.document import parse_file
from policyqa.ingest.links import problem_links
from policyqa.ingest.tokenizer import Tokenizer
from policyqa.settings import Settings

from .chroma_store import ChromaStore, drop_generation, server_generations
from .embedder import Embedder
from .lock import WriterLock
from .store import (
    MANIFEST,
    doc_to_json,
    gen_dir,
    read_manifest,
    write_generation,
    write_json_atomic,
)

Progress = Callable[[str, int, int], None]
# Bump when what gets indexed changes (retrieval text, keyword views): forces a rebuild.
INDEX_FORMAT = 3


@dataclass
class IngestSummary:
    files: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    embedded: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0
    model: str = ""
    generation: int = 0
    stale_lock: str = ""
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def ingest(
    settings: Settings,
    embedder: Embedder,
    tokenizer: Tokenizer,
    paths: list[Path] | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    embed_cache: dict[str, np.ndarray] | None = None,
) -> IngestSummary:
    """Index every supported file under `paths` (default: the corpus folder).

    `embed_cache` (text hash -> vector) lets callers reuse vectors of repeated
    texts across builds; the benchmark uses it for its synthetic corpora.
    """
    started = time.perf_counter()
    summary = IngestSummary(model=embedder.name)
    with WriterLock(settings.home) as lock:
        if lock.stale_from:
            summary.stale_lock = f"cleared a stale lock left by pid {lock.stale_from.get('pid')}"
        current = read_manifest(settings)
        live = None if rebuild else current
        if live and live["model"] != embedder.name:
            raise ModelMismatchError(
                f"the index was built with model {live['model']!r}, not {embedder.name!r}: "
                "run `policyqa ingest --rebuild`"
            )
        _remove_leftovers(settings, current)
        stage = _Stages(summary)

        with stage("load+clean+chunk"):
            found = discover(paths or default_paths(settings))
            summary.errors += [(str(p), reason) for p, reason in found.skipped]
            parsed = []
            ids = doc_ids(found.files)
            for n, path in enumerate(found.files):
                if progress:
                    progress("parse", n, len(found.files))
                try:
                    parsed.append(
                        parse_file(
                            path,
                            tokenizer,
                            settings.chunk_size,
                            settings.chunk_overlap,
                            settings.max_file_mb,
                            ids[path],
                        )
                    )
                except LoadError as exc:
                    summary.errors.append((exc.path, exc.reason))
            summary.files = len(found.files)

        old_files = (live or {}).get("files", {})
        new_files = {p.doc.path: p for p in parsed}
        for path, p in new_files.items():
            before = old_files.get(path)
            if before is None:
                summary.added += 1
            elif before["content_hash"] != p.doc.content_hash or before["chunks"] != len(p.chunks):
                summary.updated += 1
            else:
                summary.unchanged += 1
        # a file that failed to load this time keeps nothing: its chunks are removed
        summary.removed = len(set(old_files) - set(new_files))
        chunks = _dedupe([c for p in parsed for c in p.chunks])
        summary.chunks = len(chunks)
        indexed = [
            {"doc_id": p.doc.doc_id, "path": p.doc.path, "title": p.doc.title} for p in parsed
        ]
        summary.missing = [
            e.title for e in missing_documents(expected_documents(settings.corpus), indexed)
        ]
        if live and _same_content(live, chunks, settings, tokenizer):
            summary.generation = live["generation"]
            summary.seconds = time.perf_counter() - started
            return summary

        generation = (current["generation"] + 1) if current else _next_free(settings)
        with stage("embed"):
            vectors = _vectors(settings, live, chunks, embedder, summary, embed_cache, progress)
        with (
            stage("chroma"),
            ChromaStore.open(
                settings.chroma_url, settings.chroma_dir, settings.collection, generation, True
            ) as store,
        ):
            store.add(chunks, vectors)
        with stage("keyword index"):
            docs = [doc_to_json(p.doc, problem_links(p.doc, tokenizer)) for p in parsed]
            write_generation(gen_dir(settings, generation), chunks, docs, tokenizer)
        manifest = {
            "generation": generation,
            "model": embedder.name,
            "dim": int(vectors.shape[1]) if len(vectors) else embedder.dim,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
            "chroma": settings.chroma_url or "local",
            "collection": settings.collection,
            "chunk_count": len(chunks),
            "content_key": _content_key(chunks, settings, tokenizer),
            "vocabulary": tokenizer.vocabulary_key,
            "files": {
                path: {
                    "doc_id": p.doc.doc_id,
                    "title": p.doc.title,
                    "doc_type": p.doc.doc_type,
                    "content_hash": p.doc.content_hash,
                    "chunks": len(p.chunks),
                }
                for path, p in new_files.items()
            },
            "missing": summary.missing,
        }
        write_json_atomic(settings.index_dir / MANIFEST, manifest)
        summary.generation = generation
        # keep the previous generation for readers still holding it; drop older ones
        _remove_leftovers(settings, manifest, keep_previous=True)
    summary.seconds = time.perf_counter() - started
    return summary


def default_paths(settings: Settings) -> list[Path]:
    """The corpus folder, plus documents uploaded through the web page."""
    return [settings.corpus] + ([settings.uploads_dir] if settings.uploads_dir.is_dir() else [])


class _Stages:
    def __init__(self, summary: IngestSummary) -> None:
        self.summary = summary

    def __call__(self, name: str) -> _Stages:
        self.name = name
        return self

    def __enter__(self) -> None:
        self.t = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.summary.stages[self.name] = time.perf_counter() - self.t


def _dedupe(chunks: list[Chunk]) -> list[Chunk]:
    """Two identical files give identical chunk ids: index each id once."""
    seen: dict[str, Chunk] = {}
    for c in chunks:
        seen.setdefault(c.chunk_id, c)
    return list(seen.values())


def _content_key(chunks: list[Chunk], settings: Settings, tokenizer: Tokenizer) -> str:
    meta = [c.chunk_id + c.section + c.role + c.industries for c in chunks]
    return sha256(
        "\n".join(meta)
        + f"|{settings.chunk_size}|{settings.chunk_overlap}|{INDEX_FORMAT}"
        + f"|{tokenizer.vocabulary_key}"
    )


def _same_content(
    live: dict, chunks: list[Chunk], settings: Settings, tokenizer: Tokenizer
) -> bool:
    return (
        live.get("content_key") == _content_key(chunks, settings, tokenizer)
        and gen_dir(settings, live["generation"]).exists()
    )


def _vectors(settings, live, chunks, embedder, summary, cache, progress) -> np.ndarray:
    known: dict[str, np.ndarray] = {}
    if live:
        try:
            with ChromaStore.open(
                settings.chroma_url, settings.chroma_dir, settings.collection, live["generation"]
            ) as old:
                known = old.embeddings_for(chunks)
        except PolicyQAError:
            known = {}  # live vectors unreadable: embed everything again
    todo = [c for c in chunks if c.chunk_id not in known]
    if cache is not None:
        for c in todo:
            hit = cache.get(sha256(c.retrieval_text()))
            if hit is not None:
                known[c.chunk_id] = hit
        todo = [c for c in todo if c.chunk_id not in known]
    batch = max(1, settings.embed_batch) * 8
    for i in range(0, len(todo), batch):
        if progress:
            progress("embed", i, len(todo))
        part = todo[i : i + batch]
        for c, v in zip(part, embedder.embed([c.retrieval_text() for c in part]), strict=True):
            known[c.chunk_id] = v
            if cache is not None:
                cache[sha256(c.retrieval_text())] = v
    summary.embedded = len(todo)
    if not chunks:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.asarray([known[c.chunk_id] for c in chunks], dtype=np.float32)


def _generations_on_disk(settings: Settings) -> set[int]:
    gens = set()
    for p in settings.index_dir.glob("gen-*"):
        if p.name[4:].isdigit():
            gens.add(int(p.name[4:]))
    for p in settings.chroma_dir.glob("g*"):
        if p.name[1:].isdigit():
            gens.add(int(p.name[1:]))
    if settings.chroma_url:
        gens |= set(server_generations(settings.chroma_url, settings.collection))
    return gens


def _next_free(settings: Settings) -> int:
    return max(_generations_on_disk(settings), default=0) + 1


def _remove_leftovers(settings: Settings, live: dict | None, keep_previous: bool = False) -> None:
    """Delete generations other than the live one (and, after a switch, the one before)."""
    import shutil

    keep = set()
    if live:
        keep.add(live["generation"])
        if keep_previous:
            keep.add(live["generation"] - 1)
    for tmp in settings.index_dir.glob(f".{MANIFEST}.*.tmp"):
        tmp.unlink(missing_ok=True)  # left by a process killed while switching
    for g in _generations_on_disk(settings) - keep:
        if live and g > live["generation"] and keep_previous:
            continue
        drop_generation(settings.chroma_url, settings.chroma_dir, settings.collection, g)
        shutil.rmtree(gen_dir(settings, g), ignore_errors=True)
