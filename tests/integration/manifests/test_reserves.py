"""Ranked reserves per flight stop (planner.services.reserves), on the manifest and after the cut-off."""

from __future__ import annotations

import json
from datetime import timedelta
from fractions import Fraction

import pytest
import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import (
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    PlanRun,
    StrikeOff,
)
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.workflow import ManifestRefused
from planner.services.reserves import list_reserves, ranked_reserves, reserve_limit
from tests.integration.manifests.world import DEPARTURE, T0, World


class ReserveWorld(World):
    """The manifest world plus a facility that reaches IAH, an earlier and a later flight to PEK."""

    facility_id: int = 0
    flights: dict[str, int]

    def setup(self) -> ReserveWorld:
        super().setup()
        self.flights = {self.flight_code: self.flight_id}
        with self.ctx.uow() as uow:
            facility = Facility(code="HOU1", name="Houston Processing Center", city="Houston")
            uow.session.add(facility)
            uow.session.flush()
            uow.session.add(FacilityAirport(facility_id=facility.id, airport="IAH", transfer_hours=4))
            self.facility_id = facility.id
            for code, shift in (("RF0000", -5), ("RF0002", 10)):
                flight = Flight(
                    code=code,
                    carrier="Sky Charter",
                    aircraft="B737-800",
                    departure_airport="IAH",
                    departure_utc=DEPARTURE + timedelta(days=shift),
                    seats=100,
                    escort_officers=40,
                )
                uow.session.add(flight)
                uow.session.flush()
                stop = FlightStop(flight_id=flight.id, sequence=1, airport="PEK")
                uow.session.add(stop)
                uow.session.flush()
                self.flights[code] = flight.id
                self.stop_ids[{"RF0000": 10, "RF0002": 20}[code]] = stop.id
            uow.commit()
        return self

    def candidate(self, case: str, country: str = "CHN", **overrides: object) -> str:
        """An eligible person who can reach IAH in time."""
        return self.person(case, country, facility_id=self.facility_id, **overrides)


@pytest.fixture
def world(ctx: AppContext) -> ReserveWorld:
    w = ReserveWorld(ctx).setup()
    for case in ("A10000001", "A10000002", "A10000003"):  # the passengers of RF0001 stop 1
        w.candidate(case, priority=1)
    w.candidate("A10000010", priority=1)  # unplaced, most urgent
    w.candidate("A10000011", priority=1)  # placed on the later RF0002: a reserve after the unplaced
    w.candidate("A10000012", priority=1)  # placed on the earlier RF0000: never a reserve
    w.candidate("A10000020", priority=2)  # single, mean priority 2
    w.candidate("A10000021", priority=1, family="FAM-A")  # family of two, mean priority 2
    w.candidate("A10000022", priority=3, family="FAM-A")
    w.candidate("A10000030", "GTM", priority=3)  # for the second stop
    # not reserves:
    w.candidate("A10000040", priority=1, legal_hold_reason="court stay")
    w.person("A10000041", priority=1)  # no facility: cannot reach IAH (rule 7)
    w.candidate("A10000042", priority=1, family="FAM-B")
    w.candidate("A10000043", priority=1, family="FAM-B", custody_status="RELEASED")  # family cannot go
    w.candidate("A10000044", priority=1)  # verification withdrawn below
    w.candidate("A10000045", priority=1)  # struck off RF0001 below
    with ctx.uow() as uow:
        pid = w.person_ids["A10000044"]
        uow.session.add(
            NationalityVerification(
                person_id=pid,
                country="CHN",
                result="NOT_CONFIRMED",
                authority="Consulate",
                verified_on=T0.date(),
            )
        )
        uow.session.add(
            StrikeOff(
                flight_id=w.flight_id,
                person_id=w.person_ids["A10000045"],
                stop_sequence=1,
                reason="MEDICAL_UNFIT",
                struck_by="olivia",
                struck_at=T0,
            )
        )
        uow.commit()
    w.plan({"A10000001": 1, "A10000002": 1, "A10000003": 1, "A10000011": 20, "A10000012": 10})
    return w


def _cases(reserves) -> list[tuple[int, int, tuple[str, ...], str | None]]:
    return [(u.rank, u.stop_sequence, u.case_numbers, u.placed_on) for u in reserves.units]


def test_reserves_are_ranked_as_the_planner_would_add_them(ctx: AppContext, world: ReserveWorld) -> None:
    with ctx.uow(write=False) as uow:
        reserves = ranked_reserves(uow, "RF0001", now=T0)
    assert (reserves.limit, reserves.fraction) == (12, 0.10)
    assert _cases(reserves) == [
        (1, 1, ("A10000010",), None),
        (2, 1, ("A10000011",), "RF0002"),
        (3, 1, ("A10000020",), None),
        (4, 1, ("A10000021", "A10000022"), None),
        (5, 2, ("A10000030",), None),
    ]
    family = reserves.units[3]
    assert (family.seats, family.mean_priority, family.family_group) == (2, Fraction(2), "FAM-A")
    assert family.escort_load == 2.0 and (family.medical, family.wheelchair) == (0, 0)
    assert [s.people for s in reserves.stops] == [5, 1]
    # the later flight's reserves: nobody placed on an earlier flight (RF0001's passengers included)
    with ctx.uow(write=False) as uow:
        later = ranked_reserves(uow, "RF0002", now=T0)
    cases = {c for u in later.units for c in u.case_numbers}
    assert "A10000001" not in cases and "A10000012" not in cases and "A10000011" not in cases
    assert "A10000010" in cases and "A10000045" in cases  # struck off RF0001 only


def test_the_number_is_a_share_of_seats_whole_families_only(ctx: AppContext, world: ReserveWorld) -> None:
    assert reserve_limit(120, 0.1) == 12 and reserve_limit(30, 0.1) == 3 and reserve_limit(0, 0.1) == 0
    with ctx.uow(write=False) as uow:
        three = ranked_reserves(uow, "RF0001", now=T0, fraction=0.02)  # ceil(2.4) = 3
        four = ranked_reserves(uow, "RF0001", now=T0, fraction=0.03)  # ceil(3.6) = 4
    assert [u.case_numbers for u in three.units] == [("A10000010",), ("A10000011",), ("A10000020",)]
    # the family of two does not fit in the one place left: the next single does
    assert [u.case_numbers for u in four.units][-1] == ("A10000030",)
    assert four.people == 4
    # the fraction recorded with the plan run is the default
    with ctx.uow() as uow:
        run = uow.session.execute(sa.select(PlanRun).where(PlanRun.status == "DRAFT")).scalar_one()
        run.settings_json = json.dumps({"reserve_fraction": 0.02})
        uow.commit()
    with ctx.uow(write=False) as uow:
        assert ranked_reserves(uow, "RF0001", now=T0).limit == 3


def test_time_and_rules_at_now(ctx: AppContext, world: ReserveWorld, officer: Actor) -> None:
    # four hours' transfer: too late to reach the departure once it is that close
    with ctx.uow(write=False) as uow:
        assert ranked_reserves(uow, "RF0001", now=DEPARTURE - timedelta(hours=3)).units == ()
        listed = list_reserves(uow, officer, "RF0001", now=T0)
    assert len(listed.units) == 5
    # a stay arriving takes a person off the list
    with ctx.uow() as uow:
        person = uow.session.get(Person, world.person_ids["A10000010"])
        person.legal_hold_reason = "stay of removal"
        uow.commit()
    with ctx.uow(write=False) as uow:
        assert "A10000010" not in {
            c for u in ranked_reserves(uow, "RF0001", now=T0).units for c in u.case_numbers
        }


def test_manifest_lists_reserves_and_a_listed_reserve_may_move_up_after_the_cutoff(
    ctx: AppContext, world: ReserveWorld, officer: Actor, supervisor: Actor
) -> None:
    with ctx.uow() as uow:
        info = manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        content = manifests.manifest_content(uow, officer, "RF0001")
    assert info.person_count == 3
    assert [r.case_number for r in content.stops[0].reserves] == [
        "A10000010",
        "A10000011",
        "A10000020",
        "A10000021",
        "A10000022",
    ]
    assert [r.case_number for r in content.stops[1].reserves] == ["A10000030"]
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)

    after_cutoff = DEPARTURE - timedelta(days=10)  # China: 14 notice days
    world.candidate("A10000050", priority=1)  # eligible, but the receiving country never heard of them
    with ctx.uow(write=False) as uow:
        late = ranked_reserves(uow, "RF0001", now=after_cutoff)
    assert "A10000050" not in {c for u in late.units for c in u.case_numbers}  # only listed reserves now

    # A10000003 is struck, the first reserve moves up: accepted although the cut-off has passed
    world.plan({"A10000001": 1, "A10000002": 1, "A10000010": 1, "A10000011": 20, "A10000012": 10})
    with ctx.uow() as uow:
        rev2 = manifests.prepare_manifest(uow, officer, "RF0001", now=after_cutoff)
        content2 = manifests.manifest_content(uow, officer, "RF0001")
    assert rev2.revision == 2 and rev2.person_count == 3
    assert "A10000010" not in {r.case_number for r in content2.stops[0].reserves}
    # somebody who was not a listed reserve is still a late addition
    world.plan({"A10000001": 1, "A10000002": 1, "A10000050": 1, "A10000011": 20, "A10000012": 10})
    with ctx.uow() as uow, pytest.raises(ManifestRefused, match="after the notice cut-off") as refused:
        manifests.prepare_manifest(uow, officer, "RF0001", now=after_cutoff)
    assert any("A10000050" in d for d in refused.value.details)
