"""The domain profile: what policyqa knows of a corpus's subject, as data.

Section roles and the words that signal them, the home region and other places,
industries with their index keys and labels, and the documents the corpus is
expected to hold. Loaded once from TOML into a frozen `Profile`, which is
passed in like the tokenizer; no module of the product names a region, an
industry or a document.

    POLICYQA_PROFILE=path.toml     this file
    <corpus>/profile.toml          else the corpus's own profile, if any
    policyqa/profiles/generic.toml else the generic one (no region, no industry)

A profile may say `extends = "generic"` (or a path) and override parts of it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from policyqa.errors import PolicyQAError
from policyqa.language import data_path

if TYPE_CHECKING:
    from policyqa.settings import Settings

FILE = "profile.toml"


@dataclass(frozen=True)
class Industry:
    key: str  # ASCII, used in index metadata
    label: str  # shown to users and accepted as a filter value
    words: tuple[str, ...]


@dataclass(frozen=True)
class Expected:
    """A document the corpus is expected to hold."""

    id: str
    title: str
    doc_type: str = "document"
    file: str = ""
    match: tuple[str, ...] = ()
    adopted: str = ""

    def matches(self, doc_id: str, path: str, title: str) -> bool:
        name = Path(path).name
        if doc_id == self.id or (self.file and name == self.file):
            return True
        return any(m in name or m in title for m in self.match)


@dataclass(frozen=True)
class Regions:
    home: str = ""
    home_names: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    others: tuple[str, ...] = ()

    def named_in(self, text: str) -> list[str]:
        """Places other than the home region that text names, in the order it names them;
        a place inside a longer one named (成都 in 成都市) is not named again."""
        found: list[str] = []
        for place in sorted(dict.fromkeys(self.parts + self.others), key=len, reverse=True):
            if place in text and not any(place in f for f in found):
                found.append(place)
        return sorted(found, key=text.find)

    def is_home(self, text: str) -> bool:
        return any(h in text for h in self.home_names)


@dataclass(frozen=True)
class Profile:
    roles: tuple[tuple[str, tuple[str, ...]], ...]  # (role, heading words), tried in order
    role_labels: dict[str, str] = field(default_factory=dict)
    regions: Regions = Regions()
    industries: tuple[Industry, ...] = ()
    expected: tuple[Expected, ...] = ()
    measures: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # measure -> question phrases
    measure_kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)  # -> figure kinds
    measure_nouns: tuple[tuple[str, ...], ...] = ()  # groups of equivalent measure names
    measure_search: dict[str, str] = field(default_factory=dict)  # measure -> word to search for
    examples: tuple[str, ...] = ()  # questions offered on the chat page
    question_words: frozenset[str] = frozenset()  # how a question asks, not what about
    content_pos: frozenset[str] = frozenset()  # jieba tags of words that say what about
    source: str = ""  # where it was loaded from

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(r for r, _ in self.roles) + ("table", "other")

    def role_of(self, title: str) -> str | None:
        for role, words in self.roles:
            if any(w in title for w in words):
                return role
        return None

    def roles_in(self, title: str) -> set[str]:
        return {role for role, words in self.roles if any(w in title for w in words)}

    def industries_of(self, text: str) -> str:
        """Labels of the industries text mentions, comma-separated ('' when none)."""
        return ",".join(i.label for i in self.industries if any(w in text for w in i.words))

    @property
    def key(self) -> str:
        """What an index built with this profile depends on (roles and industries)."""
        data = [self.roles, [(i.key, i.label, i.words) for i in self.industries]]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()[:16]


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyQAError(
            f"cannot read the domain profile {path}: {exc}; fix it or set POLICYQA_PROFILE"
        ) from exc


def _resolve(raw: dict, here: Path | None, depth: int = 0) -> dict:
    """The profile with what it extends merged under it."""
    base_name = raw.pop("extends", None)
    if not base_name or depth > 4:
        return raw
    if base_name.endswith(".toml"):
        base_path = here.parent / base_name if here else Path(base_name)
    else:
        base_path = data_path("policyqa.profiles", f"{base_name}.toml")
    base = _resolve(_read(base_path), base_path, depth + 1)
    for section, values in raw.items():
        if isinstance(values, dict) and isinstance(base.get(section), dict):
            merged = dict(base[section])
            for k, v in values.items():
                if k.endswith("_extra"):
                    merged[k[: -len("_extra")]] = list(merged.get(k[: -len("_extra")], [])) + list(
                        v
                    )
                else:
                    merged[k] = v
            base[section] = merged
        else:
            base[section] = values
    return base


def _build(raw: dict, source: str) -> Profile:
    try:
        regions = raw.get("regions", {})
        industries = raw.get("industries") or []
        return Profile(
            roles=tuple((role, tuple(words)) for role, words in raw.get("roles", {}).items()),
            role_labels=dict(raw.get("role_labels", {})),
            regions=Regions(
                home=regions.get("home", ""),
                home_names=tuple(regions.get("home_names", ())),
                parts=tuple(regions.get("parts", ())),
                others=tuple(regions.get("others", ())),
            ),
            industries=tuple(
                Industry(i["key"], i["label"], tuple(i["words"]))
                for i in industries
                if isinstance(i, dict)
            ),
            expected=tuple(
                Expected(
                    id=e["id"],
                    title=e["title"],
                    doc_type=e.get("doc_type", "document"),
                    file=e.get("file", ""),
                    match=tuple(e.get("match", ())),
                    adopted=e.get("adopted", ""),
                )
                for e in raw.get("expected", [])
            ),
            measures={k: tuple(v) for k, v in raw.get("measures", {}).items()},
            measure_kinds={k: tuple(v) for k, v in raw.get("measure_kinds", {}).items()},
            measure_nouns=tuple(tuple(g) for g in raw.get("measure_nouns", {}).get("groups", [])),
            measure_search=dict(raw.get("measure_search", {})),
            examples=tuple(raw.get("examples", ())),
            question_words=frozenset(raw.get("question", {}).get("words", ())),
            content_pos=frozenset(raw.get("question", {}).get("content_pos", ())),
            source=source,
        )
    except (KeyError, TypeError) as exc:
        raise PolicyQAError(f"domain profile {source}: missing or malformed field {exc}") from exc


def load_profile(path: Path | None = None) -> Profile:
    """The profile in `path`, or the generic one."""
    if path is None:
        path = data_path("policyqa.profiles", "generic.toml")
    return _build(_resolve(_read(path), Path(path)), str(path))


@cache
def generic_profile() -> Profile:
    return load_profile()


def profile_for(settings: Settings) -> Profile:
    """The configured profile: POLICYQA_PROFILE, else the corpus's own, else the generic one."""
    if settings.profile:
        return load_profile(Path(settings.profile))
    own = Path(settings.corpus) / FILE
    return load_profile(own if own.exists() else None)
