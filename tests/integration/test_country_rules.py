"""Country rules admins maintain (issue 15): every ISO country on a conservative default until it
has a rule; save / delete / import audited old -> new with optimistic versions; a change that would
make people on an approved manifest ineligible is reported before anything is saved. Both backends."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from planner.domain.errors import InvalidInput, NotFound, PermissionDenied, StaleVersion
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, CountryRule
from planner.services import country_rules as rules
from planner.services.auth import Actor
from planner.services.imports import ImportRejected, import_file
from planner.services.manifests import workflow as manifests
from planner.services.reference import MIN_DEFAULT_NOTICE_DAYS, rule_facts, rule_versions
from tests.integration.manifests.world import T0, World

CHN = {
    "country": "CHN",
    "name": "China",
    "verification_required": True,
    "accepted_document_types": "PASSPORT;TRAVEL_DOCUMENT",
    "min_validity_days": 30,
    "max_per_flight": None,
    "notice_days": 14,
    "api_deadline_minutes": 120,
}
HEADER = (
    "country,name,verification_required,accepted_document_types,min_validity_days,max_per_flight,"
    "notice_days,api_deadline_minutes\n"
)


def _events(ctx: AppContext, prefix: str = "country_rule.") -> list[tuple[str, str, dict]]:
    with ctx.uow(write=False) as uow:
        return [
            (action, entity_id, json.loads(changes))
            for action, entity_id, changes in uow.session.execute(
                sa.select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.changes_json)
                .where(AuditEvent.action.like(f"{prefix}%"), AuditEvent.actor != "system")
                .order_by(AuditEvent.id)
            ).all()
        ]


def _stored(ctx: AppContext, country: str) -> CountryRule | None:
    with ctx.uow(write=False) as uow:
        rule = uow.session.get(CountryRule, country)
        if rule is not None:
            uow.session.expunge(rule)
        return rule


def _approved(ctx: AppContext, officer: Actor, supervisor: Actor) -> World:
    """RF0001 with two Chinese nationals at stop 1 (PEK) and a Guatemalan at stop 2, approved; each
    holds a passport only."""
    world = World(ctx).setup()
    world.person("A10000001", "CHN")
    world.person("A10000002", "CHN")
    world.person("A20000001", "GTM")
    world.plan({"A10000001": 1, "A10000002": 1, "A20000001": 2})
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    return world


# ---------------------------------------------------------------- default rule


def test_a_country_without_a_rule_gets_the_conservative_default_with_the_longest_notice(
    ctx: AppContext, admin: Actor
) -> None:
    with ctx.uow(write=False) as uow:
        default = rule_facts(uow, {"HTI"})["HTI"]
    assert default.verification_required and default.accepted_document_types == {"PASSPORT"}
    assert default.max_per_flight is None
    assert default.notice_days == MIN_DEFAULT_NOTICE_DAYS  # the shipped rules' longest is 14 (CHN)
    with ctx.uow() as uow:
        rules.save_rule(uow, admin, {**CHN, "country": "IND", "notice_days": 30}, expected_version=1)
    with ctx.uow(write=False) as uow:
        assert rule_facts(uow, {"HTI"})["HTI"].notice_days == 30
        assert rule_versions(uow, ["HTI", "IND", "CHN"]) == {"CHN": 1, "HTI": "default", "IND": 2}
        everything = rules.list_rules(uow, admin, include_default=True)
    assert len(everything) == 249
    haiti = next(r for r in everything if r.country == "HTI")
    assert (haiti.name, haiti.version, haiti.stored, haiti.notice_days) == ("Haiti", "default", False, 30)


# ---------------------------------------------------------------- save / delete


def test_save_creates_updates_and_audits_old_to_new(ctx: AppContext, admin: Actor) -> None:
    haiti = {**CHN, "country": "hti", "name": "", "accepted_document_types": ["PASSPORT"], "notice_days": 5}
    with ctx.uow() as uow:
        created = rules.save_rule(uow, admin, haiti, expected_version=None)
    assert (created.country, created.name, created.version, created.api_deadline_minutes) == (
        "HTI",
        "Haiti",
        1,
        120,
    )
    with ctx.uow() as uow:
        updated = rules.save_rule(uow, admin, {**haiti, "max_per_flight": "40"}, expected_version=1)
    assert updated.version == 2 and updated.max_per_flight == 40
    with ctx.uow() as uow:  # unchanged: nothing written
        assert rules.save_rule(uow, admin, {**haiti, "max_per_flight": 40}, expected_version=2).version == 2
    events = _events(ctx)
    assert [(a, e) for a, e, _ in events] == [("country_rule.create", "HTI"), ("country_rule.update", "HTI")]
    assert events[0][2]["notice_days"] == [None, 5]
    assert events[1][2] == {"max_per_flight": [None, 40]}


def test_save_refuses_bad_values_stale_versions_and_non_admins(
    ctx: AppContext, admin: Actor, officer: Actor
) -> None:
    bad = [
        ({**CHN, "country": "XKX"}, "country"),
        ({**CHN, "country": "ZZ"}, "country"),
        ({**CHN, "accepted_document_types": "PASSPORT;VISA"}, "accepted_document_types"),
        ({**CHN, "accepted_document_types": "PASSPORT;PASSPORT"}, "listed twice"),
        ({**CHN, "accepted_document_types": ""}, "accepted_document_types: is required"),
        ({**CHN, "notice_days": 400}, "notice_days: 400 is outside 0–365"),
        ({**CHN, "max_per_flight": 0}, "max_per_flight"),
        ({**CHN, "verification_required": "maybe"}, "verification_required"),
        ({**CHN, "colour": "red"}, "unknown country rule field colour"),
    ]
    for values, words in bad:
        with ctx.uow() as uow, pytest.raises(InvalidInput, match=words):
            rules.save_rule(uow, admin, values, expected_version=1)
    with ctx.uow() as uow, pytest.raises(StaleVersion, match="has a rule now"):
        rules.save_rule(uow, admin, {**CHN, "notice_days": 20}, expected_version=None)
    with ctx.uow() as uow, pytest.raises(StaleVersion, match="version 1, yours 7"):
        rules.save_rule(uow, admin, {**CHN, "notice_days": 20}, expected_version=7)
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        rules.save_rule(uow, officer, {**CHN, "notice_days": 20}, expected_version=1)
    stored = _stored(ctx, "CHN")
    assert stored is not None and (stored.notice_days, stored.version) == (14, 1)
    assert _events(ctx) == []


def test_delete_goes_back_to_the_default_and_is_audited(ctx: AppContext, admin: Actor) -> None:
    with ctx.uow() as uow:
        default = rules.delete_rule(uow, admin, "MEX", expected_version=1)
    assert default.version == "default" and default.accepted_document_types == ("PASSPORT",)
    assert _stored(ctx, "MEX") is None
    [(action, entity, changes)] = _events(ctx)
    assert (action, entity, changes["notice_days"]) == ("country_rule.delete", "MEX", [3, None])
    with ctx.uow() as uow, pytest.raises(NotFound, match="default rule"):
        rules.delete_rule(uow, admin, "MEX", expected_version=1)


# ---------------------------------------------------------------- impact on approved manifests


def test_a_change_that_makes_listed_people_ineligible_is_refused_until_accepted(
    ctx: AppContext, admin: Actor, officer: Actor, supervisor: Actor
) -> None:
    _approved(ctx, officer, supervisor)
    travel_only = {**CHN, "accepted_document_types": "TRAVEL_DOCUMENT"}
    with ctx.uow(write=False) as uow:
        impact = rules.rule_impact(
            uow, {"CHN": rules.facts_of("CHN", rules.parse_rule(travel_only)[1])}, now=T0
        )
    assert [(i.flight_code, i.case_number, i.country) for i in impact] == [
        ("RF0001", "A10000001", "CHN"),
        ("RF0001", "A10000002", "CHN"),
    ]
    assert "document" in impact[0].reason
    with ctx.uow() as uow, pytest.raises(rules.RuleImpactRefused) as refused:
        rules.save_rule(uow, admin, travel_only, expected_version=1, now=T0)
    message = str(refused.value)
    assert "\n" not in message and "2 people on approved manifests would become ineligible" in message
    assert "A10000001 on RF0001 (CHN)" in message
    assert _stored(ctx, "CHN").accepted_document_types == "PASSPORT,TRAVEL_DOCUMENT"  # type: ignore[union-attr]
    assert _events(ctx) == []
    with ctx.uow() as uow:  # a change without impact is saved straight away
        rules.save_rule(uow, admin, {**CHN, "notice_days": 21}, expected_version=1, now=T0)
    with ctx.uow() as uow:
        saved = rules.save_rule(uow, admin, travel_only, expected_version=2, accept_impact=True, now=T0)
    assert saved.accepted_document_types == ("TRAVEL_DOCUMENT",)
    last = _events(ctx)[-1][2]
    assert last["accepted_document_types"] == ["PASSPORT,TRAVEL_DOCUMENT", "TRAVEL_DOCUMENT"]
    assert len(last["impact_accepted"]) == 2


def test_a_cap_below_the_listed_people_and_deleting_a_rule_report_their_impact(
    ctx: AppContext, admin: Actor, officer: Actor, supervisor: Actor
) -> None:
    _approved(ctx, officer, supervisor)
    with ctx.uow() as uow, pytest.raises(rules.RuleImpactRefused, match="exceed the new cap") as refused:
        rules.save_rule(uow, admin, {**CHN, "max_per_flight": 1}, expected_version=1, now=T0)
    assert (
        refused.value.impact[0].case_number == "" and "more than the new cap of 1" in refused.value.details[0]
    )
    # GTM accepts a travel document and an emergency document; the default accepts a passport, which
    # the Guatemalan holds, so deleting GTM's rule harms nobody.
    with ctx.uow() as uow:
        rules.delete_rule(uow, admin, "GTM", expected_version=1, now=T0)


# ---------------------------------------------------------------- import


def test_import_is_all_or_nothing_with_line_numbered_errors(ctx: AppContext, admin: Actor) -> None:
    text = (
        HEADER
        + "HTI,,true,PASSPORT,0,,5,\n"
        + "VNM,Vietnam,yes,PASSPORT;LAISSEZ_PASSER,30,150,10,240\n"
        + "BRA,Brazil,true,PASSPORT;VISA,0,,5,\n"
        + "HTI,Haiti,true,PASSPORT,0,,5,\n"
        + "XKX,Kosovo,true,PASSPORT,0,,400,\n"
    )
    with ctx.uow() as uow, pytest.raises(ImportRejected) as rejected:
        import_file(uow, admin, "country-rules", text.encode(), name="rules.csv")
    lines = rejected.value.report.error_lines()
    assert any(line.startswith("rules.csv:4: accepted_document_types:") for line in lines)
    assert "rules.csv:5: country: duplicate of line 2" in lines
    assert any(line.startswith("rules.csv:6: country:") for line in lines)
    assert any(line.startswith("rules.csv:6: notice_days:") for line in lines)
    assert _stored(ctx, "HTI") is None and _stored(ctx, "VNM") is None


def test_import_creates_and_updates_rules_audited_and_a_dry_run_writes_nothing(
    ctx: AppContext, admin: Actor
) -> None:
    text = (
        HEADER
        + "HTI,,true,PASSPORT,0,,5,\nCHN,China,true,PASSPORT,30,,14,120\nMEX,Mexico,true,PASSPORT;TRAVEL_DOCUMENT,0,,3,\n"
    )
    with ctx.uow(write=False) as uow:
        dry = import_file(uow, admin, "country-rules", text.encode(), name="rules.csv", dry_run=True)
    assert (dry.new, dry.updated, dry.unchanged) == (1, 1, 1)
    assert _stored(ctx, "HTI") is None
    with ctx.uow() as uow:
        report = import_file(uow, admin, "country-rules", text.encode(), name="rules.csv")
    assert report.written and (report.new, report.updated) == (1, 1)
    assert _stored(ctx, "HTI").name == "Haiti"  # type: ignore[union-attr]
    china = _stored(ctx, "CHN")
    assert china is not None and (china.accepted_document_types, china.version) == ("PASSPORT", 2)
    events = {(a, e): c for a, e, c in _events(ctx)}
    assert events[("country_rule.update", "CHN")] == {
        "accepted_document_types": ["PASSPORT,TRAVEL_DOCUMENT", "PASSPORT"]
    }
    assert ("country_rule.create", "HTI") in events


def test_import_with_impact_is_listed_by_the_dry_run_and_rejected_unless_accepted(
    ctx: AppContext, admin: Actor, officer: Actor, supervisor: Actor
) -> None:
    _approved(ctx, officer, supervisor)
    text = HEADER + "HTI,,true,PASSPORT,0,,5,\nCHN,China,true,TRAVEL_DOCUMENT,30,,14,120\n"
    with ctx.uow(write=False) as uow:
        dry = import_file(uow, admin, "country-rules", text.encode(), name="rules.csv", dry_run=True)
    assert dry.details["people_made_ineligible_on_approved_manifests"] == 2
    assert any(w.startswith("line 3: A10000001 on RF0001 (CHN)") for w in dry.warnings)
    with ctx.uow() as uow, pytest.raises(InvalidInput) as rejected:
        import_file(uow, admin, "country-rules", text.encode(), name="rules.csv")
    assert "2 people on approved manifests ineligible" in str(rejected.value)
    assert rejected.value.details[0].startswith("rules.csv:3: country: A10000001 on RF0001 (CHN)")
    assert _stored(ctx, "HTI") is None
    with ctx.uow() as uow:
        import_file(uow, admin, "country-rules", text.encode(), name="rules.csv", accept_impact=True)
    assert _stored(ctx, "CHN").accepted_document_types == "TRAVEL_DOCUMENT"  # type: ignore[union-attr]
    events = {(a, e): c for a, e, c in _events(ctx)}
    assert len(events[("country_rule.update", "CHN")]["impact_accepted"]) == 2
    assert "impact_accepted" not in events[("country_rule.create", "HTI")]
