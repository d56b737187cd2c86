"""`policyqa ask` on the real paper index: the JSON shape and the plain output."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from policyqa.cli import main

pytestmark = pytest.mark.integration

NEV = "成渝新能源汽车本地配套率是多少？"
KEYS = {
    "question",
    "answer",
    "answerable",
    "mode",
    "citations",
    "passages",
    "notice",
    "intent",
    "resolved_question",
    "related",
    "see_also",
    "nearest",
}
CITATION_KEYS = {"n", "chunk_id", "doc_id", "doc_title", "section", "page", "quote", "start", "end"}
PASSAGE_KEYS = {"rank", "chunk_id", "score", "text", "doc_title", "section", "role"}


def ask(paper_settings, *args: str):
    result = CliRunner().invoke(main, ["--home", str(paper_settings.home), "ask", *args])
    assert result.exit_code == 0, result.output
    return result


def test_ask_json_has_the_documented_shape(paper_settings) -> None:
    data = json.loads(ask(paper_settings, NEV, "--json").stdout)
    assert set(data) == KEYS
    assert data["question"] == NEV and data["answerable"] is True
    assert data["mode"] == "extractive" and "30%" in data["answer"]
    assert data["citations"] and data["related"] == []
    for c in data["citations"]:
        assert set(c) == CITATION_KEYS
        assert c["quote"] in next(
            p["text"] for p in data["passages"] if p["chunk_id"] == c["chunk_id"]
        )
        assert c["page"] is None  # a .txt file has no pages
    assert "30%" in data["citations"][0]["quote"]  # the first citation is the answer's
    assert len(data["passages"]) >= 10
    for p in data["passages"]:
        assert set(p) >= PASSAGE_KEYS
    assert [p["rank"] for p in data["passages"]] == list(range(1, len(data["passages"]) + 1))


def test_ask_json_of_a_refusal(paper_settings) -> None:
    data = json.loads(ask(paper_settings, "成都明天天气怎么样", "--json").stdout)
    assert set(data) == KEYS
    assert data["answerable"] is False and data["citations"] == [] and data["related"]
    # a near miss names what is missing and carries the nearest fact
    data = json.loads(ask(paper_settings, "西安电子信息产值", "--json").stdout)
    assert data["answerable"] is False and "西安" in data["answer"].split("。")[0]
    assert data["nearest"] and data["nearest"] == data["citations"]
    assert set(data["nearest"][0]) == CITATION_KEYS


def test_ask_plain_output_lists_sources(paper_settings) -> None:
    out = ask(paper_settings, NEV).stdout
    answer, sep, sources = out.partition("\n来源：\n")
    assert sep, out
    assert "30%" in answer and "[1]" in answer
    assert "[1] 《成渝地区双城经济圈电子信息、汽车、装备制造世界级产业集群" in sources
    assert "3.2 产业链关键环节薄弱" in sources
    assert "“成渝地区的新能源汽车本地配套率仅为30%" in sources


def test_ask_plain_refusal_lists_related_passages(paper_settings) -> None:
    out = ask(paper_settings, "西安电子信息产值").stdout
    assert out.startswith("资料未给出西安的数据")
    assert "来源：" not in out and "最接近的内容（未回答该问题）：" in out
    assert "相关段落（未回答该问题）：" in out


def test_ask_with_a_role_filter(paper_settings) -> None:
    data = json.loads(ask(paper_settings, NEV, "--filter", "role=problem", "--json").stdout)
    assert all(p["role"] == "problem" for p in data["passages"])


def test_ask_with_a_bad_filter_is_a_usage_error(paper_settings) -> None:
    result = CliRunner().invoke(
        main, ["--home", str(paper_settings.home), "ask", NEV, "--filter", "colour=red"]
    )
    assert result.exit_code == 2
    assert "bad filter" in result.output
