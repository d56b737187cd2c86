"""The web UI: chat for officials, passage search for researchers, documents.

>>> settings = Settings.from_env()
>>> warm_up(app)                               # index, model, tokenizer loaded once
>>> demo = build_app(PolicyQA(settings))       # a gr.Blocks with its queue set
>>> demo.launch(**launch_kwargs(settings))     # what `policyqa serve` does

Every answer and passage comes from the `PolicyQA` facade, through
`handlers`; this module only lays the page out. Text from documents and users
is escaped in `render` before it reaches the page. Answers stream: the
question is answered once, then its text is sent in growing prefixes, and the
sources panel follows with the last one.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from policyqa.app import PolicyQA
from policyqa.errors import PolicyQAError
from policyqa.ingest.loaders import SUPPORTED
from policyqa.settings import Settings

from . import render as ui
from .handlers import Handlers, user_errors

log = logging.getLogger(__name__)

ROLE_FILTERS = ("status", "problem", "countermeasure", "target", "liability")
GENERIC_EXAMPLES = ("有哪些主要任务？", "违反规定会受到什么处罚？")


def examples(app: PolicyQA) -> tuple[str, ...]:
    return app.profile.examples or GENERIC_EXAMPLES


def industry_choices(app: PolicyQA) -> list:
    return [("全部产业", "")] + [i.label for i in app.profile.industries]


def role_choices(app: PolicyQA) -> list:
    labels = app.profile.role_labels
    return [("全部章节", "")] + [(labels.get(r, r), r) for r in ROLE_FILTERS if r in labels]


CONCURRENCY = 4  # answers computed at once; the rest wait in the queue
QUEUE_SIZE = 128

# Local fonts only: the default theme would fetch Google Fonts, which an
# offline government network cannot reach.
FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "sans-serif"]
MONO_FONTS = ["WenQuanYi Micro Hei Mono", "ui-monospace", "Consolas", "monospace"]


def build_app(app: PolicyQA) -> gr.Blocks:
    """The three tabs, wired to the facade, with the queue set for many users."""
    settings = app.settings
    h = Handlers(app)
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
                        example_buttons = [gr.Button(q, size="sm") for q in examples(app)]
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
                        industry = gr.Dropdown(
                            industry_choices(app),
                            value="",
                            label="产业",
                            visible=bool(app.profile.industries),
                        )
                        role = gr.Dropdown(role_choices(app), value="", label="章节类型")
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
                    s_industry = gr.Dropdown(
                        industry_choices(app),
                        value="",
                        label="产业",
                        visible=bool(app.profile.industries),
                    )
                    s_role = gr.Dropdown(role_choices(app), value="", label="章节类型")
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
        copy.click(None, markdown, None, js=ui.asset("copy.js"), **private)
        sources.select(user_errors(h.cited_context), turns, chat_context, **private)
        gr.api(user_errors(h.context), api_name="context")

        search_in = [query, k, s_doc, s_industry, s_role]
        search_out = [results, csv_file, json_file, s_context]
        query.submit(user_errors(h.search), search_in, search_out, api_name="search")
        go.click(user_errors(h.search), search_in, search_out, **private)
        results.select(user_errors(h.search_context), None, s_context, **private)

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


def warm_up(app: PolicyQA) -> None:
    """Load the index, model and tokenizer before the first user arrives."""
    app.search(examples(app)[0], k=1)
    app.ask(examples(app)[0])


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
        "css": ui.asset("page.css"),
        "theme": gr.themes.Default(font=FONTS, font_mono=MONO_FONTS),
    }
    options.update(overrides)
    return options


def serve(settings: Settings) -> None:
    if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.auth:
        log.warning("serving on %s without a login: set POLICYQA_AUTH=user:password", settings.host)
    print(f"warming up the index under {settings.index_dir} …", flush=True)
    app = PolicyQA(settings)
    warm_up(app)
    build_app(app).launch(**launch_kwargs(settings))
