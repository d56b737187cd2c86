"""Which handler each event of the page calls, with which inputs and outputs."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from . import render as ui
from .chat_view import empty_sources
from .documents import DocumentHandlers
from .handlers import ChatHandlers, Shared, user_errors
from .layout import PRIVATE
from .search import SearchHandlers

CONCURRENCY = 4  # answers computed at once; the rest wait in the queue
POLL_SECONDS = 10  # how often an open tab looks for a new index generation


def _enabled(file):
    """The answer's copy and download buttons, usable once there is an answer."""
    return gr.update(interactive=bool(file)), gr.update(interactive=bool(file))


class Handlers:
    """The handlers of the three tabs over one facade."""

    def __init__(self, app) -> None:
        self.shared = Shared(app)
        self.chat = ChatHandlers(self.shared)
        self.search = SearchHandlers(self.shared)
        self.docs = DocumentHandlers(self.shared)


def wire_chat(c: SimpleNamespace, h: Handlers, picked: gr.State) -> gr.State:
    turns = gr.State([])
    chat_in = [c.msg, c.chatbot, turns, c.doc, c.industry, c.role, picked]
    chat_out = [c.chatbot, c.msg, c.sources, c.context, turns, c.markdown, c.download]
    answer = {"concurrency_id": "answer", "concurrency_limit": CONCURRENCY}
    tools = [c.copy, c.download]
    ready = {"fn": _enabled, "inputs": c.download, "outputs": tools, "queue": False, **PRIVATE}
    c.msg.submit(h.chat.chat, chat_in, chat_out, api_name="chat", **answer).then(**ready)
    c.send.click(h.chat.chat, chat_in, chat_out, **answer, **PRIVATE).then(**ready)
    for b in c.examples:
        b.click(lambda q: q, b, c.msg, queue=False, **PRIVATE).then(
            h.chat.chat, chat_in, chat_out, **answer, **PRIVATE
        ).then(**ready)
    reset = [c.chatbot, turns, c.sources, c.context, c.markdown, c.download, c.copy]
    off = gr.update(value=None, interactive=False)
    cleared = ([], [], empty_sources(), "", "", off, gr.update(interactive=False))
    for event in (c.clear.click, c.chatbot.clear):
        event(lambda: cleared, None, reset, queue=False, **PRIVATE)
    c.copy.click(None, c.markdown, None, js=ui.asset("copy.js"), **PRIVATE)
    gr.api(user_errors(h.shared.context_api), api_name="context")
    return turns


def wire_search(s: SimpleNamespace, h: Handlers, picked: gr.State) -> gr.State:
    results = gr.State([])
    search_in = [s.query, s.k, s.doc, s.industry, s.role, picked]
    search_out = [s.results, s.context, results]
    s.query.submit(user_errors(h.search.search), search_in, search_out, api_name="search")
    s.go.click(user_errors(h.search.search), search_in, search_out, **PRIVATE)
    return results


def wire_citations(c, s, h: Handlers, picked: gr.State, turns: gr.State, results: gr.State):
    """Ticking, removing and exporting passages of the citation list, from either tab."""
    views = [picked, s.picked, *s.exports, c.note]
    fast = {"queue": False, **PRIVATE}
    c.sources.select(user_errors(h.chat.select), [turns, picked], [c.context, *views], **fast)
    s.results.select(user_errors(h.search.select), [results, picked], [s.context, *views], **fast)
    s.picked.select(h.search.remove, picked, views, **fast)
    s.pick_all.click(h.search.pick_all, [results, picked], views, **fast)
    s.unpick.click(h.search.unpick, None, views, **fast)


def wire_documents(d: SimpleNamespace, h: Handlers, lists: list, demo: gr.Blocks) -> None:
    """`lists` are the document dropdowns of the other tabs, kept current."""
    generation = gr.State(None)
    current = [d.status, *lists, d.meta_doc, generation]
    d.refresh.click(h.docs.refresh, None, current, **PRIVATE)
    gr.api(h.docs.status, api_name="status")
    started = ('<p class="pq-empty" role="status">正在检查文件……</p>',)
    d.ingest.click(lambda: started, None, [d.report], queue=False, **PRIVATE).then(
        h.docs.upload,
        d.files,
        [d.report, *current, d.files],
        concurrency_limit=1,
        concurrency_id="ingest",
        **PRIVATE,
    )
    fields = [d.issuer, d.number, d.date, d.journal]
    d.meta_doc.change(h.docs.metadata, d.meta_doc, [*fields, d.preview], queue=False, **PRIVATE)
    d.save.click(
        user_errors(h.docs.save_metadata), [d.meta_doc, *fields], d.preview, queue=False, **PRIVATE
    )
    demo.load(h.docs.refresh, None, current, **PRIVATE)
    timer = gr.Timer(POLL_SECONDS)
    timer.tick(h.docs.poll, generation, current, queue=False, show_progress="hidden", **PRIVATE)
