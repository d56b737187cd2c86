"""Issue 15: answers as shown, at both sizes. The first sentence holds the
answer; no heading repeats; a refusal says what is missing and shows what the
documents do say (never "右侧列出…", never the same thing twice); a missing
document points to the upload in 文档管理; a bare follow-up after 清空对话 is
met with a request to complete the question."""

from __future__ import annotations

import re

import pytest

from .pages import ask, clear_chat, last_answer, wait_seen

pytestmark = [pytest.mark.browser, pytest.mark.integration]

FIRST_SENTENCE = {  # example question -> what its first sentence must hold
    "成渝新能源汽车本地配套率是多少？": ["30%"],
    "针对产业链薄弱有什么对策？": ["产业链", "对策"],
    "成渝地区三大产业集群协同发展存在哪些问题？": ["同质化"],
}


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[。！？!?])", text.strip(), maxsplit=1)[0]


def test_first_sentence_holds_the_answer_and_no_heading_repeats(open_page, size):
    page = open_page(size)
    for turn, (question, words) in enumerate(FIRST_SENTENCE.items()):
        ask(page, question, turn=turn)
        answer = last_answer(page)
        head = first_sentence(answer)
        assert all(w in head for w in words), (question, head)
        items = [i for i in re.split(r"[；;\n]", answer) if "：" in i]
        lead = [i.split("：")[0].strip() for i in items]
        repeated = {x for x in lead if len(x) >= 6 and lead.count(x) > 1}
        assert not repeated, (question, repeated)
        assert "以下问题" not in (items[0] if items else ""), answer


def test_refusal_says_what_is_missing_and_what_the_documents_say(open_page, size):
    page = open_page(size)
    ask(page, "今天成都的天气怎么样？", turn=0)
    answer = last_answer(page)
    assert "天气" in answer and "资料中" in answer
    assert "检索到的段落没有覆盖问题的要点" not in answer
    assert "右侧" not in page.locator("#pq-chat").inner_text()
    assert not re.search(r"未能根据文件回答.{0,3}资料中", answer)  # not said twice
    sources = page.locator("#pq-sources .pq-refused")
    assert "资料未能直接回答这个问题" in sources.inner_text()
    assert sources.locator(".pq-card").count() >= 1  # what the documents do say


def test_missing_document_points_to_the_upload(open_page, size):
    page = open_page(size)
    ask(page, "《成渝地区双城经济圈电子信息产业协同发展实施方案》第五条的内容是什么？", turn=0)
    answer = last_answer(page)
    assert "尚未收录" in answer and "corpus/" not in answer
    link = page.locator('#pq-chatbot a[href="#pq-goto-documents"]')
    assert link.count() == 1 and link.inner_text() == "“文档管理”"
    page.locator("#pq-sources").get_by_role("button", name="前往“文档管理”上传文件").click()
    page.get_by_role("tab", name="文档管理", selected=True).wait_for()
    assert wait_seen(page, "#pq-upload-box")["inside"]


def test_bare_follow_up_after_clearing_asks_to_complete_the_question(open_page, size):
    page = open_page(size)
    ask(page, "成渝新能源汽车本地配套率是多少？", turn=0)
    clear_chat(page)
    ask(page, "那珠三角呢？", turn=0)
    answer = last_answer(page)
    assert "请把问题说完整" in answer and "%" not in answer
    assert page.locator("#pq-chatbot a[href^='#pq-0-']").count() == 0  # nothing cited
    assert "需要一个完整的问题" in page.locator("#pq-sources").inner_text()
    assert page.input_value("#pq-question textarea") == "那珠三角呢？"  # to complete in place
