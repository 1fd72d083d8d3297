"""The pure rules of requests to receiving states (``planner.domain.requests``): references, request
layouts, lead times, overdue, the funnel's stages and counts (a property), the lead-time histogram."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.domain.enums import RequestKind
from planner.domain.requests import (
    DEFAULT_LEAD_TIME_DAYS,
    DEFAULT_REQUEST_COLUMNS,
    MIN_HISTORY,
    BatchReference,
    FunnelStage,
    days_overdue,
    due_on,
    expected_answer_on,
    expected_lead_time,
    format_reference,
    funnel_counts,
    funnel_stage,
    is_overdue,
    lead_days,
    lead_time_histogram,
    looks_like_reference,
    parse_reference,
    parse_request_columns,
    request_columns_text,
)

# ------------------------------------------------------------------------------------ references


@given(
    kind=st.sampled_from(list(RequestKind)),
    country=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    year=st.integers(2000, 9999),
    number=st.integers(1, 99999),
)
def test_references_round_trip(kind: RequestKind, country: str, year: int, number: int) -> None:
    text = format_reference(kind, country, year, number)
    assert parse_reference(text) == BatchReference(kind, country, year, number)
    assert str(BatchReference(kind, country, year, number)) == text
    assert looks_like_reference(text)


def test_reference_text() -> None:
    assert format_reference(RequestKind.VERIFICATION, "CHN", 2026, 7) == "VR-CHN-2026-0007"
    assert format_reference(RequestKind.TRAVEL_DOCUMENT, "HTI", 2027, 1) == "TD-HTI-2027-0001"
    assert parse_reference("  TD-HTI-2027-0001 ") == BatchReference(
        RequestKind.TRAVEL_DOCUMENT, "HTI", 2027, 1
    )


@pytest.mark.parametrize(
    "text", ["", "LIST-2026-01", "VR-CH-2026-0001", "VR-CHN-26-0001", "VR-CHN-2026-1", "XX-CHN-2026-0001"]
)
def test_not_references(text: str) -> None:
    assert parse_reference(text) is None


def test_looks_like_reference() -> None:
    assert looks_like_reference("vr-chn-bad")  # badly formed, but meant as one: an error, not a free text
    assert looks_like_reference("TD-")
    assert not looks_like_reference("LIST-2026-01")
    assert not looks_like_reference("VRX-1")


# ---------------------------------------------------------------------------------------- layouts


def test_default_layout() -> None:
    assert parse_request_columns("") == DEFAULT_REQUEST_COLUMNS
    assert parse_request_columns(" ; ,") == DEFAULT_REQUEST_COLUMNS
    assert request_columns_text(DEFAULT_REQUEST_COLUMNS) == ""
    assert {"case_number", "reference"} <= set(DEFAULT_REQUEST_COLUMNS)


def test_layout_round_trip() -> None:
    columns = parse_request_columns("Reference; case_number, native_name;DATE_OF_BIRTH")
    assert columns == ("reference", "case_number", "native_name", "date_of_birth")
    assert request_columns_text(columns) == "reference;case_number;native_name;date_of_birth"
    assert parse_request_columns(request_columns_text(columns)) == columns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("case_number;reference;shoe_size", "unknown request column 'shoe_size'"),
        ("case_number;reference;sex;sex", "'sex' is named twice"),
        ("case_number;family_name", "must include reference"),
        ("family_name", "must include case_number and reference"),
    ],
)
def test_bad_layouts(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_request_columns(text)


# ------------------------------------------------------------------------------------- lead times


def test_lead_days() -> None:
    assert lead_days(date(2026, 1, 1), date(2026, 1, 1)) == 0
    assert lead_days(date(2026, 1, 1), date(2026, 2, 1)) == 31


def test_expected_lead_time_from_the_rule_below_min_history() -> None:
    assert MIN_HISTORY == 3
    none = expected_lead_time(None, [])
    assert (none.days, none.source, none.answered, none.median) == (DEFAULT_LEAD_TIME_DAYS, "rule", 0, None)
    two = expected_lead_time(45, [10, 20])
    assert (two.days, two.source, two.answered, two.median) == (45, "rule", 2, 15.0)
    assert "country rule" in two.describe() and "2 answers" in two.describe()


def test_expected_lead_time_from_history() -> None:
    three = expected_lead_time(45, [30, 10, 20])
    assert (three.days, three.source, three.answered, three.median) == (20, "history", 3, 20.0)
    assert three.describe() == "20 days (median of 3 answers)"
    four = expected_lead_time(None, [10, 20, 21, 40])  # median 20.5 rounds up
    assert (four.days, four.source, four.median) == (21, "history", 20.5)


def test_overdue_boundary() -> None:
    sent = date(2026, 3, 1)
    assert due_on(sent, 30) == date(2026, 3, 31)
    assert not is_overdue(sent, 30, date(2026, 3, 31))  # due today: not yet overdue
    assert days_overdue(sent, 30, date(2026, 3, 31)) == 0
    assert is_overdue(sent, 30, date(2026, 4, 1))
    assert days_overdue(sent, 30, date(2026, 4, 1)) == 1
    assert days_overdue(sent, 30, date(2026, 3, 1)) == 0
    assert expected_answer_on(sent, 30, date(2026, 3, 10)) == date(2026, 3, 31)
    assert expected_answer_on(sent, 30, date(2026, 4, 5)) == date(2026, 4, 5)


@given(
    sent=st.dates(date(2000, 1, 1), date(2100, 1, 1)), lead=st.integers(0, 400), offset=st.integers(-500, 500)
)
def test_overdue_agrees_with_days_overdue(sent: date, lead: int, offset: int) -> None:
    today = sent + timedelta(days=offset)
    assert is_overdue(sent, lead, today) == (days_overdue(sent, lead, today) > 0)


# ----------------------------------------------------------------------------------------- funnel

flags = st.fixed_dictionaries(
    {name: st.booleans() for name in ("requested", "confirmed", "document_valid", "placed", "flown")}
)


@given(st.lists(flags, max_size=60))
def test_funnel_counts_add_up(people: list[dict[str, bool]]) -> None:
    stages = [funnel_stage(**person) for person in people]
    counts = funnel_counts(stages)
    assert list(counts) == list(FunnelStage)
    assert counts[FunnelStage.CLAIMED] == len(people)
    ordered = [counts[s] for s in FunnelStage]
    assert ordered == sorted(ordered, reverse=True)  # never grows from one stage to the next
    stopped = {s: stages.count(s) for s in FunnelStage}
    assert sum(stopped.values()) == len(people)
    for stage in FunnelStage:
        assert counts[stage] == sum(n for s, n in stopped.items() if s >= stage)


@given(flags)
def test_funnel_stage_is_the_furthest_fact(person: dict[str, bool]) -> None:
    stage = funnel_stage(**person)
    order = ["requested", "confirmed", "document_valid", "placed", "flown"]
    reached = [n for n, name in enumerate(order, start=1) if person[name]]
    assert stage == FunnelStage(max(reached, default=0))


def test_funnel_labels() -> None:
    assert [s.label for s in FunnelStage] == [
        "claimed",
        "requested",
        "confirmed",
        "document valid",
        "placed",
        "flown",
    ]
    assert funnel_counts([]) == dict.fromkeys(FunnelStage, 0)


# -------------------------------------------------------------------------------------- histogram


def test_histogram() -> None:
    assert lead_time_histogram([]) == []
    assert lead_time_histogram([0, 6, 7, 20]) == [(0, 2), (7, 1), (14, 1)]
    assert lead_time_histogram([3, 40], width=10) == [(0, 1), (10, 0), (20, 0), (30, 0), (40, 1)]
    assert lead_time_histogram([-2, 1]) == [(0, 2)]  # an answer dated before sending counts as 0
    assert lead_time_histogram([-10]) == [(0, 1)]


@given(st.lists(st.integers(0, 400), min_size=1, max_size=50), st.integers(1, 30))
def test_histogram_counts_everything(days: list[int], width: int) -> None:
    bins = lead_time_histogram(days, width)
    assert sum(n for _, n in bins) == len(days)
    assert [start for start, _ in bins] == [i * width for i in range(len(bins))]
    assert bins[-1][1] > 0
