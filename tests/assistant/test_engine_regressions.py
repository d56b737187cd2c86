"""Cases the engine once answered wrongly over the synthetic documents: a duration read
as a count, an unrelated figure appended, a list taken from the wrong document, a
question's order of places lost, a title offered as a summary."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from policyqa.assistant.assistant import Assistant
from policyqa.assistant.figures import figures
from policyqa.assistant.frame import analyze
from policyqa.profile import generic_profile
from tests.assistant.fake_index import (
    MEASURES_TITLE,
    MISSING_TITLE,
    TEXTS,
    FakeIndex,
    profile,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

DUTIES = ("（一）建立健全数据安全管理制度", "（二）组织开展数据安全教育培训")
MEASURES = ("（一）提升关键零部件本地配套能力", "（三）拓宽中小企业融资渠道")


@pytest.mark.parametrize(
    ("text", "unit", "kind"),
    [
        ("15个工作日内", "个工作日", "duration"),
        ("3个月内", "个月", "duration"),
        ("下降2个百分点", "个百分点", "share"),
    ],
)
def test_the_longest_unit_is_read(text, unit, kind):
    (f,) = figures(text)
    assert (f.unit, f.kind) == (unit, kind)


@pytest.mark.parametrize(("text", "value"), [("三分之一", 100 / 3), ("千分之五", 0.5)])
def test_a_fraction_is_its_share(text, value):
    (f,) = figures(text)
    assert f.unit == "%" and f.value == pytest.approx(value)


def test_a_duration_question_is_answered(tokenizer):
    text = (
        TEXTS["synthetic-measures"][1]
        + "第四条 行政机关应当自受理申请之日起15个工作日内作出决定。\n"
    )
    index = FakeIndex(tokenizer, profile(), {"synthetic-measures": (MEASURES_TITLE, text)})
    result = Assistant(lambda: index, index.profile).ask("行政机关应当在多长时间内作出决定？")
    assert result.answerable and "15个工作日" in result.answer.split("[1]")[0]


def test_one_measure_asked_gets_one_figure(assistant):
    result = assistant.ask("德阳智能制造产值是多少亿元？")
    assert result.answerable and result.answer.startswith("德阳 250")
    assert "全市" not in result.answer and len(result.citations) == 1


def test_a_list_of_measures_is_not_an_articles_items(assistant):
    result = assistant.ask("有哪些对策措施？")
    assert result.answerable and result.intent == "list"
    assert all(m in result.answer for m in MEASURES)
    assert not any(d in result.answer for d in DUTIES)


def test_which_duties_lists_the_articles_items(assistant):
    result = assistant.ask("数据处理者应当履行哪些义务？")
    assert result.intent == "list" and result.answer.startswith("共3项：")
    assert all(d in result.answer for d in DUTIES)


def test_a_title_is_not_a_summary_of_the_list(assistant):
    result = assistant.ask("规划提出了哪些对策？")
    assert result.answerable and "概括" not in result.answer


def test_a_missing_document_nobody_mentions_is_not_said_to_be_mentioned(tokenizer):
    texts = {"synthetic-regulation": TEXTS["synthetic-regulation"]}
    index = FakeIndex(tokenizer, profile(), texts)
    result = Assistant(lambda: index, index.profile).ask(f"《{MISSING_TITLE}》第二条规定了什么？")
    assert not result.answerable and "尚未收录" in result.answer
    assert "只有其他文件对它的提及" not in result.answer


def test_words_of_a_named_title_do_not_set_the_kind():
    frame = analyze(f"《{MEASURES_TITLE}》什么时候施行？", generic_profile(), {"m": MEASURES_TITLE})
    assert frame.kind == "fact"
    assert analyze("行政机关应当在几个工作日内作出决定？", generic_profile(), {}).kind == "fact"


def test_places_keep_the_questions_order_in_every_process():
    code = (
        "from policyqa.profile import generic_profile as g;"
        "from dataclasses import replace;"
        "r = replace(g().regions, others=('成都', '重庆', '绵阳'));"
        "print(r.named_in('重庆和成都、绵阳分别是多少'))"
    )
    seen = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        seen.add(out.strip())
    assert seen == {"['重庆', '成都', '绵阳']"}
