"""What a question is about, as the refusal rule weighs it, on the real paper: how
words are asked drops out, the measure asked is a constraint rather than a topic,
names the paper never uses stay and weigh, and a thesaurus word the paper writes
with spaces is known."""

from __future__ import annotations

import pytest

from policyqa.assistant.evidence import content_terms
from policyqa.assistant.frame import measure_phrases

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def terms_of(paper_app):
    reader = paper_app.retriever().reader()
    profile = paper_app.profile

    def terms(question: str) -> dict:
        found = content_terms(
            question, reader, profile, measure_phrases(profile), set(profile.regions.home_names)
        )
        return {t.text: t for t in found}

    return terms


def test_spoken_wording_and_the_measure_are_not_weighed(terms_of) -> None:
    got = terms_of("川渝这边的电子信息产业现在一年大概能搞出多大的产值？")
    assert set(got) == {
        "电子信息产业"
    }  # 这边, 现在, 一年, 大概, 搞出: how, not what; 产值: the measure
    assert got["电子信息产业"].known and got["电子信息产业"].decisive


def test_names_the_paper_never_uses_stay_weighed(terms_of) -> None:
    got = terms_of("西安的电子信息产业平均工资是多少？")
    assert not got["平均工资"].known and got["平均工资"].decisive  # decides a refusal
    assert not got["西安"].known
    assert got["平均工资"].idf > got["电子信息产业"].idf


def test_two_characters_across_a_word_boundary_are_not_a_known_word(terms_of) -> None:
    # the paper has 集群中排名: 中排 occurs in its text but is none of its words
    got = terms_of("成渝地区在全国电子信息产业聚集地中排第几？")
    assert not got["中排"].known and not got["中排"].decisive


def test_a_thesaurus_word_the_paper_writes_with_spaces_is_known(terms_of) -> None:
    # the paper writes "研发投入占 GDP 比例"; the thesaurus pairs it with 研发强度
    assert terms_of("成渝地区的研发强度是多少？")["研发强度"].known
