"""Issue 13: the eligibility rules read the departure's calendar day as the traveller lives it — the
local date at the departure airport — and conservatively where the UTC date differs (the earlier
day for legal holds, the later for document validity). The scalar rules and the vectorised
evaluator agree on it in every zone, near midnight included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.domain.eligibility import (
    check_person,
    departure_dates,
    local_departure_date,
    minimum_expiry,
    reason_text,
)
from planner.domain.eligibility import matrix as em
from planner.domain.enums import ReasonCode as R
from tests.unit.eligibility_facts import LOCAL_TIMES, NOW, ZONES, passport, person, rule, stop

NEW_YORK = "America/New_York"
SHANGHAI = "Asia/Shanghai"


def local(day: date, at: time, zone: str) -> datetime:
    """``day`` ``at`` in ``zone`` as a UTC instant."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def both_backends(p, s, r=None) -> tuple[tuple[R, ...], bool]:
    """(the scalar reasons, whether the vectorised evaluator lets ``p`` onto ``s``)."""
    r = r or rule()
    scalar = check_person(p, s, r, now=NOW)
    pairs = em.evaluate(em.tables_from_facts([p], [s], {r.country: r}), now=NOW).pair_set()
    return scalar, (0, 0) in pairs


# ---------------------------------------------------------------- the departure day


def test_new_york_evening_is_the_first_locally_and_the_second_in_utc() -> None:
    s = stop(departure_utc=local(date(2027, 3, 1), time(20, 0), NEW_YORK), departure_timezone=NEW_YORK)
    assert s.departure_utc.date() == date(2027, 3, 2)
    assert local_departure_date(s) == date(2027, 3, 1)
    assert departure_dates(s) == (date(2027, 3, 1), date(2027, 3, 2))


def test_shanghai_morning_is_the_day_before_in_utc() -> None:
    s = stop(departure_utc=local(date(2027, 3, 2), time(7, 0), SHANGHAI), departure_timezone=SHANGHAI)
    assert s.departure_utc.date() == date(2027, 3, 1)
    assert departure_dates(s) == (date(2027, 3, 1), date(2027, 3, 2))


def test_unknown_zone_spans_every_possible_local_date() -> None:
    s = stop(departure_utc=datetime(2027, 3, 1, 12, 0, tzinfo=UTC), departure_timezone="Mars/Olympus")
    assert local_departure_date(s) == date(2027, 3, 1)
    assert departure_dates(s) == (date(2027, 3, 1), date(2027, 3, 2))  # 00:00 the 1st, 02:00 the 2nd
    late = stop(departure_utc=datetime(2027, 3, 1, 11, 0, tzinfo=UTC), departure_timezone="")
    assert departure_dates(late) == (date(2027, 2, 28), date(2027, 3, 2))  # 23:00 the 28th … 01:00 the 2nd


# ---------------------------------------------------------------- rule 3: legal hold


def test_issue_13_hold_until_the_first_blocks_a_new_york_departure_at_20h_on_the_first() -> None:
    s = stop(departure_utc=local(date(2027, 3, 1), time(20, 0), NEW_YORK), departure_timezone=NEW_YORK)
    held = person(legal_hold_reason="court stay", hold_until=date(2027, 3, 1))
    assert both_backends(held, s) == ((R.LEGAL_HOLD,), False)
    ended = person(legal_hold_reason="court stay", hold_until=date(2027, 2, 28))
    assert both_backends(ended, s) == ((), True)


def test_shanghai_07h_departure_hold_until_the_utc_day_blocks() -> None:
    # 07:00 on the 2nd in Shanghai is 23:00 on the 1st in UTC: the earlier reading (the 1st) counts.
    s = stop(departure_utc=local(date(2027, 3, 2), time(7, 0), SHANGHAI), departure_timezone=SHANGHAI)
    p = person(legal_hold_reason="court stay", hold_until=date(2027, 3, 1))
    assert both_backends(p, s) == ((R.LEGAL_HOLD,), False)
    ended = person(legal_hold_reason="court stay", hold_until=date(2027, 2, 28))
    assert both_backends(ended, s) == ((), True)


def test_the_rule_text_names_the_local_departure_day() -> None:
    text = reason_text(R.LEGAL_HOLD)
    assert "departure day" in text and "local date at the departure airport" in text and "," not in text


# ---------------------------------------------------------------- rule 6: document validity


def test_shanghai_07h_departure_document_must_be_valid_past_the_local_day() -> None:
    # Local date the 2nd (later than the UTC 1st): the document must run to the 3rd (arrival).
    s = stop(departure_utc=local(date(2027, 3, 2), time(7, 0), SHANGHAI), departure_timezone=SHANGHAI)
    assert minimum_expiry(s, rule()) == date(2027, 3, 3)
    short = person(documents=(passport(expires_on=date(2027, 3, 2)),))
    assert both_backends(short, s) == ((R.NO_VALID_DOCUMENT,), False)
    enough = person(documents=(passport(expires_on=date(2027, 3, 3)),))
    assert both_backends(enough, s) == ((), True)


def test_new_york_evening_document_counts_from_the_later_utc_day() -> None:
    s = stop(departure_utc=local(date(2027, 3, 1), time(20, 0), NEW_YORK), departure_timezone=NEW_YORK)
    assert minimum_expiry(s, rule(min_validity_days=30)) == date(2027, 3, 3) + timedelta(days=30)
    short = person(documents=(passport(expires_on=date(2027, 3, 2)),))
    assert both_backends(short, s) == ((R.NO_VALID_DOCUMENT,), False)


def test_the_document_rule_text_says_how_the_day_is_counted() -> None:
    text = reason_text(R.NO_VALID_DOCUMENT)
    assert "local departure date" in text and "," not in text


# ---------------------------------------------------------------- rules on instants: unaffected


@pytest.mark.parametrize("zone", ZONES)
def test_notice_cutoff_and_transfer_do_not_depend_on_the_zone(zone: str) -> None:
    departure = NOW + timedelta(days=3)
    s = stop(departure_utc=departure, departure_timezone=zone)
    assert check_person(person(), s, rule(notice_days=3), now=NOW - timedelta(microseconds=1)) == ()
    assert check_person(person(), s, rule(notice_days=3), now=NOW) == (R.AFTER_NOTICE_CUTOFF,)
    hours = (departure - NOW).total_seconds() / 3600
    assert check_person(person(facility_transfer_hours={"IAH": hours}), s, rule(notice_days=0), now=NOW) == ()


# ---------------------------------------------------------------- every zone, near midnight: an oracle


UNKNOWN = "Not/A_Zone"


def _readings(departure: datetime, zone: str) -> list[date]:
    """Independent of the rules: the calendar days the departure falls on as read at the airport
    and in UTC, or (unknown zone) in any zone from UTC-12 to UTC+14."""
    if zone == UNKNOWN:
        return [(departure + timedelta(hours=h)).date() for h in range(-12, 15)]
    return [departure.astimezone(ZoneInfo(zone)).date(), departure.date()]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.integers(2, 20),
    at=st.sampled_from(LOCAL_TIMES),
    hold_shift=st.integers(-2, 1),
    expiry_shift=st.integers(-1, 2),
)
def test_both_backends_agree_with_an_oracle_in_every_zone(
    zone: str, day: int, at: time, hold_shift: int, expiry_shift: int
) -> None:
    zone_info = ZoneInfo(zone) if zone != UNKNOWN else UTC
    departure = datetime.combine(NOW.date() + timedelta(days=day), at, tzinfo=zone_info).astimezone(UTC)
    s = stop(departure_utc=departure, departure_timezone=zone)
    until = departure.date() + timedelta(days=hold_shift)
    expiry = departure.date() + timedelta(days=expiry_shift)
    p = person(legal_hold_reason="court stay", hold_until=until, documents=(passport(expires_on=expiry),))
    reasons, placed = both_backends(p, s, rule(notice_days=0))
    days = _readings(departure, zone)
    assert (R.LEGAL_HOLD in reasons) == (min(days) <= until)
    # The document must be valid to the day after the latest day the departure falls on.
    assert (R.NO_VALID_DOCUMENT in reasons) == (expiry < max(days) + timedelta(days=1))
    assert placed == (reasons == ())
