"""The web UI: chat for officials, passage search for researchers, documents.

>>> settings = Settings.from_env()
>>> warm_up(settings)                          # index, model, tokenizer loaded once
>>> demo = build_app(settings)                 # a gr.Blocks with its queue set
>>> demo.launch(**launch_kwargs(settings))     # what `policyqa serve` does

Every answer comes from `pipeline.ask`, every passage from `pipeline`; this
module only lays them out. Text from documents and users is escaped in
`ui_render` before it reaches the page. Answers stream: the question is
answered once, then its text is sent in growing prefixes, and the sources
panel follows with the last one.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from policyqa import pipeline  # noqa: E402
from policyqa.errors import PolicyQAError  # noqa: E402
from policyqa.index.retriever import Filters  # noqa: E402
from policyqa.ingest.loaders import SUPPORTED  # noqa: E402
from policyqa.settings import Settings  # noqa: E402

from . import ui_render as ui  # noqa: E402
from .citation import gbt7714  # noqa: E402

log = logging.getLogger(__name__)

EXAMPLES = (
    "成渝新能源汽车本地配套率是多少？",
    "针对产业链薄弱有什么对策？",
    "成渝地区三大产业集群协同发展存在哪些问题？",
)
INDUSTRY_CHOICES = [("全部产业", ""), "电子信息", "汽车", "装备制造"]
ROLE_CHOICES = [
    ("全部章节", ""),
    ("现状", "status"),
    ("问题", "problem"),
    ("对策", "countermeasure"),
]
CONCURRENCY = 4  # answers computed at once; the rest wait in the queue
QUEUE_SIZE = 128
STREAM_DELAY = 0.02  # seconds between streamed prefixes
EXPORT_DIR = Path(tempfile.gettempdir()) / "policyqa-exports"
_INGEST_PROGRESS = gr.Progress(track_tqdm=True)  # one upload at a time (concurrency 1)

# Local fonts only: the default theme would fetch Google Fonts, which an
# offline government network cannot reach.
FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "sans-serif"]
MONO_FONTS = ["WenQuanYi Micro Hei Mono", "ui-monospace", "Consolas", "monospace"]


def _filters(doc: str | None, industry: str | None, role: str | None) -> Filters:
    return Filters(doc=doc or None, industry=industry or None, role=role or None)


def _user_errors(fn):
    """Show a PolicyQAError's message (which says what to do) instead of a bare 'Error'."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PolicyQAError as exc:
            raise gr.Error(str(exc)) from exc

    return wrapper


def _export_file(text: str, suffix: str, encoding: str = "utf-8") -> str:
    """A fresh file in the temp dir, where Gradio may pick it up; day-old ones are pruned."""
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 86400
    for old in EXPORT_DIR.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    path = EXPORT_DIR / f"policyqa-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}{suffix}"
    path.write_text(text, encoding=encoding)
    return str(path)


def _history(turns: list[dict]) -> list[dict]:
    """Earlier turns as plain-text messages for `ask` (the chatbot holds escaped Markdown)."""
    out: list[dict] = []
    for t in turns:
        out.append({"role": "user", "content": t["question"]})
        out.append({"role": "assistant", "content": t["answer"]})
    return out


class _Handlers:
    """Event handlers; each calls `pipeline` and renders with `ui_render`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.use_llm = bool(settings.llm_base_url and settings.llm_model)

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
            result = pipeline.ask(
                self.settings,
                question,
                history=_history(turns),
                filters=_filters(doc, industry, role),
                use_llm=self.use_llm,
            )
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
        markdown = ui.answer_export(keep, self.reference)
        sources = ui.sources_html(keep, turn, lambda cid: pipeline.chunk_text(self.settings, cid))
        hint = '<div class="pq-empty">点击回答中的 [n] 标记或来源段落，可查看其所在段落的上下文。</div>'
        yield chatbot, skip, sources, hint, turns + [keep], markdown, _export_file(markdown, ".md")

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
        meta = pipeline.document_metadata(self.settings, c["doc_id"])
        return gbt7714(meta, c.get("section", ""))

    # ---- passages

    def _context(self, chunk_id: str, quotes: list[str]) -> str:
        ctx = pipeline.passage_context(self.settings, chunk_id, quotes[0] if quotes else "")
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
        passages = pipeline.search_passages(self.settings, query, k=int(k), filters=f)
        meta_of = functools.cache(lambda doc_id: pipeline.document_metadata(self.settings, doc_id))
        passages = ui.with_citations(passages, meta_of)
        terms = pipeline.retriever_for(self.settings).parse(query).keyword_terms
        return (
            ui.search_html(passages, terms),
            _export_file(ui.results_csv(passages), ".csv", encoding="utf-8-sig"),
            _export_file(ui.results_json(query, f.as_dict(), passages), ".json"),
            "",
        )

    def search_context(self, evt: gr.SelectData):
        ref = str(evt.value or "")
        return self._context(ref[2:], []) if ref.startswith("c:") else gr.skip()

    # ---- documents

    def doc_choices(self) -> list[tuple[str, str]]:
        docs = pipeline.index_status(self.settings).get("documents", [])
        return [("全部文档", "")] + [(d["title"], d["doc_id"]) for d in docs]

    def status(self) -> str:
        status = pipeline.index_status(self.settings)
        counts: dict[str, dict[str, int]] = {}
        if status.get("built"):
            chunks = pipeline.retriever_for(self.settings).snapshot.chunks
            for (doc, role), n in Counter((c.doc_id, c.role) for c in chunks).items():
                counts.setdefault(doc, {})[role] = n
        return ui.status_html(status, counts)

    def refresh(self):
        choices = gr.update(choices=self.doc_choices())
        return self.status(), choices, choices

    def upload(self, files, progress=_INGEST_PROGRESS):
        """Store the files, re-ingest corpus + uploads, report; bad files are removed again."""
        settings = self.settings
        report, saved = _store_uploads(settings, files or [])
        if saved:
            progress(0, desc="正在解析并建立索引……")
            try:
                summary = pipeline.run_ingest(
                    settings, [settings.corpus, settings.uploads_dir], progress=True
                )
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


def build_app(settings: Settings) -> gr.Blocks:
    """The three tabs, wired to `pipeline`, with the queue set for many users."""
    h = _Handlers(settings)
    private = {"api_visibility": "private"}
    with gr.Blocks(title="成渝政策文件问答", delete_cache=(3600, 86400)) as demo:
        turns = gr.State([])
        gr.Markdown(
            "## 政策文件问答\n依据已收录的政策文件与研究论文作答，回答均标注出处，"
            "点击 [n] 可查看原文上下文；文件中没有依据的问题会明确说明无法回答。"
        )
        with gr.Tabs():
            with gr.Tab("智能问答", id="chat"), gr.Row(elem_id="pq-chat"):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="对话",
                        height=520,
                        sanitize_html=True,
                        render_markdown=True,
                        allow_tags=False,
                        latex_delimiters=[],
                        buttons=[],  # copying goes through the clean Markdown export
                        feedback_options=None,
                        placeholder="请在下方输入问题，或点击示例问题。",
                        elem_id="pq-chatbot",
                    )
                    with gr.Row():
                        msg = gr.Textbox(
                            placeholder="输入问题，按回车发送",
                            show_label=False,
                            max_length=settings.max_question_chars,
                            scale=5,
                            elem_id="pq-question",
                        )
                        send = gr.Button("发送", variant="primary", scale=1, elem_id="pq-send")
                    gr.Markdown("**示例问题**（点击即问）")
                    with gr.Row():
                        example_buttons = [gr.Button(q, size="sm") for q in EXAMPLES]
                    with gr.Row():
                        clear = gr.Button("清空对话", size="sm", elem_id="pq-clear")
                        copy = gr.Button("复制回答（Markdown）", size="sm", elem_id="pq-copy")
                        download = gr.DownloadButton(
                            "下载回答（Markdown）", size="sm", elem_id="pq-download"
                        )
                    with gr.Accordion("回答 Markdown", open=False):
                        markdown = gr.Textbox(
                            show_label=False,
                            lines=8,
                            buttons=["copy"],
                            interactive=False,
                            elem_id="pq-markdown",
                        )
                with gr.Column(scale=2):
                    with gr.Accordion("筛选", open=False):
                        doc = gr.Dropdown(h.doc_choices(), value="", label="文档")
                        industry = gr.Dropdown(INDUSTRY_CHOICES, value="", label="产业")
                        role = gr.Dropdown(ROLE_CHOICES, value="", label="章节类型")
                    sources = gr.HTML(
                        '<div class="pq-empty">回答引用的段落会显示在这里。</div>',
                        label="来源",
                        show_label=True,
                        container=True,
                        js_on_load=ui.click_js("#pq-chat"),
                        elem_id="pq-sources",
                    )
                    chat_context = gr.HTML(
                        "", label="上下文", show_label=True, container=True, elem_id="pq-context"
                    )
            with gr.Tab("段落检索", id="search"):
                with gr.Row():
                    query = gr.Textbox(
                        placeholder="输入检索词，如：新能源汽车本地配套率",
                        show_label=False,
                        scale=5,
                        elem_id="pq-query",
                    )
                    go = gr.Button("检索", variant="primary", scale=1, elem_id="pq-search")
                with gr.Row():
                    k = gr.Slider(1, 50, value=10, step=1, label="返回条数")
                    s_doc = gr.Dropdown(h.doc_choices(), value="", label="文档")
                    s_industry = gr.Dropdown(INDUSTRY_CHOICES, value="", label="产业")
                    s_role = gr.Dropdown(ROLE_CHOICES, value="", label="章节类型")
                with gr.Row():
                    csv_file = gr.DownloadButton("导出 CSV", size="sm", elem_id="pq-csv")
                    json_file = gr.DownloadButton("导出 JSON", size="sm", elem_id="pq-json")
                with gr.Row():
                    with gr.Column(scale=3):
                        results = gr.HTML("", js_on_load=ui.click_js(), elem_id="pq-results")
                    with gr.Column(scale=2):
                        s_context = gr.HTML(
                            "",
                            label="上下文",
                            show_label=True,
                            container=True,
                            elem_id="pq-search-context",
                        )
            with gr.Tab("文档管理", id="documents"):
                status = gr.HTML(h.status(), elem_id="pq-status")
                refresh = gr.Button("刷新", size="sm")
                with gr.Accordion("上传文件并加入索引", open=False):
                    files = gr.File(
                        label=f"支持 {'、'.join(SUPPORTED)}，单个文件不超过 "
                        f"{settings.upload_max_mb:g} MB",
                        file_count="multiple",
                        file_types=list(SUPPORTED),
                    )
                    ingest_btn = gr.Button("上传并建立索引", variant="primary")
                    upload_report = gr.HTML("")

        chat_in = [msg, chatbot, turns, doc, industry, role]
        chat_out = [chatbot, msg, sources, chat_context, turns, markdown, download]
        answer = {"concurrency_id": "answer", "concurrency_limit": CONCURRENCY}
        msg.submit(h.chat, chat_in, chat_out, api_name="chat", **answer)
        send.click(h.chat, chat_in, chat_out, **answer, **private)
        for b in example_buttons:
            b.click(lambda q: q, b, msg, queue=False, **private).then(
                h.chat, chat_in, chat_out, **answer, **private
            )
        reset = [chatbot, turns, sources, chat_context, markdown, download]
        for event in (clear.click, chatbot.clear):
            event(lambda: ([], [], "", "", "", None), None, reset, queue=False, **private)
        copy.click(None, markdown, None, js=ui.COPY_JS, **private)
        sources.select(_user_errors(h.cited_context), turns, chat_context, **private)
        gr.api(_user_errors(h.context), api_name="context")

        search_in = [query, k, s_doc, s_industry, s_role]
        search_out = [results, csv_file, json_file, s_context]
        query.submit(_user_errors(h.search), search_in, search_out, api_name="search")
        go.click(_user_errors(h.search), search_in, search_out, **private)
        results.select(_user_errors(h.search_context), None, s_context, **private)

        refresh.click(h.status, None, status, api_name="status")
        ingest_btn.click(
            h.upload,
            files,
            [upload_report, status, doc, s_doc, files],
            concurrency_limit=1,
            concurrency_id="ingest",
            **private,
        )
        demo.load(h.refresh, None, [status, doc, s_doc], **private)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


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


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w\u4e00-\u9fff.()（）\-]+", "_", Path(name).name).lstrip("._")
    return stem[-120:] or "upload"


def _store_uploads(settings: Settings, files: list) -> tuple[list[str], list[Path]]:
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


def warm_up(settings: Settings) -> None:
    """Load the index, model and tokenizer before the first user arrives."""
    retriever = pipeline.retriever_for(settings)
    _ = retriever.snapshot
    retriever.embed_query("成渝地区产业协同")
    pipeline.search_passages(settings, "成渝地区产业协同", k=1)
    pipeline.ask(settings, EXAMPLES[0])


def _auth(settings: Settings) -> list[tuple[str, str]] | None:
    if not settings.auth:
        return None
    user, sep, password = settings.auth.partition(":")
    if not (sep and user and password):
        raise PolicyQAError("POLICYQA_AUTH must look like 'user:password' (both non-empty)")
    return [(user, password)]


def launch_kwargs(settings: Settings, **overrides: object) -> dict:
    """Options for `Blocks.launch`: local by default, never shared, optional login."""
    options = {
        "server_name": settings.host,
        "server_port": settings.port,
        "share": False,
        "auth": _auth(settings),
        "auth_message": "请输入账号和密码。",
        "max_file_size": f"{settings.upload_max_mb:g}mb",
        "blocked_paths": [str(Path(settings.home).resolve())],
        "ssr_mode": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "css": ui.PAGE_CSS,
        "theme": gr.themes.Default(font=FONTS, font_mono=MONO_FONTS),
    }
    options.update(overrides)
    return options


def serve(settings: Settings) -> None:
    if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.auth:
        log.warning("serving on %s without a login: set POLICYQA_AUTH=user:password", settings.host)
    print(f"warming up the index under {settings.index_dir} …", flush=True)
    warm_up(settings)
    build_app(settings).launch(**launch_kwargs(settings))
