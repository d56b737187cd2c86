"""The web UI: chat for officials, passage search for researchers, documents.

>>> settings = Settings.from_env()
>>> warm_up(app)                               # index, model, tokenizer loaded once
>>> demo = build_app(PolicyQA(settings))       # a gr.Blocks with its queue set
>>> demo.launch(**launch_kwargs(settings))     # what `policyqa serve` does

Every answer and passage comes from the `PolicyQA` facade, through the
handlers (`handlers`, `search`, `documents`); `layout` places the components,
`events` wires them, and this module puts the page together and serves it.
Text from documents and users is escaped in the view modules (`render`,
`chat_view`, `search_view`, `status_view`) before it reaches the page. Answers
stream: the question is answered once, then its text is sent in growing
prefixes, and the sources panel follows with the last one. The page's own
script and style are files in web/static (page.js, click.js, copy.js, page.css).
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from policyqa.app import PolicyQA
from policyqa.errors import PolicyQAError
from policyqa.settings import Settings

from . import render as ui
from .events import CONCURRENCY, Handlers, wire_chat, wire_citations, wire_documents, wire_search
from .layout import chat_tab, documents_tab, examples, header, search_tab

log = logging.getLogger(__name__)

QUEUE_SIZE = 128

# Local fonts only: the default theme would fetch Google Fonts, which an
# offline government network cannot reach.
FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "sans-serif"]
MONO_FONTS = ["WenQuanYi Micro Hei Mono", "ui-monospace", "Consolas", "monospace"]


def build_app(app: PolicyQA) -> gr.Blocks:
    """The three tabs, wired to the facade, with the queue set for many users."""
    h = Handlers(app)
    docs = h.docs.doc_choices()
    with gr.Blocks(title="成渝政策文件问答", delete_cache=(3600, 86400)) as demo:
        picked = gr.State([])  # the citation list, shared by the chat and search tabs
        header()
        with gr.Tabs(elem_id="pq-tabs"):
            chat = chat_tab(app, docs, app.settings.max_question_chars)
            search = search_tab(app, docs)
            documents = documents_tab(docs, app.settings.upload_max_mb, h.docs.status())
        turns = wire_chat(chat, h, picked)
        results = wire_search(search, h, picked)
        wire_citations(chat, search, h, picked, turns, results)
        wire_documents(documents, h, [chat.doc, search.doc], demo)
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
        "js": ui.asset("page.js"),  # Chinese page, local times, context placement
        "footer_links": ["settings"],
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
