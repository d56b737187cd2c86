"""Which words of a question the refusal rule weighs: spoken fillers and wording
drop out, unknown names stay; and what counts as a figure."""

from __future__ import annotations

import pytest

from policyqa.assistant.evidence import FILLERS, Scorer, has_quantity
from policyqa.language import Thesaurus, normalize
from tests.conftest import ROOT

integration = pytest.mark.integration
PAPER = (ROOT / "corpus" / "paper-chengyu-three-clusters-2025.txt").read_text(encoding="utf-8")
SHIPPED = Thesaurus.load(ROOT / "index" / "thesaurus.txt")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("汽车年产量已达329.3万辆", True),
        ("分别为20.04%和16.68%", True),
        ("合作示范园区数量已达35个", True),
        ("成渝地区是中国第四大电子信息产业聚集地", True),
        ("2024年以来,加快培育5G产业、AI电脑等新增长点", False),
        ("汽车产量在2020—2023年呈现逐年增长态势,如图1所示", False),
        ("2023 年,在2021年5月和11月先后审议通过", False),
        ("装机容量达到1000MW", True),
        ("2023 年,成渝地区的有效发明专利授权量为 4.69 万件", True),
    ],
)
def test_a_figure_is_not_a_year_or_a_name(text: str, expected: bool) -> None:
    assert has_quantity(text) is expected


@pytest.mark.unit
def test_every_thesaurus_group_reaches_the_paper() -> None:
    paper = normalize(PAPER).replace(" ", "")
    unreachable = [g for g in SHIPPED.groups if not any(normalize(w) in paper for w in g)]
    assert unreachable == []


@pytest.mark.unit
def test_no_word_is_in_two_thesaurus_groups() -> None:
    seen: dict[str, list[str]] = {}
    for group in SHIPPED.groups:
        for w in group:
            seen.setdefault(w, []).append(group[0])
    assert {w: g for w, g in seen.items() if len(g) > 1} == {}


@pytest.mark.unit
def test_no_filler_hides_a_domain_word() -> None:
    domain = set(SHIPPED.words())
    domain |= {
        line.split()[0]
        for line in (ROOT / "ingest" / "userdict.txt").read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    assert FILLERS
    # a term is skipped when the word jieba found around it is a filler
    assert not [(f, d) for f in FILLERS for d in domain if len(d) > 1 and d in f]


@pytest.fixture(scope="module")
def scorer(paper_retriever) -> Scorer:
    return Scorer(paper_retriever.reader())


def words(scorer: Scorer, question: str, retriever) -> dict[str, bool]:
    """Each weighed word and whether the paper knows it."""
    return {t.text: t.known for t in scorer.terms(retriever.parse(question))}


@integration
def test_spoken_fillers_and_wording_are_not_weighed(scorer, paper_retriever) -> None:
    got = words(scorer, "川渝这边的电子信息产业现在一年大概能搞出多大的产值？", paper_retriever)
    assert {"这边", "现在", "一年", "大概", "搞出"}.isdisjoint(got)
    assert got["电子信息产业"] and got["产值"]


@integration
def test_unknown_names_and_attributes_stay_weighed(scorer, paper_retriever) -> None:
    got = words(scorer, "西安的电子信息产业平均工资是多少？", paper_retriever)
    assert got["西安"] is False and got["工资"] is False
    assert scorer.unknown_share(scorer.terms(paper_retriever.parse("成都明天天气怎么样？"))) > 0.25


@integration
def test_thesaurus_words_found_with_spaces_in_the_paper_are_known(scorer, paper_retriever) -> None:
    # the paper writes "研发投入占 GDP 比例"; the thesaurus pairs it with 研发强度
    assert words(scorer, "成渝地区的研发强度是多少？", paper_retriever)["研发强度"] is True
