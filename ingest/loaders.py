"""Read a file from disk into a `RawDocument`: text plus the structure the format marks.

Loaders only extract; repairing text is the cleaner's job. Every failure a user
can cause with a bad file surfaces as one `LoadError` whose one-line reason says
what to do, so `policyqa ingest` can report it and carry on with the next file.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from itertools import accumulate
from pathlib import Path

import docx
import pypdf
from bs4 import BeautifulSoup, NavigableString, Tag
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree
from pypdf.errors import DependencyError, FileNotDecryptedError

from policyqa.documents import RawDocument
from policyqa.errors import LoadError

SUPPORTED = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
_FMT = {".txt": "txt", ".md": "md", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}
_BINARY = "binary or undecodable file (expected UTF-8, UTF-16 or GB18030 text)"
_MB = 1024 * 1024
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def load(path: Path, max_mb: float = 20.0) -> RawDocument:
    """Load one file; a bad file raises `LoadError`, never a library's own exception."""
    path = Path(path)
    fmt = _FMT.get(path.suffix.lower())
    if fmt is None:
        raise LoadError(
            path, f"unsupported file type '{path.suffix}': use one of {', '.join(SUPPORTED)}"
        )
    try:
        size = path.stat().st_size
        if size > max_mb * _MB:  # checked before reading so a huge file costs nothing
            raise LoadError(
                path,
                f"file is {size / _MB:.1f} MB, over the {max_mb:g} MB limit "
                "(set POLICYQA_MAX_FILE_MB to raise it)",
            )
        if size == 0:
            raise LoadError(path, "empty file")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read file: {exc.strerror or _one_line(exc)}") from exc
    doc = _READERS[fmt](path, data)
    if not doc.text.strip():
        raise LoadError(path, "no text found")
    return doc


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes as text and name the encoding; raise ValueError for binary data.

    Chinese files arrive as UTF-8, UTF-16 (Windows "Unicode") or GBK/GB18030.
    Latin-1 is never tried: it decodes anything, so it would turn a GBK file
    or a binary file into plausible-looking garbage instead of an error.
    """
    if data.startswith(_BOMS[0]):
        candidates = ["utf-8-sig"]
    elif data.startswith(_BOMS[1:]):
        candidates = ["utf-16"]
    elif b"\x00" in data:
        raise ValueError(_BINARY)
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _mostly_control(text):
            break
        return text, encoding
    raise ValueError(_BINARY)


def _mostly_control(text: str) -> bool:
    """Text files hold almost no control characters; binary data decoded by luck does."""
    sample = text[:65536]
    bad = sum(1 for ch in sample if ch not in "\t\n\r\f" and unicodedata.category(ch) == "Cc")
    return bad > max(4, len(sample) // 100)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_txt(path: Path, data: bytes) -> RawDocument:
    try:
        text, encoding = decode_text(data)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from exc
    return RawDocument(path=str(path), text=_newlines(text), fmt="txt", encoding=encoding)


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _numbered(line: str) -> bool:
    """A numbered heading (第一章, 一、, 1.2): structure, never a document's title."""
    from .headings import heading_info

    info = heading_info(line.strip())
    return bool(info and info.number)


def _read_md(path: Path, data: bytes) -> RawDocument:
    """Keep the text, but drop the '#' marks so heading spans cover only the title.
    A leading level-1 heading is the document's title, not a section; HTML
    comments (<!-- INFO END -->) are not text."""
    raw = _read_txt(path, data)
    text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), raw.text)
    lines, headings, offset, fenced, title = [], [], 0, False, ""
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced  # '# comment' inside a code block is not a heading
        match = None if fenced else _ATX.match(line)
        if match and match.group(2):
            line = match.group(2)
            first = not title and len(match.group(1)) == 1 and not "".join(lines).strip()
            if first and not _numbered(line):
                title = line.strip()
            else:
                headings.append((offset, offset + len(line), len(match.group(1))))
        lines.append(line)
        offset += len(line) + 1
    return replace(raw, text="\n".join(lines), fmt="md", headings=tuple(headings), title=title)


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs a warning per recoverable defect; a bad file would flood the ingest log."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _read_pdf(path: Path, data: bytes) -> RawDocument:
    try:
        with _quiet_pypdf():
            reader = pypdf.PdfReader(io.BytesIO(data))
            texts = [_newlines(page.extract_text() or "").strip() for page in reader.pages]
    except (FileNotDecryptedError, DependencyError) as exc:
        raise LoadError(path, "encrypted PDF: decrypt it first") from exc
    except Exception as exc:  # pypdf raises many unrelated types on malformed input
        raise LoadError(path, f"corrupt PDF: {_one_line(exc)}; re-export or repair it") from exc
    if not texts:
        raise LoadError(path, "corrupt PDF: no pages")
    if not any(texts):
        raise LoadError(path, "PDF has no text layer (scanned image?): run OCR first")
    pages = tuple(accumulate((len(text) + 2 for text in texts[:-1]), initial=0))
    return RawDocument(path=str(path), text="\n\n".join(texts), fmt="pdf", pages=pages)


class _Lines:
    """Builds text line by line, recording heading spans and collapsing blank runs."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.gap = ""
        self.headings: list[tuple[int, int, int]] = []

    def add(self, line: str, level: int = 0) -> None:
        self._line(" ".join(line.split()) if level else line.strip(), level)

    def row(self, cells: Iterable[str]) -> None:
        """A table row: cells tab-joined, kept aligned even when the first cell is empty."""
        line = "\t".join(" ".join(cell.split()) for cell in cells)
        self._line(line if line.strip() else "")

    def _line(self, line: str, level: int = 0) -> None:
        if not line:
            self.gap = "\n\n" if self.size else ""
            return
        if self.size:
            self._append(self.gap or "\n")
        if level:
            self.headings.append((self.size, self.size + len(line), level))
        self._append(line)
        self.gap = ""

    def _append(self, part: str) -> None:
        self.parts.append(part)
        self.size += len(part)

    def document(
        self, path: Path, fmt: str, encoding: str | None = None, title: str = ""
    ) -> RawDocument:
        text, headings = "".join(self.parts), tuple(self.headings)
        return RawDocument(str(path), text, fmt, encoding, headings=headings, title=title)


_DOCX_HEADING = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_DOCX_TITLE = re.compile(r"^(?:title|标题)$", re.IGNORECASE)


def _docx_level(paragraph: Paragraph) -> int:
    """Word's built-in heading styles, under their English or Chinese names."""
    match = _DOCX_HEADING.match(_style(paragraph))
    return int(match.group(1)) if match else 0


def _style(paragraph: Paragraph) -> str:
    return (paragraph.style.name or "").strip() if paragraph.style else ""


def _docx_blocks(parent: object, container: etree._Element) -> Iterator[Paragraph | Table]:
    """Body children in document order; python-docx's own lists split paragraphs from tables."""
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, parent)
        elif child.tag == qn("w:tbl"):
            yield Table(child, parent)
        elif child.tag == qn("w:sdt"):  # content controls wrap ordinary blocks
            for content in child.iterchildren(qn("w:sdtContent")):
                yield from _docx_blocks(parent, content)


def _read_docx(path: Path, data: bytes) -> RawDocument:
    """Paragraphs and tables in order; heading styles become headings, the Title
    style (or the document properties) the title."""
    out = _Lines()
    title = ""
    try:
        document = docx.Document(io.BytesIO(data))
        title = (document.core_properties.title or "").strip()
        for block in _docx_blocks(document, document.element.body):
            if isinstance(block, Paragraph):
                if _DOCX_TITLE.match(_style(block)) and block.text.strip():
                    title = title or " ".join(block.text.split())
                    out.add(block.text)
                    continue
                out.add(block.text, _docx_level(block))
                continue
            out.add("")
            for row in block.rows:
                out.row(cell.text for cell in row.cells)
            out.add("")
    except Exception as exc:  # zipfile, lxml and python-docx each raise their own types
        raise LoadError(
            path, f"corrupt DOCX: {_one_line(exc)}; re-save it as .docx in Word or WPS"
        ) from exc
    return out.document(path, "docx", title=title)


_DROP = ("script", "style", "noscript", "template", "head")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {"address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt"}
_BLOCKS |= {"figcaption", "figure", "footer", "form", "header", "hr", "li", "main", "nav", "ol"}
_BLOCKS |= {"p", "pre", "section", "table", "tbody", "tfoot", "thead", "ul"}
# A source line break between two Chinese characters is not a space (CSS Text 3, segment breaks)
_CJK = "\u3001-\u9fff\uff00-\uffef"  # CJK punctuation, ideographs, full-width forms
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _decode_html(data: bytes) -> tuple[str, str]:
    """Valid UTF-8 wins (pages are often mislabelled), then the declared charset, then guessing."""
    declared = _CHARSET.search(data[:4096])
    name = declared.group(1).decode("ascii").lower() if declared else ""
    name = "gb18030" if name in ("gb2312", "gbk", "x-gbk") else name  # as browsers do: a superset
    if name and not data.startswith(_BOMS):
        for encoding in ("utf-8", name):
            with suppress(LookupError, UnicodeDecodeError):
                return data.decode(encoding), encoding
    return decode_text(data)


def _walk_html(root: Tag, out: _Lines) -> None:
    """Flatten the tree to lines: blocks break lines, headings and table rows are one line.

    Iterative, because pages with thousands of unclosed <font> tags nest deeper
    than Python's recursion limit.
    """
    line: list[str] = []
    stack = [(iter(root.children), False)]  # (children left, is the parent a block)
    while stack:
        child = next(stack[-1][0], None)
        if child is None:
            if stack.pop()[1]:
                _flush(out, line)
        elif isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, doctype or CDATA
                line.append(str(child))
        elif isinstance(child, Tag):
            name = child.name.lower()
            block = name in _HEADINGS or name == "tr" or name in _BLOCKS
            if block:
                _flush(out, line, blank=name == "br")  # <br><br> is an old-style paragraph break
            if name in _HEADINGS:  # no separator in get_text: it would split Chinese words
                out.add(child.get_text(), _HEADINGS[name])
            elif name == "tr":
                out.row(cell.get_text() for cell in child.find_all(("td", "th"), recursive=False))
            else:
                stack.append((iter(child.children), block))
    _flush(out, line)


def _flush(out: _Lines, line: list[str], blank: bool = False) -> None:
    text = " ".join(_CJK_BREAK.sub("", "".join(line)).split())
    if text or blank:
        out.add(text)
    line.clear()


def _read_html(path: Path, data: bytes) -> RawDocument:
    try:
        source, encoding = _decode_html(data)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from exc
    soup = BeautifulSoup(_newlines(source), "html.parser")
    # the page's own heading names the document; <title> often carries the site's name
    head = soup.find("h1") or soup.title
    title = " ".join(head.get_text().split()) if head else ""
    for tag in soup.find_all(list(_DROP)):
        tag.decompose()
    out = _Lines()
    _walk_html(soup, out)
    return out.document(path, "html", encoding, title=title)


_READERS = {
    "txt": _read_txt,
    "md": _read_md,
    "pdf": _read_pdf,
    "docx": _read_docx,
    "html": _read_html,
}
