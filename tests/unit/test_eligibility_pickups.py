"""Rule 7 per pickup: a person may take a stop when their facility reaches at least one pickup of
the stop's flight in time; the scalar rule, the vectorised tables and the sentence agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from planner.domain import reasons
from planner.domain.eligibility import (
    CountryRuleFacts,
    PersonFacts,
    PickupFacts,
    StopFacts,
    reach_by_pickup,
    reached_pickups,
    tables_from_facts,
)
from planner.domain.eligibility.encoding import epoch_us
from planner.domain.eligibility.rules.facility_reach import facility_reaches
from planner.domain.enums import ReasonCode

NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
IAH = PickupFacts(0, "IAH", NOW + timedelta(hours=13, minutes=15), "America/Chicago")
SAT = PickupFacts(1, "SAT", NOW + timedelta(hours=15), "America/Chicago")
STOP = StopFacts(
    1, 10, "IAH", IAH.departure_utc, "GTM", departure_timezone="America/Chicago", pickups=(IAH, SAT)
)


def _person(pid: int, hours: dict[str, float]) -> PersonFacts:
    return PersonFacts(pid, "IN_CUSTODY", "FINAL", "GTM", facility_transfer_hours=hours)


def test_a_facility_that_reaches_only_a_later_pickup_may_take_the_stop() -> None:
    hours = {"IAH": 20.0, "SAT": 14.0}
    assert facility_reaches(hours, STOP, NOW)
    assert reached_pickups(hours, STOP, NOW) == (SAT,)
    # without the later pickup the same facility is too far
    assert not facility_reaches(hours, StopFacts(1, 10, "IAH", IAH.departure_utc, "GTM"), NOW)


def test_the_vectorised_reach_is_per_pickup_and_matches_the_scalar_rule() -> None:
    people = [_person(1, {"IAH": 20.0, "SAT": 14.0}), _person(2, {"IAH": 5.0}), _person(3, {"SAT": 16.0})]
    single = StopFacts(2, 20, "SAT", SAT.departure_utc, "GTM")
    tables = tables_from_facts(people, [STOP, single], {"GTM": CountryRuleFacts("GTM")})
    reach = reach_by_pickup(tables, epoch_us(NOW))  # [S, P, F + 1]
    assert reach.shape == (2, 2, 4)
    for row, person in enumerate(people):
        facility = tables.people.facility[row]
        for s, stop in enumerate((STOP, single)):
            expected = [
                p in reached_pickups(person.facility_transfer_hours, stop, NOW) for p in stop.route_pickups
            ]
            assert list(reach[s, : len(expected), facility]) == expected
    assert not reach[:, :, -1].any()  # no facility reaches nothing
    assert not reach[1, 1].any()  # padding


def test_the_sentence_names_every_pickup_with_its_local_time() -> None:
    facts = reasons.ReasonFacts(
        _person(1, {"IAH": 20.0}), STOP, CountryRuleFacts("GTM"), now=NOW, facility="FAC1 (Conroe)"
    )
    sentence = reasons.reason_sentence(ReasonCode.FACILITY_CANNOT_REACH.value, facts)
    assert sentence.startswith(
        "facility FAC1 (Conroe) cannot bring the person to any pickup in time "
        "(IAH 2027-03-01 07:15 UTC−06:00, SAT 2027-03-01 09:00 UTC−06:00)"
    ), sentence
    assert "IAH needs 20 h, 13.2 h left" in sentence and "no transfer to SAT" in sentence
