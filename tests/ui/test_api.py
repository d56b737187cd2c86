"""The web UI through its HTTP API (gradio_client), against one shared server."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from policyqa.app import PolicyQA
from policyqa.errors import PolicyQAError
from policyqa.settings import Settings
from policyqa.web import render as ui
from policyqa.web.app import launch_kwargs
from policyqa.web.chat_view import sources_html
from policyqa.web.citations import csv_text
from policyqa.web.handlers import resolve
from policyqa.web.uploads import store_uploads

from .conftest import INJECTION_WORD, SCRIPT, launch

NO_FILTER = ("", "", "")


def last_answer(chatbot: list[dict]) -> str:
    """Text of the last assistant message (Gradio 6 content is a list of parts)."""
    msg = [m for m in chatbot if m["role"] == "assistant"][-1]
    content = msg["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type") == "text")


@pytest.fixture(scope="module")
def client(ui_server) -> Client:
    return Client(ui_server.url, verbose=False)


def ask(client: Client, question: str, chatbot=None, filters=NO_FILTER):
    return client.predict(question, chatbot or [], *filters, api_name="/chat")


@pytest.mark.integration
def test_answer_has_the_number_and_a_clickable_citation(client):
    chatbot, _, sources, context, markdown, download = ask(
        client, "成渝新能源汽车本地配套率是多少？"
    )
    answer = last_answer(chatbot)
    assert "30%" in answer
    assert "(#pq-0-1)" in answer  # the [1] marker links to source 1
    assert 'data-pq-ref="0-1"' in sources and '<mark class="pq-quote">' in sources
    assert "成渝地区双城经济圈电子信息、汽车、装备制造" in sources
    assert "[1]" in markdown and "## 引用" in markdown and "[J]" in markdown
    exported = Path(download).read_text(encoding="utf-8")
    assert exported == markdown
    assert "点击" in context


@pytest.mark.integration
def test_answer_streams_in_growing_prefixes(client):
    job = client.submit("针对产业链薄弱有什么对策？", [], *NO_FILTER, api_name="/chat")
    job.result()
    answers = [last_answer(out[0]) for out in job.outputs()]
    assert answers[0] == "正在检索文件……"
    grown = answers[1:]
    assert len(grown) > 3
    assert all(len(a) <= len(b) for a, b in zip(grown, grown[1:], strict=False))


@pytest.mark.integration
def test_follow_up_uses_history(client):
    chatbot = ask(client, "成渝地区三大产业集群协同发展存在哪些问题？")[0]
    chatbot, *_ = ask(client, "那汽车产业呢？", chatbot)
    assert [m["role"] for m in chatbot] == ["user", "assistant"] * 2
    assert "成渝地区三大产业集群协同发展存在哪些问题" in last_answer(chatbot)


@pytest.mark.integration
def test_refused_question_lists_related_passages(client):
    chatbot, _, sources, *_ = ask(client, "今天成都的天气怎么样？")
    assert "天气" in last_answer(chatbot)
    assert "资料未能直接回答这个问题" in sources
    assert "相关但未回答问题的段落" in sources and 'data-pq-ref="0-r' in sources


@pytest.mark.integration
def test_filters_reach_the_answer(client):
    chatbot, _, sources, *_ = ask(
        client, "针对产业链薄弱有什么对策？", filters=("", "汽车", "countermeasure")
    )
    assert "对策" in sources and "(#pq-0-1)" in last_answer(chatbot)


@pytest.mark.integration
def test_search_returns_ranked_passages_holding_the_terms(client):
    html_out, context = client.predict("新能源汽车本地配套率", 5, *NO_FILTER, api_name="/search")
    assert "条包含“新能源汽车本地配套率”的段落" in html_out
    assert '<mark class="pq-term">新能源汽车本地配套率</mark>' in html_out
    assert "朱兵, 李宸, 谭晨." in html_out and "[J]. 2025(14): 160-166." in html_out
    assert "相关度 <b>高</b>" in html_out and "点击结果" in context


@pytest.mark.integration
def test_search_for_an_absent_term_finds_nothing(client):
    html_out, context = client.predict("量子计算", 10, *NO_FILTER, api_name="/search")
    assert "未找到包含“量子计算”的段落" in html_out and "pq-card" not in html_out
    assert context == ""


@pytest.mark.integration
def test_search_filter_by_role(client):
    html_out, _ = client.predict("产业链", 10, "", "", "countermeasure", api_name="/search")
    roles = set(re.findall(r'data-pq-role="([^"]*)"', html_out))
    assert roles == {"countermeasure"}


@pytest.mark.integration
def test_context_shows_the_paragraph_around_the_quote(client, ui_server):
    html_out, _ = client.predict("成渝地区", 1, *NO_FILTER, api_name="/search")
    chunk_id = html_out.split('data-pq-ref="c:')[1].split('"')[0]
    ctx = client.predict(chunk_id, "", api_name="/context")
    assert '<mark class="pq-passage">' in ctx and "引用格式" in ctx


@pytest.mark.integration
def test_document_text_comes_back_escaped(client):
    html_out, _ = client.predict(INJECTION_WORD, 3, *NO_FILTER, api_name="/search")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_out
    assert "<script" not in html_out and "<img" not in html_out
    chatbot, _, sources, *_ = ask(client, f"{INJECTION_WORD}所在段落说了什么？")
    shown = last_answer(chatbot) + sources
    assert "<script" not in shown and "<img" not in shown
    assert "](javascript" not in last_answer(chatbot)
    assert "&lt;script&gt;" in shown


@pytest.mark.integration
def test_user_input_is_escaped_in_the_chat(client):
    chatbot, *_ = ask(client, f"{SCRIPT} [x](javascript:alert(2)) 配套率？")
    user = chatbot[0]["content"]
    text = user if isinstance(user, str) else user[0]["text"]
    assert "<script" not in text and "&lt;script&gt;" in text
    assert "\\[x\\]\\(javascript" in text


@pytest.mark.integration
def test_documents_tab_lists_documents_and_missing_plans(client):
    status = client.predict(api_name="/status")
    assert "成渝地区双城经济圈电子信息、汽车、装备制造" in status
    assert "嵌入模型" in status and "<time datetime=" in status
    assert "尚未收录的文件（" in status
    for plan in (
        "电子信息产业协同发展实施方案",
        "汽车产业高质量协同发展实施方案",
        "装备制造产业集群实施方案",
    ):
        assert plan in status
    assert '<th scope="col">对策/措施</th>' in status


@pytest.mark.integration
@pytest.mark.slow
def test_twenty_users_at_once_all_get_answers(ui_server):
    """Twenty different questions (so no answer cache helps), one session each."""
    questions = [
        "成渝新能源汽车本地配套率是多少？",
        "针对产业链薄弱有什么对策？",
        "成渝地区三大产业集群协同发展存在哪些问题？",
        "成渝地区汽车年产量是多少？",
        "成渝地区装备制造业营业收入是多少？",
        "成渝地区有多少家整车企业？",
        "如何加强人才政策协同？",
        "金融一体化方面有什么建议？",
        "产业数字化协同存在什么问题？",
        "创新资源不足的表现是什么？",
        "电子信息产业的发展现状如何？",
        "如何推进产业链合作？",
        "产业结构同质化有哪些表现？",
        "成渝地区新能源汽车产量是多少？",
        "成渝地区区域联动取得了哪些成效？",
        "如何促进创新资源集聚与共享？",
        "珠三角地区新能源汽车本地配套率是多少？",
        "成渝两地人才培养有哪些合作？",
        "数字化协同水平低怎么办？",
        "装备制造行业有哪些关键技术受制于人？",
    ]
    clients = [Client(ui_server.url, verbose=False) for _ in questions]  # 20 browser sessions

    def one(n: int) -> str:
        return last_answer(ask(clients[n], questions[n])[0])

    started = time.perf_counter()
    with ThreadPoolExecutor(len(questions)) as pool:
        answers = list(pool.map(one, range(len(questions))))
    elapsed = time.perf_counter() - started
    assert len(answers) == 20
    for q, a in zip(questions, answers, strict=True):
        assert a and "正在检索" not in a and "⚠️" not in a, (q, a)
    assert "30%" in answers[0]
    assert elapsed < 120


@pytest.mark.integration
def test_login_required_when_auth_is_set(ui_settings, ui_app):
    guarded = PolicyQA(ui_settings.with_(auth="official:s3cret"), ui_app.embedder, ui_app.tokenizer)
    server = launch(guarded, warm=False)
    try:
        assert httpx.get(server.url + "config").status_code in (401, 403)
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises various types
            Client(server.url, verbose=False)
        authed = Client(server.url, auth=("official", "s3cret"), verbose=False)
        assert "嵌入模型" in authed.predict(api_name="/status")
    finally:
        server.demo.close()


@pytest.mark.unit
def test_launch_defaults_are_local_and_unshared(tmp_path):
    settings = Settings.from_env(home=tmp_path, host="127.0.0.1", auth="")
    opts = launch_kwargs(settings)
    assert opts["server_name"] == "127.0.0.1" and opts["share"] is False
    assert opts["auth"] is None
    assert launch_kwargs(settings.with_(auth="a:b:c"))["auth"] == [("a", "b:c")]
    with pytest.raises(PolicyQAError, match="user:password"):
        launch_kwargs(settings.with_(auth="nopassword"))


@pytest.mark.unit
def test_uploads_check_type_size_and_name(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "paper.txt").write_text("x", encoding="utf-8")
    settings = Settings.from_env(home=tmp_path / "home", corpus=corpus, upload_max_mb=0.001)
    clash = tmp_path / "paper.txt"
    clash.write_text("y", encoding="utf-8")
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ")
    big = tmp_path / "big.txt"
    big.write_text("字" * 2000, encoding="utf-8")
    ok = tmp_path / "名单 (1)<x>.txt"
    ok.write_text("成渝", encoding="utf-8")
    report, saved = store_uploads(settings, [str(bad), str(big), str(clash), str(ok)])
    lines = [line for _, line in report]
    assert "不支持的文件类型" in lines[0] and "超过" in lines[1] and "同名" in lines[2]
    assert report[3] == (True, "将加入：名单_(1)_x_.txt")
    assert saved == [settings.uploads_dir / "名单_(1)_x_.txt"]
    assert saved[0].read_text(encoding="utf-8") == "成渝"


@pytest.mark.unit
def test_resolve_references():
    turns = [
        {
            "citations": [
                {"n": 1, "chunk_id": "a", "quote": "q1"},
                {"n": 1, "chunk_id": "a", "quote": "q2"},
                {"n": 2, "chunk_id": "b", "quote": "q3"},
            ],
            "related": [],
        },
        {"citations": [], "related": [{"chunk_id": "r"}]},
    ]
    assert resolve(turns, "0-1")[:2] == ("a", ["q1", "q2"])
    assert resolve(turns, "0-2")[:2] == ("b", ["q3"])
    assert resolve(turns, "1-r0") == ("r", [], {"chunk_id": "r"})
    assert resolve(turns, "c:zz") == ("zz", [], {})
    assert resolve(turns, "5-1") == ("", [], {}) and resolve(turns, "junk") == ("", [], {})


# ---- rendering, no server -----------------------------------------------------


@pytest.mark.unit
def test_md_text_leaves_no_markup():
    shown = ui.md_text("<b>x</b> [a](javascript:alert(1)) *y* &lt;")
    assert "<" not in shown and ">" not in shown
    assert "\\[a\\]\\(javascript:alert\\(1\\)\\)" in shown and "\\*y\\*" in shown
    assert "&amp;lt;" in shown  # an entity in a document stays literal text


@pytest.mark.unit
def test_markers_of_known_citations_become_links():
    md = ui.answer_markdown("配套率为30%[1]，另见[3]和[1,2]。", 4, [1, 2])
    assert "[\\[1\\]](#pq-4-1)" in md and "(#pq-4-2)" in md
    assert "\\[3\\]" in md and "#pq-4-3" not in md


@pytest.mark.unit
def test_stream_cuts_never_split_a_marker():
    answer = "甲乙丙丁[12]戊己庚辛[3]" * 20
    cuts = ui.stream_cuts(answer, pieces=30, min_step=5)
    assert cuts[-1] == len(answer) and cuts == sorted(cuts)
    for cut in cuts:
        assert not re.search(r"\[\d*$", answer[:cut])


@pytest.mark.unit
def test_marked_escapes_and_skips_overlaps():
    html_out = ui.marked("<a>配套率</a>", [(3, 6, "x"), (4, 5, "y")])
    assert html_out == '&lt;a&gt;<mark class="x">配套率</mark>&lt;/a&gt;'


@pytest.mark.unit
def test_sources_of_a_refusal_are_the_related_passages():
    result = {
        "answerable": False,
        "citations": [],
        "related": [{"chunk_id": "c", "doc_title": "T", "section": "S", "text": "<i>x</i>"}],
    }
    html_out = sources_html(result, 2, lambda cid: None)
    assert "相关但未回答问题的段落" in html_out and 'data-pq-ref="2-r0"' in html_out
    assert "&lt;i&gt;x&lt;/i&gt;" in html_out and "<i>" not in html_out


@pytest.mark.unit
def test_csv_export_defuses_spreadsheet_formulas():
    rows = [{"chunk_id": "a", "doc_id": "d", "text": "=HYPERLINK(1)"}]
    rows.append({"chunk_id": "b", "doc_id": "d", "text": "-5% 增速"})
    text = csv_text(rows, lambda doc_id: {"title": "T"})
    assert "'=HYPERLINK(1)" in text and ",-5% 增速," in text


@pytest.mark.unit
def test_context_of_a_vanished_passage():
    assert "找不到该段落" in ui.context_html(None)
