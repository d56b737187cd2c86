"""Question normalisation (traditional -> simplified, full-width -> half-width, no
control characters) and thesaurus expansion, from a temp file and the shipped one."""

from __future__ import annotations

import unicodedata

import pytest

from policyqa.index.query import parse_query
from policyqa.language import Thesaurus, clean_question, thesaurus_path, to_simplified
from policyqa.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

SHIPPED = ROOT / "index" / "thesaurus.txt"


def test_traditional_is_converted_to_simplified() -> None:
    assert to_simplified("成渝地區雙城經濟圈") == "成渝地区双城经济圈"
    assert clean_question("成渝地區雙城經濟圈的電子資訊產業").startswith("成渝地区双城经济圈的电子")


def test_full_width_is_converted_to_half_width() -> None:
    assert clean_question("ＧＤＰ２０２３") == "GDP2023"
    assert clean_question("研发投入占ＧＤＰ比例（％）") == "研发投入占GDP比例(%)"


@pytest.mark.parametrize(
    "raw",
    [
        "成渝\x00新能源\x07汽车\x1f配套率\x7f",
        "成渝\ud800新能源\udfff汽车配套率",  # lone surrogates
        "\x0b\x0c成渝新能源汽车配套率\x1b[31m",
    ],
    ids=["c0", "surrogates", "escape"],
)
def test_control_characters_and_lone_surrogates_are_removed(raw: str) -> None:
    cleaned = clean_question(raw)
    assert all(unicodedata.category(ch) not in ("Cc", "Cs") for ch in cleaned), repr(cleaned)
    assert cleaned.encode("utf-8")  # no surrogate left to break UTF-8
    assert "成渝" in cleaned and "配套率" in cleaned
    assert cleaned == cleaned.strip() and "  " not in cleaned


@pytest.mark.parametrize(
    "pasted",
    [
        "\x1b[1;31m成渝\x1b[0m新能源汽车\x1b]0;title\x07配套率\x1b[K",
        "\x1b[38:2:255:0:0m成渝新能源汽车\x1b(B\x1b[m配套率",
        "\x1b7成渝新能源汽车配套率\x1b8",
        "成渝新能源汽车\x9b31m配套率\x1bP1$r0m\x1b\\",
    ],
    ids=["sgr-osc", "truecolour-charset", "save-restore", "c1-dcs"],
)
def test_terminal_codes_leave_nothing_behind(pasted: str) -> None:
    assert clean_question(pasted) == "成渝新能源汽车配套率"


def test_unterminated_title_code_keeps_the_question_before_it() -> None:
    assert clean_question("成渝新能源汽车配套率\x1b]0;title") == "成渝新能源汽车配套率"


def test_whitespace_is_collapsed() -> None:
    assert clean_question("  成渝\t\n新能源   汽车 ") == "成渝 新能源 汽车"


@pytest.fixture
def temp_thesaurus(tmp_path):
    path = tmp_path / "thesaurus.txt"
    path.write_text(
        "# 注释行\n"
        "川渝 成渝 双城经济圈  # 行尾注释\n"
        "芯片 集成电路\n"
        "孤词\n"  # one word is not a group
        "\n",
        encoding="utf-8",
    )
    return Thesaurus.load(path)


def test_temp_thesaurus_groups(temp_thesaurus) -> None:
    assert temp_thesaurus.groups == [["川渝", "成渝", "双城经济圈"], ["芯片", "集成电路"]]
    assert "孤词" not in temp_thesaurus.words()


def test_temp_thesaurus_expands_both_ways(temp_thesaurus) -> None:
    assert temp_thesaurus.expand("川渝汽车") == ["成渝", "双城经济圈"]
    assert "川渝" in temp_thesaurus.expand("成渝汽车")
    assert temp_thesaurus.expand("芯片产业") == ["集成电路"]
    assert temp_thesaurus.expand("集成电路产业") == ["芯片"]
    assert temp_thesaurus.expand("汽车产业") == []
    # words already in the text are not added again
    assert "成渝" not in temp_thesaurus.expand("川渝和成渝")


def test_missing_thesaurus_file_is_empty(tmp_path) -> None:
    empty = Thesaurus.load(tmp_path / "none.txt")
    assert empty.groups == [] and empty.expand("川渝") == []


def test_shipped_thesaurus_expands_the_domain_synonyms() -> None:
    # no thesaurus setting means the one shipped in the package
    assert Settings().thesaurus is None
    assert thesaurus_path(Settings()).resolve() == SHIPPED.resolve() and SHIPPED.exists()
    shipped = Thesaurus.load(SHIPPED)
    assert "成渝" in shipped.expand("川渝汽车")
    assert "川渝" in shipped.expand("成渝汽车")
    assert "集成电路" in shipped.expand("芯片产业")
    assert "芯片" in shipped.expand("集成电路产业")
    assert not any(w.startswith("#") for w in shipped.words())


def test_parse_query_adds_expansions_as_keyword_terms(tokenizer) -> None:
    shipped = Thesaurus.load(SHIPPED)
    query = parse_query("川渝地區芯片產業", tokenizer, shipped)
    assert query.raw == "川渝地區芯片產業"
    assert query.text == "川渝地区芯片产业"
    assert "川渝" in query.terms and "芯片" in query.terms
    assert "成渝" in query.expansions and "集成电路" in query.expansions
    assert not set(query.expansions) & set(query.terms)
    assert query.keyword_terms == query.terms + query.expansions


def test_parse_query_with_temp_thesaurus(tokenizer, temp_thesaurus) -> None:
    query = parse_query("集成电路产业", tokenizer, temp_thesaurus)
    assert "芯片" in query.expansions
    assert "成渝" not in query.expansions
