"""Issue 15: Chinese throughout, at both sizes and with an English browser:
<html lang="zh-CN">, Gradio's own labels in Chinese, a Chinese accessible
name for every control, times in the reader's local time, and extracted text
without raw Markdown."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .pages import ask, search

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ENGLISH = [
    "Drop File Here", "Click to Upload", "Use via API", "Built with Gradio", "Settings",
    "Textbox", "Loading", "Submit", "Error", "Clear", "Download",
]  # fmt: skip
NAMES = """() => {
  const out = [];
  const controls = 'input, textarea, select, button, a[href], [role=button], [role=tab], [role=option]';
  for (const el of document.querySelectorAll(controls)) {
    const r = el.getBoundingClientRect();
    if (el.type !== 'file' && (!r.width || !r.height)) continue;
    let name = el.getAttribute('aria-label') || '';
    const by = el.getAttribute('aria-labelledby');
    if (!name && by) name = by.split(' ').map(i => document.getElementById(i)?.innerText || '').join(' ');
    if (!name && el.labels && el.labels.length) name = [...el.labels].map(l => l.innerText).join(' ');
    if (!name) name = (el.innerText || '').trim() || el.getAttribute('title') || '';
    out.push([el.outerHTML.slice(0, 90), name.trim()]);
  }
  return out;
}"""
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_page_is_chinese_with_an_english_browser(open_page, size):
    page = open_page(size, locale="en-US")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.get_by_role("textbox", name="问题").count() == 1
    ask(page, "成渝新能源汽车本地配套率是多少？", turn=0)
    seen = []
    for tab in ("智能问答", "段落检索", "文档管理"):
        page.get_by_role("tab", name=tab).click()
        if tab == "段落检索":
            search(page, "产业链")
            assert page.get_by_role("textbox", name="检索词").count() == 1
        page.wait_for_timeout(300)
        text = page.locator("body").inner_text()
        assert not [w for w in ENGLISH if w in text], (tab, [w for w in ENGLISH if w in text])
        seen += page.evaluate(NAMES)
    unnamed = [(html, name) for html, name in seen if not CJK.search(name)]
    assert not unnamed, unnamed[:8]


def test_index_time_is_local_not_utc_iso(open_page, size, ui_app):
    page = open_page(size, timezone="Asia/Shanghai")
    page.get_by_role("tab", name="文档管理").click()
    built = datetime.strptime(ui_app.status().built_at, "%Y-%m-%dT%H:%M:%S%z")
    local = built.astimezone(ZoneInfo("Asia/Shanghai"))
    want = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    shown = page.locator("#pq-status time")
    for _ in range(50):  # page.js rewrites the server's time after each render
        if shown.inner_text() == want:
            break
        page.wait_for_timeout(100)
    assert shown.inner_text() == want
    status = page.locator("#pq-status").inner_text()
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", status) and "+0000" not in status


def test_the_abstract_shows_no_raw_markdown(open_page, size):
    page = open_page(size)
    search(page, "文献标志码")
    text = page.locator("#pq-results").inner_text()
    assert "文献标志码" in text and "**" not in text
