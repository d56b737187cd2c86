"""A corpus folder full of bad files: each one is indexed or reported with a
one-line reason naming it, the good ones are all indexed, nothing raises, and
a 50 MB file costs no memory."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from policyqa.assistant.assistant import Assistant
from policyqa.index.generation import gen_dir
from policyqa.index.retriever import HybridRetriever
from policyqa.indexing import ingest
from policyqa.ingest.chunker import max_chars, split_long
from policyqa.profile import profile_for
from policyqa.settings import Settings
from tests.conftest import PAPER, ROOT
from tests.fixtures import (
    SYNTHETIC_PLAN,
    load_chunks,
    make_docx,
    make_html,
    make_pdf,
    make_scanned_pdf,
    read_manifest,
    write_gb18030,
    write_utf16,
)
from tests.reliability.figures import record

MB = 1024 * 1024
CLI = str(Path(sys.executable).with_name("policyqa"))
GOOD = {"gb18030.txt", "utf16.txt", "tables.docx", "long-line.txt", "page.html", "good.pdf"}
BAD = {  # file -> words its reason must hold
    "corrupt.pdf": "corrupt PDF",
    "scanned.pdf": "no text layer",
    "empty.txt": "empty file",
    "binary.txt": "binary or undecodable",
    "huge.txt": "over the 20 MB limit",
    "tool.exe": "unsupported file type",
}
HIDDEN = ("页面标题不应出现", "样式内容不应出现", "脚本内容不应出现", "注释内容不应出现")
HIDDEN += ("正文脚本不应出现", "无脚本提示不应出现", "font-family", "document.write")
DOC_STORE = ("docs.jsonl", "docs.index.json")


def write_streaming(path: Path, megabytes: int) -> None:
    """A big text file written a megabyte at a time, never held in memory."""
    line = ("成渝地区双城经济圈产业协同发展。" * 20 + "\n").encode("utf-8")
    block = line * (MB // len(line) + 1)
    with open(path, "wb") as fh:
        for _ in range(megabytes):
            fh.write(block[:MB])


def long_line(chars: int) -> str:
    """Real Chinese words without one punctuation mark or line break."""
    text = PAPER.read_text(encoding="utf-8")
    han = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    return (han * (chars // len(han) + 1))[:chars]


def bad_corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + random.Random(1).randbytes(4000))
    make_scanned_pdf(folder / "scanned.pdf")
    make_pdf(folder / "good.pdf", ["第一章 总则\n第一条 可提取文字的PDF页面，用于对照。"])
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (folder / "tool.exe").write_bytes(b"MZ\x90\x00")
    write_gb18030(folder / "gb18030.txt", SYNTHETIC_PLAN.replace("某市", "国标编码市"))
    write_utf16(folder / "utf16.txt", "双字节编码文件\n\n第一条 统一码文本的产业协同条款。\n")
    write_streaming(folder / "huge.txt", 50)
    make_docx(
        folder / "tables.docx",
        [
            ("heading", 1, "附件 重点项目表"),
            ("para", "下表列出本年度重点项目。"),
            (
                "table",
                [["项目", "投资额/亿元"], ["表格单元格项目甲", "12.5"], ["芯片封测基地", "30"]],
            ),
        ],
    )
    (folder / "long-line.txt").write_text(long_line(200_000), encoding="utf-8")
    make_html(
        folder / "page.html", "<h1>网页政策标题</h1><p>网页正文段落：支持动力电池企业发展。</p>"
    )
    return folder


class PeakRss:
    """Peak resident memory of this process above its level at start, sampled every 5 ms."""

    def __enter__(self) -> PeakRss:
        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.stop.wait(0.005):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.growth = self.peak - self.base


def test_every_bad_file_is_reported_and_every_good_one_indexed(tmp_path, tokenizer, fake_embedder):
    corpus = bad_corpus(tmp_path / "corpus")
    assert (corpus / "huge.txt").stat().st_size == 50 * MB
    settings = Settings.from_env(home=tmp_path / "home", corpus=corpus, embed_model="fake-embedder")
    started = time.perf_counter()
    summary = ingest(settings, fake_embedder, tokenizer)  # must not raise
    seconds = time.perf_counter() - started

    errors = {Path(path).name: reason for path, reason in summary.errors}
    record(
        "bad-documents",
        files=len(list(corpus.iterdir())),
        indexed=len(read_manifest(settings).files),
        errors=errors,
        seconds=seconds,
    )
    assert set(errors) == set(BAD), summary.errors
    for name, words in BAD.items():
        reason = errors[name]
        assert words in reason, (name, reason)
        assert "\n" not in reason and len(reason) < 300, (name, reason)
    for path, _ in summary.errors:
        assert Path(path).parent == corpus  # the full path names the file
    assert "POLICYQA_MAX_FILE_MB" in errors["huge.txt"]  # the fix is in the message

    manifest = read_manifest(settings)
    indexed = {Path(p).name: f for p, f in manifest.files.items()}
    assert set(indexed) == GOOD
    assert set(indexed) | set(errors) == {p.name for p in corpus.iterdir()}
    folder = gen_dir(settings.index_dir, manifest.generation)
    chunks = load_chunks(folder)
    for name, entry in indexed.items():
        mine = [c for c in chunks if c.doc_id == entry.doc_id]
        assert mine and len(mine) == entry.chunks, name

    by_doc = {
        name: "".join(c.text for c in chunks if c.doc_id == f.doc_id) for name, f in indexed.items()
    }
    assert "国标编码市" in by_doc["gb18030.txt"]
    assert "统一码文本的产业协同条款" in by_doc["utf16.txt"]
    assert "表格单元格项目甲" in by_doc["tables.docx"] and "12.5" in by_doc["tables.docx"]
    assert "网页正文段落" in by_doc["page.html"]
    sections = {c.section for c in chunks}  # headings are section paths, not chunk text
    assert "网页政策标题" in sections and "附件 重点项目表" in sections
    everything = "\n".join(c.text for c in chunks)
    # the document store: texts and originals (docs.jsonl) and its index (docs.index.json)
    docs_json = "".join((folder / name).read_text("utf-8") for name in DOC_STORE)
    for hidden in HIDDEN:
        assert hidden not in everything and hidden not in docs_json, hidden

    long_chunks = [c for c in chunks if c.doc_id == indexed["long-line.txt"].doc_id]
    assert all(len(c.text) <= max_chars(settings.chunk_size) for c in long_chunks)
    assert sum(len(c.text) for c in long_chunks) >= 200_000  # all of it, overlap aside
    assert seconds < 120, f"ingest of the bad corpus took {seconds:.0f} s"


@pytest.mark.unit
def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path, tokenizer, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_streaming(corpus / "huge.txt", 50)
    (corpus / "small.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    settings = Settings.from_env(home=tmp_path / "home", corpus=corpus, embed_model="fake-embedder")
    warm = tmp_path / "warm"
    warm.mkdir()
    (warm / "small.txt").write_text(SYNTHETIC_PLAN, encoding="utf-8")
    ingest(settings.with_(home=tmp_path / "warm-home", corpus=warm), fake_embedder, tokenizer)
    with PeakRss() as rss:
        summary = ingest(settings, fake_embedder, tokenizer)
    assert [Path(p).name for p, _ in summary.errors] == ["huge.txt"]
    assert "50.0 MB, over the 20 MB limit" in summary.errors[0][1]
    record("50mb-file", rss_growth_mb=round(rss.growth / MB, 1), reason=summary.errors[0][1])
    assert rss.growth < 100 * MB, f"RSS grew by {rss.growth / MB:.0f} MB"
    assert [Path(p).name for p in read_manifest(settings).files] == ["small.txt"]


@pytest.mark.unit
def test_splitting_a_long_line_is_linear(tokenizer) -> None:
    """A line of 200,000 characters is split in bounded tokenizer calls and linear time
    (jieba slows down per character on a long run of unknown characters)."""
    rng = random.Random(7)
    text = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(200_000))
    seen: list[int] = []

    def cut(s: str) -> list[str]:
        seen.append(len(s))
        return list(s)  # every character a token: the most cut points there can be

    started = time.perf_counter()
    pieces = split_long(text, 0, len(text), 200, cut)
    assert time.perf_counter() - started < 5
    assert max(seen) <= 2000
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(a < b <= a + 200 for a, b in pieces)
    assert all(p[1] == q[0] for p, q in zip(pieces, pieces[1:], strict=False))
    few = text[:3000]  # and with jieba itself, every piece edge is a token edge of its window
    assert "".join(few[a:b] for a, b in split_long(few, 0, 3000, 200, tokenizer.cut)) == few


@pytest.mark.integration
@pytest.mark.slow
def test_cli_ingest_of_a_bad_folder_exits_1_and_lists_the_errors(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "good.txt").write_text("第一条 命令行导入的正常文件。\n", encoding="utf-8")
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n\x00\x01broken")
    (folder / "empty.txt").write_bytes(b"")
    env = {**os.environ, "POLICYQA_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    env.pop("POLICYQA_EMBED_MODEL", None)
    done = subprocess.run(
        [CLI, "ingest", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, done.stderr
    assert any("corrupt.pdf: corrupt PDF" in line for line in errors)
    assert any("empty.txt: empty file" in line for line in errors)
    assert "files 3: added 1, updated 0, removed 0, unchanged 0, errors 2" in done.stdout
    status = json.loads(
        subprocess.run(
            [CLI, "status", "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=300,
            check=True,
        ).stdout
    )
    assert [Path(d["path"]).name for d in status["documents"]] == ["good.txt"]


@pytest.mark.unit
def test_a_corpus_without_text_does_not_crash_ingest(tmp_path, tokenizer, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "headings.txt").write_text("第一章 总则\n第二章 附则\n", encoding="utf-8")
    settings = Settings.from_env(home=tmp_path / "home", corpus=corpus, embed_model="fake-embedder")
    summary = ingest(settings, fake_embedder, tokenizer)
    assert [Path(p).name for p, _ in summary.errors] == ["empty.txt"]
    assert summary.chunks == 0
    retriever = HybridRetriever(settings, fake_embedder, tokenizer)
    assert retriever.search("总则") == []  # an index of nothing answers nothing, calmly
    assistant = Assistant(retriever.reader, profile_for(settings), settings.max_question_chars)
    assert assistant.ask("总则是什么？").answerable is False
