"""Issue 15: the layout at 1400x1000 and at 390x844. Nothing overflows
horizontally on any tab; the documents table stays readable on a phone; the
sources follow the answer; no label covers the chat's messages."""

from __future__ import annotations

import pytest

from .pages import ask, overflow, search

pytestmark = [pytest.mark.browser, pytest.mark.integration]

UNCOVERED = """() => {
  const out = [];
  for (const m of document.querySelectorAll('#pq-chatbot .message')) {
    const r = m.getBoundingClientRect();
    const box = document.querySelector('#pq-chatbot').getBoundingClientRect();
    for (const [x, y] of [[r.left + 6, r.top + 6], [r.right - 6, r.top + 6]]) {
      if (y < box.top || y > box.bottom) continue;
      const top = document.elementFromPoint(x, y);
      if (top && !m.contains(top) && !top.contains(m)) out.push(top.outerHTML.slice(0, 80));
    }
  }
  return out;
}"""


def test_nothing_overflows_on_any_tab(open_page, size):
    page = open_page(size)
    ask(page, "针对产业链薄弱有什么对策？", turn=0)
    assert overflow(page) == []
    search(page, "产业链")
    page.locator("#pq-results .pq-card input[data-pq-pick]").first.check()
    page.wait_for_function("() => document.querySelectorAll('#pq-picked li').length === 1")
    assert overflow(page) == []
    page.get_by_role("tab", name="文档管理").click()
    page.locator("#pq-status table").wait_for()
    assert overflow(page) == []


def test_documents_table_is_readable(open_page, size):
    page = open_page(size)
    page.get_by_role("tab", name="文档管理").click()
    title = page.locator("#pq-status tbody th").first
    box = title.bounding_box()
    assert box["width"] >= (240 if size == "phone" else 200), box  # was 2 characters wide
    assert overflow(page) == []
    cells = page.locator("#pq-status tbody tr").first.locator("td")
    for i in range(cells.count()):  # every column is on screen
        cell = cells.nth(i).bounding_box()
        assert cell["x"] >= 0 and cell["x"] + cell["width"] <= page.viewport_size["width"] + 1


def test_sources_follow_the_answer(open_page, size):
    page = open_page(size)
    ask(page, "成渝新能源汽车本地配套率是多少？", turn=0)
    ask_row = page.locator("#pq-ask-row").bounding_box()
    sources = page.locator("#pq-sources").bounding_box()
    examples = page.locator("#pq-examples").bounding_box()
    if size == "phone":  # straight after the question box, before examples and tools
        assert 0 <= sources["y"] - (ask_row["y"] + ask_row["height"]) <= 80, (ask_row, sources)
        assert sources["y"] < examples["y"]
    else:  # beside the chat, in view
        chat = page.locator("#pq-chatbot").bounding_box()
        assert sources["x"] > chat["x"] + chat["width"] and sources["y"] < 1000


def test_no_label_covers_the_messages(open_page, size):
    page = open_page(size)
    for turn, q in enumerate(
        ["针对产业链薄弱有什么对策？", "成渝地区三大产业集群协同发展存在哪些问题？"]
    ):
        ask(page, q, turn=turn)
    assert page.locator('#pq-chatbot [data-testid="block-label"]').count() == 0
    page.locator("#pq-chatbot .bubble-wrap, #pq-chatbot [role=log]").first.evaluate(
        "el => el.scrollTop = el.scrollHeight / 2"
    )
    assert page.evaluate(UNCOVERED) == []


def test_element_ids_are_unique(open_page, size):
    page = open_page(size)
    for tab in ("段落检索", "文档管理"):  # a tab's content is built when first shown
        page.get_by_role("tab", name=tab).click()
    page.locator("#pq-meta-box").first.wait_for()
    twice = page.evaluate(
        """() => { const n = {}; for (const e of document.querySelectorAll('[id]'))
                     if (e.id) n[e.id] = (n[e.id] || 0) + 1;
                   return Object.keys(n).filter(k => n[k] > 1); }"""
    )
    assert twice == []
