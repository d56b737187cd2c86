"""What a user does on the page and what they see, for the browser tests."""

from __future__ import annotations

import time

# the highlighted part of a context: a quote, else the passage
CONTEXT_MARK = "mark.pq-quote, mark.pq-passage"


def ask(page, question: str, turn: int | None = None) -> float:
    """Type a question, press Enter, wait for the final answer (its sources); seconds taken."""
    page.fill("#pq-question textarea", question)
    started = time.perf_counter()
    page.press("#pq-question textarea", "Enter")
    wait_answer(page, turn)
    return time.perf_counter() - started


def wait_answer(page, turn: int | None = None) -> None:
    """The sources panel follows the last streamed part, so it marks a final answer."""
    if turn is None:
        page.wait_for_function(
            "() => !document.querySelector('#pq-chatbot')?.innerText.includes('正在检索文件')"
            " && document.querySelector('#pq-sources .pq-sources[data-pq-turn]')"
        )
        return
    page.locator(f'#pq-sources .pq-sources[data-pq-turn="{turn}"]').wait_for()


def last_answer(page) -> str:
    return page.locator('#pq-chatbot [data-testid="bot"]').last.inner_text()


def clear_chat(page) -> None:
    page.click("#pq-clear")
    page.wait_for_function("() => !document.querySelector('#pq-chatbot [data-testid=\"bot\"]')")


def search(page, query: str) -> None:
    page.get_by_role("tab", name="段落检索").click()
    page.fill("#pq-query textarea", query)
    page.press("#pq-query textarea", "Enter")
    page.wait_for_function(
        "q => document.querySelector('#pq-results .pq-results')?.dataset.pqQuery === q", arg=query
    )


def visible_in_viewport(page, selector: str) -> dict:
    """Where the first element matching selector is, and whether the reader sees it:
    inside the viewport and not covered by anything else at its centre."""
    return page.evaluate(
        """sel => {
            const el = document.querySelector(sel);
            if (!el) return {found: false};
            const r = el.getBoundingClientRect();
            const x = r.left + Math.min(r.width, 40) / 2, y = r.top + Math.min(r.height, 20) / 2;
            const top = document.elementFromPoint(x, y);
            return {found: true, top: r.top, bottom: r.bottom, height: innerHeight,
                    inside: r.top >= 0 && r.top < innerHeight - 10 && r.bottom > 0,
                    uncovered: !!top && (el === top || el.contains(top) || top.contains(el))};
        }""",
        selector,
    )


def overflow(page) -> list[str]:
    """Visible elements reaching past the right edge of the viewport (none on a phone)."""
    return page.evaluate(
        """() => {
            const out = [];
            const w = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth > w + 1) out.push('page ' + document.documentElement.scrollWidth);
            for (const el of document.querySelectorAll('.gradio-container *')) {
                const r = el.getBoundingClientRect();
                if (!r.width || !r.height || r.right <= w + 1) continue;
                let clipped = false;
                for (let p = el.parentElement; p; p = p.parentElement) {
                    const s = getComputedStyle(p);
                    if (['hidden', 'auto', 'scroll', 'clip'].includes(s.overflowX)
                        && p.getBoundingClientRect().right <= w + 1) { clipped = true; break; }
                }
                if (!clipped) out.push((el.id || el.className || el.tagName) + ' ' + Math.round(r.right));
            }
            return out.slice(0, 10);
        }"""
    )


def screenshot(page, name: str, folder) -> None:
    page.screenshot(path=str(folder / name), full_page=True)


def wait_seen(page, selector: str, timeout: float = 10.0) -> dict:
    """Wait until the element is in the viewport and uncovered; its last position."""
    deadline = time.monotonic() + timeout
    while True:
        where = visible_in_viewport(page, selector)
        if where.get("found") and where["inside"] and where["uncovered"]:
            return where
        if time.monotonic() > deadline:
            return where
        page.wait_for_timeout(100)
