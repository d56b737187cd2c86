"""Answers over the real paper with the real packaged model: numbers with their table
row, countermeasures linked to a problem, complete lists, refusals, follow-ups, and
every citation verbatim at its offsets."""

from __future__ import annotations

import json
import re

import pytest

from policyqa.assistant.assistant import Assistant
from policyqa.assistant.compose import QuoteError, verify
from policyqa.documents import Chunk, Document
from policyqa.results import Citation
from tests.conftest import ROOT
from tests.fixtures import Documents, flat, shown_pieces

integration = pytest.mark.integration

NEV = "成渝新能源汽车本地配套率是多少？"
ELECTRONICS = "2023年成渝电子信息产业集群产值规模有多大？"
PROBLEMS = "成渝双城经济圈三大产业集群协同发展存在哪些问题？"


@pytest.fixture(scope="module")
def assistant(paper_app) -> Assistant:
    return paper_app.assistant()


def sections(result) -> list[str]:
    return [c.chunk.section for c in result.citations]


def assert_verbatim(result, reader) -> None:
    for c in result.to_dict()["citations"]:
        chunk = reader.chunk(c["chunk_id"])
        assert c["quote"] in chunk.text, c
        assert reader.document(c["doc_id"]).text[c["start"] : c["end"]] == c["quote"], c


# --- numbers -------------------------------------------------------------------


@integration
def test_number_answer_leads_with_the_figure(assistant) -> None:
    result = assistant.ask(NEV)
    assert result.answerable and result.mode == "extractive"
    assert "+number" in result.intent
    assert "30%" in result.answer.split("[1]")[0]  # the first sentence answers
    assert "30%" in result.citations[0].quote
    assert all("3.2 产业链关键环节薄弱" in s for s in sections(result))


@integration
def test_a_table_row_answers_with_its_table(assistant) -> None:
    result = assistant.ask("表2中成渝地区的汽车本地配套率是多少？")
    assert result.answerable
    rows = [c for c in result.citations if c.chunk.kind == "table"]
    assert rows and rows[0].quote == "成渝地区\t30"
    assert "表 2" in rows[0].chunk.context or "表2" in rows[0].chunk.context
    # every [n] in the answer has a citation with that number
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    assert numbers == {c.n for c in result.citations}
    assert_verbatim(result, assistant.reader_of())


# --- problems and countermeasures ---------------------------------------------------


@integration
def test_countermeasures_for_a_named_problem_come_from_the_linked_section(assistant) -> None:
    result = assistant.ask("针对产业链薄弱有什么对策？")
    assert result.answerable
    assert result.intent == "countermeasure"
    assert result.citations
    assert "> 4.2 " in sections(result)[0], sections(result)
    assert all(c.chunk.role == "countermeasure" for c in result.citations)
    assert "产业链关键环节薄弱" in result.answer  # the problem it answers is named
    # the sections gathered by structure are listed first among the passages
    assert "> 4.2 " in result.passages[0].chunk.section


@integration
def test_list_of_problems_is_complete(assistant) -> None:
    result = assistant.ask(PROBLEMS)
    assert result.answerable and result.intent == "list"
    assert result.answer.startswith("共5项：")
    cited = sections(result)
    for number in ("3.1", "3.2", "3.3", "3.4", "3.5"):
        assert any(f"> {number} " in s for s in cited), (number, cited)
    assert all(s.startswith("3 ") for s in cited[:5])  # nothing from the countermeasures


@integration
def test_four_enumerated_problems_are_all_listed(assistant) -> None:
    result = assistant.ask("成渝产业数字化协同方面具体存在哪四个问题？")
    assert result.answerable and result.intent == "list" and result.answer.startswith("共4项")
    quotes = [c.quote for c in result.citations]
    for head in ("一是", "二是", "三是", "四是"):
        assert sum(q.startswith(head) for q in quotes) == 1, (head, quotes)
    positions = [result.answer.index(head) for head in ("一是", "二是", "三是", "四是")]
    assert positions == sorted(positions)
    assert all("3.5 产业数字化协同程度低" in s for s in sections(result))


@integration
def test_problem_answer_points_to_its_countermeasures(assistant) -> None:
    result = assistant.ask("成渝地区人才方面存在什么问题？")
    assert result.answerable and result.intent == "problem"
    assert all("3.4 人才金融要素" in s for s in sections(result))
    assert result.see_also
    assert any(s.startswith("4.4 ") for s in result.see_also), result.see_also
    assert "相关对策见" in result.answer and "4.4 " in result.answer


@integration
def test_what_problems_does_it_face_is_answered_with_problems(assistant) -> None:
    result = assistant.ask("成渝汽车产业面临的问题是什么？")
    assert "针对“”" not in result.answer
    assert result.intent == "problem"
    assert not any(c.chunk.role == "countermeasure" for c in result.citations)
    assert any(c.chunk.role == "problem" for c in result.citations)


# --- refusals --------------------------------------------------------------------


REFUSALS = [
    ("成都明天天气怎么样", "资料中没有关于“天气”的内容", False),
    ("2030年成渝汽车产量", "资料未给出2030年的数据", True),
    ("西安电子信息产值", "资料未给出西安的数据", True),
    (
        "《成渝地区双城经济圈汽车产业高质量协同发展实施方案》第五条的内容是什么？",
        "全文尚未收录",
        True,
    ),
]


@integration
@pytest.mark.parametrize(
    ("question", "reason", "near"), REFUSALS, ids=[q[:12] for q, _, _ in REFUSALS]
)
def test_unanswerable_questions_are_refused_with_what_is_missing(
    assistant, question: str, reason: str, near: bool
) -> None:
    result = assistant.ask(question)
    assert result.answerable is False
    assert result.answer.split("。")[0] in reason or reason in result.answer.split("。")[0]
    assert 1 <= len(result.related) <= 3
    # a near miss shows the nearest fact, labelled as such and cited; nothing else is cited
    assert bool(result.nearest) is near and result.citations == result.nearest
    assert ("资料中最接近的内容是：" in result.answer) is near
    data = result.to_dict()
    assert data["related"]
    json.dumps(data, ensure_ascii=False)


NOT_THIS_FIGURE = [
    # the figure before it is the 成渝 total; the 重庆 sentence counts firms
    "重庆单独的装备制造业营业收入是多少亿元？",
    # the only figures near 芯片 are years and "5G"
    "成渝地区集成电路产业2023年的产值是多少？",
    # the paper only names the plan
    "《成渝地区双城经济圈共建世界级装备制造产业集群实施方案》由哪个部门牵头负责实施？",
    # names no figure to look for
    "成渝地区一共有多少？",
]


@integration
@pytest.mark.parametrize("question", NOT_THIS_FIGURE, ids=[q[:10] for q in NOT_THIS_FIGURE])
def test_a_nearby_figure_or_mention_does_not_answer(assistant, question: str) -> None:
    assert assistant.ask(question).answerable is False


SPOKEN = [
    ("川渝这边的电子信息产业，在全国大概能占多大份额？", "超过10%"),
    ("企业为什么不愿意搞数字化转型？", "改造成本较高"),
    ("成都重庆这一片搞电子信息，在全国排第几？", "第四大电子信息产业聚集地"),
    ("电子信息产业协同发展实施方案是什么时候审议通过的？", "2021年5月和11月"),
]


@integration
@pytest.mark.parametrize(("question", "fact"), SPOKEN, ids=[q[:10] for q, _ in SPOKEN])
def test_spoken_wording_is_answered(assistant, question: str, fact: str) -> None:
    result = assistant.ask(question)
    assert result.answerable, result.answer
    assert any(fact in c.quote for c in result.citations), result.answer
    assert_verbatim(result, assistant.reader_of())


# --- follow-ups ------------------------------------------------------------------


@integration
def test_follow_up_is_resolved_from_history(assistant) -> None:
    history = [
        {"role": "user", "content": ELECTRONICS},
        {
            "role": "assistant",
            "content": "2023年,成渝地区电子信息产业集群产值规模达到1.68万亿元。[1]",
        },
    ]
    result = assistant.ask("那汽车产业呢？", history=history)
    assert result.question == "那汽车产业呢？"
    assert "汽车产业" in result.resolved_question and "电子信息" not in result.resolved_question
    assert result.answerable
    assert "8100亿元" in result.answer
    assert any("8100亿元" in c.quote for c in result.citations)


@integration
def test_same_follow_up_without_history_is_not_resolved(assistant) -> None:
    result = assistant.ask("那汽车产业呢？")
    assert result.resolved_question == ""


# --- verbatim citations ------------------------------------------------------------


def gold_questions() -> list[str]:
    lines = (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()[:40]
    return [json.loads(line)["question"] for line in lines if line.strip()]


STRUCTURAL = [
    "针对产业结构同质化、产业梯度落差大的问题，文章提出了什么对策？",
    "在推动产业链数据对接方面，文章提出了哪四条建议？",
    "文章从哪几个方面提出了对策建议？",
    "成渝地区金融要素供给存在什么问题？",
    "論文針對人才問題提出了哪些對策？",
]


@integration
@pytest.mark.slow
def test_every_citation_is_verbatim_in_its_chunk_and_document(assistant) -> None:
    reader = assistant.reader_of()
    questions = gold_questions() + STRUCTURAL
    assert len(questions) >= 40
    checked, bad, answered = 0, [], 0
    for question in questions:
        result = assistant.ask(question)
        answered += result.answerable
        for c in result.to_dict()["citations"]:
            checked += 1
            chunk = reader.chunk(c["chunk_id"])
            doc = reader.document(c["doc_id"])
            in_chunk = chunk is not None and c["quote"] in chunk.text
            in_doc = doc is not None and doc.text[c["start"] : c["end"]] == c["quote"]
            inside = chunk is not None and chunk.start <= c["start"] < c["end"] <= chunk.end
            if not (in_chunk and in_doc and inside and c["quote"].strip()):
                bad.append((question, c["n"], c["quote"][:40]))
        for n, piece in shown_pieces(result.answer):
            # a list item may be shown as its section's heading, citing the section's text
            quotes = [flat(c.quote + "\n" + c.chunk.section) for c in result.citations if c.n == n]
            assert any(piece in q for q in quotes), (question, n, piece)
    assert answered >= 30 and checked >= 50
    assert bad == [], f"{len(bad)} of {checked} citations not verbatim: {bad[:5]}"


# --- passages ----------------------------------------------------------------------


@integration
def test_passages_come_in_rank_order(assistant) -> None:
    result = assistant.ask(NEV)
    passages = result.to_dict()["passages"]
    assert len(passages) >= 10
    assert [p["rank"] for p in passages] == list(range(1, len(passages) + 1))
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert len({p["chunk_id"] for p in passages}) == len(passages)
    cited = {c.chunk.chunk_id for c in result.citations}
    assert cited <= {p["chunk_id"] for p in passages}
    for p in passages:
        assert {"rank", "chunk_id", "score", "text", "doc_title", "section", "role"} <= set(p)


# --- verify (unit) ---------------------------------------------------------------------


DOC_TEXT = "前言。成渝地区的新能源汽车本地配套率仅为30%,显著低于珠三角地区。结语。"


def fake_chunk(start: int = 3, end: int = 33) -> Chunk:
    return Chunk(
        doc_id="doc",
        doc_title="测试文档",
        content_hash="h",
        start=start,
        end=end,
        text=DOC_TEXT[start:end],
        section="3 问题 > 3.2 产业链",
        role="problem",
        industries="汽车",
    )


def fake_docs(text: str = DOC_TEXT) -> Documents:
    return Documents(Document("doc", "doc.txt", "测试文档", text, text, "h"))


def citation(quote: str, start: int, chunk: Chunk | None = None) -> Citation:
    return Citation(1, chunk or fake_chunk(), quote, start, start + len(quote))


@pytest.mark.unit
def test_verify_accepts_a_verbatim_quote() -> None:
    quote = "成渝地区的新能源汽车本地配套率仅为30%"
    start = DOC_TEXT.index(quote)
    verify(citation(quote, start))
    verify(citation(quote, start), fake_docs())


@pytest.mark.unit
@pytest.mark.parametrize(
    ("quote", "start"),
    [
        ("成渝地区的新能源汽车本地配套率高达80%", 3),  # forged words
        ("成渝地区的新能源汽车本地配套率仅为30%", 4),  # right words, wrong offsets
        ("结语。", DOC_TEXT.index("结语。")),  # in the document but not in the chunk
    ],
    ids=["forged", "shifted", "outside-chunk"],
)
def test_verify_rejects_a_forged_citation(quote: str, start: int) -> None:
    with pytest.raises(QuoteError):
        verify(citation(quote, start), fake_docs())


@pytest.mark.unit
def test_verify_rejects_a_quote_whose_document_text_differs() -> None:
    quote = "成渝地区的新能源汽车本地配套率仅为30%"
    start = DOC_TEXT.index(quote)
    verify(citation(quote, start))  # the chunk alone agrees
    edited = DOC_TEXT.replace("仅为30%", "仅为40%")
    with pytest.raises(QuoteError, match="document"):
        verify(citation(quote, start), fake_docs(edited))
