"""Files uploaded through the page: checked, copied into the uploads folder
(never served back), or refused with a reason in Chinese."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from policyqa.ingest.loaders import SUPPORTED
from policyqa.settings import Settings


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w\u4e00-\u9fff.()（）\-]+", "_", Path(name).name).lstrip("._")
    return stem[-120:] or "upload"


def store_uploads(settings: Settings, files: list) -> tuple[list[str], list[Path]]:
    """Copy accepted uploads into the uploads folder (never web-served); reasons for the rest."""
    report: list[str] = []
    saved: list[Path] = []
    if not files:
        return ["请先选择要上传的文件。"], saved
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    limit = settings.upload_max_mb * 1024 * 1024
    for f in files:
        src = Path(getattr(f, "name", f))
        name = _safe_name(src.name)
        if src.suffix.lower() not in SUPPORTED:
            report.append(f"未上传：{src.name}：不支持的文件类型，请使用 {'、'.join(SUPPORTED)}")
            continue
        if src.stat().st_size > limit:
            report.append(f"未上传：{src.name}：超过 {settings.upload_max_mb:g} MB 的上限")
            continue
        if (Path(settings.corpus) / name).exists():
            report.append(f"未上传：{src.name}：语料库中已有同名文件")
            continue
        dest = settings.uploads_dir / name
        shutil.copyfile(src, dest)
        saved.append(dest)
        report.append(f"已上传：{name}")
    return report, saved
