"""Screenshots of every tab at both sizes for the README (docs/img/), and the
answer time in the page: Enter to final answer, median under a second for the
example questions."""

from __future__ import annotations

import json
import statistics

import pytest

from .conftest import DOCS_IMG, launch
from .pages import ask, clear_chat, search, wait_seen

pytestmark = [pytest.mark.browser, pytest.mark.integration]

EXAMPLES = [
    "成渝新能源汽车本地配套率是多少？",
    "针对产业链薄弱有什么对策？",
    "成渝地区三大产业集群协同发展存在哪些问题？",
]
NEW_QUESTIONS = [  # asked by no other test, so no answer is cached
    "成渝地区汽车年产量是多少？",
    "如何加强人才政策协同？",
    "产业数字化协同存在什么问题？",
]


@pytest.fixture(scope="module")
def paper_server(paper_app):
    """The page over the paper alone, as a fresh `make run` shows it (no test documents)."""
    server = launch(paper_app)
    yield server
    server.demo.close()


def test_screenshots_of_every_tab(open_page, size, paper_server):
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page = open_page(size, server=paper_server)
    ask(page, EXAMPLES[0], turn=0)
    page.locator('#pq-chatbot a[href="#pq-0-1"]').first.click()
    wait_seen(page, '#pq-context .pq-context[data-pq-for="0-1"] mark.pq-quote')
    chat = "chat.png" if size == "desktop" else "chat-phone.png"
    page.screenshot(path=str(DOCS_IMG / chat), full_page=size == "desktop")
    search(page, "新能源汽车本地配套率")
    page.locator("#pq-results .pq-card input[data-pq-pick]").first.check()
    page.wait_for_function("() => document.querySelectorAll('#pq-picked li').length === 1")
    page.screenshot(path=str(DOCS_IMG / f"search-{size}.png"), full_page=True)
    page.get_by_role("tab", name="文档管理").click()
    page.locator("#pq-status table").wait_for()
    page.screenshot(path=str(DOCS_IMG / f"documents-{size}.png"), full_page=True)
    if size == "phone":  # the chat page as a phone shows it, answer and sources
        page.get_by_role("tab", name="智能问答").click()
        page.locator("#pq-sources").scroll_into_view_if_needed()
        page.screenshot(path=str(DOCS_IMG / "chat-phone-sources.png"))


def test_answer_time_in_the_page(open_page, artifacts):
    page = open_page("desktop")
    page.get_by_role("button", name=EXAMPLES[0]).wait_for()
    times: dict[str, list[float]] = {"examples": [], "new": []}
    turn = 0
    for group, questions in (("examples", EXAMPLES), ("new", NEW_QUESTIONS)):
        for question in questions:
            clear_chat(page)
            times[group].append(ask(page, question, turn=0))
            turn += 1
    medians = {k: statistics.median(v) for k, v in times.items()}
    (artifacts / "answer-times.json").write_text(
        json.dumps({"seconds": times, "median": medians}, ensure_ascii=False, indent=1)
    )
    print(f"answer time in the page (Enter to final answer): {medians}")
    assert medians["examples"] < 1.0, times
