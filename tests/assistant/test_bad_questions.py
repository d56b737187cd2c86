"""Questions the assistant must survive: empty, huge, emoji, control characters,
English; and the errors that name their fix (no index yet, another model)."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from policyqa.assistant.assistant import Assistant
from policyqa.cli import main
from policyqa.errors import IndexMissingError, ModelMismatchError
from policyqa.index.retriever import HybridRetriever
from policyqa.indexing import ingest
from policyqa.profile import profile_for
from policyqa.settings import Settings
from tests.conftest import FakeEmbedder

KNOWN = "成渝新能源汽车本地配套率是多少？"


def as_json(result) -> dict:
    data = result.to_dict()
    text = json.dumps(data, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogate survives into the JSON
    return json.loads(text)


@pytest.fixture
def fresh(tmp_path, tokenizer, fake_embedder):
    """An assistant whose home holds no index at all."""
    settings = Settings.from_env(home=tmp_path / "empty-home", embed_model="fake-embedder")
    return settings, assistant_for(settings, HybridRetriever(settings, fake_embedder, tokenizer))


def assistant_for(settings: Settings, retriever: HybridRetriever) -> Assistant:
    return Assistant(
        retriever.reader, profile_for(settings), max_question_chars=settings.max_question_chars
    )


@pytest.fixture(scope="module")
def paper(paper_settings, paper_retriever) -> Assistant:
    return assistant_for(paper_settings, paper_retriever)


# --- empty questions (never touch the index) ---------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("question", ["", "   ", "\n\t\u3000 ", "\x00\x01\x1f\x7f", None], ids=repr)
def test_empty_question_asks_for_one(fresh, question) -> None:
    _, assistant = fresh  # no index: an empty question must not need one
    result = assistant.ask(question)
    assert result.answerable is False
    assert "请输入" in result.answer
    assert result.intent == "empty"
    assert result.citations == [] and result.passages == [] and result.related == []
    assert result.notice and "问题为空" in result.notice
    assert as_json(result)["question"] == ""


@pytest.mark.integration
@pytest.mark.parametrize("question", ["？？？", "的了吗"])
def test_question_without_searchable_terms_says_so(paper, question: str) -> None:
    result = paper.ask(question)
    assert result.answerable is False and result.citations == []
    assert "换个说法" in result.answer


# --- hostile but answerable questions ---------------------------------------------------


@pytest.mark.integration
def test_100k_character_question_is_truncated_with_a_notice(paper, paper_settings) -> None:
    limit = paper_settings.max_question_chars
    question = KNOWN * (100_000 // len(KNOWN) + 1)
    assert len(question) > 100_000
    started = time.perf_counter()
    result = paper.ask(question)
    elapsed = time.perf_counter() - started
    assert elapsed < 30, f"{elapsed:.1f} s for a truncated question"
    assert result.notice and "过长" in result.notice and str(limit) in result.notice
    assert len(result.question) == limit
    assert result.answerable and "30%" in result.answer
    as_json(result)


@pytest.mark.integration
def test_huge_history_turn_does_not_lift_the_limit(paper, paper_settings) -> None:
    history = [
        {"role": "user", "content": "成渝电子信息产业规模" * 20_000},
        {"role": "assistant", "content": None},
        "not a turn",
    ]
    started = time.perf_counter()
    result = paper.ask("那汽车产业呢？", history=history)
    assert time.perf_counter() - started < 30
    assert len(result.resolved_question) <= paper_settings.max_question_chars + 20
    as_json(result)


ODD = [
    "🚗🔋成渝新能源汽车本地配套率是多少？😀👍🏽",
    "成渝\x00\x07新能源汽车\x7f本地配套率是多少？\x08",
    "\ud800成渝新能源汽车本地配套率是多少？\udfff",
]


@pytest.mark.integration
@pytest.mark.parametrize("question", ODD, ids=["emoji", "control", "surrogate"])
def test_emoji_and_control_characters_do_not_hide_the_question(paper, question: str) -> None:
    result = paper.ask(question)
    data = as_json(result)
    assert result.answerable, result.answer
    assert "30%" in result.answer
    assert not any(ch in data["question"] for ch in "\x00\x07\x08\x7f\x1b")
    assert not any("\ud800" <= ch <= "\udfff" for ch in data["question"])


@pytest.mark.integration
def test_english_question_is_handled_without_error(paper) -> None:
    result = paper.ask("What is the local supporting rate of NEV in Chengdu-Chongqing?")
    data = as_json(result)
    # the paper's only English is its abstract, which does not give the rate: refused
    assert data["answerable"] is False and data["answer"].startswith("资料中没有")
    assert data["citations"] == data["nearest"]  # only the nearest fact, labelled as such
    assert data["related"]


@pytest.mark.integration
@pytest.mark.parametrize(
    "question",
    [12345, 3.5, ["成渝"], {"q": 1}, "\x1b[31m成渝新能源汽车本地配套率？\x1b[0m\x1b]0;t\x07"],
    ids=repr,
)
def test_odd_input_is_handled_without_error(paper, question) -> None:
    data = as_json(paper.ask(question))
    assert "\x1b" not in data["question"] and "\x07" not in data["question"]
    assert isinstance(data["answerable"], bool)


# --- errors that name their fix ------------------------------------------------------


@pytest.mark.unit
def test_missing_index_says_run_ingest(fresh) -> None:
    settings, assistant = fresh
    with pytest.raises(IndexMissingError, match="policyqa ingest") as info:
        assistant.ask(KNOWN)
    assert str(settings.index_dir) in str(info.value)


@pytest.mark.unit
def test_index_built_with_another_model_says_rebuild(settings, tokenizer, fake_embedder) -> None:
    summary = ingest(settings, fake_embedder, tokenizer)
    assert summary.chunks > 0 and not summary.errors
    assert assistant_for(settings, HybridRetriever(settings, fake_embedder, tokenizer)).ask(KNOWN)

    other = FakeEmbedder()
    other.name = "another-model"
    assistant = assistant_for(settings, HybridRetriever(settings, other, tokenizer))
    with pytest.raises(ModelMismatchError, match="--rebuild") as info:
        assistant.ask(KNOWN)
    assert "fake-embedder" in str(info.value) and "another-model" in str(info.value)
    assert other.calls == 0  # refused before embedding anything


# --- the CLI -------------------------------------------------------------------------


def test_cli_empty_question_prints_a_prompt_and_exits_zero(tmp_path) -> None:
    home = tmp_path / "cli-home"
    for question in ("", "   "):
        result = CliRunner().invoke(main, ["--home", str(home), "ask", question])
        assert result.exit_code == 0, result.output
        assert "请输入" in result.stdout and "问题为空" in result.stdout
        assert "来源" not in result.stdout
    assert not (home / "index").exists()


def test_cli_empty_question_as_json(tmp_path) -> None:
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "ask", "", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["answerable"] is False and data["intent"] == "empty" and data["citations"] == []


def test_cli_question_without_index_exits_2_naming_ingest(tmp_path) -> None:
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "ask", KNOWN])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and "policyqa ingest" in result.stderr
    assert "Traceback" not in result.output


def test_cli_model_mismatch_exits_2_naming_rebuild(settings, tokenizer, fake_embedder) -> None:
    ingest(settings, fake_embedder, tokenizer)  # built with the fake model
    result = CliRunner().invoke(main, ["--home", str(settings.home), "ask", KNOWN])
    assert result.exit_code == 2
    assert "--rebuild" in result.stderr and "fake-embedder" in result.stderr


@pytest.mark.unit
def test_cli_interactive_mode_stops_on_an_empty_line(tmp_path) -> None:
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "ask"], input="\n")
    assert result.exit_code == 0
    assert "输入问题" in result.stdout
