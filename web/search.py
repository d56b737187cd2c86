"""Event handlers of the search tab and the citation list it exports."""

from __future__ import annotations

import functools

import gradio as gr

from policyqa.language import squash
from policyqa.results import Passage

from . import citations as cite
from .handlers import Shared, filters_of
from .reference import gbt7714
from .render import context_hint
from .search_view import match, phrases, search_html

POOL = 100  # candidates the retriever ranks before the typed words filter them


class SearchHandlers:
    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.app = shared.app

    def search(self, query, k, doc, industry, role, picked):
        """Returns (results HTML, context panel, the results for 全选本页)."""
        query = (query or "").strip()
        f = filters_of(doc, industry, role)
        wanted = phrases(query, self.app.tokenizer.terms)
        pool = [p.to_dict() for p in self.app.search(query, k=POOL, filters=f)] if wanted else []
        found = match(pool, wanted, int(k))
        if not f.as_dict():  # a word is absent only if no document holds it
            corpus = self.app.retriever().reader().corpus_text()
            found.absent = [t for t in found.absent if squash(t) not in corpus]
        meta = functools.cache(self.shared.meta)
        for p in found.passages:
            p["citation"] = gbt7714(meta(p["doc_id"]))
        ids = [p["chunk_id"] for p in picked or []]
        html = search_html(query, found, wanted, ids, bool(f.as_dict()), self.shared.labels)
        hint = context_hint("点击结果可在此查看它在原文中的上下文。") if found.passages else ""
        return html, hint, found.passages

    def select(self, results, picked, evt: gr.SelectData):
        """A click in the results: a context to show, or a result ticked or unticked."""
        ref = str(evt.value or "")
        if ref[:1] in "+-" and ref[1:].startswith("c:"):
            new = self._toggle(results, picked, ref[3:], ref[0] == "+")
            return gr.skip(), *self.shared.selection(new)
        if ref.startswith("c:"):
            return self.shared.context(ref[2:], [], ref), *self.shared.unchanged()
        return gr.skip(), *self.shared.unchanged()

    def _toggle(self, results, picked, chunk_id: str, add: bool) -> list[dict]:
        p = next((r for r in results or [] if r["chunk_id"] == chunk_id), None)
        if p is None and add:
            chunk = self.app.chunk(chunk_id)
            p = Passage(chunk, 0.0, 0).to_dict() if chunk else None
        item = cite.entry(p) if p else {"chunk_id": chunk_id}
        return cite.toggle(list(picked or []), item, add)

    def remove(self, picked, evt: gr.SelectData):
        """The 移出 button of an entry of the citation list."""
        ref = str(evt.value or "")
        if not ref.startswith("-c:"):
            return self.shared.unchanged()
        return self.shared.selection(cite.toggle(list(picked or []), {"chunk_id": ref[3:]}, False))

    def pick_all(self, results, picked):
        out = list(picked or [])
        for p in results or []:
            out = cite.toggle(out, cite.entry(p), True)
        return self.shared.selection(out)

    def unpick(self):
        return self.shared.selection([])
