"""The funnel per country (``planner.services.consular.funnel``) on both backends: each stage on a
hand-made world, and the counts adding up on a demo database."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from planner.demo.generate import generate_demo
from planner.domain.eligibility.rules.document import document_accepted
from planner.domain.enums import RequestKind
from planner.domain.errors import InvalidInput
from planner.domain.requests import FunnelStage, funnel_stage
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Airport,
    Assignment,
    CountryRule,
    CustodyEvent,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    PlanRun,
    RequestBatch,
    RequestItem,
    TravelDocument,
)
from planner.services.auth import Actor
from planner.services.consular.funnel import CountryFunnel, funnel
from planner.services.eligibility_facts import load_person_facts, rule_facts

TODAY = date(2030, 3, 1)
NOW = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
_cases = itertools.count(100000001)


def _flight(s: Session, code: str, status: str, days: int, airports: tuple[str, ...]) -> list[int]:
    flight = Flight(
        code=code,
        carrier="Sky Charter",
        aircraft="B737-800",
        departure_airport="IAH",
        departure_utc=NOW + timedelta(days=days),
        seats=120,
        escort_officers=40,
        status=status,
    )
    s.add(flight)
    s.flush()
    stops = [FlightStop(flight_id=flight.id, sequence=n, airport=a) for n, a in enumerate(airports, 1)]
    s.add_all(stops)
    s.flush()
    return [int(flight.id or 0), *(int(stop.id or 0) for stop in stops)]


def _person(
    s: Session,
    country: str,
    *,
    custody: str = "IN_CUSTODY",
    verifications: tuple[tuple[str, date], ...] = (),
    passport: tuple[str, date] | None = None,
    anonymised: bool = False,
    documents: tuple[tuple[str, str, date], ...] = (),
) -> int:
    person = Person(
        case_number=f"A{next(_cases)}",
        family_name="WANG",
        given_names="Wei",
        sex="M",
        date_of_birth=date(1985, 5, 5),
        nationality=country,
        risk_level="LOW",
        medical_need="NONE",
        order_status="FINAL",
        custody_status=custody,
        anonymised_at=NOW if anonymised else None,
    )
    s.add(person)
    s.flush()
    pid = int(person.id or 0)
    for result, on in verifications:
        s.add(NationalityVerification(person_id=pid, country=country, result=result, verified_on=on))
    held = [("PASSPORT", *passport)] if passport is not None else []
    for n, (doc_type, issuer, expires) in enumerate([*held, *documents]):
        s.add(
            TravelDocument(
                person_id=pid,
                doc_type=doc_type,
                number=f"E{pid:07d}{n}",
                issuing_country=issuer,
                expires_on=expires,
            )
        )
    s.flush()
    return pid


CONFIRMED = (("CONFIRMED", date(2030, 1, 10)),)
VALID = date(2035, 1, 1)


def _world(ctx: AppContext) -> dict[str, int]:
    """People of CHN, one for each way to reach (or miss) a stage; a few GTM and MEX people."""
    with ctx.uow() as uow:
        s = uow.session
        _, pek, gua = _flight(s, "RF0001", "PLANNED", 30, ("PEK", "GUA"))
        gone, gone_pek = _flight(s, "RF0002", "DEPARTED", -10, ("PEK",))
        planned, _ = _flight(s, "RF0003", "PLANNED", 40, ("PEK",))
        p = {
            "claimed": _person(s, "CHN"),
            "requested": _person(s, "CHN", verifications=(("PENDING", date(2030, 1, 1)),)),
            "requested_no_row": _person(s, "CHN"),
            "not_confirmed": _person(s, "CHN", verifications=(("NOT_CONFIRMED", date(2029, 12, 1)),)),
            "revoked": _person(
                s,
                "CHN",
                verifications=(("CONFIRMED", date(2029, 6, 1)), ("NOT_CONFIRMED", date(2029, 12, 1))),
                passport=("CHN", VALID),
            ),
            "confirmed_expired": _person(
                s, "CHN", verifications=CONFIRMED, passport=("CHN", date(2030, 2, 28))
            ),
            "confirmed_foreign": _person(s, "CHN", verifications=CONFIRMED, passport=("MEX", VALID)),
            "confirmed_today": _person(s, "CHN", verifications=CONFIRMED, passport=("CHN", TODAY)),
            "document": _person(s, "CHN", verifications=CONFIRMED, passport=("CHN", VALID)),
            # Same day: the later row counts.
            "same_day_no": _person(
                s, "CHN", verifications=(("CONFIRMED", date(2030, 1, 5)), ("NOT_CONFIRMED", date(2030, 1, 5)))
            ),
            "same_day_yes": _person(
                s, "CHN", verifications=(("NOT_CONFIRMED", date(2030, 1, 5)), ("CONFIRMED", date(2030, 1, 5)))
            ),
            # A travel document counts where the passport expired; a laissez-passer CHN does not accept.
            "other_type": _person(
                s,
                "CHN",
                verifications=CONFIRMED,
                passport=("CHN", date(2029, 1, 1)),
                documents=(("TRAVEL_DOCUMENT", "CHN", VALID),),
            ),
            "not_accepted": _person(
                s, "CHN", verifications=CONFIRMED, documents=(("LAISSEZ_PASSER", "CHN", VALID),)
            ),
            "placed": _person(s, "CHN", verifications=CONFIRMED, passport=("CHN", VALID)),
            "placed_elsewhere": _person(s, "CHN", verifications=CONFIRMED, passport=("CHN", VALID)),
            "placed_superseded": _person(s, "CHN", verifications=CONFIRMED, passport=("CHN", VALID)),
            "flown": _person(s, "CHN", custody="REMOVED", verifications=CONFIRMED, passport=("CHN", VALID)),
            "removed_not_departed": _person(s, "CHN", custody="REMOVED", verifications=CONFIRMED),
            "released": _person(s, "CHN", custody="RELEASED"),
            "anonymised": _person(s, "CHN", verifications=CONFIRMED, anonymised=True),
            "gtm": _person(s, "GTM", verifications=CONFIRMED, passport=("GTM", VALID)),
            "mex_none": _person(s, "MEX"),
            "mex_document": _person(s, "MEX", passport=("MEX", VALID)),
        }
        s.execute(
            sa.update(CountryRule).where(CountryRule.country == "MEX").values(verification_required=False)
        )
        batch = RequestBatch(
            reference="VR-CHN-2030-0001",
            kind="VERIFICATION",
            country="CHN",
            year=2030,
            number=1,
            sent_on=date(2029, 12, 1),
            created_by="olivia",
            people=3,
        )
        s.add(batch)
        s.flush()
        s.add_all(
            [
                RequestItem(batch_id=batch.id, person_id=p["requested"], outcome="OPEN"),
                RequestItem(batch_id=batch.id, person_id=p["requested_no_row"], outcome="OPEN"),
                RequestItem(
                    batch_id=batch.id,
                    person_id=p["document"],
                    outcome="CONFIRMED",
                    answered_on=date(2030, 1, 10),
                ),
            ]
        )
        old = PlanRun(created_by="test", status="SUPERSEDED")
        s.add(old)
        s.flush()
        s.add(Assignment(plan_run_id=old.id, person_id=p["placed_superseded"], flight_stop_id=pek))
        run = PlanRun(created_by="test", status="DRAFT", counts_json=json.dumps({}))
        s.add(run)
        s.flush()
        s.add_all(
            [
                Assignment(plan_run_id=run.id, person_id=p["placed"], flight_stop_id=pek),
                Assignment(plan_run_id=run.id, person_id=p["placed_elsewhere"], flight_stop_id=gua),
            ]
        )
        for pid, flight in ((p["flown"], gone), (p["removed_not_departed"], planned)):
            s.add(
                CustodyEvent(
                    person_id=pid,
                    from_status="IN_CUSTODY",
                    to_status="REMOVED",
                    flight_id=flight,
                    changed_at=NOW,
                    changed_by="sam",
                )
            )
        assert gone_pek
        uow.commit()
    return p


def _by_country(ctx: AppContext, actor: Actor, country: str | None = None) -> dict[str, CountryFunnel]:
    with ctx.uow(write=False) as uow:
        return {f.country: f for f in funnel(uow, actor, country, today=TODAY)}


def _adds_up(f: CountryFunnel) -> None:
    stages = list(FunnelStage)
    assert sum(f.stopped.values()) == f.counts[FunnelStage.CLAIMED]
    assert all(f.counts[a] >= f.counts[b] for a, b in itertools.pairwise(stages))
    for stage in stages:
        assert f.counts[stage] == sum(f.stopped[s] for s in stages if s >= stage)


def test_each_stage(ctx: AppContext, officer: Actor) -> None:
    _world(ctx)
    funnels = _by_country(ctx, officer)
    assert set(funnels) == {"CHN", "GTM", "MEX"}
    chn = funnels["CHN"]
    assert chn.name == "China"
    assert chn.stopped == {
        # claimed, released
        FunnelStage.CLAIMED: 2,
        # requested (open item + PENDING row), requested_no_row (open item only), not_confirmed,
        # revoked (a later NOT_CONFIRMED), same_day_no
        FunnelStage.REQUESTED: 5,
        # confirmed_expired, confirmed_foreign, removed_not_departed (no document; not flown: the
        # flight of its custody event has not departed), same_day_yes, not_accepted
        FunnelStage.CONFIRMED: 5,
        # confirmed_today (expires today: still valid), document, placed_elsewhere (another
        # country's stop), placed_superseded (an old plan), other_type
        FunnelStage.DOCUMENT_VALID: 5,
        FunnelStage.PLACED: 1,
        FunnelStage.FLOWN: 1,
    }
    assert chn.counts == {
        FunnelStage.CLAIMED: 19,
        FunnelStage.REQUESTED: 17,
        FunnelStage.CONFIRMED: 12,
        FunnelStage.DOCUMENT_VALID: 7,
        FunnelStage.PLACED: 2,
        FunnelStage.FLOWN: 1,
    }
    _adds_up(chn)
    assert chn.lead_days == {RequestKind.VERIFICATION: [40], RequestKind.TRAVEL_DOCUMENT: []}
    assert chn.share(FunnelStage.FLOWN) == 1 / 19
    assert funnels["GTM"].stopped[FunnelStage.DOCUMENT_VALID] == 1
    # MEX needs no verification: confirmed without one, document valid with a passport of its own.
    mex = funnels["MEX"]
    assert mex.stopped[FunnelStage.CONFIRMED] == 1 and mex.stopped[FunnelStage.DOCUMENT_VALID] == 1
    assert mex.lead_days == {RequestKind.VERIFICATION: [], RequestKind.TRAVEL_DOCUMENT: []}


def test_one_country(ctx: AppContext, officer: Actor) -> None:
    _world(ctx)
    everybody = _by_country(ctx, officer)
    assert _by_country(ctx, officer, "CHN") == {"CHN": everybody["CHN"]}
    assert _by_country(ctx, officer, "gtm") == {"GTM": everybody["GTM"]}
    with pytest.raises(InvalidInput, match="unknown country"):
        _by_country(ctx, officer, "XXX")
    nobody = _by_country(ctx, officer, "HTI")["HTI"]
    assert (
        nobody.name == "Haiti"
        and set(nobody.counts.values()) == {0}
        and nobody.share(FunnelStage.FLOWN) is None
    )


def test_counts_add_up_on_demo(ctx: AppContext, admin: Actor, officer: Actor) -> None:
    demo_now = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
    with ctx.uow() as uow:
        generate_demo(uow, admin, people=400, flights=12, seed=11, now=demo_now)
    with ctx.uow() as uow:  # a current plan placing up to 5 people of each stop's country on it
        s = uow.session
        run = PlanRun(created_by="test", status="DRAFT")
        s.add(run)
        s.flush()
        stops = s.execute(
            sa.select(FlightStop.id, Airport.country)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .join(Airport, Airport.iata == FlightStop.airport)
            .where(Flight.status == "PLANNED")
        ).all()
        people = s.execute(sa.select(Person.id, Person.nationality).order_by(Person.id)).all()
        taken: set[int] = set()
        for stop_id, country in stops:
            mine = [pid for pid, nat in people if nat == country and pid not in taken][:5]
            taken.update(mine)
            s.add_all(Assignment(plan_run_id=run.id, person_id=pid, flight_stop_id=stop_id) for pid in mine)
        uow.commit()
    with ctx.uow(write=False) as uow:
        funnels = funnel(uow, officer, today=demo_now.date())
        query = sa.select(Person.nationality, sa.func.count()).group_by(Person.nationality)
        claimed = Counter({nat: n for nat, n in uow.session.execute(query)})
    assert {f.country: f.claimed for f in funnels} == claimed
    assert sum(f.claimed for f in funnels) == 400
    for f in funnels:
        _adds_up(f)
    assert sum(f.counts[FunnelStage.CONFIRMED] for f in funnels) > 0
    assert sum(f.counts[FunnelStage.DOCUMENT_VALID] for f in funnels) > 0
    assert sum(f.counts[FunnelStage.PLACED] for f in funnels) == len(taken)
    # The same stages person by person, from the eligibility facts and rule 6's helper.
    assert {f.country: f.stopped for f in funnels} == _person_by_person(ctx, taken, demo_now.date())


def _person_by_person(ctx: AppContext, placed: set[int], today: date) -> dict[str, dict[FunnelStage, int]]:
    with ctx.uow(write=False) as uow:
        s = uow.session
        ids = list(s.execute(sa.select(Person.id).where(Person.anonymised_at.is_(None))).scalars())
        facts = load_person_facts(uow, ids)
        rules = rule_facts(uow, {f.nationality for f in facts.values()})
        asked = set(
            s.execute(
                sa.select(RequestItem.person_id, RequestBatch.country).join(
                    RequestBatch, RequestBatch.id == RequestItem.batch_id
                )
            ).all()
        )
    stopped: dict[str, dict[FunnelStage, int]] = {}
    for pid, person in facts.items():
        nat, rule = person.nationality, rules[person.nationality]
        latest = person.latest_verifications().get(nat)
        confirmed = not rule.verification_required or nat in person.confirmed_nationalities()
        stage = funnel_stage(
            requested=(pid, nat) in asked or latest is not None,
            confirmed=confirmed,
            document_valid=confirmed and any(document_accepted(d, rule, today) for d in person.documents),
            placed=pid in placed,
            flown=False,  # the demo records no custody events
        )
        counts = stopped.setdefault(nat, dict.fromkeys(FunnelStage, 0))
        counts[stage] += 1
    return stopped
