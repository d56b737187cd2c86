"""Metrics on hand-made gold lines and result dicts: no index, no model."""

from __future__ import annotations

import json
import math

import pytest

from policyqa.errors import PolicyQAError
from policyqa.eval import metrics, report
from policyqa.eval.baseline import first_sentences
from policyqa.eval.metrics import aggregate, contains_evidence, norm, recompute, score_question
from policyqa.eval.runner import load_gold

pytestmark = pytest.mark.unit

EVIDENCE = "汽车年产量已达329.3万辆"


def passage(cid: str, text: str, rank: int = 1) -> dict:
    return {"rank": rank, "chunk_id": cid, "score": 1.0 / rank, "text": text, "doc_title": "t"}


def citation(cid: str, quote: str, n: int = 1) -> dict:
    return {"n": n, "chunk_id": cid, "doc_id": "d", "quote": quote, "start": 0, "end": len(quote)}


def result(answer="", passages=(), citations=(), answerable=True) -> dict:
    return {
        "question": "q",
        "answer": answer,
        "answerable": answerable,
        "mode": "extractive",
        "citations": list(citations),
        "passages": list(passages),
        "notice": None,
    }


def gold(evidence=(EVIDENCE,), facts=("329.3万辆",), id_="q1", type_="fact") -> dict:
    return {
        "id": id_,
        "type": type_,
        "question": "q",
        "evidence": list(evidence),
        "answer_facts": list(facts),
    }


# --- normalisation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10 166.8", "10166.8"),
        ("1,707.6", "1707.6"),
        ("1,707,000家", "1707000家"),
        ("１６.６８％", "16.68%"),
        ("分别为20.04%，16.68%", "分别为20.04%,16.68%"),
        ("东北地区\t20\n长三角地区", "东北地区20长三角地区"),
        ("成渝\u3000地区", "成渝地区"),
        ("5,21个中类", "5,21个中类"),  # not a thousands separator: keep it
    ],
)
def test_norm(raw, expected):
    assert norm(raw) == expected


def test_contains_evidence_ignores_layout_and_width():
    text = "截至2023年底,成渝地区汽车年产量\n已达 329.3 万辆,其中…"
    assert contains_evidence(text, EVIDENCE)
    assert contains_evidence("比例为１０，１６６.８亿元", "10 166.8亿元")
    assert not contains_evidence(text, "")
    assert not contains_evidence(text, "汽车年产量已达329.4万辆")


# --- retrieval -------------------------------------------------------------


def test_retrieval_metrics_first_relevant_at_rank_three():
    ps = [passage(f"c{i}", "无关内容", i) for i in (1, 2)] + [passage("c3", "…" + EVIDENCE, 3)]
    row = score_question(gold(), result(passages=ps), k=5)
    assert row["hit_at_k"] == 1.0
    assert row["recall_at_k"] == 1.0
    assert row["mrr_at_10"] == pytest.approx(1 / 3)
    assert row["ndcg_at_10"] == pytest.approx(1 / math.log2(4))
    assert row["first_relevant_rank"] == 3
    # Beyond k: not a hit, but still counted by MRR@10.
    row2 = score_question(gold(), result(passages=ps), k=2)
    assert row2["hit_at_k"] == 0.0 and row2["recall_at_k"] == 0.0
    assert row2["mrr_at_10"] == pytest.approx(1 / 3)


def test_recall_counts_evidence_strings_and_ndcg_uses_returned_pool():
    g = gold(evidence=("甲事实在此", "乙事实在此"), facts=())
    ps = [passage("a", "甲事实在此", 1), passage("b", "无关", 2), passage("c", "乙事实在此", 3)]
    row = score_question(g, result(passages=ps), k=2)
    assert row["recall_at_k"] == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert row["ndcg_at_10"] == pytest.approx((1 + 1 / math.log2(4)) / ideal)


def test_nothing_relevant_scores_zero():
    row = score_question(gold(), result(passages=[passage("a", "无关")]), k=5)
    assert row["hit_at_k"] == row["mrr_at_10"] == row["ndcg_at_10"] == 0.0
    assert row["first_relevant_rank"] is None


# --- answer facts ----------------------------------------------------------


def test_fact_accuracy_is_share_of_facts_found_normalised():
    g = gold(facts=("10166.8", "3.4", "1,707.6亿元"))
    row = score_question(g, result(answer="长三角地区为10 166.8亿元，1707.6亿元"), k=5)
    assert row["fact_accuracy"] == pytest.approx(2 / 3)
    assert row["facts_missing"] == ["3.4"]


# --- citations -------------------------------------------------------------


def test_citation_precision_validity_recall():
    chunk = "成渝地区拥有45家整车企业。" + EVIDENCE + "。"
    ps = [passage("a", chunk), passage("b", "其他无关段落。", 2)]
    cites = [
        citation("a", "成渝地区拥有45家整车企业。"),  # inside a passage holding evidence
        citation("b", "其他无关段落。", 2),  # supports nothing
        citation("b", "不在该段落里的引文", 3),  # not verbatim
    ]
    row = score_question(gold(), result(passages=ps, citations=cites), k=5)
    assert row["citation_precision"] == pytest.approx(1 / 3)
    assert row["citation_validity"] == pytest.approx(2 / 3)
    assert row["citation_recall"] == 1.0
    assert row["n_citations"] == 3


def test_quote_holding_evidence_counts_even_if_chunk_unknown():
    cites = [citation("zz", EVIDENCE)]
    row = score_question(gold(), result(citations=cites), k=5)
    assert row["citation_precision"] == 1.0
    assert row["citation_validity"] == 0.0  # the chunk text is unknown: cannot verify
    assert row["citation_recall"] == 1.0


def test_cited_chunk_outside_passages_is_looked_up():
    chunk = "前文。" + EVIDENCE + "。"
    cites = [citation("far", "前文。")]
    row = score_question(gold(), result(citations=cites), k=5, chunk_texts={"far": chunk})
    assert row["citation_validity"] == 1.0
    assert row["citation_precision"] == 1.0
    assert row["citation_recall"] == 1.0


def test_validity_is_verbatim_not_normalised():
    ps = [passage("a", "汽车年产量已达329.3万辆")]
    row = score_question(
        gold(), result(passages=ps, citations=[citation("a", "汽车年产量 已达")]), 5
    )
    assert row["citation_validity"] == 0.0


def test_no_citations():
    row = score_question(gold(), result(answer="329.3万辆"), k=5)
    assert row["citation_precision"] is None and row["citation_validity"] is None
    assert row["citation_recall"] == 0.0


# --- unanswerable and refusal ---------------------------------------------


def test_unanswerable_gold_has_no_retrieval_or_fact_scores():
    g = gold(evidence=(), facts=(), id_="u1", type_="unanswerable")
    row = score_question(
        g, result(answer="未找到", answerable=False, passages=[passage("a", "x")]), 5
    )
    for key in ("hit_at_k", "recall_at_k", "mrr_at_10", "ndcg_at_10", "fact_accuracy"):
        assert row[key] is None
    assert row["citation_precision"] is None and row["citation_recall"] is None
    assert row["refused"] and not row["gold_answerable"]
    assert row["quality"] == 1.0


def test_refusal_rates():
    rows = [
        score_question(gold(id_="a1"), result(answerable=False), 5),  # false refusal
        score_question(gold(id_="a2"), result(answer="329.3万辆"), 5),
        score_question(gold(id_="a3"), result(answer="x"), 5),
        score_question(gold((), (), "u1", "unanswerable"), result(answerable=False), 5),
        score_question(gold((), (), "u2", "unanswerable"), result(answer="乱答"), 5),
    ]
    s = aggregate(rows)["overall"]
    assert s["abstention_precision"] == 0.5
    assert s["abstention_recall"] == 0.5
    assert s["false_refusal_rate"] == pytest.approx(1 / 3)
    assert s["fact_accuracy"] == pytest.approx(1 / 3)  # means over answerable gold only
    assert s["n"] == 5 and s["n_answerable"] == 3


def test_no_refusals_leaves_precision_undefined():
    s = aggregate([score_question(gold(), result(answer="x"), 5)])["overall"]
    assert s["abstention_precision"] is None and s["abstention_recall"] is None
    assert s["false_refusal_rate"] == 0.0


# --- aggregation, latency, recompute ---------------------------------------


def test_percentile_matches_numpy_linear():
    np = pytest.importorskip("numpy")
    xs = [0.3, 0.1, 0.9, 0.5, 0.2, 0.8, 0.4]
    assert metrics.percentile(xs, 95) == pytest.approx(float(np.percentile(xs, 95)))
    assert metrics.percentile(xs, 50) == 0.4
    assert metrics.percentile([], 50) is None


def _results_file() -> dict:
    cases = [
        (
            gold(id_="q1"),
            result("329.3万辆", [passage("a", EVIDENCE)], [citation("a", EVIDENCE)]),
            0.1,
        ),
        (gold(id_="q2", type_="table"), result("不知道", [passage("b", "无关")]), 0.3),
        (gold((), (), "q3", "unanswerable"), result("未找到", answerable=False), 0.2),
    ]
    questions = []
    for g, r, lat in cases:
        record = {"gold": g, "result": r, "chunk_texts": {}, "latency_s": lat}
        record["scores"] = score_question(g, r, 5, {}, lat)
        questions.append(record)
    return {"k": 5, "gold": "g.jsonl", "variants": {"shipped": {"questions": questions}}}


def test_aggregate_by_type_and_latency():
    data = _results_file()
    agg = aggregate([q["scores"] for q in data["variants"]["shipped"]["questions"]])
    assert list(agg["by_type"]) == ["fact", "table", "unanswerable"]
    assert agg["overall"]["hit_at_k"] == 0.5
    assert agg["by_type"]["fact"]["fact_accuracy"] == 1.0
    assert agg["overall"]["latency_median_s"] == 0.2
    assert agg["overall"]["latency_p95_s"] == pytest.approx(0.29)


def test_recompute_from_json_equals_aggregate():
    data = json.loads(json.dumps(_results_file(), ensure_ascii=False))
    expected = aggregate([q["scores"] for q in data["variants"]["shipped"]["questions"]])
    assert recompute(data) == {"shipped": expected}


def test_strip_latency_and_worst():
    data = _results_file()
    rows = [q["scores"] for q in data["variants"]["shipped"]["questions"]]
    stripped = metrics.strip_latency(aggregate(rows))
    assert "latency_p95_s" not in stripped["overall"]
    assert [r["id"] for r in metrics.worst(rows, 2)] == ["q2", "q1"]


# --- gold loading and report helpers ---------------------------------------


def test_load_gold_reports_line_numbers(tmp_path):
    good = json.dumps(gold(), ensure_ascii=False)
    path = tmp_path / "g.jsonl"
    path.write_text(good + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(PolicyQAError, match=r"g.jsonl:3: not valid JSON"):
        load_gold(path)
    bad = dict(gold(id_="q2"))
    del bad["evidence"]
    path.write_text(good + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(PolicyQAError, match=r"g.jsonl:2: missing key 'evidence'"):
        load_gold(path)
    path.write_text(good + "\n" + good + "\n", encoding="utf-8")
    with pytest.raises(PolicyQAError, match="duplicate id"):
        load_gold(path)


def test_shipped_gold_file_is_valid():
    from tests.conftest import ROOT

    questions = load_gold(ROOT / "eval" / "gold.jsonl")
    assert len(questions) == 125
    assert any(q.history for q in questions) and any(not q.evidence for q in questions)


def test_text_table_aligns_columns():
    out = report.text_table(["name", "x"], [["a", "1.000"], ["longer", "0.5"]])
    lines = out.splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[2].endswith("1.000") and lines[3].startswith("longer")


def test_first_sentences():
    assert first_sentences("第一句。第二句！第三句？") == "第一句。第二句！"
    assert first_sentences("\n标题\n没有句号") == "标题\n没有句号"


def test_heading_evidence_matches_the_passage_section():
    g = gold(evidence=("产业链关键环节薄弱,协作配套能力待加强",), facts=())
    p = passage("a", "电子信息缺少晶圆厂。")
    p["section"] = "3 … > 3.2 产业链关键环节薄弱,协作配套能力待加强"
    c = citation("a", "电子信息缺少晶圆厂。")
    c["section"] = p["section"]
    row = score_question(g, result(passages=[p], citations=[c]), k=5)
    assert row["hit_at_k"] == 1.0
    assert row["citation_precision"] == 1.0 and row["citation_recall"] == 1.0
