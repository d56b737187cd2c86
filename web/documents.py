"""Event handlers of the documents tab: the index status, uploads, the
citation fields of a document, and keeping every open tab's document lists
current after an upload elsewhere."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from policyqa.app import EDITABLE_METADATA
from policyqa.errors import PolicyQAError

from .handlers import Shared
from .reference import creators, doc_date, doc_number, gbt7714, iso_date
from .status_view import metadata_html, status_html, upload_html
from .uploads import reason_zh, store_uploads

_INGEST_PROGRESS = gr.Progress(track_tqdm=True)  # one upload at a time (concurrency 1)


class DocumentHandlers:
    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.app = shared.app
        self.settings = shared.settings

    def doc_choices(self) -> list[tuple[str, str]]:
        docs = self.app.status().documents
        return [("全部文档", "")] + [(d.title, d.doc_id) for d in docs]

    def generation(self) -> int:
        return self.app.status().generation

    def status(self) -> str:
        status = self.app.status()
        counts = self.app.role_counts() if status.built else {}
        return status_html(status.to_dict(), counts, self.shared.labels)

    def refresh(self):
        """(status, chat filter, search filter, metadata document, generation) as they are now."""
        docs = self.doc_choices()
        choices = gr.update(choices=docs)
        return self.status(), choices, choices, gr.update(choices=docs[1:]), self.generation()

    def poll(self, known):
        """Every open tab asks now and then; only a new index generation updates it."""
        if known is not None and self.generation() == known:
            return (gr.skip(),) * 5
        return self.refresh()

    def upload(self, files, progress=_INGEST_PROGRESS):
        """Check and store the files, re-ingest corpus + uploads, report each file once."""
        report, saved = store_uploads(self.settings, files or [])
        summary = ""
        if saved:
            progress(None, desc="正在解析文件并建立索引，较大的文件可能需要几分钟……")
            try:
                done = self.app.ingest(
                    [self.settings.corpus, self.settings.uploads_dir], progress=True
                )
            except PolicyQAError as exc:
                report = [(False, f"建立索引失败：{exc}")]
                for path in saved:
                    path.unlink(missing_ok=True)
            else:
                failed = {str(Path(p).resolve()): why for p, why in done.errors}
                report = [_after_ingest(ok, line, saved, failed) for ok, line in report]
                summary = (
                    f"索引已更新：新增 {done.added} 份，更新 {done.updated} 份，"
                    f"未变 {done.unchanged} 份，共 {done.chunks} 个段落，用时 {done.seconds:.1f} 秒。"
                )
        if not any(ok for ok, _ in report):
            summary = summary or "没有文件加入索引。"
        return (upload_html(report, summary), *self.refresh(), None)

    # ---- citation fields

    def metadata(self, doc_id):
        """The fields of the chosen document (entered, or as read from it) and its citation."""
        if not doc_id:
            return ("",) * len(EDITABLE_METADATA) + (metadata_html("", ""),)
        meta = self.shared.meta(doc_id)
        fields = {
            "issuer": "，".join(creators(meta)),
            "number": doc_number(meta),
            "date": doc_date(meta),
            "journal": str(meta.get("journal") or ""),
        }
        preview = metadata_html(meta.get("title", ""), gbt7714(meta))
        return (*(fields[k] for k in EDITABLE_METADATA), preview)

    def save_metadata(self, doc_id, issuer, number, date, journal):
        if not doc_id:
            return metadata_html("", "")
        if (date or "").strip() and not iso_date(date):
            meta = self.shared.meta(doc_id)
            note = "未保存：日期无法识别，请写成 2021-05-01 或 2021年5月1日。"
            return metadata_html(meta.get("title", ""), gbt7714(meta), note)
        values = dict(zip(EDITABLE_METADATA, (issuer, number, date, journal), strict=True))
        self.app.save_metadata(doc_id, {k: v or "" for k, v in values.items()})
        meta = self.shared.meta(doc_id)
        return metadata_html(meta.get("title", ""), gbt7714(meta), "已保存，引用格式已更新。")


def _after_ingest(ok: bool, line: str, saved: list[Path], failed: dict[str, str]) -> tuple:
    if not ok:
        return ok, line
    name = line.split("：", 1)[1]
    path = next((p for p in saved if p.name == name), None)
    why = failed.get(str(path.resolve())) if path else None
    if why is not None:
        path.unlink(missing_ok=True)
        return False, f"未加入：{name}：{reason_zh(why)}"
    return True, f"已加入索引：{name}"
