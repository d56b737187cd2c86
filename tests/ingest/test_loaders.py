"""Loaders against real files in every supported format, good and bad."""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path

import pytest
from fpdf import FPDF

from policyqa.errors import LoadError
from policyqa.ingest.loaders import SUPPORTED, decode_text, load
from tests.fixtures import (
    CJK_FONT,
    SYNTHETIC_LABEL,
    SYNTHETIC_PLAN,
    make_docx,
    make_html,
    make_pdf,
    make_scanned_pdf,
    write_gb18030,
    write_utf16,
)

CHINESE = (
    "第一条 为加快电子信息、汽车、装备制造产业集群建设，制定本方案。\n（一）补齐产业链短板。\n"
)


def load_error(path: Path, **kwargs: object) -> str:
    """Load a file that must fail; return the message after checking it is usable in a log."""
    with pytest.raises(LoadError) as info:
        load(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    assert info.value.reason
    return info.value.reason


def heading_texts(doc) -> list[tuple[str, int]]:
    return [(doc.text[start:end], level) for start, end, level in doc.headings]


# --- plain text and encodings ------------------------------------------------


@pytest.mark.unit
def test_utf8_text_round_trips_with_normalised_newlines(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(CHINESE.replace("\n", "\r\n").encode("utf-8") + "旧式换行\r结束".encode())
    doc = load(path)
    assert doc.text == CHINESE + "旧式换行\n结束"
    assert (doc.fmt, doc.encoding, doc.path) == ("txt", "utf-8", str(path))
    assert doc.pages == () and doc.headings == ()


@pytest.mark.unit
def test_utf8_bom_is_detected_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + CHINESE.encode("utf-8"))
    doc = load(path)
    assert doc.encoding == "utf-8-sig"
    assert doc.text == CHINESE


@pytest.mark.unit
def test_gb18030_text_is_decoded(tmp_path: Path) -> None:
    doc = load(write_gb18030(tmp_path / "gbk.txt", SYNTHETIC_PLAN))
    assert doc.encoding == "gb18030"
    assert doc.text == SYNTHETIC_PLAN


@pytest.mark.unit
def test_utf16_text_is_decoded(tmp_path: Path) -> None:
    doc = load(write_utf16(tmp_path / "unicode.txt", CHINESE.replace("\n", "\r\n")))
    assert doc.encoding == "utf-16"
    assert doc.text == CHINESE


@pytest.mark.unit
@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CHINESE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CHINESE.encode("utf-8"), "utf-8-sig"),
        (b"\xff\xfe" + CHINESE.encode("utf-16-le"), "utf-16"),
        (b"\xfe\xff" + CHINESE.encode("utf-16-be"), "utf-16"),
        (CHINESE.encode("gb18030"), "gb18030"),
        (CHINESE.encode("gbk"), "gb18030"),
    ],
)
def test_decode_text_names_the_encoding(data: bytes, encoding: str) -> None:
    assert decode_text(data) == (CHINESE, encoding)


@pytest.mark.unit
@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # NUL bytes, no BOM
        bytes(range(1, 32)) * 20 + "正文".encode(),  # control characters, no NUL
        b"\x80\x81\xff\xfe\x80 abc",  # neither UTF-8 nor GB18030
        "第一条".encode("utf-16-le"),  # UTF-16 without a BOM cannot be told from binary
    ],
)
def test_binary_text_file_is_rejected(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(data)
    reason = load_error(path)
    assert reason == "binary or undecodable file (expected UTF-8, UTF-16 or GB18030 text)"
    with pytest.raises(ValueError):
        decode_text(data)


@pytest.mark.unit
def test_latin1_is_never_guessed() -> None:
    with pytest.raises(ValueError):
        decode_text("Café naïve".encode("latin-1") + b"\xff")


@pytest.mark.unit
def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert load_error(path) == "empty file"


@pytest.mark.unit
def test_whitespace_only_file_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text(" \n\u3000\n\t\n", encoding="utf-8")
    assert load_error(path) == "no text found"


@pytest.mark.unit
def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.TXT"
    path.write_text(CHINESE, encoding="utf-8")
    assert load(path).text == CHINESE


# --- markdown ----------------------------------------------------------------


@pytest.mark.unit
def test_markdown_headings_are_spans_without_hash_marks(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    source = (
        "# 第一章 总则\r\n\r\n第一条 正文内容。\r\n## （一）产业链短板 ##\r\n"
        "1. 电子信息\r\n```\r\n# 代码注释不是标题\r\n```\r\n#没有空格不是标题\r\n"
    )
    path.write_text(source, encoding="utf-8", newline="")
    doc = load(path)
    assert doc.fmt == "md"
    assert heading_texts(doc) == [("第一章 总则", 1), ("（一）产业链短板", 2)]
    assert doc.text.startswith("第一章 总则\n\n第一条 正文内容。\n（一）产业链短板\n1. 电子信息\n")
    assert "# 代码注释不是标题" in doc.text
    assert "#没有空格不是标题" in doc.text
    assert "\r" not in doc.text


# --- PDF ---------------------------------------------------------------------


PDF_PAGES = [
    "第一章 总则\n第一条 为加快电子信息产业集群建设，制定本方案。",
    "第二章 存在的问题\n（一）汽车产业关键零部件本地配套不足。\n（二）人才缺口较大。",
    "第三章 主要措施\n1. 装备制造产业建设共性技术平台。",
]


@pytest.mark.unit
def test_pdf_pages_round_trip_with_offsets(tmp_path: Path) -> None:
    doc = load(make_pdf(tmp_path / "plan.pdf", PDF_PAGES))
    assert doc.fmt == "pdf"
    assert len(doc.pages) == 3 and doc.pages[0] == 0
    assert list(doc.pages) == sorted(doc.pages)
    for start, page in zip(doc.pages, PDF_PAGES, strict=True):
        first, *rest = page.split("\n")
        assert doc.text[start:].startswith(first)
        assert all(line in doc.text for line in rest)
    assert doc.text[doc.pages[1] - 2 : doc.pages[1]] == "\n\n"
    assert "（一）汽车产业关键零部件本地配套不足。" in doc.text


@pytest.mark.unit
def test_scanned_pdf_asks_for_ocr(tmp_path: Path) -> None:
    reason = load_error(make_scanned_pdf(tmp_path / "scan.pdf"))
    assert reason == "PDF has no text layer (scanned image?): run OCR first"


@pytest.mark.unit
@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\n this is not really a pdf \x00\x01", b"hello, not a pdf at all"],
)
def test_corrupt_pdf_is_rejected(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    assert load_error(path).startswith("corrupt PDF: ")


def test_truncated_pdf_is_rejected(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", PDF_PAGES).read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(good[: len(good) // 3])
    reason = load_error(path)
    assert reason.startswith("corrupt PDF: ")


@pytest.mark.unit
def test_damaged_but_readable_pdf_loads_without_log_noise(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = make_pdf(tmp_path / "good.pdf", PDF_PAGES).read_bytes()
    path = tmp_path / "bad_xref.pdf"
    path.write_bytes(re.sub(rb"startxref\n\d+", b"startxref\n12345", good))
    before = logging.getLogger("pypdf").level
    with caplog.at_level(logging.WARNING):
        doc = load(path)
    assert len(doc.pages) == 3
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert logging.getLogger("pypdf").level == before  # silenced only while loading


@pytest.mark.unit
def test_encrypted_pdf_asks_to_decrypt(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_font("wqy", fname=str(CJK_FONT), collection_font_number=0)
    pdf.set_font("wqy", size=12)
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.multi_cell(0, 8, "加密文档")
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    assert load_error(path) == "encrypted PDF: decrypt it first"


# --- DOCX --------------------------------------------------------------------


DOCX_BLOCKS = [
    ("heading", 0, "某市制造业集群实施方案"),
    ("heading", 1, "第一章 总则"),
    ("para", "第一条 为加快电子信息产业建设，制定本方案。"),
    ("heading", 2, "（一）配套情况"),
    ("table", [["地区", "汽车本地配套率/%"], ["成渝地区", "45.3"], ["", "缺首格"]]),
    ("para", "表后正文：装备制造产业。"),
    ("heading", 3, "1. 保障措施"),
]


@pytest.mark.unit
def test_docx_keeps_document_order_headings_and_tables(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "plan.docx", DOCX_BLOCKS))
    assert doc.fmt == "docx"
    assert doc.title == "某市制造业集群实施方案"  # the Title style names the document
    assert heading_texts(doc) == [
        ("第一章 总则", 1),
        ("（一）配套情况", 2),
        ("1. 保障措施", 3),
    ]
    lines = doc.text.split("\n")
    assert "地区\t汽车本地配套率/%" in lines
    assert "成渝地区\t45.3" in lines
    assert "\t缺首格" in lines
    order = ["第一条", "（一）配套情况", "地区\t", "成渝地区", "表后正文", "1. 保障措施"]
    positions = [doc.text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert doc.text.startswith("某市制造业集群实施方案\n第一章 总则\n第一条")
    assert "\n\n\n" not in doc.text


@pytest.mark.unit
def test_docx_chinese_heading_style_names(tmp_path: Path) -> None:
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE

    document = Document()
    document.styles.add_style("标题 2", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("二、存在的问题", style="标题 2")
    document.add_paragraph("正文不是标题。")
    path = tmp_path / "zh.docx"
    document.save(str(path))
    assert heading_texts(load(path)) == [("二、存在的问题", 2)]


@pytest.mark.unit
def test_corrupt_docx_is_rejected(tmp_path: Path) -> None:
    not_zip = tmp_path / "not_zip.docx"
    not_zip.write_bytes("这不是压缩包".encode())
    assert load_error(not_zip).startswith("corrupt DOCX: ")

    wrong_zip = tmp_path / "wrong_zip.docx"
    with zipfile.ZipFile(wrong_zip, "w") as archive:
        archive.writestr("hello.txt", "no word/document.xml here")
    assert load_error(wrong_zip).startswith("corrupt DOCX: ")

    good = make_docx(tmp_path / "good.docx", DOCX_BLOCKS).read_bytes()
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(good[: len(good) // 2])
    assert load_error(truncated).startswith("corrupt DOCX: ")


# --- HTML --------------------------------------------------------------------


HTML_BODY = """
<h1>某市 <span>实施方案</span></h1>
<div class="intro"><p>第一条　为加快<b>电子信息</b>产业建设，
制定本方案。</p></div>



<h2>（一）存在的问题</h2>
<ul><li>汽车产业配套不足</li><li>装备制造基础件薄弱</li><li>Made in
China</li></ul>
第一行<br>第二行
<table><thead><tr><th>地区</th><th>配套率/%</th></tr></thead>
<tbody><tr><td>成渝地区</td><td>45.3</td></tr></tbody></table>
<h3>1. 措施 &amp; 保障</h3>
"""


@pytest.mark.unit
def test_html_keeps_text_and_headings_and_drops_code(tmp_path: Path) -> None:
    doc = load(make_html(tmp_path / "plan.html", HTML_BODY))
    assert (doc.fmt, doc.encoding) == ("html", "utf-8")
    assert heading_texts(doc) == [
        ("某市 实施方案", 1),
        ("（一）存在的问题", 2),
        ("1. 措施 & 保障", 3),
    ]
    lines = doc.text.split("\n")
    for line in [
        "汽车产业配套不足",
        "装备制造基础件薄弱",
        "Made in China",
        "第一行",
        "第二行",
        "地区\t配套率/%",
        "成渝地区\t45.3",
    ]:
        assert line in lines
    assert "第一条 为加快电子信息产业建设，制定本方案。" in lines  # no space from the line break
    for hidden in ("不应出现", "secret", "font-family", "<", ">"):
        assert hidden not in doc.text
    assert "\n\n\n" not in doc.text


@pytest.mark.unit
def test_html_declared_gbk_charset_is_honoured(tmp_path: Path) -> None:
    path = make_html(tmp_path / "gbk.htm", "<h2>第二章 主要措施</h2><p>补齐产业链短板。</p>", "gbk")
    doc = load(path)
    assert doc.encoding == "gb18030"
    assert heading_texts(doc) == [("第二章 主要措施", 2)]
    assert doc.text.endswith("补齐产业链短板。")


@pytest.mark.unit
def test_html_mislabelled_utf8_is_still_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.html"
    path.write_bytes('<meta charset="gbk"><p>汽车产业</p>'.encode())
    assert (load(path).text, load(path).encoding) == ("汽车产业", "utf-8")


@pytest.mark.unit
def test_html_br_pairs_and_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "old_site.html"
    body = "<p>上一段<br><br>下一段</p>" + "<font>嵌套" * 3000 + "结束<h2>末尾标题</h2>"
    doc = load(make_html(path, body))
    assert doc.text.startswith("上一段\n\n下一段\n嵌套嵌套")
    assert heading_texts(doc) == [("末尾标题", 2)]


@pytest.mark.unit
def test_html_without_declared_charset_is_guessed(tmp_path: Path) -> None:
    path = tmp_path / "bare.HTML"
    path.write_bytes("<p>汽车产业</p><p>电子信息</p>".encode("gb18030"))
    doc = load(path)
    assert (doc.text, doc.encoding) == ("汽车产业\n电子信息", "gb18030")


# --- limits and dispatch -----------------------------------------------------


@pytest.mark.unit
def test_oversize_file_is_rejected_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 4096)

    def refuse(self: Path) -> bytes:
        raise AssertionError("an oversize file must not be read")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    reason = load_error(path, max_mb=0.001)
    assert (
        reason == "file is 0.0 MB, over the 0.001 MB limit (set POLICYQA_MAX_FILE_MB to raise it)"
    )


@pytest.mark.unit
def test_size_message_matches_the_documented_wording(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    reason = load_error(path)
    assert reason == "file is 50.0 MB, over the 20 MB limit (set POLICYQA_MAX_FILE_MB to raise it)"


@pytest.mark.unit
def test_unsupported_suffix_names_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"PK\x03\x04")
    reason = load_error(path)
    assert ".xlsx" in reason
    assert all(suffix in reason for suffix in SUPPORTED)


@pytest.mark.unit
def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    assert load_error(tmp_path / "gone.txt").startswith("cannot read file")


# --- the shared fixture ------------------------------------------------------


@pytest.mark.unit
def test_synthetic_plan_is_labelled_and_policy_shaped() -> None:
    assert SYNTHETIC_PLAN.startswith(SYNTHETIC_LABEL)
    assert 1200 <= len(SYNTHETIC_PLAN) <= 2000
    for marker in ("第一章", "第一条", "一、", "（一）", "1. ", "（1）", "存在的问题", "主要措施"):
        assert marker in SYNTHETIC_PLAN
    for industry in ("电子信息", "汽车", "装备制造"):
        assert industry in SYNTHETIC_PLAN
