"""The wording helpers (``planner.domain.wording``) and the audit details formatter
(``planner.domain.audit_text``): plurals, local times with offsets, money, values without
``None`` or JSON, grouped lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planner.domain import audit_text, wording


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [
        (1, "row", "1 row"),
        (0, "row", "0 rows"),
        (2, "row", "2 rows"),
        (1250, "person", "1,250 people"),
        (1, "person", "1 person"),
        (3, "family", "3 families"),
        (2, "match", "2 matches"),
        (2, "day", "2 days"),
        (2, "country rule", "2 country rules"),
    ],
)
def test_plural(count: int, word: str, expected: str) -> None:
    assert wording.plural(count, word) == expected


def test_local_time_uses_the_offset_never_an_abbreviation() -> None:
    evening = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)  # 2027-03-01 20:00 in Chicago (CST)
    text = wording.local_time_text(evening, "America/Chicago")
    assert text == "2027-03-01 20:00 UTC\u221206:00"
    assert "CST" not in text
    assert wording.local_time_text(evening, "Asia/Shanghai", with_zone_name=True) == (
        "2027-03-02 10:00 UTC+08:00 (Asia/Shanghai)"
    )
    assert wording.local_time_text(evening, "Nowhere/Atlantis") == "2027-03-02 02:00 UTC±00:00"
    assert wording.local_date(evening, "America/Chicago").isoformat() == "2027-03-01"
    assert wording.local_time_text(datetime(2027, 7, 1, 12, 0, tzinfo=UTC), "Asia/Kolkata") == (
        "2027-07-01 17:30 UTC+05:30"
    )


def test_money_values_and_groups() -> None:
    assert wording.money_text(8500.0, "EUR") == "EUR 8,500"
    assert wording.money_text(None) == ""
    assert wording.value_text(None) == "empty"
    assert wording.value_text(True) == "yes"
    assert wording.value_text(["PASSPORT", "VISA"]) == "PASSPORT, VISA"
    assert wording.was_text(None) == "(was empty)"
    assert wording.change_text("priority", 5, 2) == "priority 5 → 2"
    assert wording.grouped_lines(["a", "b", "a", "a"]) == ["3 × a", "b"]
    assert wording.join_words(["a", "b", "c"]) == "a, b and c"
    assert wording.hours_text(6.0) == "6 h" and wording.hours_text(2.5) == "2.5 h"


def test_audit_details_read_as_words_not_json() -> None:
    assert audit_text.summarize_changes('{"priority":[5,2]}') == "priority 5 → 2"
    assert (
        audit_text.summarize_changes('{"hold_until":[null,"2027-03-01"]}') == "hold until empty → 2027-03-01"
    )
    assert (
        audit_text.pretty_changes('{"documents":1,"facility":"FAC003"}') == "documents: 1\nfacility: FAC003"
    )
    assert audit_text.pretty_changes("{}") == "(no details recorded)"
    assert audit_text.summarize_changes("not json") == "details: not json"
    for text in ('{"priority":[5,2]}', '{"a":[null,null]}', '{"x":{"y":null}}'):
        shown = audit_text.summarize_changes(text)
        assert "None" not in shown and "{" not in shown and "null" not in shown
    assert audit_text.action_words("person.update") == "person update"
    assert len(audit_text.summarize_changes('{"note":"' + "x" * 400 + '"}')) == audit_text.SUMMARY_LIMIT
