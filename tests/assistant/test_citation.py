"""GB/T 7714 reference strings from metadata sidecars."""

import json

import pytest

from policyqa.web.reference import gbt7714, section_heading
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

SECTION = (
    "3 成渝双城经济圈三大产业集群协同发展存在的问题 > 3.2 产业链关键环节薄弱,协作配套能力待加强"
)


def paper_meta() -> dict:
    path = ROOT / "corpus" / "paper-chengyu-three-clusters-2025.meta.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_paper_sidecar_gives_journal_article_without_invented_journal():
    ref = gbt7714(paper_meta(), SECTION)
    assert ref == (
        "朱兵, 李宸, 谭晨. 成渝地区双城经济圈电子信息、汽车、装备制造世界级产业集群"
        "高质量协同发展问题与对策[J]. 2025(14): 160-166. "
        "章节: 3.2 产业链关键环节薄弱,协作配套能力待加强"
    )


def test_without_section_ends_with_period():
    ref = gbt7714(paper_meta())
    assert ref.endswith("[J]. 2025(14): 160-166.")
    assert "章节" not in ref


def test_journal_name_and_volume_when_the_sidecar_has_them():
    meta = {**paper_meta(), "journal": "科技和产业", "volume": "25"}
    assert "[J]. 科技和产业, 2025, 25(14): 160-166." in gbt7714(meta)


def test_more_than_three_authors_are_cut_with_deng():
    meta = {"title": "题名", "doc_type": "paper", "authors": ["甲", "乙", "丙", "丁"], "year": 2024}
    assert gbt7714(meta) == "甲, 乙, 丙, 等. 题名[J]. 2024."


def test_latin_authors_get_et_al():
    meta = {"title": "T", "doc_type": "paper", "authors": ["SMITH J", "LI X", "WANG Y", "ZHAO Z"]}
    assert gbt7714(meta).startswith("SMITH J, LI X, WANG Y, et al. T[J].")


def test_plan_document_is_type_z_with_issuer_and_year():
    meta = {
        "title": "成渝地区双城经济圈汽车产业高质量协同发展实施方案",
        "doc_type": "plan",
        "issuer": "成渝地区双城经济圈建设重庆四川党政联席会议",
        "date": "2021-11-01",
    }
    assert gbt7714(meta, "一、总体要求") == (
        "成渝地区双城经济圈建设重庆四川党政联席会议. "
        "成渝地区双城经济圈汽车产业高质量协同发展实施方案[Z]. 2021. 章节: 一、总体要求"
    )


def test_standard_and_unknown_types():
    assert gbt7714({"title": "标准", "doc_type": "standard"}) == "标准[S]."
    assert gbt7714({"title": "某文件", "doc_type": "whatever"}) == "某文件[Z]."


def test_missing_everything_is_graceful():
    assert gbt7714({}) == "未命名文档[Z]."
    assert gbt7714({"doc_id": "x-1"}) == "x-1[Z]."
    assert gbt7714({"title": "题名", "doc_type": "paper", "pages": "1-2"}) == "题名[J]. 1-2."
    assert gbt7714({"title": "题名", "doc_type": "paper", "authors": []}) == "题名[J]."


def test_doi_and_publisher():
    meta = {
        "title": "报告",
        "doc_type": "report",
        "publisher": "某研究院",
        "place": "成都",
        "year": 2023,
        "doi": "10.1/abc",
    }
    assert gbt7714(meta) == "报告[R]. 成都: 某研究院, 2023. DOI: 10.1/abc."


def test_section_heading_takes_the_deepest_level():
    assert section_heading(SECTION) == "3.2 产业链关键环节薄弱,协作配套能力待加强"
    assert section_heading("") == ""
