"""The only module that talks to Chroma.

Each index generation is its own collection (`policyqa-g000003`), stored in
its own folder when local, or on the server named by `POLICYQA_CHROMA_URL`.
A half-written generation is never the one being read, so a killed ingest
cannot damage the live index. We always pass our own embeddings, query with
`query_embeddings`, and set the cosine space explicitly.

Chroma is not trusted blindly: the generation keeps its own copy of the
vectors (`chunks.vectors.npy`, checksummed) to verify and rebuild a collection
from, and any error Chroma raises is turned into one of ours: the server is
down (`ChromaServerError`, worth asking again) or the collection is damaged
(`IndexDamagedError`, repaired by `policyqa ingest`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from policyqa.documents import Chunk, sha256
from policyqa.errors import ChromaServerError, IndexDamagedError, PolicyQAError

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

    def __init__(
        self, client, name: str, create: bool = False, where: str = "", url: str = ""
    ) -> None:
        self.client = client
        self.name = name
        self.where = where or name  # the folder or server, for messages
        self.url = url
        self._size: int | None = None
        if create:
            with self.guard("creating the collection"):
                self.collection = client.create_collection(
                    name, configuration={"hnsw": HNSW}, embedding_function=None, get_or_create=True
                )
            return
        try:
            self.collection = client.get_collection(name, embedding_function=None)
        except BaseException as exc:  # chromadb raises NotFoundError or ValueError by version
            if not chroma_failure(exc):
                raise
            if url and not _alive(client):
                raise self.error("opening the collection", exc) from exc
            missing = type(exc).__name__ == "NotFoundError" or "does not exist" in str(exc)
            reason = "missing" if missing else f"unreadable ({exc})"
            raise IndexDamagedError(self.where, reason, kind="Chroma collection") from exc

    @classmethod
    def open(
        cls, url: str, root: Path, prefix: str, generation: int, create: bool = False
    ) -> ChromaStore:
        client = client_for(url, root, generation)
        where = location(url, root, prefix, generation)
        try:
            return cls(client, collection_name(prefix, generation), create, where, url)
        except BaseException:
            _close(client)
            raise

    @contextmanager
    def guard(self, doing: str) -> Iterator[None]:
        """Chroma's own errors (sqlite, HTTP, Rust) as ours, naming the collection."""
        try:
            yield
        except PolicyQAError:
            raise
        except BaseException as exc:  # chromadb's error types differ by transport and version
            if not chroma_failure(exc):
                raise
            raise self.error(doing, exc) from exc

    def error(self, doing: str, exc: Exception) -> PolicyQAError:
        return chroma_error(self.client, self.url, self.where, doing, exc)

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
            with self.guard("writing vectors"):
                self.collection.upsert(
                    ids=[c.chunk_id for c in part],
                    embeddings=vectors[i : i + BATCH],
                    documents=[c.text for c in part],
                    metadatas=[flat_metadata(c, industries) for c in part],
                )

    def count(self) -> int:
        with self.guard("counting vectors"):
            return self.collection.count()

    def ids(self) -> list[str]:
        with self.guard("listing ids"):
            return list(self.collection.get(include=[])["ids"])

    def stored(self, ids: list[str]) -> dict[str, tuple[np.ndarray, dict]]:
        """Vector and metadata of those of these ids the collection holds."""
        out = {}
        for i in range(0, len(ids), BATCH):
            with self.guard("reading vectors"):
                got = self.collection.get(
                    ids=ids[i : i + BATCH], include=["embeddings", "metadatas"]
                )
            for cid, vec, meta in zip(got["ids"], got["embeddings"], got["metadatas"], strict=True):
                out[cid] = (np.asarray(vec, dtype=np.float32), meta or {})
        return out

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
        return {
            cid: vec
            for cid, (vec, meta) in self.stored(list(wanted)).items()
            if meta.get("embed_key") == wanted[cid]
        }

    def query(
        self, vector: np.ndarray, k: int, where: dict | None = None
    ) -> list[tuple[str, float]]:
        if self._size is None:
            self._size = self.count()  # a generation never grows once it is live
        k = min(k, self._size)
        if k <= 0:
            return []
        with self.guard("searching"):
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


def location(url: str, root: Path, prefix: str, generation: int) -> str:
    """Where a generation's collection lives, as messages name it."""
    name = collection_name(prefix, generation)
    return f"{name} on {url}" if url else f"{name} ({Path(root) / f'g{generation:06d}'})"


def chroma_error(client, url: str, where: str, doing: str, exc: Exception) -> PolicyQAError:
    """A Chroma failure as ours: the server is down, or the collection is damaged."""
    if url and not _alive(client):
        return ChromaServerError(
            f"the Chroma server at {url} did not answer while {doing} ({exc}): "
            "start it again (`chroma run --path DIR --host 127.0.0.1 --port N`); "
            "questions are answered again as soon as it is back"
        )
    return IndexDamagedError(where, f"unreadable while {doing} ({exc})", kind="Chroma collection")


def _alive(client) -> bool:
    try:
        client.heartbeat()
    except Exception:  # any transport error means the server is not answering
        return False
    return True


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
    try:
        return chromadb.PersistentClient(path=str(path), settings=_settings())
    except BaseException as exc:
        if not chroma_failure(exc):
            raise
        _forget(str(path))
        raise IndexDamagedError(path, f"unreadable ({exc})", kind="Chroma folder") from exc


def chroma_failure(exc: BaseException) -> bool:
    """An error raised inside chromadb: any Exception, or a Rust panic, which pyo3
    raises as PanicException, a BaseException."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _forget(path: str) -> None:
    """chromadb caches the database of a folder before starting it and keeps it when
    starting fails: drop it, so that the next client starts afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient as Shared

    if not getattr(Shared, "_identifier_to_refcount", {}).get(path):
        getattr(Shared, "_identifier_to_system", {}).pop(path, None)


def recreate(url: str, root: Path, prefix: str, generation: int) -> ChromaStore:
    """An empty collection for a generation, in place of its damaged one (repair).
    A local folder whose database cannot be opened any more is started again."""
    import shutil

    name, folder = collection_name(prefix, generation), Path(root) / f"g{generation:06d}"
    for attempt in (1, 2):
        try:
            client = client_for(url, root, generation)
        except IndexDamagedError:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        try:
            if name in {c.name for c in client.list_collections()}:
                client.delete_collection(name)
            return ChromaStore(client, name, True, location(url, root, prefix, generation), url)
        except Exception as exc:  # a damaged database fails in several ways by version
            error = chroma_error(
                client, url, location(url, root, prefix, generation), "clearing it", exc
            )
            _close(client)
            if url or attempt == 2:
                raise error from exc
            shutil.rmtree(folder, ignore_errors=True)
    raise IndexDamagedError(folder, "cannot be created again", kind="Chroma folder")


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
