"""``record_parser`` parses like ``parse_record`` and remembers only what it may share."""

from __future__ import annotations

from datetime import date

from planner.domain import fields as f
from planner.domain.fields import Column, RowError, parse_record, record_parser

COLUMNS = (
    Column("born", f.iso_date),
    Column("country", f.country),
    Column("pair", lambda text: [text, text]),  # a mutable result: never shared between records
    Column("note", required=False),
)


def test_record_parser_parses_like_parse_record() -> None:
    records = [
        {"born": "1990-01-01", "country": "mex", "pair": "x", "note": ""},
        {"born": "1990-02-30", "country": "MEX", "pair": "x", "note": " hi "},
        {"born": "1990-01-01", "country": "XXX", "pair": "y", "note": "\u202e"},
        {"born": "1990-02-30", "country": "mex", "pair": "x", "note": ""},
    ]
    parse = record_parser(COLUMNS)
    fast: list[RowError] = []
    slow: list[RowError] = []
    for line, raw in enumerate(records, start=2):
        assert parse(line, raw, fast) == parse_record(line, raw, COLUMNS, slow)
    assert fast == slow
    assert [(e.line, e.column) for e in fast] == [(3, "born"), (4, "country"), (4, "note"), (5, "born")]


def test_remembered_values_are_immutable_ones() -> None:
    parse = record_parser(COLUMNS)
    first = parse(2, {"born": "1990-01-01", "country": "MEX", "pair": "x", "note": ""}, [])
    second = parse(3, {"born": "1990-01-01", "country": "MEX", "pair": "x", "note": ""}, [])
    assert first is not None and second is not None
    assert first == second and first["born"] == date(1990, 1, 1)
    assert first["pair"] is not second["pair"]
