"""An import column a file may leave out (``Column.optional_column``, e.g. the flights file's
``pickups``): absent from the header, its fields read as empty; present, it is read as usual;
a required column is still missing."""

from __future__ import annotations

from planner.services.imports.reader import Records


def test_an_optional_column_may_be_left_out() -> None:
    errors: list = []
    records = Records("a,b\n1,2\n", ["a", "b", "pickups"], errors, optional=["pickups"])
    assert [r.values for r in records] == [{"a": "1", "b": "2", "pickups": ""}]
    assert not errors and records.header == ["a", "b"]


def test_an_optional_column_present_is_read() -> None:
    errors: list = []
    records = Records("a,pickups,b\n1,X@T,2\n", ["a", "b", "pickups"], errors, optional=["pickups"])
    assert [r.values for r in records] == [{"a": "1", "pickups": "X@T", "b": "2"}]
    assert not errors


def test_a_required_column_is_still_missing() -> None:
    errors: list = []
    records = Records("a,pickups\n1,\n", ["a", "b", "pickups"], errors, optional=["pickups"])
    assert list(records) == []
    assert [(e.line, e.column, e.message) for e in errors] == [(1, "header", "missing column(s): b")]
