"""Small proposal views for the Schedule screen's tests (real ``ProposalView`` / ``MissionView``
dataclasses, made up figures) and a stand-in for ``planner.services.scheduling.proposals`` that
records its calls."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from planner.services.scheduling.problem import ScheduleCosts
from planner.services.scheduling.views import MissionView, ProposalSummary, ProposalView
from solver.schedule.problem import Totals

START = date(2026, 12, 7)
COSTS = ScheduleCosts(122.0, 300.0, 5000.0)


def mission(
    number: int, day: int, people: dict[str, int], *, seats: int = 186, code: str | None = None
) -> MissionView:
    stops = {"GTM": "GUA", "HND": "SAP", "SLV": "SAL", "MEX": "MEX"}
    return MissionView(
        id=code or f"M{number}",
        number=number,
        date=START + timedelta(days=day),
        aircraft="B737-800",
        pickups=["AEX"],
        stops=[stops[c] for c in people],
        people=people,
        seats=seats,
        block_hours=6.0,
        cost=50_000.0 + number,
        flight_code=None,
    )


def totals(cost: float, flying: float, removed: int, missions: int, unserved: int = 0) -> Totals:
    return Totals(
        cost=cost,
        flight_cost=flying,
        waiting_cost=cost - flying,
        removed=removed,
        cost_per_removal=cost / removed if removed else None,
        mean_wait_days=8.5,
        load_factor=0.9,
        missions=missions,
        unserved=unserved,
    )


def proposal(proposal_id: int | None = 1, *, costs: ScheduleCosts = COSTS, missions: int = 3) -> ProposalView:
    """``missions`` missions (the second to two countries) and one flight already scheduled."""
    shown = [
        mission(1, 1, {"GTM": 180}),
        mission(2, 3, {"SLV": 100, "HND": 60}),
        mission(3, 9, {"MEX": 120}),
        mission(4, 15, {"GTM": 150}),
    ][:missions]
    return ProposalView(
        id=proposal_id,
        from_date=START,
        weeks=3,
        bound=290_000.0,
        gap=0.012,
        seconds=1.5,
        status="PROPOSED",
        totals=totals(300_000, 150_000, sum(m.people_total for m in shown), len(shown), unserved=10),
        current=totals(900_000, 60_000, 120, 1, unserved=150),
        missions=shown,
        current_missions=[mission(9, 4, {"GTM": 120}, seats=180, code="RC001")],
        notes=["M3 is under 80 % full: Mexico accepts at most 120 returnees per mission"],
        costs=costs,
        solver_status="FEASIBLE",
    )


def summary(view: ProposalView) -> ProposalSummary:
    assert view.id is not None
    return ProposalSummary(
        id=view.id,
        created_at=datetime(2026, 12, 7, 9, 30),
        created_by="officer",
        from_date=view.from_date,
        weeks=view.weeks,
        status=view.status,
        missions=len(view.missions),
        accepted=sum(1 for m in view.missions if m.flight_code),
        cost=view.totals.cost,
        bound=view.bound,
        gap=view.gap,
    )


class FakeProposals:
    """Stands in for ``planner.services.scheduling.proposals``: ``compute_proposal`` returns a
    view not stored (its ``view()`` is itself), ``store_proposal`` stores it; records every call."""

    def __init__(self, stored: list[ProposalView] | None = None) -> None:
        self.stored = list(stored or [])
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def propose(self, _uow: Any, _actor: Any, **kwargs: Any) -> ProposalView:
        self.calls.append(("propose", kwargs))
        fewer = 2 if kwargs["costs"].detention_cost_person < 100 else 3
        view = proposal(None, costs=kwargs["costs"], missions=fewer)
        return self.store_proposal(None, None, view) if kwargs["store"] else view

    def compute_proposal(self, _uow: Any, _actor: Any, **kwargs: Any) -> ProposalView:
        return self.propose(None, None, store=False, **kwargs)

    def store_proposal(self, _uow: Any, _actor: Any, computed: ProposalView) -> ProposalView:
        self.calls.append(("store", {}))
        view = dataclasses.replace(computed, id=len(self.stored) + 1)
        self.stored.insert(0, view)
        return view

    def list_proposals(self, _uow: Any, _actor: Any) -> list[ProposalSummary]:
        return [summary(v) for v in self.stored]

    def load_proposal(self, _uow: Any, _actor: Any, proposal_id: int) -> ProposalView:
        return next(v for v in self.stored if v.id == proposal_id)

    def accept(
        self, _uow: Any, _actor: Any, proposal_id: int, missions: list[str] | None = None
    ) -> list[str]:
        self.calls.append(("accept", {"proposal_id": proposal_id, "missions": missions}))
        view = self.load_proposal(None, None, proposal_id)
        codes = {m: f"SCH{proposal_id}-{m}" for m in missions or [m.id for m in view.missions]}
        changed = [dataclasses.replace(m, flight_code=codes.get(m.id, m.flight_code)) for m in view.missions]
        self.stored[self.stored.index(view)] = dataclasses.replace(view, missions=changed, status="ACCEPTED")
        return list(codes.values())
