"""Search filters, translated once into clauses that both the numpy row mask
and Chroma's `where` are made from.

Keys: doc (id or title), role, industry, page, kind. Repeating a key gives
alternatives (industry=汽车 and industry=电子信息: either); different keys must
all hold. An unknown key or value is an error that lists the allowed ones.

>>> f = Filters.parse(["industry=汽车", "industry=电子信息", "role=problem"])
>>> clauses(f, allowed)   # [Clause("industry", ("汽车", "电子信息")), Clause("role", ("problem",))]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from policyqa.errors import FilterError

if TYPE_CHECKING:
    from .chunkstore import ChunkStore

KEYS = ("doc", "role", "industry", "page", "kind")


@dataclass(frozen=True)
class Filters:
    doc: tuple[str, ...] = ()
    role: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    page: tuple[int, ...] = ()
    kind: tuple[str, ...] = ()

    @classmethod
    def of(cls, **values: object) -> Filters:
        """From keyword values, each a string, a number, a sequence of them or empty."""
        out = {}
        for key, value in values.items():
            if key not in KEYS:
                raise FilterError(f"unknown filter {key!r}: use one of {', '.join(KEYS)}")
            if value in (None, "", (), []):
                continue
            items = value if isinstance(value, (list, tuple, set)) else [value]
            out[key] = tuple(_page(v) if key == "page" else str(v) for v in items)
        return cls(**out)

    @classmethod
    def parse(cls, items: list[str], doc: str | None = None) -> Filters:
        """From CLI-style 'key=value' items; repeated keys are alternatives."""
        values: dict[str, list[str]] = {}
        for item in items:
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or key not in KEYS or not value.strip():
                raise FilterError(
                    f"bad filter {item!r}: use key=value with key one of {', '.join(KEYS)}"
                )
            values.setdefault(key, []).append(value.strip())
        if doc:
            values.setdefault("doc", []).append(doc)
        return cls.of(**values)

    def as_dict(self) -> dict[str, tuple]:
        return {k: getattr(self, k) for k in KEYS if getattr(self, k)}

    def with_(self, **values: object) -> Filters:
        return Filters.of(**{**self.as_dict(), **values})

    def __bool__(self) -> bool:
        return bool(self.as_dict())


def _page(value: object) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FilterError(f"page must be a number, not {value!r}") from None


@dataclass(frozen=True)
class Clause:
    key: str  # doc, role, industry, page, kind
    values: tuple


def clauses(filters: Filters, allowed: dict[str, dict[str, str]]) -> list[Clause]:
    """Checked clauses. `allowed[key]` maps every accepted spelling of a value
    (a document's title as well as its id) to the stored value; page is free."""
    out = []
    for key, values in filters.as_dict().items():
        if key == "page":
            out.append(Clause(key, values))
            continue
        known = allowed.get(key, {})
        stored = []
        for v in values:
            if v not in known:
                shown = sorted(set(known.values()))
                raise FilterError(
                    f"unknown {key} {v!r}: allowed values are {', '.join(shown) or '(none indexed)'}"
                )
            stored.append(known[v])
        out.append(Clause(key, tuple(dict.fromkeys(stored))))
    return out


def chroma_where(cls: list[Clause], industry_keys: dict[str, str]) -> dict | None:
    """The same clauses in Chroma's filter language (metadata as `flat_metadata` writes it)."""
    parts = []
    for c in cls:
        if c.key == "industry":
            alts = [{industry_keys[v]: True} for v in c.values]
            parts.append(alts[0] if len(alts) == 1 else {"$or": alts})
            continue
        field = {"doc": "doc_id"}.get(c.key, c.key)
        values = list(c.values)
        parts.append({field: {"$in": values}} if len(values) > 1 else {field: values[0]})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def row_mask(cls: list[Clause], store: ChunkStore) -> np.ndarray:
    """The same clauses as a boolean mask over the rows of a chunk store."""
    keep = np.ones(len(store), dtype=bool)
    for c in cls:
        if c.key == "page":
            keep &= np.isin(store.columns["page"], list(c.values))
        elif c.key == "industry":
            wanted = set(c.values)
            tagged = [n for n in store.names["industries"] if wanted & set(n.split(","))]
            keep &= store.rows_where("industries", tagged)
        else:
            keep &= store.rows_where(c.key, list(c.values))
    return keep
