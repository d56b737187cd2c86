"""Index generations on disk and the read-only snapshot queries use.

    HOME/index/manifest.json     which generation is live, model, files, counts
    HOME/index/gen-000003/       chunks.jsonl, docs.json, bm25/, bigram/
    HOME/index/chroma/g000003/   that generation's Chroma (local mode)

The manifest is replaced atomically (write, fsync, rename) and only after a
generation is complete, so readers always see a whole index.
"""

from __future__ import annotations

import json
import os
import shutil
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from policyqa.documents import INDUSTRIES, Chunk, Document, Section, TableRecord
from policyqa.errors import IndexMissingError, ModelMismatchError, PolicyQAError
from policyqa.ingest.tokenizer import Tokenizer, bigrams
from policyqa.settings import Settings

from .chroma_store import ChromaStore
from .lexical import LexicalIndex

MANIFEST = "manifest.json"


def gen_dir(settings: Settings, generation: int) -> Path:
    return settings.index_dir / f"gen-{generation:06d}"


def read_manifest(settings: Settings) -> dict | None:
    path = settings.index_dir / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def write_json_atomic(path: Path, data: object) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def doc_to_json(doc: Document, links: dict[str, list[str]] | None = None) -> dict:
    return {
        "doc_id": doc.doc_id,
        "path": doc.path,
        "title": doc.title,
        "text": doc.text,
        "original": doc.original,
        "content_hash": doc.content_hash,
        "doc_type": doc.doc_type,
        "pages": list(doc.pages),
        "metadata": doc.metadata,
        "sections": [s.__dict__ for s in doc.sections],
        "tables": [t.__dict__ for t in doc.tables],
        "links": links or {},
    }


def doc_from_json(d: dict) -> Document:
    return Document(
        doc_id=d["doc_id"],
        path=d["path"],
        title=d["title"],
        text=d["text"],
        original=d["original"],
        content_hash=d["content_hash"],
        doc_type=d["doc_type"],
        pages=tuple(d["pages"]),
        metadata=d["metadata"],
        sections=[Section(**s) for s in d["sections"]],
        tables=[TableRecord(**t) for t in d["tables"]],
    )


def write_generation(
    folder: Path, chunks: list[Chunk], docs: list[dict], tokenizer: Tokenizer
) -> None:
    """Everything but Chroma: chunk table, documents and both keyword views."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for c in chunks:
            fh.write(json.dumps({"text": c.text, **c.metadata()}, ensure_ascii=False) + "\n")
    write_json_atomic(folder / "docs.json", docs)
    texts = [c.retrieval_text() for c in chunks]
    LexicalIndex.build([tokenizer.terms(t) for t in texts]).save(folder / "bm25")
    LexicalIndex.build([bigrams(t) for t in texts]).save(folder / "bigram")


def rebuild_keyword_index(settings: Settings, tokenizer: Tokenizer) -> int:
    """Rewrite the live generation's chunks.jsonl, bm25/ and bigram/ from its Chroma collection.

    Chroma holds every chunk's text and metadata, so lost or damaged keyword files come
    back without re-embedding anything. Rows keep the ingest order (documents as in
    docs.json, then chunk ordinal). Returns the number of chunks.
    """
    from .lock import WriterLock

    with WriterLock(settings.home):
        manifest = read_manifest(settings)
        if manifest is None:
            raise IndexMissingError(
                f"no index under {settings.index_dir}: run `policyqa ingest` first"
            )
        generation = manifest["generation"]
        folder = gen_dir(settings, generation)
        with ChromaStore.open(
            settings.chroma_url, settings.chroma_dir, settings.collection, generation
        ) as store:
            chunks = [chunk for chunk, _ in store.iter_all()]
        if len(chunks) != manifest["chunk_count"]:
            raise PolicyQAError(
                f"Chroma holds {len(chunks)} chunks of generation {generation}, the manifest "
                f"{manifest['chunk_count']}: run `policyqa ingest --rebuild`"
            )
        order: dict[str, int] = {}
        if (folder / "docs.json").exists():
            docs = json.loads((folder / "docs.json").read_text(encoding="utf-8"))
            order = {d["doc_id"]: n for n, d in enumerate(docs)}
        chunks.sort(key=lambda c: (order.get(c.doc_id, len(order)), c.ordinal, c.content_hash))
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".chunks.jsonl.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps({"text": c.text, **c.metadata()}, ensure_ascii=False) + "\n")
        os.replace(tmp, folder / "chunks.jsonl")
        texts = [c.retrieval_text() for c in chunks]
        _replace_dir(LexicalIndex.build([tokenizer.terms(t) for t in texts]), folder / "bm25")
        _replace_dir(LexicalIndex.build([bigrams(t) for t in texts]), folder / "bigram")
        write_json_atomic(
            settings.index_dir / MANIFEST, {**manifest, "vocabulary": tokenizer.vocabulary_key}
        )
    return len(chunks)


def _replace_dir(index: LexicalIndex, target: Path) -> None:
    """Save next to target, then swap it in, so a crash never leaves half a folder."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    index.save(tmp)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


def load_chunks(folder: Path) -> list[Chunk]:
    out = []
    with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            out.append(Chunk.from_metadata(d.pop("text"), d))
    return out


@dataclass
class Snapshot:
    """A live generation, loaded for querying. Immutable once loaded."""

    manifest: dict
    chunks: list[Chunk]
    docs: dict[str, Document]
    links: dict[str, dict[str, list[str]]]
    bm25: LexicalIndex
    bigram: LexicalIndex
    chroma: ChromaStore
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    row_of: dict[str, int] = field(default_factory=dict)
    # text chunks of each (doc_id, section path), in document order
    by_section: dict[tuple[str, str], list[Chunk]] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings, model_name: str | None = None) -> Snapshot:
        manifest = read_manifest(settings)
        if manifest is None:
            raise IndexMissingError(
                f"no index under {settings.index_dir}: run `policyqa ingest` first"
            )
        wanted = model_name or settings.embed_model
        if manifest["model"] != wanted:
            raise ModelMismatchError(
                f"the index was built with model {manifest['model']!r}, you asked for {wanted!r}: "
                "run `policyqa ingest --rebuild` to rebuild it with the new model, or set "
                f"POLICYQA_EMBED_MODEL={manifest['model']}"
            )
        generation = manifest["generation"]
        folder = gen_dir(settings, generation)
        chunks = load_chunks(folder)
        raw_docs = json.loads((folder / "docs.json").read_text(encoding="utf-8"))
        docs = {d["doc_id"]: doc_from_json(d) for d in raw_docs}
        links = {d["doc_id"]: d.get("links", {}) for d in raw_docs}
        chroma = ChromaStore.open(
            settings.chroma_url, settings.chroma_dir, settings.collection, generation
        )
        snap = cls(
            manifest,
            chunks,
            docs,
            links,
            LexicalIndex.load(folder / "bm25"),
            LexicalIndex.load(folder / "bigram"),
            chroma,
        )
        snap._index_arrays()
        # the client is released once no query holds this generation any more
        weakref.finalize(snap, chroma.close)
        return snap

    def _index_arrays(self) -> None:
        self.row_of = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        for c in self.chunks:
            if c.kind == "text":
                self.by_section.setdefault((c.doc_id, c.section), []).append(c)
        self.arrays = {
            "doc": np.array([c.doc_id for c in self.chunks], dtype=object),
            "role": np.array([c.role for c in self.chunks], dtype=object),
            "kind": np.array([c.kind for c in self.chunks], dtype=object),
            "page": np.array([c.page for c in self.chunks], dtype=np.int64),
        }
        for name in INDUSTRIES:
            self.arrays[name] = np.array([name in c.industries for c in self.chunks], dtype=bool)

    @property
    def generation(self) -> int:
        return int(self.manifest["generation"])

    def mask(self, **filters: object) -> np.ndarray:
        """Boolean row mask for filters doc, role, industry, page, kind (values or lists)."""
        keep = np.ones(len(self.chunks), dtype=bool)
        for key, value in filters.items():
            if value in (None, "", ()):
                continue
            values = list(value) if isinstance(value, (list, tuple, set)) else [value]
            if key == "industry":
                keep &= np.any([self.arrays[str(v)] for v in values], axis=0)
            elif key == "page":
                keep &= np.isin(self.arrays["page"], [int(v) for v in values])
            else:
                keep &= np.isin(self.arrays[key], values)
        return keep
