"""The API deadline clock (issue 13): per stop, when the receiving state must have the PAXLST."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from planner.services.manifests.deadlines import api_deadlines, duration_text, utc_offset_text
from planner.services.reference import DEFAULT_API_DEADLINE_MINUTES, read_country_rules
from tests.unit.manifests.sample import sample_manifest

CONTENT = sample_manifest(
    60, status="APPROVED"
)  # JFK 2025-07-14 13:30Z -> PEK (+6 h), HAN (+12 h), SVO (+18 h)
ARRIVAL_PEK = CONTENT.stops[0].arrival_utc


def test_china_wants_the_data_two_hours_before_arrival_shown_in_local_time() -> None:
    assert datetime(2025, 7, 14, 19, 30, tzinfo=UTC) == ARRIVAL_PEK
    now = datetime(2025, 7, 14, 14, 10, tzinfo=UTC)
    pek = api_deadlines(CONTENT, {"CHN": 120}, now)[0]
    assert (pek.country, pek.airport, pek.minutes_before, pek.before_arrival) == ("CHN", "PEK", 120, True)
    assert pek.due_utc == datetime(2025, 7, 14, 17, 30, tzinfo=UTC)
    assert pek.remaining == timedelta(hours=3, minutes=20) and not pek.overdue
    assert pek.describe() == (
        "CHN data due 2025-07-15 01:30 local time at PEK (UTC+08:00), 2 h before arrival — in 3 h 20 min"
    )


def test_a_passed_deadline_is_overdue_and_says_by_how_much() -> None:
    pek = api_deadlines(CONTENT, {"CHN": 120}, datetime(2025, 7, 14, 17, 55, tzinfo=UTC))[0]
    assert pek.overdue and pek.describe().endswith("— overdue by 25 min")
    exactly = api_deadlines(CONTENT, {"CHN": 120}, pek.due_utc)[0]
    assert not exactly.overdue and exactly.describe().endswith("— in 0 min")


def test_a_country_without_a_figure_gets_the_conservative_default() -> None:
    now = datetime(2025, 7, 1, tzinfo=UTC)
    clock = api_deadlines(CONTENT, {"CHN": 120}, now)
    assert [d.minutes_before for d in clock] == [
        120,
        DEFAULT_API_DEADLINE_MINUTES,
        DEFAULT_API_DEADLINE_MINUTES,
    ]
    assert DEFAULT_API_DEADLINE_MINUTES == 24 * 60
    han = clock[1]
    assert han.due_utc == CONTENT.stops[1].arrival_utc - timedelta(days=1)
    assert "1 d before arrival" in han.describe() and "(UTC+07:00)" in han.describe()


def test_without_an_arrival_time_the_clock_counts_back_from_departure() -> None:
    stop = dataclasses.replace(CONTENT.stops[0], arrival_utc=None)
    content = dataclasses.replace(CONTENT, stops=(stop,))
    pek = api_deadlines(content, {"CHN": 120}, datetime(2025, 7, 14, 9, 0, tzinfo=UTC))[0]
    assert not pek.before_arrival
    assert pek.due_utc == CONTENT.departure_utc - timedelta(hours=2)
    assert "before departure (arrival time unknown)" in pek.describe()


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        api_deadlines(CONTENT, {}, datetime(2025, 7, 1))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=3, minutes=20, seconds=59), "3 h 20 min"),
        (timedelta(days=2, hours=4), "2 d 4 h"),
        (timedelta(days=1), "1 d"),
        (timedelta(minutes=-5), "0 min"),
    ],
)
def test_duration_text(value: timedelta, text: str) -> None:
    assert duration_text(value) == text


def test_utc_offset_text_never_uses_an_abbreviation() -> None:
    from zoneinfo import ZoneInfo

    winter = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    assert utc_offset_text(winter.astimezone(ZoneInfo("Asia/Shanghai"))) == "UTC+08:00"
    assert utc_offset_text(winter.astimezone(ZoneInfo("America/Chicago"))) == "UTC-06:00"
    assert utc_offset_text(winter.astimezone(ZoneInfo("Asia/Kolkata"))) == "UTC+05:30"
    assert utc_offset_text(winter) == "UTC"


def test_shipped_rules_give_china_two_hours_and_others_the_default() -> None:
    rules = {r["country"]: r["api_deadline_minutes"] for r in read_country_rules()}
    assert rules["CHN"] == 120
    assert all(
        minutes == DEFAULT_API_DEADLINE_MINUTES for country, minutes in rules.items() if country != "CHN"
    )
