"""Tables: the row with the highest or lowest value of the column a question names,
and one row's value, each cited as the row itself."""

from __future__ import annotations

import pytest

from policyqa.assistant.compose import verify
from policyqa.assistant.strategies.table_lookup import number

pytestmark = pytest.mark.unit

CAPTION = "表1 2024年各城市智能制造产值"


def test_the_table_is_indexed_with_its_caption_and_header(index):
    tables = [c for c in index.chunks if c.kind == "table"]
    assert len(tables) == 1
    assert tables[0].context == f"{CAPTION}\n城市\t产值/亿元\t增速/%"
    assert tables[0].role == "table"


@pytest.mark.parametrize(
    ("question", "column", "word", "row"),
    [
        ("表1中哪个城市的产值最高？", "产值/亿元", "最高", "成都\t420\t9.1"),
        ("哪个城市智能制造产值最低？", "产值/亿元", "最低", "德阳\t250\t11.0"),
        ("表1中哪个城市的增速最高？", "增速/%", "最高", "重庆\t380\t15.2"),
        ("表1中哪个城市的增速最低？", "增速/%", "最低", "绵阳\t300\t6.4"),
    ],
)
def test_highest_and_lowest_row(assistant, index, question, column, word, row):
    result = assistant.ask(question)
    assert result.answerable
    shown = row.replace("\t", " ")
    assert result.answer == f"{CAPTION}“{column}”{word}的是：{shown}[1]。"
    assert [c.quote for c in result.citations] == [row]
    assert result.citations[0].chunk.kind == "table"
    verify(result.citations[0], index)


@pytest.mark.parametrize(
    ("question", "row"),
    [
        ("表1中绵阳的增速是多少？", "绵阳\t300\t6.4"),
        ("表1中绵阳的产值是多少？", "绵阳\t300\t6.4"),
    ],
)
def test_one_rows_value(assistant, index, question, row):
    result = assistant.ask(question)
    assert result.answerable
    assert result.answer == f"{row.replace(chr(9), ' ')}[1]。"
    assert [c.quote for c in result.citations] == [row]
    verify(result.citations[0], index)


def test_a_table_the_documents_lack_is_refused_with_the_nearest_row(assistant):
    result = assistant.ask("表3中哪个城市产值最高？")
    assert not result.answerable
    assert result.answer.startswith("资料未给出表3的数据。")
    assert result.nearest and result.nearest[0].chunk.kind == "table"


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("420", 420.0),
        ("1 570.82", 1570.82),
        (">50", 50.0),
        ("约3", 3.0),
        ("6.4%", 6.4),
        ("—", None),
    ],
)
def test_a_cell_is_read_as_a_number(cell, value):
    assert number(cell) == value
