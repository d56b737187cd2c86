"""Files uploaded through the page: checked, read once as a document, copied
into the uploads folder (never served back), or refused with one reason in
Chinese. A file is reported once: 将加入 or 未加入, never both."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from policyqa.errors import LoadError
from policyqa.ingest.loaders import SUPPORTED, load
from policyqa.settings import Settings

Report = list[tuple[bool, str]]  # (accepted, line) per file

# loader reasons (English, for the CLI) as an official reads them
REASONS = (
    ("empty file", "文件是空的（0 字节）"),
    ("no text found", "文件中没有可读取的文字"),
    ("binary or undecodable", "无法识别文件的文字编码，请另存为 UTF-8 或 GB18030 文本"),
    ("encrypted PDF", "PDF 已加密，请先解除加密"),
    ("PDF has no text layer", "PDF 没有文字层（可能是扫描件），请先进行文字识别（OCR）"),
    ("corrupt PDF", "PDF 文件已损坏，请重新导出"),
    ("corrupt DOCX", "DOCX 文件已损坏，请用 Word 或 WPS 另存为 .docx"),
    ("unsupported file type", "不支持的文件类型"),
    ("over the", "文件超过大小上限"),
    ("cannot read file", "无法读取文件"),
)


def reason_zh(reason: str) -> str:
    for key, text in REASONS:
        if key in reason:
            return text
    return "无法解析该文件"


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w\u4e00-\u9fff.()（）\-]+", "_", Path(name).name).lstrip("._")
    return stem[-120:] or "upload"


def _refusal(src: Path, settings: Settings, name: str) -> str:
    """Why a file cannot be added, or '' when it can."""
    kinds = "、".join(SUPPORTED)
    if src.suffix.lower() not in SUPPORTED:
        return f"不支持的文件类型（{src.suffix or '无扩展名'}），请上传 {kinds} 文件"
    size = src.stat().st_size
    if size == 0:
        return "文件是空的（0 字节）"
    if size > settings.upload_max_mb * 1024 * 1024:
        return f"超过 {settings.upload_max_mb:g} MB 的上限"
    if (Path(settings.corpus) / name).exists():
        return "语料库中已有同名文件"
    try:
        load(src, max_mb=settings.upload_max_mb)
    except LoadError as exc:
        return reason_zh(exc.reason)
    return ""


def store_uploads(settings: Settings, files: list) -> tuple[Report, list[Path]]:
    """Copy the uploads that read as documents into the uploads folder; a reason for the rest."""
    report: Report = []
    saved: list[Path] = []
    if not files:
        return [(False, "请先选择要上传的文件。")], saved
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    for f in files:
        src = Path(getattr(f, "name", f))
        name = _safe_name(src.name)
        display = src.name
        why = _refusal(src, settings, name)
        if why:
            report.append((False, f"未加入：{display}：{why}"))
            continue
        dest = settings.uploads_dir / name
        shutil.copyfile(src, dest)
        saved.append(dest)
        report.append((True, f"将加入：{name}"))
    return report, saved
