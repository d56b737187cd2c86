"""The only module that talks to Chroma.

Each index generation is its own collection (`policyqa-g000003`), stored in
its own folder when local, or on the server named by `POLICYQA_CHROMA_URL`.
A half-written generation is never the one being read, so a killed ingest
cannot damage the live index. We always pass our own embeddings, query with
`query_embeddings`, and set the cosine space explicitly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from policyqa.documents import Chunk, sha256
from policyqa.errors import PolicyQAError

HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 200, "max_neighbors": 16}
BATCH = 2000


def _settings():
    import chromadb

    return chromadb.Settings(anonymized_telemetry=False, allow_reset=False)


def collection_name(prefix: str, generation: int) -> str:
    name = f"{prefix}-g{generation:06d}"
    if not name.isascii():
        raise PolicyQAError(f"collection name {name!r} must be ASCII: change POLICYQA_COLLECTION")
    return name


# chromadb shares one database per local folder between clients, builds that state
# without a lock (two threads opening one generation got half-started clients) and
# stops it when the last client closes: opening and closing are serialised, re-entrant
# because a garbage-collected snapshot may close its client while this thread opens one
_CLIENTS = threading.RLock()


class ChromaStore:
    """One generation's collection.

    >>> store = ChromaStore.open(settings.chroma_url, settings.chroma_dir, "policyqa", 3)
    >>> store.add(chunks, vectors)
    >>> store.query(vector, k=10, where={"role": "problem"})
    [(chunk_id, score), ...]
    """

    def __init__(self, client, name: str, create: bool = False) -> None:
        self.client = client
        self.name = name
        self._size: int | None = None
        if create:
            self.collection = client.create_collection(
                name, configuration={"hnsw": HNSW}, embedding_function=None, get_or_create=True
            )
        else:
            try:
                self.collection = client.get_collection(name, embedding_function=None)
            except Exception as exc:  # chromadb raises NotFoundError or ValueError by version
                raise PolicyQAError(
                    f"Chroma collection {name} is missing: run `policyqa ingest --rebuild`"
                ) from exc

    @classmethod
    def open(
        cls, url: str, root: Path, prefix: str, generation: int, create: bool = False
    ) -> ChromaStore:
        return cls(client_for(url, root, generation), collection_name(prefix, generation), create)

    def close(self) -> None:
        _close(self.client)

    def __enter__(self) -> ChromaStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, chunks: list[Chunk], vectors: np.ndarray, industries: dict[str, str]) -> None:
        """`industries`: label -> metadata key, one boolean per industry for filtering."""
        for i in range(0, len(chunks), BATCH):
            part = chunks[i : i + BATCH]
            self.collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[i : i + BATCH],
                documents=[c.text for c in part],
                metadatas=[flat_metadata(c, industries) for c in part],
            )

    def count(self) -> int:
        return self.collection.count()

    def iter_all(self, with_embeddings: bool = False) -> Iterator[tuple[Chunk, np.ndarray | None]]:
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        total = self.count()
        for offset in range(0, total, BATCH):
            got = self.collection.get(limit=BATCH, offset=offset, include=include)
            vectors = got.get("embeddings") if with_embeddings else None
            for n, (text, meta) in enumerate(zip(got["documents"], got["metadatas"], strict=True)):
                yield Chunk.from_metadata(text, meta), (vectors[n] if vectors is not None else None)

    def embeddings_for(self, chunks: list[Chunk]) -> dict[str, np.ndarray]:
        """Stored vectors of these chunks, where the embedded text is unchanged."""
        wanted = {c.chunk_id: embed_key(c) for c in chunks}
        ids = list(wanted)
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), BATCH):
            got = self.collection.get(ids=ids[i : i + BATCH], include=["embeddings", "metadatas"])
            for cid, vec, meta in zip(got["ids"], got["embeddings"], got["metadatas"], strict=True):
                if meta.get("embed_key") == wanted[cid]:
                    out[cid] = vec
        return out

    def query(
        self, vector: np.ndarray, k: int, where: dict | None = None
    ) -> list[tuple[str, float]]:
        if self._size is None:
            self._size = self.count()  # a generation never grows once it is live
        k = min(k, self._size)
        if k <= 0:
            return []
        res = self.collection.query(
            query_embeddings=[vector], n_results=k, where=where or None, include=["distances"]
        )
        # cosine distance in [0, 2] -> similarity in [-1, 1]
        return [
            (cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)
        ]


def embed_key(chunk: Chunk) -> str:
    """Identifies the text that was embedded, so a vector is reused only for the same text."""
    return sha256(chunk.retrieval_text())[:16]


def industry_keys(industries: list[tuple[str, str]]) -> dict[str, str]:
    """Industry label -> the Chroma metadata key of its flag (ASCII, from the profile)."""
    return {label: f"ind_{key}" for key, label in industries}


def flat_metadata(chunk: Chunk, industries: dict[str, str]) -> dict:
    meta = chunk.metadata()
    meta["embed_key"] = embed_key(chunk)
    for name, key in industries.items():
        meta[key] = name in chunk.industries.split(",")
    return meta


def client_for(url: str, root: Path, generation: int):
    with _CLIENTS:
        return _client(url, root, generation)


def _client(url: str, root: Path, generation: int):
    import chromadb

    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=_settings(),
            )
            client.heartbeat()
        except Exception as exc:  # connection errors differ by transport
            raise PolicyQAError(
                f"cannot reach the Chroma server at {url}: {exc}. Start it with "
                "`chroma run --path DIR --host 127.0.0.1 --port N`, or unset POLICYQA_CHROMA_URL"
            ) from exc
        return client
    path = Path(root) / f"g{generation:06d}"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=_settings())


def drop_generation(url: str, root: Path, prefix: str, generation: int) -> None:
    """Delete a generation: its collection on a server, or its folder locally."""
    import shutil

    if url:
        client = client_for(url, root, generation)
        try:
            name = collection_name(prefix, generation)
            if name in {c.name for c in client.list_collections()}:
                client.delete_collection(name)
        finally:
            _close(client)
        return
    shutil.rmtree(Path(root) / f"g{generation:06d}", ignore_errors=True)


def server_generations(url: str, prefix: str) -> list[int]:
    client = client_for(url, Path("."), 0)
    try:
        names = [col.name for col in client.list_collections()]
    finally:
        _close(client)
    return [
        int(name[len(prefix) + 2 :])
        for name in names
        if name.startswith(f"{prefix}-g") and name[len(prefix) + 2 :].isdigit()
    ]


def _close(client) -> None:
    with _CLIENTS:
        client.close()
