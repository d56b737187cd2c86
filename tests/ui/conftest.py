"""One web UI server for the whole test session, on a real index.

The corpus is a copy of the real one plus a document whose text holds a
script tag, an event-handler image and a javascript: Markdown link, so the
tests can check that document text is shown literally, never run.
"""

from __future__ import annotations

import shutil
import socket
from types import SimpleNamespace

import pytest

from policyqa.settings import ROOT, Settings

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


def launch(settings: Settings, warm: bool = True) -> SimpleNamespace:
    from policyqa.assistant.webapp import build_app, launch_kwargs, warm_up

    if warm:
        warm_up(settings)
    demo = build_app(settings)
    port = free_port()
    demo.launch(**launch_kwargs(settings, server_port=port), prevent_thread_lock=True, quiet=True)
    return SimpleNamespace(url=f"http://127.0.0.1:{port}/", settings=settings, demo=demo)


@pytest.fixture(scope="session")
def ui_settings(tmp_path_factory, real_embedder, tokenizer) -> Settings:
    """The real corpus plus the injection document, indexed with the real model."""
    from policyqa.index.builder import ingest

    base = tmp_path_factory.mktemp("ui")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "injection-test.txt").write_text(INJECTION_TEXT, encoding="utf-8")
    settings = Settings.from_env(home=base / "home", corpus=corpus, host="127.0.0.1", auth="")
    summary = ingest(settings, real_embedder, tokenizer)
    assert summary.chunks > 0 and not summary.errors, summary.errors
    return settings


@pytest.fixture(scope="session")
def ui_server(ui_settings):
    """The app on 127.0.0.1 on a free port, in a background thread."""
    server = launch(ui_settings)
    yield server
    server.demo.close()
