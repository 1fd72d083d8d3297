"""A small world for the manifest tests: one two-stop flight, eligible people, plans by direct inserts.

RF0001 leaves IAH 30 days after ``T0`` for PEK (China, 14 notice days) then GUA (Guatemala, 3).
Plans are inserted directly (the planning service is not part of these tests): each :meth:`World.plan`
supersedes the current plan and copies the ``frozen`` flag of people who stay on the same stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    PlanRun,
    TravelDocument,
)

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
DEPARTURE = T0 + timedelta(days=30)
STOP_AIRPORTS = {1: ("PEK", "CHN"), 2: ("GUA", "GTM")}
NATIVE = {"CHN": ["王伟", "李娜", "张秀英", "刘洋", "陈静", "欧阳明"], "GTM": [""]}
FAMILY = {"CHN": ["WANG", "LI", "ZHANG", "LIU", "CHEN", "OUYANG"], "GTM": ["García", "López", "Pérez"]}


@dataclass
class World:
    ctx: AppContext
    flight_code: str = "RF0001"
    flight_id: int = 0
    stop_ids: dict[int, int] = field(default_factory=dict)
    person_ids: dict[str, int] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)

    def setup(self) -> World:
        with self.ctx.uow() as uow:
            flight = Flight(
                code=self.flight_code,
                carrier="Sky Charter",
                aircraft="B737-800",
                departure_airport="IAH",
                departure_utc=DEPARTURE,
                seats=120,
                escort_officers=40,
                medical_slots=2,
                wheelchair_slots=2,
            )
            uow.session.add(flight)
            uow.session.flush()
            self.flight_id = flight.id
            for seq, (iata, _country) in STOP_AIRPORTS.items():
                stop = FlightStop(flight_id=flight.id, sequence=seq, airport=iata)
                uow.session.add(stop)
                uow.session.flush()
                self.stop_ids[seq] = stop.id
            uow.commit()
        return self

    def person(
        self, case: str, country: str = "CHN", *, family: str | None = None, **overrides: object
    ) -> str:
        """Add an eligible person for ``country`` (document, CONFIRMED verification); returns the case."""
        k = len(self.person_ids)
        values: dict[str, object] = {
            "case_number": case,
            "family_name": FAMILY[country][k % len(FAMILY[country])],
            "given_names": f"Given {k}",
            "native_name": NATIVE[country][k % len(NATIVE[country])],
            "sex": "MF"[k % 2],
            "date_of_birth": date(1980 + k % 20, 1 + k % 12, 1 + k % 28),
            "nationality": country,
            "risk_level": "LOW",
            "medical_need": "NONE",
            "family_group": family,
            "order_status": "FINAL",
            "custody_status": "IN_CUSTODY",
        }
        values.update(overrides)
        with self.ctx.uow() as uow:
            person = Person(**values)
            uow.session.add(person)
            uow.session.flush()
            uow.session.add(
                TravelDocument(
                    person_id=person.id,
                    doc_type="PASSPORT",
                    number=f"E{person.id:08d}",
                    issuing_country=country,
                    issued_on=date(2025, 1, 1),
                    expires_on=date(2035, 1, 1),
                )
            )
            uow.session.add(
                NationalityVerification(
                    person_id=person.id,
                    country=country,
                    result="CONFIRMED",
                    authority="Consulate",
                    verified_on=date(2030, 1, 15),
                    reference=f"REF-{case}",
                )
            )
            uow.commit()
            self.person_ids[case] = person.id
        self.countries[case] = country
        return case

    def plan(self, placement: dict[str, int]) -> int:
        """A new current plan: case number -> stop sequence. Returns the plan run id."""
        with self.ctx.uow() as uow:
            session = uow.session
            old = session.execute(sa.select(PlanRun).where(PlanRun.status == "DRAFT")).scalars().all()
            frozen: set[tuple[int, int]] = set()
            for run in old:
                frozen |= {
                    (a.person_id, a.flight_stop_id)
                    for a in session.execute(
                        sa.select(Assignment).where(Assignment.plan_run_id == run.id, Assignment.frozen)
                    ).scalars()
                }
                run.status = "SUPERSEDED"
            run = PlanRun(created_by="test", status="DRAFT")
            session.add(run)
            session.flush()
            for case, seq in placement.items():
                pid, sid = self.person_ids[case], self.stop_ids[seq]
                session.add(
                    Assignment(
                        plan_run_id=run.id, person_id=pid, flight_stop_id=sid, frozen=(pid, sid) in frozen
                    )
                )
            uow.commit()
            return run.id

    def frozen_cases(self) -> set[str]:
        with self.ctx.uow(write=False) as uow:
            ids = set(
                uow.session.execute(
                    sa.select(Assignment.person_id)
                    .join(PlanRun, PlanRun.id == Assignment.plan_run_id)
                    .where(PlanRun.status == "DRAFT", Assignment.frozen)
                ).scalars()
            )
        return {c for c, pid in self.person_ids.items() if pid in ids}
