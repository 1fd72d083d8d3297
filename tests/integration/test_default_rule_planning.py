"""Issue 15, done when: "people of a country with no rule are planned under the default rule with
that noted in explain". A flight to Port-au-Prince (Haiti has no rule): the Haitian with a passport
is placed, the one with only a travel document is not (the default accepts a passport only); the
run records the rule version it used ("default"); ``explain`` and the dashboard say Haiti runs on
the default rule. Both backends."""

from __future__ import annotations

import json
from datetime import date, timedelta

import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import (
    Airport,
    Assignment,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    PlanRun,
    TravelDocument,
    utc_now,
)
from planner.services import country_rules, planning
from planner.services.auth import Actor
from planner.services.dashboard import dashboard
from planner.services.explain import explain

NOW = utc_now().replace(microsecond=0)


def _haiti(ctx: AppContext) -> None:
    with ctx.uow() as uow:
        s = uow.session
        s.add(
            Airport(
                iata="PAP",
                name="Toussaint Louverture",
                city="Port-au-Prince",
                country="HTI",
                timezone="America/Port-au-Prince",
            )
        )
        facility = Facility(code="F1", name="Facility", city="Houston")
        s.add(facility)
        s.flush()
        s.add(FacilityAirport(facility_id=facility.id, airport="IAH", transfer_hours=2))
        flight = Flight(
            code="RF0100",
            carrier="Test Air",
            aircraft="A320",
            departure_airport="IAH",
            departure_utc=NOW + timedelta(days=30),
            seats=10,
            escort_officers=10,
        )
        s.add(flight)
        s.flush()
        s.add(FlightStop(flight_id=flight.id, sequence=1, airport="PAP"))
        for n, document in enumerate(("PASSPORT", "TRAVEL_DOCUMENT"), start=1):
            person = Person(
                case_number=f"A3000000{n}",
                family_name=f"JEAN{n}",
                given_names="Pierre",
                sex="M",
                date_of_birth=date(1990, 1, 1),
                nationality="HTI",
                facility_id=facility.id,
                order_status="FINAL",
                custody_status="IN_CUSTODY",
                risk_level="LOW",
                medical_need="NONE",
            )
            s.add(person)
            s.flush()
            s.add(
                TravelDocument(
                    person_id=person.id,
                    doc_type=document,
                    number=f"HT{n:07d}",
                    issuing_country="HTI",
                    expires_on=NOW.date() + timedelta(days=900),
                )
            )
            s.add(
                NationalityVerification(
                    person_id=person.id,
                    country="HTI",
                    result="CONFIRMED",
                    verified_on=NOW.date() - timedelta(days=20),
                )
            )
        uow.commit()


def test_a_country_without_a_rule_is_planned_under_the_default_and_explain_says_so(
    ctx: AppContext, admin: Actor
) -> None:
    _haiti(ctx)
    summary = planning.run_plan(ctx, admin, ctx.settings, time_limit=5, now=NOW)
    assert summary.placed == 1
    with ctx.uow(write=False) as uow:
        plan_id = planning.current_draft_plan_id(uow)
        placed = (
            uow.session.execute(
                sa.select(Person.case_number)
                .join(Assignment, Assignment.person_id == Person.id)
                .where(Assignment.plan_run_id == plan_id)
            )
            .scalars()
            .all()
        )
        used = json.loads(uow.session.get(PlanRun, plan_id).settings_json)  # type: ignore[union-attr]
        placed_text = explain(uow, admin, "A30000001", now=NOW).text()
        refused_text = explain(uow, admin, "A30000002", now=NOW).text()
        board = dashboard(uow, admin, now=NOW)
    assert placed == ["A30000001"]
    assert used["country_rules"] == {"HTI": "default"}
    assert "country rules:" in placed_text
    assert (
        "HTI (Haiti) has no rule of its own: planned under the conservative default rule (verification "
        "required, passport only, no cap per flight, 14 days' notice), as in plan"
    ) in placed_text
    assert "no valid" in refused_text and "has no rule of its own" in refused_text
    assert "HTI" in board.default_rule_countries and "GTM" not in board.default_rule_countries

    # Once Haiti has a rule, explain names its version and that the plan ran under the default.
    with ctx.uow() as uow:
        country_rules.save_rule(
            uow,
            admin,
            {
                "country": "HTI",
                "verification_required": True,
                "accepted_document_types": "PASSPORT;TRAVEL_DOCUMENT",
                "notice_days": 5,
            },
            None,
        )
    with ctx.uow(write=False) as uow:
        text = explain(uow, admin, "A30000002", now=NOW).text()
        assert "HTI" not in dashboard(uow, admin, now=NOW).default_rule_countries
    assert f"HTI (Haiti): rule version 1; plan {plan_id} was run under the default rule" in text
    planning.run_plan(ctx, admin, ctx.settings, time_limit=5, now=NOW)
    with ctx.uow(write=False) as uow:
        plan_id = planning.current_draft_plan_id(uow)
        used = json.loads(uow.session.get(PlanRun, plan_id).settings_json)  # type: ignore[union-attr]
        assert used["country_rules"] == {"HTI": 1}
        assert (
            f"HTI (Haiti): rule version 1, as in plan {plan_id}"
            in explain(uow, admin, "A30000002", now=NOW).text()
        )
