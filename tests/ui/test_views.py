"""The page's views and exports without a server: GB/T 7714 strings, the
citation list's files, what a search matches and highlights, upload reasons."""

from __future__ import annotations

import csv
import io
import json

import pytest

from policyqa.web import chat_view, citations, search_view, status_view
from policyqa.web import render as ui
from policyqa.web.reference import gbt7714, iso_date, issuer_of
from policyqa.web.uploads import reason_zh, store_uploads
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

PAPER = "成渝地区双城经济圈电子信息、汽车、装备制造世界级产业集群高质量协同发展问题与对策"
QUALITY = {
    "title": "重庆市产品质量条例",
    "doc_type": "regulation",
    "history": [
        {"date": "2014年8月1日", "event": "重庆市第四届人民代表大会常务委员会第十二次会议通过"}
    ],
    "adopted": "2014年8月1日",
    "date": "2014年8月1日",
    "effective": "2015年1月1日",
}


def paper_meta() -> dict:
    path = ROOT / "corpus" / "paper-chengyu-three-clusters-2025.meta.json"
    return {**json.loads(path.read_text(encoding="utf-8")), "doc_id": "paper"}


# ---- GB/T 7714-2015


def test_journal_article_without_journal_name_and_without_section_suffix():
    ref = gbt7714(paper_meta())
    assert ref == f"朱兵, 李宸, 谭晨. {PAPER}[J]. 2025(14): 160-166."
    assert "章节" not in ref


def test_journal_article_with_journal_name_when_the_metadata_has_it():
    ref = gbt7714({**paper_meta(), "journal": "某刊", "volume": "25"})
    assert ref == f"朱兵, 李宸, 谭晨. {PAPER}[J]. 某刊, 2025, 25(14): 160-166."


def test_regulation_with_issuer_from_its_adoption_line_and_date():
    assert issuer_of(QUALITY) == "重庆市人民代表大会常务委员会"
    assert gbt7714(QUALITY) == "重庆市人民代表大会常务委员会. 重庆市产品质量条例[Z]. 2014-08-01."


def test_regulation_with_entered_issuer_number_and_date():
    meta = {
        **QUALITY,
        "issuer": "某市人大常委会",
        "number": "公告〔2014〕1号",
        "date": "2014-08-02",
    }
    assert gbt7714(meta) == "某市人大常委会. 重庆市产品质量条例: 公告〔2014〕1号[Z]. 2014-08-02."


def test_dates_as_iso():
    assert iso_date("2014年8月1日") == "2014-08-01"
    assert iso_date("2021/5/7") == "2021-05-07"
    assert iso_date("2021年") == "2021"
    assert iso_date("明年") == ""


# ---- the citation list's exports


def picked() -> list[dict]:
    return [
        {"chunk_id": "c1", "doc_id": "paper", "doc_title": PAPER, "section": "3.2 薄弱",
         "role": "problem", "page": None, "text": "成渝地区的新能源汽车本地配套率仅为30%。"},
        {"chunk_id": "c2", "doc_id": "quality", "doc_title": "重庆市产品质量条例",
         "section": "第一章 总则 > 第五条", "role": "introduction", "page": 3, "text": "=SUM(1)"},
    ]  # fmt: skip


def meta_of(doc_id: str) -> dict:
    return paper_meta() if doc_id == "paper" else {**QUALITY, "doc_id": "quality"}


def test_gbt_text_lists_one_reference_per_document_and_the_excerpts():
    text = citations.gbt_text(picked() + [{**picked()[0], "chunk_id": "c3"}], meta_of)
    lines = text.splitlines()
    assert lines[1] == f"[1] 朱兵, 李宸, 谭晨. {PAPER}[J]. 2025(14): 160-166."
    assert lines[2] == "[2] 重庆市人民代表大会常务委员会. 重庆市产品质量条例[Z]. 2014-08-01."
    assert "“成渝地区的新能源汽车本地配套率仅为30%。”[1]（3.2 薄弱）" in text
    assert "“=SUM(1)”[2]（第五条，第 3 页）" in text


def test_csv_has_chinese_headers_and_labels_pages_and_no_formulas():
    rows = list(csv.DictReader(io.StringIO(citations.csv_text(picked(), meta_of))))
    assert list(rows[0]) == list(citations.CSV_HEADERS)
    assert [r["章节类型"] for r in rows] == ["问题", "引言/总则"]
    assert [r["页码"] for r in rows] == ["160-166", "3"]
    assert rows[0]["文献类型"] == "期刊论文" and rows[1]["日期"] == "2014-08-01"
    assert rows[1]["摘录"] == "'=SUM(1)"  # a spreadsheet shows it, never runs it


def test_ris_and_bibtex_records():
    ris = citations.ris_text(picked(), meta_of)
    assert ris.startswith("TY  - JOUR\nTI  - " + PAPER)
    assert "AU  - 朱兵\nAU  - 李宸\nAU  - 谭晨" in ris and "SP  - 160\nEP  - 166" in ris
    assert "TY  - STAT" in ris and "DA  - 2014/08/01" in ris and ris.count("ER  -") == 2
    bib = citations.bibtex_text(picked(), meta_of)
    assert "@article{paper-1," in bib and "author = {{朱兵} and {李宸} and {谭晨}}" in bib
    assert "pages = {160--166}" in bib and "@misc{quality-2," in bib


def test_toggle_keeps_order_and_no_duplicates():
    a, b = {"chunk_id": "a"}, {"chunk_id": "b"}
    out = citations.toggle(citations.toggle([], a, True), b, True)
    assert citations.toggle(out, a, True) == [a, b]
    assert citations.toggle(out, a, False) == [b]


# ---- search: what the user typed, nothing else


def terms_of(text: str) -> list[str]:  # jieba's search mode, for the words used here
    table = {
        "新能源汽车本地配套率": [
            "能源",
            "汽车",
            "新能源",
            "新能源汽车",
            "本地",
            "配套率",
            "本地配套率",
        ]
    }
    return table.get(text, [text] if len(text) > 1 else [])


def test_phrases_keep_the_longest_words():
    (ph,) = search_view.phrases("新能源汽车本地配套率？", terms_of)
    assert ph.terms == ("新能源汽车", "本地配套率")


def test_a_passage_must_hold_every_typed_phrase():
    wanted = search_view.phrases("人才 金融", terms_of)
    pool = [
        {"chunk_id": "1", "text": "人才与金融", "score": 2.0},
        {"chunk_id": "2", "text": "人才", "score": 3.0},
        {"chunk_id": "3", "text": "资源", "score": 4.0},
    ]
    found = search_view.match(pool, wanted, 10)
    assert [p["chunk_id"] for p in found.passages] == ["1"] and found.complete
    only = search_view.match(pool[1:], wanted, 10)
    assert [p["chunk_id"] for p in only.passages] == ["2"] and not only.complete
    assert only.missing == ["金融"]
    none = search_view.match(pool, search_view.phrases("量子计算", terms_of), 10)
    assert none.passages == [] and none.absent == ["量子计算"]


def test_no_match_says_so_and_relevance_is_in_words():
    wanted = search_view.phrases("量子计算", terms_of)
    html_out = search_view.search_html("量子计算", search_view.Matches([], True, [], []), wanted)
    assert "未找到包含“量子计算”的段落" in html_out and "pq-card" not in html_out
    assert search_view.relevance(5.0, 10.0) == (50, "中", "mid")
    assert search_view.relevance(10.0, 10.0)[1] == "高" and search_view.relevance(1, 10)[1] == "低"


# ---- chat and documents


def test_refusal_without_repetition_and_clarify_message():
    refusal = {"answerable": False, "answer": "资料中没有关于“天气”的内容。", "citations": []}
    head, _ = chat_view.message_parts(refusal, "天气？")
    assert head == ""
    bare = {"answerable": False, "answer": "检索到的段落不足以回答。", "citations": []}
    assert "资料未能回答" in chat_view.message_parts(bare, "x")[0]
    clarify = {
        "answerable": False,
        "intent": "clarify",
        "answer": "请把问题说完整",
        "citations": [],
    }
    assert "pq-clarify" in chat_view.sources_html(clarify, 0, lambda c: None)


def test_missing_document_refusal_links_to_the_upload():
    md = ui.answer_markdown("全文尚未收录；可在“文档管理”页上传该文件。", 0, [])
    assert "[“文档管理”](#pq-goto-documents)" in md
    result = {"answerable": False, "answer": "可在“文档管理”页上传", "citations": [], "related": []}
    assert 'data-pq-goto="文档管理"' in chat_view.sources_html(result, 0, lambda c: None)


def test_markdown_bold_of_extracted_text_is_not_shown():
    assert ui.marked("**文献标志码:** A", []) == "文献标志码: A"
    assert ui.plain("杨道玲等^[4]通过") == "杨道玲等[4]通过"


def test_local_time_is_a_time_element_not_an_iso_string():
    shown = status_view.local_time("2026-11-26T20:05:11+0000")
    assert 'datetime="2026-11-26T20:05:11+00:00"' in shown and "年" in shown
    assert "+0000" not in shown.split(">")[1]


def test_upload_reasons_in_chinese(tmp_path):
    from policyqa.settings import Settings

    settings = Settings.from_env(home=tmp_path / "home", corpus=tmp_path / "corpus")
    (tmp_path / "corpus").mkdir()
    empty, exe = tmp_path / "empty.txt", tmp_path / "tool.exe"
    empty.write_bytes(b"")
    exe.write_bytes(b"MZ")
    report, saved = store_uploads(settings, [str(exe), str(empty)])
    assert saved == []
    assert report[0] == (
        False,
        "未加入：tool.exe：不支持的文件类型（.exe），请上传 .txt、.md、.pdf、.docx、.html、.htm 文件",
    )
    assert report[1] == (False, "未加入：empty.txt：文件是空的（0 字节）")
    assert reason_zh("PDF has no text layer (scanned image?)").startswith("PDF 没有文字层")
