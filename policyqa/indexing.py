"""From the corpus folder to a live index generation: the one place where the
ingest stage (files → parsed documents) meets the index stage (generations).

An ingest takes the writer lock, finds the files, and compares what it would
build (files, settings, vocabulary) with what the live generation was built
from: when nothing changed it stops there, without parsing anything. Otherwise
it parses the files one by one and streams them into a new generation.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from policyqa.errors import IndexDamagedError, LoadError, ModelMismatchError
from policyqa.index.builder import GenerationBuilder, Stages, next_generation, remove_leftovers
from policyqa.index.embedder import Embedder
from policyqa.index.generation import check_sizes
from policyqa.index.lock import WriterLock
from policyqa.index.manifest import FileEntry, Manifest, read_manifest
from policyqa.ingest.corpus import discover, doc_ids, missing_documents
from policyqa.ingest.document import parse_file
from policyqa.language import Tokenizer
from policyqa.profile import Profile, profile_for
from policyqa.settings import Settings

Progress = Callable[[str, int, int], None]
# Bump when what gets indexed changes (parsing, retrieval text, keyword views): forces a rebuild.
INDEX_FORMAT = 5


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
    notes: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def default_paths(settings: Settings) -> list[Path]:
    """The corpus folder, plus documents uploaded through the web page."""
    return [settings.corpus] + ([settings.uploads_dir] if settings.uploads_dir.is_dir() else [])


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
        current = _current(settings, summary)
        live = None if rebuild else current
        if live and live.model != embedder.name:
            raise ModelMismatchError(
                f"the index was built with model {live.model!r}, not {embedder.name!r}: "
                "run `policyqa ingest --rebuild`"
            )
        remove_leftovers(settings, current)
        found = discover(paths or default_paths(settings))
        skipped = [(str(p), reason) for p, reason in found.skipped]
        summary.files = len(found.files)
        profile = profile_for(settings)
        key = build_key(settings, embedder, tokenizer, profile, found.files)
        if live and live.build_key == key and _intact(settings, live):
            _unchanged(summary, live, skipped)
        else:
            job = _Job(settings, embedder, tokenizer, profile, live, key, embed_cache)
            job.run(found.files, current, summary, skipped, progress)
    summary.seconds = time.perf_counter() - started
    return summary


def _current(settings: Settings, summary: IngestSummary) -> Manifest | None:
    try:
        return read_manifest(settings.index_dir)
    except IndexDamagedError as exc:
        summary.notes.append(f"{exc}: rebuilding from the corpus")
        return None


def _intact(settings: Settings, live: Manifest) -> bool:
    try:
        check_sizes(settings.index_dir, live.artifacts)
    except IndexDamagedError:
        return False
    return True


def _unchanged(summary: IngestSummary, live: Manifest, skipped: list[tuple[str, str]]) -> None:
    summary.unchanged = len(live.files)
    summary.chunks = live.chunk_count
    summary.errors = skipped + sorted(live.errors.items())
    summary.missing = list(live.missing)
    summary.generation = live.generation


class _Job:
    """One new generation: parse every file in turn and stream it into the builder."""

    def __init__(self, settings, embedder, tokenizer, profile, live, key, cache) -> None:
        self.settings, self.tokenizer, self.profile = settings, tokenizer, profile
        self.live, self.key = live, key
        self.embedder, self.cache = embedder, cache
        self.stages = Stages()

    def run(self, files, current, summary: IngestSummary, skipped, progress) -> None:
        s = self.settings
        generation = next_generation(s, current)
        builder = GenerationBuilder(
            s,
            self.embedder,
            self.tokenizer,
            self.live,
            generation,
            self.profile,
            self.cache,
            self.stages,
        )
        old = self.live.files if self.live else {}
        try:
            entries, errors = self._parse_all(files, builder, old, summary, progress)
            indexed = [
                {"doc_id": e.doc_id, "path": p, "title": e.title} for p, e in entries.items()
            ]
            missing = [m.title for m in missing_documents(self.profile.expected, indexed)]
            manifest = builder.finish(
                entries, missing, errors, self.key, self.tokenizer.vocabulary_key
            )
        finally:
            builder.close()
        # a file that failed to load this time keeps nothing: its chunks are removed
        summary.removed = len(set(old) - set(entries))
        summary.errors = skipped + sorted(errors.items())
        summary.missing = missing
        summary.chunks = manifest.chunk_count
        summary.embedded = builder.embedded
        summary.generation = generation
        summary.stages = self.stages.seconds
        # keep the previous generation for readers still holding it; drop older ones
        remove_leftovers(s, manifest, keep_previous=True)

    def _parse_all(self, files, builder, old, summary, progress):
        s = self.settings
        entries: dict[str, FileEntry] = {}
        errors: dict[str, str] = {}
        ids = doc_ids(files)
        for n, path in enumerate(files):
            if progress:
                progress("parse", n, len(files))
            try:
                parsed = self.stages.timed(
                    "load+clean+chunk",
                    parse_file,
                    path,
                    self.tokenizer,
                    s.chunk_size,
                    s.chunk_overlap,
                    s.max_file_mb,
                    ids[path],
                    self.profile,
                )
            except LoadError as exc:
                errors[exc.path] = exc.reason
                continue
            d = parsed.doc
            before = old.get(d.path)
            if before is None:
                summary.added += 1
            elif before.content_hash != d.content_hash or before.chunks != len(parsed.chunks):
                summary.updated += 1
            else:
                summary.unchanged += 1
            entries[d.path] = FileEntry(
                d.doc_id, d.title, d.doc_type, d.content_hash, len(parsed.chunks)
            )
            builder.add(parsed)
        return entries, errors


def file_key(path: Path, max_mb: float) -> str:
    """A file's bytes and its metadata sidecar; a file over the size limit is never read."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    if st.st_size > max_mb * 1024 * 1024:
        return f"too-big:{st.st_size}:{st.st_mtime_ns}"
    h = hashlib.sha256()
    for p in (path, path.with_name(path.stem + ".meta.json")):
        try:
            with open(p, "rb") as fh:
                for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(block)
        except OSError:
            h.update(b"\x00")
    return h.hexdigest()


def build_key(
    settings: Settings,
    embedder: Embedder,
    tokenizer: Tokenizer,
    profile: Profile,
    files: list[Path],
) -> str:
    """Everything a generation is made from: equal keys mean an identical index."""
    ids = doc_ids(files)
    parts = [
        INDEX_FORMAT,
        settings.chunk_size,
        settings.chunk_overlap,
        settings.max_file_mb,
        embedder.name,
        tokenizer.vocabulary_key,
        profile.key,
        [e.title for e in profile.expected],
        [[str(p), ids[p], file_key(p, settings.max_file_mb)] for p in files],
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
