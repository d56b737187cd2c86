"""Issue 15: search says 未找到 for an absent term, highlights only what the
user typed (never a thesaurus word), keeps filtered results to passages that
hold the term, and shows relevance as 高/中/低 with a bar, at both sizes."""

from __future__ import annotations

import re

import pytest

from .pages import search

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_an_absent_term_says_not_found_and_shows_nothing(open_page, size):
    page = open_page(size)
    search(page, "量子计算")
    assert "未找到包含“量子计算”的段落" in page.locator("#pq-results .pq-nomatch").inner_text()
    assert page.locator("#pq-results .pq-card").count() == 0


def test_only_typed_words_are_highlighted(open_page, size):
    page = open_page(size)
    search(page, "人才 金融")  # the thesaurus adds 资源, 资金, 投资, 引进, …
    marks = page.locator("#pq-results mark.pq-term").all_inner_texts()
    assert marks and set(marks) <= {"人才", "金融"}, set(marks)
    for text in page.locator("#pq-results .pq-card .pq-text").all_inner_texts():
        assert "人才" in text and "金融" in text


def test_filtered_results_hold_the_term(open_page, size):
    page = open_page(size)
    page.get_by_role("tab", name="段落检索").click()
    page.locator("#pq-search-role input").click()
    page.get_by_role("option", name="对策/措施").click()
    search(page, "机制")
    texts = page.locator("#pq-results .pq-card .pq-text").all_inner_texts()
    assert texts and all("机制" in t for t in texts)
    roles = page.locator("#pq-results .pq-card").evaluate_all("cs => cs.map(c => c.dataset.pqRole)")
    assert set(roles) == {"countermeasure"}


def test_relevance_is_shown_in_words_and_a_bar(open_page, size):
    page = open_page(size)
    search(page, "产业链")
    cards = page.locator("#pq-results .pq-card")
    assert cards.count() >= 3
    for rel in page.locator("#pq-results .pq-rel").all_inner_texts():
        assert re.search(r"相关度 [高中低]（\d{1,3}%）", rel), rel
    assert page.locator("#pq-results .pq-rel .pq-bar").count() == cards.count()
    assert not re.search(r"\d\.\d{3,}", page.locator("#pq-results .pq-head").first.inner_text())
    assert "相关度" in page.locator("#pq-results .pq-legend").inner_text()
