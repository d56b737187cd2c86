"""Event handlers of the chat tab, and what every tab shares: each calls the
`PolicyQA` facade and renders with the view modules; nothing here answers or
searches itself. `search.py` and `documents.py` hold the other tabs' handlers."""

from __future__ import annotations

import functools
import logging
import re
import time

import gradio as gr

from policyqa.app import PolicyQA
from policyqa.errors import PolicyQAError
from policyqa.index.filters import Filters

from . import citations as cite
from . import render as ui
from .chat_view import clarifying, message_parts, sources_html
from .citations import entry, toggle
from .exports import answer_export, export_file
from .reference import gbt7714
from .search_view import picked_html, picked_note

log = logging.getLogger(__name__)
STREAM_DELAY = 0.01  # seconds between streamed prefixes (each also costs a page update)
EXPORTS = (  # citation list exports: (format, file suffix, encoding, file name)
    ("gbt", ".txt", "utf-8", "引用清单-GBT7714"),
    ("csv", ".csv", "utf-8-sig", "引用清单"),  # the BOM lets Excel read the Chinese
    ("ris", ".ris", "utf-8", "引用清单"),
    ("bib", ".bib", "utf-8", "引用清单"),
)
BUSY = "正在检索文件……"


def filters_of(doc: str | None, industry: str | None, role: str | None) -> Filters:
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


class Shared:
    """What the handlers of every tab need: document metadata, references, contexts."""

    def __init__(self, app: PolicyQA) -> None:
        self.app = app
        self.settings = app.settings
        self.labels = {**ui.ROLE_LABELS, **app.profile.role_labels}

    def meta(self, doc_id: str) -> dict:
        info = self.app.document(doc_id)
        return info.to_dict() if info else {"doc_id": doc_id}

    def reference(self, c: dict) -> str:
        return gbt7714(self.meta(c["doc_id"]))

    def chunk_text(self, chunk_id: str) -> str | None:
        chunk = self.app.chunk(chunk_id)
        return chunk.text if chunk else None

    def context(self, chunk_id: str, quotes: list[str], ref: str = "") -> str:
        found = self.app.context(chunk_id, quotes[0] if quotes else "")
        ctx = found.to_dict() if found else None
        citation = self.reference(ctx) if ctx else ""
        return ui.context_html(ctx, citation, quotes, ref or f"c:{chunk_id}", self.labels)

    def context_api(self, chunk_id: str, quote: str = "") -> str:
        """A passage in the paragraph around it, with the quote highlighted (HTML)."""
        return self.context(chunk_id, [quote] if quote else [])

    def selection(self, picked: list[dict]) -> tuple:
        """(the list, its panel, the four export buttons, the chat tab's note) after a change."""
        buttons = [self._export(picked, *fmt) for fmt in EXPORTS]
        return picked, picked_html(picked), *buttons, picked_note(picked)

    def unchanged(self) -> tuple:
        return (gr.skip(),) * (3 + len(EXPORTS))

    def _export(self, picked: list[dict], fmt: str, suffix: str, encoding: str, stem: str):
        if not picked:
            return gr.update(value=None, interactive=False)
        meta = functools.cache(self.meta)
        labels = self.labels
        text = {
            "gbt": lambda: cite.gbt_text(picked, meta),
            "csv": lambda: cite.csv_text(picked, meta, labels),
            "ris": lambda: cite.ris_text(picked, meta),
            "bib": lambda: cite.bibtex_text(picked, meta),
        }[fmt]()
        return gr.update(value=export_file(text, suffix, encoding, stem), interactive=True)


class ChatHandlers:
    """The chat tab: answers streamed into the chatbot, their sources and contexts."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.app = shared.app
        settings = shared.settings
        self.use_llm = bool(settings.llm_base_url and settings.llm_model)

    def chat(self, message, chatbot, turns, doc, industry, role, picked):
        """Yields (chatbot, question box, sources, context, turns, markdown, download)."""
        skip = gr.skip()
        question = (message or "").strip()
        if not question:
            yield (skip,) * 7
            return
        turns = list(turns or []) if chatbot else []  # a cleared chat starts over
        chatbot = list(chatbot or []) + [
            {"role": "user", "content": ui.md_text(question)},
            {"role": "assistant", "content": BUSY},
        ]
        yield chatbot, "", skip, skip, turns, skip, skip
        result = self._ask(question, turns, filters_of(doc, industry, role))
        if isinstance(result, str):
            chatbot[-1] = {"role": "assistant", "content": result}
            yield chatbot, skip, skip, skip, turns, skip, skip
            return
        turn = len(turns)
        answer, cited = result.get("answer") or "", [c["n"] for c in result["citations"]]
        head, tail = message_parts(result, question)
        for cut in ui.stream_cuts(answer):
            text = head + ui.answer_markdown(answer[:cut], turn, cited)
            chatbot[-1] = {"role": "assistant", "content": text}
            if cut < len(answer):
                yield chatbot, skip, skip, skip, skip, skip, skip
                time.sleep(STREAM_DELAY)
        chatbot[-1]["content"] += tail
        keep = {k: result.get(k) for k in ("answer", "answerable", "citations", "passages")}
        keep.update(question=question, related=result.get("related"), notice=result.get("notice"))
        keep["intent"] = result.get("intent") or ""
        picked_ids = [p["chunk_id"] for p in picked or []]
        sources = sources_html(keep, turn, self.shared.chunk_text, picked_ids, self.shared.labels)
        hint = ui.context_hint("点击回答中的 [n] 标记或来源段落，可查看它在原文中的上下文。")
        markdown = answer_export(keep, self.shared.reference)
        again = question if clarifying(keep) else skip  # to complete it in place
        saved = export_file(markdown, ".md", stem="回答")  # a plain path, for API users too
        yield chatbot, again, sources, hint, turns + [keep], markdown, saved

    def _ask(self, question: str, turns: list[dict], filters: Filters) -> dict | str:
        """The answer as a dict, or the chat message saying why there is none."""
        try:
            return self.app.ask(
                question, history=_history(turns), filters=filters, use_llm=self.use_llm
            ).to_dict()
        except PolicyQAError as exc:
            return "⚠️ " + ui.md_text(str(exc))
        except Exception:
            log.exception("answering %r failed", question)
            return "⚠️ 系统出错，请稍后重试；如仍出错请联系管理员。"

    def select(self, turns, picked, evt: gr.SelectData):
        """A click in the chat column: a context to show, or a source ticked or unticked."""
        ref = str(evt.value or "")
        if ref[:1] in "+-" and ref[1:]:
            chunk_id, quotes, info = resolve(turns or [], ref[1:])
            excerpt = " … ".join(quotes)
            item = entry({**info, "chunk_id": chunk_id}, excerpt) if chunk_id else None
            return gr.skip(), *self.shared.selection(
                toggle(list(picked or []), item, ref[0] == "+")
            )
        chunk_id, quotes, _ = resolve(turns or [], ref)
        if not chunk_id:
            return gr.skip(), *self.shared.unchanged()
        return self.shared.context(chunk_id, quotes, ref), *self.shared.unchanged()


def resolve(turns: list[dict], ref: str) -> tuple[str, list[str], dict]:
    """(chunk_id, quotes, passage info) for a clicked reference 'turn-n',
    'turn-rI' or 'c:chunk_id'."""
    if ref.startswith("c:"):
        return ref[2:], [], {}
    m = re.fullmatch(r"(\d+)-(r?)(\d+)", ref)
    if not m or int(m.group(1)) >= len(turns):
        return "", [], {}
    t, related, i = turns[int(m.group(1))], m.group(2), int(m.group(3))
    if related:
        rel = t.get("related") or t.get("passages") or []
        return (rel[i]["chunk_id"], [], rel[i]) if i < len(rel) else ("", [], {})
    cs = [c for c in t.get("citations") or [] if c["n"] == i]
    if not cs:
        return "", [], {}
    chunk_id = cs[0]["chunk_id"]
    passage = next((p for p in t.get("passages") or [] if p["chunk_id"] == chunk_id), {})
    quotes = [c["quote"] for c in cs if c.get("quote") and c["chunk_id"] == chunk_id]
    return chunk_id, quotes, {**passage, **cs[0]}
