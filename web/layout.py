"""The page's components, tab by tab; `events` wires them to the handlers.

Each tab is a main column and a side column. On a desktop the side column
(sources, context, citation list) stays in view while the main one scrolls; on
a phone (page.css) the columns dissolve so the sources follow the answer, and
a context opens as a sheet over the lower part of the screen.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from policyqa.app import PolicyQA
from policyqa.ingest.loaders import SUPPORTED

from .chat_view import empty_sources
from .render import click_js
from .search_view import picked_html, picked_note

ROLE_FILTERS = ("status", "problem", "countermeasure", "target", "liability")
GENERIC_EXAMPLES = ("有哪些主要任务？", "违反规定会受到什么处罚？")
PRIVATE = {"api_visibility": "private"}


def examples(app: PolicyQA) -> tuple[str, ...]:
    return app.profile.examples or GENERIC_EXAMPLES


def industry_choices(app: PolicyQA) -> list:
    return [("全部产业", "")] + [i.label for i in app.profile.industries]


def role_choices(app: PolicyQA) -> list:
    labels = app.profile.role_labels
    return [("全部章节", "")] + [(labels.get(r, r), r) for r in ROLE_FILTERS if r in labels]


def filters(app: PolicyQA, docs: list, prefix: str) -> tuple:
    """Document, industry and section-role dropdowns."""
    doc = gr.Dropdown(docs, value="", label="文档", elem_id=f"{prefix}-doc")
    industry = gr.Dropdown(
        industry_choices(app),
        value="",
        label="产业",
        visible=bool(app.profile.industries),
        elem_id=f"{prefix}-industry",
    )
    role = gr.Dropdown(role_choices(app), value="", label="章节类型", elem_id=f"{prefix}-role")
    return doc, industry, role


def header() -> None:
    gr.Markdown(
        "## 政策文件问答\n依据已收录的政策文件与研究论文作答，回答均标注出处，"
        "点击 [n] 可查看原文上下文；文件中没有依据的问题会明确说明无法回答。",
        elem_id="pq-header",
    )


def chat_tab(app: PolicyQA, docs: list, max_chars: int) -> SimpleNamespace:
    c = SimpleNamespace()
    with gr.Tab("智能问答", id="chat"), gr.Row(elem_id="pq-chat", equal_height=False):
        with gr.Column(scale=3, elem_id="pq-chat-main"):
            c.chatbot = gr.Chatbot(
                label="对话",
                show_label=False,
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
            with gr.Row(elem_id="pq-ask-row"):
                c.msg = gr.Textbox(
                    label="问题",
                    placeholder="输入问题，按回车发送",
                    show_label=False,
                    max_length=max_chars,
                    scale=5,
                    elem_id="pq-question",
                )
                c.send = gr.Button("发送", variant="primary", scale=1, elem_id="pq-send")
            with gr.Column(elem_id="pq-examples"):
                gr.Markdown("**示例问题**（点击即问）")
                with gr.Row():
                    c.examples = [gr.Button(q, size="sm") for q in examples(app)]
            with gr.Row(elem_id="pq-chat-tools"):
                c.clear = gr.Button("清空对话", size="sm", elem_id="pq-clear")
                c.copy = gr.Button(
                    "复制回答（Markdown）", size="sm", interactive=False, elem_id="pq-copy"
                )
                c.download = gr.DownloadButton(
                    "下载回答（Markdown）", size="sm", interactive=False, elem_id="pq-download"
                )
            with gr.Accordion("回答 Markdown", open=False, elem_id="pq-md"):
                c.markdown = gr.Textbox(
                    label="回答 Markdown",
                    show_label=False,
                    lines=8,
                    buttons=["copy"],
                    interactive=False,
                    elem_id="pq-markdown",
                )
        _chat_side(app, docs, c)
    return c


def _chat_side(app: PolicyQA, docs: list, c: SimpleNamespace) -> None:
    with gr.Column(scale=2, elem_id="pq-chat-side"):
        c.sources = gr.HTML(
            empty_sources(),
            js_on_load=click_js(),
            elem_id="pq-sources",
        )
        c.note = gr.HTML(picked_note([]), elem_id="pq-chat-picked")
        c.context = gr.HTML("", elem_id="pq-context")
        with gr.Accordion("筛选（只在选定范围内作答）", open=False, elem_id="pq-chat-filters"):
            c.doc, c.industry, c.role = filters(app, docs, "pq-chat")


def search_tab(app: PolicyQA, docs: list) -> SimpleNamespace:
    s = SimpleNamespace()
    with gr.Tab("段落检索", id="search"):
        with gr.Row(elem_id="pq-search-bar"):
            s.query = gr.Textbox(
                label="检索词",
                placeholder="输入检索词，如：新能源汽车本地配套率",
                show_label=False,
                scale=5,
                elem_id="pq-query",
            )
            s.go = gr.Button("检索", variant="primary", scale=1, elem_id="pq-search")
        with gr.Row(elem_id="pq-search-filters"):
            s.k = gr.Slider(1, 50, value=10, step=1, label="返回条数", elem_id="pq-k")
            s.doc, s.industry, s.role = filters(app, docs, "pq-search")
        with gr.Row(elem_id="pq-search-body", equal_height=False):
            with gr.Column(scale=3, elem_id="pq-search-main"):
                s.results = gr.HTML(
                    '<div class="pq-results pq-empty"><p>输入检索词后按回车或点击“检索”。'
                    "结果只包含含有检索词的段落，可勾选“选用”加入引用清单。</p></div>",
                    js_on_load=click_js(),
                    elem_id="pq-results",
                )
            with gr.Column(scale=2, elem_id="pq-search-side"):
                s.context = gr.HTML("", elem_id="pq-search-context")
                s.picked = gr.HTML(picked_html([]), js_on_load=click_js(), elem_id="pq-picked")
                with gr.Row(elem_id="pq-picked-actions"):
                    s.pick_all = gr.Button("全选本页结果", size="sm", elem_id="pq-pick-all")
                    s.unpick = gr.Button("清空清单", size="sm", elem_id="pq-unpick")
                with gr.Row(elem_id="pq-exports"):
                    s.exports = [
                        gr.DownloadButton(label, size="sm", interactive=False, elem_id=f"pq-{fmt}")
                        for fmt, label in (
                            ("gbt", "导出 GB/T 7714"),
                            ("csv", "导出 CSV"),
                            ("ris", "导出 RIS"),
                            ("bib", "导出 BibTeX"),
                        )
                    ]
    return s


def documents_tab(docs: list, max_mb: float, status: str) -> SimpleNamespace:
    d = SimpleNamespace()
    with gr.Tab("文档管理", id="documents"):
        d.status = gr.HTML(status, elem_id="pq-status")
        d.refresh = gr.Button("刷新", size="sm", elem_id="pq-refresh")
        with gr.Column(variant="panel", elem_id="pq-upload-box"):
            gr.Markdown("### 上传文件并加入索引", elem_id="pq-upload-title")
            d.files = gr.File(
                label=f"支持 {'、'.join(SUPPORTED)}，单个文件不超过 {max_mb:g} MB",
                file_count="multiple",
                elem_id="pq-files",
            )
            d.check = gr.HTML(  # page.js refuses a file over the limit here, in Chinese
                f'<div id="pq-upload-check-msg" data-pq-max-mb="{max_mb:g}" role="status"></div>',
                elem_id="pq-upload-check",
            )
            d.ingest = gr.Button("上传并建立索引", variant="primary", elem_id="pq-ingest")
            d.report = gr.HTML("", elem_id="pq-upload-report")
        with gr.Column(variant="panel", elem_id="pq-meta-box"):
            gr.Markdown(
                "### 著录信息\n用于引用格式（GB/T 7714-2015）。留空的项不会出现在引用中。",
                elem_id="pq-meta-title",
            )
            d.meta_doc = gr.Dropdown(docs[1:], value=None, label="文件", elem_id="pq-meta-doc")
            with gr.Row():
                d.issuer = gr.Textbox(label="责任者（作者或发布机关）", elem_id="pq-meta-issuer")
                d.number = gr.Textbox(
                    label="文号", placeholder="如：国发〔2021〕1号", elem_id="pq-meta-number"
                )
            with gr.Row():
                d.date = gr.Textbox(
                    label="日期", placeholder="如：2021-05-01", elem_id="pq-meta-date"
                )
                d.journal = gr.Textbox(label="刊名（期刊论文）", elem_id="pq-meta-journal")
            d.save = gr.Button("保存著录信息", variant="primary", elem_id="pq-meta-save")
            d.preview = gr.HTML("", elem_id="pq-meta-preview")
    return d
