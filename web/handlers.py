"""Event handlers of the web page: each calls the `PolicyQA` facade and
renders the result with `render`; nothing here answers or searches itself."""

from __future__ import annotations

import functools
import logging
import re
import time
from pathlib import Path

import gradio as gr

from policyqa.app import PolicyQA
from policyqa.errors import PolicyQAError
from policyqa.index.filters import Filters

from . import render as ui
from .exports import answer_export, export_file, results_csv, results_json, with_citations
from .reference import gbt7714
from .uploads import store_uploads

log = logging.getLogger(__name__)
STREAM_DELAY = 0.02  # seconds between streamed prefixes
_INGEST_PROGRESS = gr.Progress(track_tqdm=True)  # one upload at a time (concurrency 1)


def _filters(doc: str | None, industry: str | None, role: str | None) -> Filters:
    return Filters.of(doc=doc, industry=industry, role=role)


def user_errors(fn):
    """Show a PolicyQAError's message (which says what to do) instead of a bare 'Error'."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PolicyQAError as exc:
            raise gr.Error(str(exc)) from exc

    return wrapper


def _history(turns: list[dict]) -> list[dict]:
    """Earlier turns as plain-text messages for `ask` (the chatbot holds escaped Markdown)."""
    out: list[dict] = []
    for t in turns:
        out.append({"role": "user", "content": t["question"]})
        out.append({"role": "assistant", "content": t["answer"]})
    return out


class Handlers:
    """Event handlers; each calls the facade and renders with `render`."""

    def __init__(self, app: PolicyQA) -> None:
        self.app = app
        self.settings = app.settings
        self.use_llm = bool(self.settings.llm_base_url and self.settings.llm_model)

    # ---- chat

    def chat(self, message, chatbot, turns, doc, industry, role):
        """Yields (chatbot, question box, sources, context, turns, markdown, download)."""
        skip = gr.skip()
        question = (message or "").strip()
        if not question:
            yield (skip,) * 7
            return
        turns = list(turns or []) if chatbot else []  # a cleared chat starts over
        chatbot = list(chatbot or []) + [
            {"role": "user", "content": ui.md_text(question)},
            {"role": "assistant", "content": "正在检索文件……"},
        ]
        yield chatbot, "", skip, skip, turns, skip, skip
        try:
            result = self.app.ask(
                question,
                history=_history(turns),
                filters=_filters(doc, industry, role),
                use_llm=self.use_llm,
            ).to_dict()
        except PolicyQAError as exc:
            chatbot[-1] = {"role": "assistant", "content": "⚠️ " + ui.md_text(str(exc))}
            yield chatbot, skip, skip, skip, turns, skip, skip
            return
        except Exception:
            log.exception("answering %r failed", question)
            chatbot[-1] = {
                "role": "assistant",
                "content": "⚠️ 系统出错，请稍后重试；如仍出错请联系管理员。",
            }
            yield chatbot, skip, skip, skip, turns, skip, skip
            return
        turn = len(turns)
        keep = {k: result.get(k) for k in ("answer", "answerable", "citations", "passages")}
        keep.update(question=question, related=result.get("related"), notice=result.get("notice"))
        for text in self._answer_steps(result, question, turn):
            chatbot[-1] = {"role": "assistant", "content": text}
            yield chatbot, skip, skip, skip, skip, skip, skip
            time.sleep(STREAM_DELAY)
        markdown = answer_export(keep, self.reference)
        sources = ui.sources_html(keep, turn, self._chunk_text)
        hint = '<div class="pq-empty">点击回答中的 [n] 标记或来源段落，可查看其所在段落的上下文。</div>'
        yield chatbot, skip, sources, hint, turns + [keep], markdown, export_file(markdown, ".md")

    def _answer_steps(self, result: dict, question: str, turn: int):
        """The answer's chat Markdown in growing prefixes, the last one complete."""
        answer = result.get("answer") or ""
        cited = [c["n"] for c in result.get("citations") or []]
        answerable = result.get("answerable", True)
        head = "" if answerable else "**未能根据文件回答：** "
        resolved = result.get("resolved_question") or ""
        if resolved and resolved != question:
            head = f"*（按“{ui.md_text(resolved)}”理解）*\n\n" + head
        for cut in ui.stream_cuts(answer)[:-1]:
            yield head + ui.answer_markdown(answer[:cut], turn, cited)
        tail = "\n\n> 提示：" + ui.md_text(result["notice"]) if result.get("notice") else ""
        if not answerable:
            tail += "\n\n右侧列出相关但未回答问题的段落。"
        yield head + ui.answer_markdown(answer, turn, cited) + tail

    def cited_context(self, turns, evt: gr.SelectData):
        chunk_id, quotes = _resolve(turns or [], str(evt.value or ""))
        return self._context(chunk_id, quotes) if chunk_id else gr.skip()

    def reference(self, c: dict) -> str:
        return gbt7714(self._meta(c["doc_id"]), c.get("section", ""))

    def _meta(self, doc_id: str) -> dict:
        info = self.app.document(doc_id)
        return info.to_dict() if info else {}

    def _chunk_text(self, chunk_id: str) -> str | None:
        chunk = self.app.chunk(chunk_id)
        return chunk.text if chunk else None

    # ---- passages

    def _context(self, chunk_id: str, quotes: list[str]) -> str:
        found = self.app.context(chunk_id, quotes[0] if quotes else "")
        ctx = found.to_dict() if found else None
        ref = self.reference(ctx) if ctx else ""
        return ui.context_html(ctx, ref, quotes)

    def context(self, chunk_id: str, quote: str = "") -> str:
        """A passage in the paragraph around it, with the quote highlighted (HTML)."""
        return self._context(chunk_id, [quote] if quote else [])

    def search(self, query, k, doc, industry, role):
        """Returns (results HTML, CSV file, JSON file, cleared context)."""
        query = (query or "").strip()
        if not query:
            return '<div class="pq-empty">请输入检索词。</div>', None, None, ""
        f = _filters(doc, industry, role)
        passages = [p.to_dict() for p in self.app.search(query, k=int(k), filters=f)]
        passages = with_citations(passages, functools.cache(self._meta))
        terms = self.app.retriever().parse(query).keyword_terms
        return (
            ui.search_html(passages, terms),
            export_file(results_csv(passages), ".csv", encoding="utf-8-sig"),
            export_file(results_json(query, f.as_dict(), passages), ".json"),
            "",
        )

    def search_context(self, evt: gr.SelectData):
        ref = str(evt.value or "")
        return self._context(ref[2:], []) if ref.startswith("c:") else gr.skip()

    # ---- documents

    def doc_choices(self) -> list[tuple[str, str]]:
        docs = self.app.status().documents
        return [("全部文档", "")] + [(d.title, d.doc_id) for d in docs]

    def status(self) -> str:
        status = self.app.status()
        counts = self.app.role_counts() if status.built else {}
        return ui.status_html(status.to_dict(), counts)

    def refresh(self):
        choices = gr.update(choices=self.doc_choices())
        return self.status(), choices, choices

    def upload(self, files, progress=_INGEST_PROGRESS):
        """Store the files, re-ingest corpus + uploads, report; bad files are removed again."""
        settings = self.settings
        report, saved = store_uploads(settings, files or [])
        if saved:
            progress(0, desc="正在解析并建立索引……")
            try:
                summary = self.app.ingest([settings.corpus, settings.uploads_dir], progress=True)
            except PolicyQAError as exc:
                report.append(f"建立索引失败：{exc}")
            else:
                failed = {Path(p).resolve() for p, _ in summary.errors}
                for path in saved:
                    if path.resolve() in failed:
                        path.unlink(missing_ok=True)
                report += [f"未能加入：{Path(p).name}：{reason}" for p, reason in summary.errors]
                report.append(
                    f"索引已更新：新增 {summary.added} 份，更新 {summary.updated} 份，"
                    f"未变 {summary.unchanged} 份，共 {summary.chunks} 个段落，"
                    f"用时 {summary.seconds:.1f} 秒。"
                )
        items = "".join(f"<li>{ui.esc(line)}</li>" for line in report)
        return (f'<ul class="pq-upload">{items}</ul>', *self.refresh(), None)


def _resolve(turns: list[dict], ref: str) -> tuple[str, list[str]]:
    """(chunk_id, quotes) for a clicked reference 'turn-n', 'turn-rI' or 'c:chunk_id'."""
    if ref.startswith("c:"):
        return ref[2:], []
    m = re.fullmatch(r"(\d+)-(r?)(\d+)", ref)
    if not m or int(m.group(1)) >= len(turns):
        return "", []
    t, related, i = turns[int(m.group(1))], m.group(2), int(m.group(3))
    if related:
        rel = t.get("related") or t.get("passages") or []
        return (rel[i]["chunk_id"], []) if i < len(rel) else ("", [])
    cs = [c for c in t.get("citations") or [] if c["n"] == i]
    if not cs:
        return "", []
    return cs[0]["chunk_id"], [
        c["quote"] for c in cs if c.get("quote") and c["chunk_id"] == cs[0]["chunk_id"]
    ]
