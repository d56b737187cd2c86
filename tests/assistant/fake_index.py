"""A small in-memory index over synthetic Chinese documents, for fast tests of the
answer engine without the embedding model or Chroma.

The documents go through the real ingest pipeline (clean, structure, tables, chunks,
problem links), so sections, roles, tables and links are what ingest produces. Search
ranks chunks by character-bigram overlap; vectors are bags of bigrams hashed into a
fixed dimension, so "meaning" here is roughly lexical.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from functools import cache

import numpy as np

from policyqa.assistant.assistant import Assistant
from policyqa.documents import Chunk, Document, RawDocument, sha256
from policyqa.index.filters import Filters
from policyqa.index.query import Query, parse_query
from policyqa.ingest.chunker import chunk_document
from policyqa.ingest.clean import clean
from policyqa.ingest.links import problem_links
from policyqa.ingest.structure import parse_sections, parse_tables, table_records
from policyqa.ingest.units import units
from policyqa.language import Thesaurus, Tokenizer, bigrams, squash
from policyqa.profile import Expected, Profile, generic_profile
from policyqa.results import Passage
from tests.fixtures import SYNTHETIC_LABEL

DIM = 4096

PLAN_TITLE = "某市智能制造产业发展规划"
PLAN = f"""{SYNTHETIC_LABEL}
{PLAN_TITLE}（示例）
本规划依据《某市数字经济促进条例》等有关规定编制。

一、发展现状
2023年，全市智能制造产业产值达到1200亿元，同比增长8.5%。
2024年，全市智能制造产业产值达到1350亿元，同比增长12.5%。
截至2024年底，成都共有智能制造示范工厂45家，重庆共有智能制造示范工厂38家。
表1 2024年各城市智能制造产值
城市\t产值/亿元\t增速/%
成都\t420\t9.1
重庆\t380\t15.2
绵阳\t300\t6.4
德阳\t250\t11.0

二、存在的问题
（一）关键零部件依赖外地供应
高端传感器和工业软件本地配套率仅为30%，整机企业所需关键部件长期从外地采购。
（二）专业人才供给不足
既懂制造工艺又懂数字技术的复合型人才缺口较大，职业院校培养规模偏小。
（三）中小企业融资困难
中小企业缺少抵押物，银行贷款审批周期长，数字化改造资金压力大。

三、对策措施
（一）提升关键零部件本地配套能力
一是引进传感器和工业软件项目，支持本地企业进入整机企业供应体系；二是鼓励整机企业与本地零部件企业签订长期供货协议。
（二）加强专业人才培养
一是支持职业院校开设智能制造专业；二是实施复合型人才专项引进计划。
（三）拓宽中小企业融资渠道
一是设立智能制造产业发展基金；二是推广知识产权质押贷款，缩短银行贷款审批周期。
"""

REGULATION_TITLE = "某市数据安全管理条例"
REGULATION = f"""{SYNTHETIC_LABEL}
{REGULATION_TITLE}（示例）

第一章 总则
第一条 为了规范数据处理活动，保障数据安全，制定本条例。
第二条 本条例适用于本市行政区域内的数据处理活动。

第二章 数据处理
第三条 数据处理者应当履行下列义务：
（一）建立健全数据安全管理制度；
（二）组织开展数据安全教育培训；
（三）采取技术措施保障数据安全。
第四条 数据处理者发生数据泄露的，应当在二十四小时内向网信部门报告。

第三章 附则
第五条 本条例自2025年1月1日起施行。
"""

MEASURES_TITLE = "某市个人信息保护办法"
MEASURES = f"""{SYNTHETIC_LABEL}
{MEASURES_TITLE}（示例）

第一条 为了保护个人信息权益，制定本办法。
第二条 个人信息处理者发生个人信息泄露的，应当在七十二小时内向网信部门报告。
第三条 本办法自2025年3月1日起施行。
"""

TEXTS = {
    "synthetic-plan": (PLAN_TITLE, PLAN),
    "synthetic-regulation": (REGULATION_TITLE, REGULATION),
    "synthetic-measures": (MEASURES_TITLE, MEASURES),
}
# expected by the profile, absent from the corpus
MISSING_TITLE = "某市数字经济促进条例"


def embed(text: str) -> np.ndarray:
    """Bag of character bigrams hashed into DIM, unit length (zero for no bigrams)."""
    v = np.zeros(DIM, dtype=np.float32)
    for g in bigrams(text):
        v[zlib.crc32(g.encode("utf-8")) % DIM] += 1.0
    norm = np.linalg.norm(v)
    return v / norm if norm else v


def build(doc_id: str, title: str, text: str, tokenizer: Tokenizer, profile: Profile):
    """(document, chunks, links) as `policyqa.ingest.document.parse_file` makes them."""
    cleaned = clean(RawDocument(f"{doc_id}.txt", text, "txt"))
    tables = parse_tables(cleaned)
    doc = Document(
        doc_id=doc_id,
        path=f"{doc_id}.txt",
        title=title,
        text=cleaned.text,
        original=text,
        content_hash=sha256(text),
        sections=parse_sections(cleaned, profile),
        tables=[r for t in tables for r in table_records(cleaned, t)],
    )
    chunks = chunk_document(doc, tables, tokenizer.cut, profile)
    return doc, chunks, problem_links(doc, tokenizer)


class FakeIndex:
    """The `policyqa.assistant.reader.IndexReader` protocol over a few documents in memory."""

    def __init__(
        self, tokenizer: Tokenizer, profile: Profile, texts: dict[str, tuple[str, str]] = TEXTS
    ) -> None:
        self.tokenizer = tokenizer
        self.thesaurus = Thesaurus([])
        self.profile = profile
        self.docs: dict[str, Document] = {}
        self._links: dict[str, dict[str, list[str]]] = {}
        self.chunks: list[Chunk] = []
        for doc_id, (title, text) in texts.items():
            doc, chunks, links = build(doc_id, title, text, tokenizer, profile)
            self.docs[doc_id], self._links[doc_id] = doc, links
            self.chunks += chunks
        self._grams = [set(bigrams(c.retrieval_text())) for c in self.chunks]
        self._squashed = [squash(c.retrieval_text()) for c in self.chunks]

    generation = 1

    @property
    def chunk_count(self) -> int:
        return len(self.chunks)

    def parse(self, question: str) -> Query:
        return parse_query(question, self.tokenizer, self.thesaurus)

    def search(
        self, query: str | Query, k: int = 10, filters: Filters | None = None
    ) -> list[Passage]:
        """Chunks sharing character bigrams with the question, most shared (per length) first."""
        q = query if isinstance(query, Query) else self.parse(query)
        grams = set(bigrams(q.text)) | {g for t in q.expansions for g in bigrams(t)}
        f = filters or Filters()
        scored = []
        for n, (chunk, own) in enumerate(zip(self.chunks, self._grams, strict=True)):
            if f.doc and chunk.doc_id not in f.doc and chunk.doc_title not in f.doc:
                continue
            if (f.role and chunk.role not in f.role) or (f.kind and chunk.kind not in f.kind):
                continue
            shared = len(grams & own)
            if shared:
                scored.append((shared / len(own) ** 0.5, n, chunk))
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [Passage(c, s, r, {"bigram": r}) for r, (s, _, c) in enumerate(scored[:k], 1)]

    def section_chunks(self, doc_id: str, path: str) -> list[Chunk]:
        inside = [
            c
            for c in self.chunks
            if c.doc_id == doc_id
            and c.kind == "text"
            and (c.section == path or c.section.startswith(path + " > "))
        ]
        return sorted(inside, key=lambda c: c.start)

    def links(self, doc_id: str) -> dict[str, list[str]]:
        return self._links.get(doc_id, {})

    def doc_freq(self, term: str) -> int:
        return sum(term in s for s in self._squashed)

    def document(self, doc_id: str) -> Document | None:
        return self.docs.get(doc_id)

    def query_vector(self, text: str) -> np.ndarray:
        return embed(text)

    def passage_vector(self, text: str) -> np.ndarray:
        return embed(text)

    def unit_vectors(self, chunk: Chunk) -> np.ndarray:
        pieces = units(chunk)
        return np.stack([embed(u.embed_text) for u in pieces]) if pieces else np.zeros((0, DIM))

    def titles(self) -> dict[str, str]:
        return {d.doc_id: d.title for d in self.docs.values()}

    def roles(self) -> tuple[str, ...]:
        return self.profile.role_names

    def missing_documents(self) -> tuple[str, ...]:
        have = set(self.titles().values())
        return tuple(e.title for e in self.profile.expected if e.title not in have)

    def corpus_text(self) -> str:
        return "\n".join(squash(d.text) for d in self.docs.values())


def profile() -> Profile:
    """The generic profile, expecting one document the corpus lacks."""
    return replace(
        generic_profile(),
        expected=(
            *(Expected(doc_id, title) for doc_id, (title, _) in TEXTS.items()),
            Expected("synthetic-missing", MISSING_TITLE, "regulation"),
        ),
    )


@cache
def fake_index(tokenizer: Tokenizer) -> FakeIndex:
    return FakeIndex(tokenizer, profile())


def assistant(tokenizer: Tokenizer) -> Assistant:
    index = fake_index(tokenizer)
    return Assistant(lambda: index, index.profile)
