"""Small worlds for the scheduling tests, built with the plan invariants' helpers
(``tests.integration.planning.invariant_worlds``): facility F0 transfers to SAT in 5 h, F1 to MIA
in 8 h (the pickup airports are set to SAT and MIA), the seeded country rules (GTM, HND, MEX, SLV:
3 days' notice), and an aircraft catalog imported through ``import aircraft``."""

from __future__ import annotations

from datetime import date

from planner.persistence.context import AppContext
from planner.services import office_settings
from planner.services.imports import import_file
from tests.integration.planning.invariant_worlds import ADMIN, TODAY, World, _mostly_eligible, _populate

CATALOG = (
    "aircraft,seats,cost_per_block_hour,cruise_kmh,available_per_week\n"
    "Small jet,8,3000,700,5\n"
    "A320,20,8419,780,5\n"
)


def person(nationality: str = "GTM", **changes: object) -> dict:
    """A person who can fly (in custody, final order, passport and confirmed verification of their
    country) at facility F0 unless ``changes`` say otherwise (keys of ``invariant_worlds.person``)."""
    base: dict[str, object] = {
        "nationality": nationality,
        "custody": "IN_CUSTODY",
        "order": "FINAL",
        "hold_until": None,
        "hold_near": None,
        "risk": "LOW",
        "medical": "NONE",
        "family": None,
        "priority": 3,
        "facility": 0,
        "documents": [],
        "verifications": [],
    }
    return {**_mostly_eligible(base), **changes}


def build(
    ctx: AppContext, people: list[dict], flights: list[dict] | None = None, *, catalog: str = CATALOG
) -> date:
    """Populate ``ctx`` with ``people`` and ``flights`` (``invariant_worlds`` dicts), pickup airports
    SAT and MIA, and ``catalog`` (empty: none); returns today (the worlds' dates count from it)."""
    _populate(ctx, World(flights=flights or [], people=people))
    with ctx.uow() as uow:
        version = office_settings.load(uow).version
        office_settings.update(uow, ADMIN, {"pickup_airports": "SAT;MIA"}, version)
    if catalog:
        with ctx.uow() as uow:
            import_file(uow, ADMIN, "aircraft", catalog.encode(), name="aircraft.csv")
    return TODAY
