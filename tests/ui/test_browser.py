"""The web UI in Debian's Chromium (never `playwright install`): chat with a
clickable citation and a copy of the answer, passage search, the documents tab
with an upload, and document text holding a script tag shown literally with no
dialog ever opened. Issue 15's checks, at both screen sizes, are in test_page_*."""

from __future__ import annotations

import pytest

from .conftest import INJECTION_WORD, SCRIPT
from .pages import ask, clear_chat, search, wait_answer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_chat_answer_with_citation_context_and_copy(open_page, artifacts, ui_server):
    page = open_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui_server.url)
    ask(page, "成渝新能源汽车本地配套率是多少？", turn=0)
    marker = page.locator('#pq-chatbot a[href="#pq-0-1"]').first
    assert "30%" in page.locator('#pq-chatbot [data-testid="bot"]').last.inner_text()
    source = page.locator("#pq-src-0-1")
    assert source.locator("mark.pq-quote").count() >= 1
    assert "成渝地区双城经济圈" in source.inner_text()

    marker.click()
    context = page.locator('#pq-context .pq-context[data-pq-for="0-1"]')
    context.wait_for()
    assert context.locator("mark.pq-quote").count() >= 1
    assert "引用格式" in context.inner_text()
    assert len(page.context.pages) == 1  # the marker did not open a tab
    page.screenshot(path=str(artifacts / "chat.png"), full_page=True)

    page.click("#pq-copy")
    page.wait_for_function("async () => (await navigator.clipboard.readText()).includes('## 引用')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "30%" in copied and "[1]" in copied and "\\" not in copied
    assert page.dialogs == [] and page.external == []


def test_example_question_then_refusal_with_related_passages(open_page):
    page = open_page()
    page.get_by_role("button", name="针对产业链薄弱有什么对策？").click()
    wait_answer(page, 0)
    assert page.locator('#pq-chatbot a[href="#pq-0-1"]').count() >= 1
    ask(page, "今天成都的天气怎么样？", turn=1)
    sources = page.locator("#pq-sources .pq-refused")
    assert "相关但未回答问题的段落" in sources.inner_text()
    sources.locator('[data-pq-ref="1-r1"], [data-pq-ref="1-r2"]').first.click()
    page.locator("#pq-context mark.pq-passage").first.wait_for()


def test_search_highlights_terms_and_shows_citation(open_page, artifacts):
    page = open_page()
    search(page, "新能源汽车本地配套率")
    first = page.locator("#pq-results .pq-card").first
    assert first.locator("mark.pq-term").count() >= 1
    assert "[J]. 2025(14): 160-166." in first.inner_text()
    first.click()
    page.locator("#pq-search-context .pq-context").wait_for()
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)


def test_script_in_a_document_is_shown_as_text(open_page, artifacts):
    page = open_page()
    search(page, INJECTION_WORD)
    results = page.locator("#pq-results")
    assert SCRIPT in results.inner_text()
    assert "[点击领取补贴](javascript:alert(2))" in results.inner_text()
    assert results.locator("script, img").count() == 0

    page.get_by_role("tab", name="智能问答").click()
    clear_chat(page)
    ask(page, f"{INJECTION_WORD}所在段落说了什么？ {SCRIPT}", turn=0)
    chat = page.locator("#pq-chat")
    assert SCRIPT in page.locator('#pq-chatbot [data-testid="user"]').last.inner_text()
    assert SCRIPT in chat.inner_text()
    assert chat.locator("script, img[onerror]").count() == 0
    assert chat.locator('a[href^="javascript"]').count() == 0
    page.screenshot(path=str(artifacts / "injection.png"), full_page=True)
    assert page.dialogs == []


def test_documents_tab_and_upload(open_page, artifacts, tmp_path, ui_server):
    page = open_page()
    page.get_by_role("tab", name="文档管理").click()
    status = page.locator("#pq-status")
    status.locator("table").wait_for()
    text = status.inner_text()
    assert "尚未收录的文件" in text and "嵌入模型" in text
    before = int(text.split("尚未收录的文件（")[1].split(" 份")[0])

    plan = tmp_path / "成渝地区双城经济圈汽车产业高质量协同发展实施方案.txt"
    plan.write_text(
        "成渝地区双城经济圈汽车产业高质量协同发展实施方案\n\n一、总体要求\n\n"
        "到2025年，成渝地区汽车产业本地配套率显著提升，共建世界级汽车产业集群。\n",
        encoding="utf-8",
    )
    page.locator('#pq-files input[type="file"]').set_input_files(str(plan))
    page.click("#pq-ingest")
    page.get_by_text("索引已更新").wait_for(timeout=120_000)
    assert "已加入索引：" + plan.name in page.locator("#pq-upload-report").inner_text()
    assert (ui_server.settings.uploads_dir / plan.name).exists()
    page.wait_for_function(
        "n => document.querySelector('#pq-status')?.innerText.includes(`尚未收录的文件（${n} 份）`)",
        arg=before - 1,
    )
    assert "汽车产业高质量协同发展实施方案" in status.locator("table").inner_text()
    page.screenshot(path=str(artifacts / "documents-upload.png"), full_page=True)
    assert page.dialogs == [] and page.external == []
