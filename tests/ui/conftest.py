"""One web UI server for the whole test session, on a real index.

The corpus is a copy of the real one plus a document whose text holds a
script tag, an event-handler image and a javascript: Markdown link, so the
tests can check that document text is shown literally, never run.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest

from policyqa.app import PolicyQA
from policyqa.settings import Settings
from tests.conftest import ROOT

INJECTION_WORD = "防注入演练专用词"
INJECTION_TEXT = (
    "注入测试文件\n\n"
    "一、测试说明\n\n"
    f"本段是{INJECTION_WORD}所在段落，用于安全测试：<script>alert(1)</script> 以及 "
    "[点击领取补贴](javascript:alert(2)) 和 <img src=x onerror=alert(3)>，"
    "还有 **粗体** 与 `代码`，这些文字都必须按原样显示。\n"
)
SCRIPT = "<script>alert(1)</script>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(app: PolicyQA, warm: bool = True) -> SimpleNamespace:
    from policyqa.web.app import build_app, launch_kwargs, warm_up

    if warm:
        warm_up(app)
    demo = build_app(app)
    port = free_port()
    settings = app.settings
    demo.launch(**launch_kwargs(settings, server_port=port), prevent_thread_lock=True, quiet=True)
    return SimpleNamespace(url=f"http://127.0.0.1:{port}/", settings=settings, demo=demo)


@pytest.fixture(scope="session")
def ui_settings(tmp_path_factory, real_embedder, tokenizer) -> Settings:
    """The real corpus plus the injection document, indexed with the real model."""
    from policyqa.indexing import ingest

    base = tmp_path_factory.mktemp("ui")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "injection-test.txt").write_text(INJECTION_TEXT, encoding="utf-8")
    settings = Settings.from_env(home=base / "home", corpus=corpus, host="127.0.0.1", auth="")
    summary = ingest(settings, real_embedder, tokenizer)
    assert summary.chunks > 0 and not summary.errors, summary.errors
    return settings


@pytest.fixture(scope="session")
def ui_app(ui_settings, real_embedder, tokenizer) -> PolicyQA:
    """The facade over the UI index, sharing the session's model and tokenizer."""
    return PolicyQA(ui_settings, real_embedder, tokenizer)


@pytest.fixture(scope="session")
def ui_server(ui_app):
    """The app on 127.0.0.1 on a free port, in a background thread."""
    server = launch(ui_app)
    yield server
    server.demo.close()


# ---- real-browser pages (Debian's Chromium; never `playwright install`) ---------

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
SIZES = {"desktop": (1400, 1000), "phone": (390, 844)}
DOCS_IMG = ROOT / "docs" / "img"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, ui_server):
    """open_page(size, locale=…, timezone=…, server=…): a fresh browser context on
    the page (of the UI server unless another is given), loaded; it records
    dialogs and any request leaving the server."""
    contexts = []

    def _open(
        size: str = "desktop",
        locale: str = "zh-CN",
        timezone: str = "Asia/Shanghai",
        server: SimpleNamespace | None = None,
    ):
        server = server or ui_server
        width, height = SIZES[size]
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            timezone_id=timezone,
            extra_http_headers={"Accept-Language": locale},
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.dialogs, page.external = [], []
        host = server.url.split("/")[2]
        page.on("request", lambda r: None if host in r.url else page.external.append(r.url))
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(server.url)
        page.wait_for_selector("#pq-question textarea")
        page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    """Run a test at the desktop and at the phone size."""
    return request.param
