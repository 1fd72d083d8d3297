"""Manifest nationality, checked end to end on the random worlds of ``test_plan_invariants``
(hypothesis): for every plan, every manifest row (passengers and reserves) states as its
nationality a country that confirmed the person when the stop's country requires verification —
the stop's own country, whose latest verification of the person is CONFIRMED — and, where it does
not, the country of the listed document; the claimed nationality appears only when it differs,
and the document's issuing country is listed (issue 13)."""

from __future__ import annotations

from collections import defaultdict

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from planner.domain.eligibility import latest_verifications
from planner.persistence.models import CountryRule, Flight, NationalityVerification, Person
from planner.services import eligibility_facts, planning
from planner.services.manifests.build import build_contents
from planner.services.reference import rule_facts
from tests.integration.planning.invariant_worlds import (
    ADMIN,
    COUNTRIES,
    NOW,
    World,
    _fresh_database,
    _populate,
    flights,
    person,
)


@st.composite
def moved_person(draw: st.DrawFn) -> dict:
    """Someone whose claimed country refused them and another country confirmed them (with that
    country's passport) — the case of issue 13 — otherwise as random as ``person``."""
    claimed, confirming = draw(st.permutations(COUNTRIES))[:2]
    return draw(person()) | {
        "nationality": claimed,
        "family": None,
        "documents": [
            {"doc_type": "PASSPORT", "issuing_country": confirming, "expires_in": 300, "status": "VALID"}
        ],
        "verifications": [
            {"country": claimed, "result": "NOT_CONFIRMED", "days_ago": 40},
            {"country": confirming, "result": "CONFIRMED", "days_ago": 30},
        ],
    }


worlds = st.builds(
    World, flights=flights, people=st.lists(st.one_of(person(), moved_person()), min_size=1, max_size=14)
)


def _relax(ctx, country: str | None) -> None:
    """``country`` (if any) no longer requires nationality verification."""
    if country is None:
        return
    with ctx.uow() as uow:
        uow.session.execute(
            sa.update(CountryRule).where(CountryRule.country == country).values(verification_required=False)
        )
        uow.commit()


def _check_manifest_nationalities(ctx) -> tuple[int, int]:
    """Check every row of every flight's manifest content; returns the number of rows checked and
    of those whose claimed nationality differs."""
    checked = differs = 0
    with ctx.uow(write=False) as uow:
        session = uow.session
        flights = list(session.execute(sa.select(Flight)).scalars())
        plan_id = planning.current_draft_plan_id(uow)
        built = build_contents(
            uow, flights, plan_run_id=plan_id, revisions={f.id: 1 for f in flights}, now=NOW
        )
        claimed = dict(session.execute(sa.select(Person.case_number, Person.nationality)).all())
        ids = dict(session.execute(sa.select(Person.case_number, Person.id)).all())
        history: dict[int, list] = defaultdict(list)
        for ver in session.execute(sa.select(NationalityVerification)).scalars():
            history[ver.person_id].append(eligibility_facts.verification_facts(ver))
        rules = rule_facts(uow, set(COUNTRIES))
    for manifest in built.values():
        for stop in manifest.content.stops:
            rule = rules[stop.country]
            for row in (*stop.rows, *stop.reserves):
                checked += 1
                latest = latest_verifications(history[ids[row.case_number]]).get(stop.country)
                confirmed = latest is not None and latest.result == "CONFIRMED"
                if rule.verification_required:
                    assert confirmed, (row.case_number, stop.country)
                    assert row.nationality == stop.country, (row, stop.country)
                else:
                    expected = stop.country if row.document_issuing_country == stop.country else None
                    assert row.nationality == (expected or claimed[row.case_number]), row
                assert row.document_issuing_country == stop.country
                own = claimed[row.case_number]
                assert row.claimed_nationality == (own if own != row.nationality else None), row
                differs += row.claimed_nationality is not None
    return checked, differs


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds, relaxed=st.sampled_from([None, None, "MEX", "HND"]))
def test_manifest_rows_state_a_confirming_country(
    request: pytest.FixtureRequest, backend: str, world: World, relaxed: str | None
) -> None:
    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        _relax(ctx, relaxed)
        planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        rows, differs = _check_manifest_nationalities(ctx)
        event(f"manifest rows: {'some' if rows else 'none'}")
        event(f"claimed nationality differs: {'some' if differs else 'none'}")
