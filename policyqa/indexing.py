"""From the corpus folder to a live index generation: the one place where the
ingest stage (files → parsed documents) meets the index stage (generations).

An ingest takes the writer lock, finds the files, and compares what it would
build (files, settings, vocabulary) with what the live generation was built
from. When nothing changed, it verifies the live generation (every file's
checksum, the Chroma collection) and stops there, or repairs in place what is
damaged (`policyqa.index.repair`). Otherwise it parses the files one by one and
streams them into a new generation, copying only vectors that verified intact.
A write that fails (disk full) discards the unfinished generation: the live
one keeps answering.
"""

from __future__ import annotations

import errno
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from policyqa.errors import (
    DiskFullError,
    LoadError,
    ModelMismatchError,
    PolicyQAError,
)
from policyqa.index.builder import GenerationBuilder, Stages, next_generation, remove_leftovers
from policyqa.index.embedder import Embedder
from policyqa.index.integrity import (
    Damage,
    check_generation,
    previous_problem,
    recover_manifest,
    verify_files,
)
from policyqa.index.lock import WriterLock
from policyqa.index.manifest import FileEntry, Manifest, read_manifest, read_state
from policyqa.index.repair import CannotRepair, fix_previous, repair
from policyqa.ingest.corpus import discover, doc_ids, missing_documents
from policyqa.ingest.document import ParsedDocument, parse_file
from policyqa.language import Tokenizer
from policyqa.profile import Profile, profile_for
from policyqa.settings import Settings

Progress = Callable[[str, int, int], None]
# Bump when what gets indexed changes (parsing, retrieval text, keyword views): forces a rebuild.
INDEX_FORMAT = 6


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
    repaired: list[str] = field(default_factory=list)  # damaged files rebuilt, one line each

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
    repair: bool = False,
) -> IngestSummary:
    """Index every supported file under `paths` (default: the corpus folder).

    A damaged live generation is repaired whatever the flags; `repair` also
    checks every vector stored in Chroma. `embed_cache` (text hash -> vector)
    lets callers reuse vectors of repeated texts across builds; the benchmark
    uses it for its synthetic corpora.
    """
    started = time.perf_counter()
    summary = IngestSummary(model=embedder.name)
    try:
        with WriterLock(settings.home) as lock:
            if lock.stale_from:
                pid = lock.stale_from.get("pid")
                summary.stale_lock = f"cleared a stale lock left by pid {pid}"
            _Ingest(settings, embedder, tokenizer, embed_cache, summary).run(
                paths, rebuild, repair, progress
            )
    except OSError as exc:
        raise _write_error(settings, exc) from exc
    summary.seconds = time.perf_counter() - started
    return summary


def _write_error(settings: Settings, exc: OSError) -> PolicyQAError:
    where = f"{exc.filename}" if exc.filename else str(settings.home)
    text = f"{exc.strerror or exc} ({where})"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"ingest stopped, the disk is full: {text}; the index that was live keeps "
            "answering: free some space, then run `policyqa ingest` again"
        )
    return PolicyQAError(
        f"ingest stopped, the index could not be written: {text}; the index that was live "
        f"keeps answering: make {settings.home} writable, then run `policyqa ingest` again"
    )


class _Ingest:
    """Decides what one ingest does: nothing, a repair in place, or a new generation."""

    def __init__(self, settings, embedder, tokenizer, cache, summary: IngestSummary) -> None:
        self.settings, self.embedder, self.tokenizer = settings, embedder, tokenizer
        self.cache, self.summary = cache, summary
        self.profile = profile_for(settings)
        self.manifest_damaged = False

    def run(self, paths, rebuild: bool, thorough: bool, progress) -> None:
        s, summary = self.settings, self.summary
        current = self._current()
        live = None if rebuild else current
        if live and live.model != self.embedder.name:
            raise ModelMismatchError(
                f"the index was built with model {live.model!r}, not {self.embedder.name!r}: "
                "run `policyqa ingest --rebuild`"
            )
        remove_leftovers(s, current)
        found = discover(paths or default_paths(s))
        skipped = [(str(p), reason) for p, reason in found.skipped]
        summary.files = len(found.files)
        key = build_key(s, self.embedder, self.tokenizer, self.profile, found.files)
        damaged = check_generation(s, live, vectors=thorough) if live else []
        job = _Job(s, self.embedder, self.tokenizer, self.profile, live, key, self.cache)
        if live and live.build_key == key:
            if damaged or self.manifest_damaged:
                self._repair(live, damaged, found.files, job, current, skipped, progress)
            else:
                _unchanged(summary, live, skipped)
        else:
            job.run(found.files, current, summary, skipped, progress, {d.part for d in damaged})
        live = read_manifest(s.index_dir)
        if live and previous_problem(s.index_dir):
            summary.repaired.append(fix_previous(s.index_dir, live))

    def _current(self) -> Manifest | None:
        """The live manifest; when it is unreadable, the newest generation that verifies
        against its own copy of its manifest, else the previous manifest."""
        index_dir = self.settings.index_dir
        manifest, problems = read_state(index_dir)
        if not problems:
            return manifest
        self.manifest_damaged = True
        first = problems[0]
        restored = recover_manifest(index_dir)
        if restored and (manifest is None or restored.generation >= manifest.generation):
            source = f"gen-{restored.generation:06d}/generation.json"
            self.summary.repaired.append(f"{first.path}: {first.reason} (restored from {source})")
            return restored
        if manifest is not None:
            self.summary.repaired.append(
                f"{first.path}: {first.reason} (back to generation {manifest.generation})"
            )
            return manifest
        self.summary.notes.append(f"{first}: rebuilding from the corpus")
        return None

    def _repair(self, live, damaged: list[Damage], files, job, current, skipped, progress):
        s, summary = self.settings, self.summary
        ids = doc_ids(files)

        def parsed() -> Iterator[ParsedDocument]:
            for _, doc in _parse(s, self.tokenizer, self.profile, files, ids):
                if isinstance(doc, ParsedDocument):
                    yield doc

        try:
            report = repair(s, live, damaged, self.embedder, self.tokenizer, parsed)
            rebuilt = read_manifest(s.index_dir)
            # what was rebuilt must verify now; the collection, if it was one of them
            left = verify_files(s.index_dir, rebuilt)
            if any(d.part == "chroma" for d in damaged):
                left += check_generation(s, rebuilt, vectors=True)
            if left:
                raise CannotRepair(f"{left[0].line()} after repair")
        except CannotRepair as exc:
            summary.notes.append(f"{exc}: building a new generation instead")
            job.run(files, current, summary, skipped, progress, {d.part for d in damaged})
            return
        summary.repaired += report.repaired
        summary.embedded = report.embedded
        _unchanged(summary, read_manifest(s.index_dir), skipped)


def _unchanged(summary: IngestSummary, live: Manifest, skipped: list[tuple[str, str]]) -> None:
    summary.unchanged = len(live.files)
    summary.chunks = live.chunk_count
    summary.errors = skipped + sorted(live.errors.items())
    summary.missing = list(live.missing)
    summary.generation = live.generation


def _parse(
    settings: Settings, tokenizer: Tokenizer, profile: Profile, files: list[Path], ids, stages=None
) -> Iterator[tuple[Path, ParsedDocument | LoadError]]:
    """Each file parsed as a build parses it, or the LoadError it raised."""
    s, timed = settings, (stages.timed if stages else lambda _, fn, *a: fn(*a))
    for path in files:
        try:
            yield (
                path,
                timed(
                    "load+clean+chunk",
                    parse_file,
                    path,
                    tokenizer,
                    s.chunk_size,
                    s.chunk_overlap,
                    s.max_file_mb,
                    ids[path],
                    profile,
                ),
            )
        except LoadError as exc:
            yield path, exc


class _Job:
    """One new generation: parse every file in turn and stream it into the builder."""

    def __init__(self, settings, embedder, tokenizer, profile, live, key, cache) -> None:
        self.settings, self.tokenizer, self.profile = settings, tokenizer, profile
        self.live, self.key = live, key
        self.embedder, self.cache = embedder, cache
        self.stages = Stages()

    def run(self, files, current, summary: IngestSummary, skipped, progress, untrusted) -> None:
        """`untrusted`: parts of the live generation found damaged, not copied from."""
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
            untrusted,
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
        except BaseException:
            builder.discard()  # frees the space an unfinished generation took
            raise
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
        entries: dict[str, FileEntry] = {}
        errors: dict[str, str] = {}
        ids = doc_ids(files)
        parsed_files = _parse(self.settings, self.tokenizer, self.profile, files, ids, self.stages)
        for n, (_, parsed) in enumerate(parsed_files):
            if progress:
                progress("parse", n, len(files))
            if isinstance(parsed, LoadError):
                errors[parsed.path] = parsed.reason
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
