"""Issue 15: a citation [n], a source or a search result opens its context
where the reader looks, at 1400x1000 and at 390x844 (there as a sheet)."""

from __future__ import annotations

import pytest

from .pages import CONTEXT_MARK, ask, search, wait_seen

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def seen(page, panel: str, ref: str) -> dict:
    selector = f'{panel} .pq-context[data-pq-for="{ref}"]'
    page.locator(selector).wait_for(state="attached")
    return wait_seen(page, f"{selector} :is({CONTEXT_MARK})")


def test_citation_marker_opens_the_context_in_view(open_page, size):
    page = open_page(size)
    ask(page, "成渝新能源汽车本地配套率是多少？", turn=0)
    page.locator('#pq-chatbot a[href="#pq-0-1"]').first.click()
    where = seen(page, "#pq-context", "0-1")
    assert where["inside"] and where["uncovered"], where
    # the marker's own answer stays readable above a phone's sheet
    assert wait_seen(page, '#pq-chatbot a[href="#pq-0-1"]')["inside"]


def test_source_card_opens_the_context_in_view(open_page, size):
    page = open_page(size)
    ask(page, "针对产业链薄弱有什么对策？", turn=0)
    cards = page.locator("#pq-sources .pq-card")
    cards.last.locator(".pq-text").click()
    ref = cards.last.get_attribute("data-pq-ref")
    where = seen(page, "#pq-context", ref)
    assert where["inside"] and where["uncovered"], where


def test_search_result_far_down_opens_the_context_in_view(open_page, size):
    page = open_page(size)
    search(page, "产业链")
    cards = page.locator("#pq-results .pq-card")
    assert cards.count() >= 8
    cards.nth(7).locator(".pq-text").click()
    ref = cards.nth(7).get_attribute("data-pq-ref")
    where = seen(page, "#pq-search-context", ref)
    assert where["inside"] and where["uncovered"], where
    if size == "phone":  # the sheet closes again
        page.locator("#pq-search-context .pq-close").click()
        page.wait_for_function("() => !document.getElementById('pq-tabs').dataset.pqSheet")


def test_the_clicked_result_stays_where_it_was(open_page):
    """On a desktop the context shows beside the results: the page does not jump."""
    page = open_page("desktop")
    search(page, "产业链")
    card = page.locator("#pq-results .pq-card").nth(6)
    card.locator(".pq-text").click()
    before = card.bounding_box()["y"]
    seen(page, "#pq-search-context", card.get_attribute("data-pq-ref"))
    assert abs(card.bounding_box()["y"] - before) < 5
