"""Retention: people released or removed long ago are anonymised, audited, idempotently."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import (
    AuditEvent,
    NationalityVerification,
    Person,
    TravelDocument,
    utc_now,
)
from planner.services import retention
from tests.conftest import admin_actor
from tests.integration.imports import synth
from tests.integration.imports.conftest import do_import


def _load(ctx: AppContext) -> list[dict[str, str]]:
    people = synth.roster_rows(40)
    for i, p in enumerate(people):
        p["custody_status"] = ("IN_CUSTODY", "RELEASED", "REMOVED", "RELEASED")[i % 4]
    admin = admin_actor()
    do_import(ctx, admin, "facilities", synth.facilities_csv().encode())
    do_import(ctx, admin, "roster", synth.to_csv(synth.ROSTER_HEADER, people).encode())
    verification = synth.to_csv(synth.VERIFICATION_HEADER, synth.verification_rows(people))
    do_import(ctx, admin, "verification", verification.encode())
    old, recent = utc_now() - timedelta(days=400), utc_now() - timedelta(days=10)
    with ctx.uow() as uow:  # the first 20 left long ago, the others recently
        uow.session.execute(sa.update(Person).where(Person.id <= 20).values(updated_at=old))
        uow.session.execute(sa.update(Person).where(Person.id > 20).values(updated_at=recent))
        uow.commit()
    return people


def _aggregates(ctx: AppContext) -> list[tuple]:
    with ctx.uow(write=False) as uow:
        return uow.session.execute(
            sa.select(Person.nationality, Person.custody_status, Person.sex, sa.func.count())
            .group_by(Person.nationality, Person.custody_status, Person.sex)
            .order_by(Person.nationality, Person.custody_status, Person.sex)
        ).all()


def test_retention_anonymises_audits_and_is_idempotent(ctx: AppContext) -> None:
    people = _load(ctx)
    by_case = {p["case_number"]: p for p in people}
    aggregates = _aggregates(ctx)
    admin = admin_actor()

    dry = retention.apply_retention(ctx, admin, days=365, dry_run=True)
    expected = sum(1 for i in range(20) if people[i]["custody_status"] != "IN_CUSTODY")
    assert dry.anonymised == expected == 15 and dry.documents == 15 and dry.verifications == 15
    with ctx.uow(write=False) as uow:
        assert (
            uow.session.execute(sa.select(sa.func.count()).where(Person.anonymised_at.is_not(None))).scalar()
            == 0
        )

    done = retention.apply_retention(ctx, admin, days=365)
    assert done.anonymised == 15 and not done.dry_run
    assert _aggregates(ctx) == aggregates  # counts by nationality, custody and sex kept

    with ctx.uow(write=False) as uow:
        s = uow.session
        for person in s.execute(sa.select(Person).order_by(Person.id)).scalars():
            original = by_case.get(person.case_number)
            if person.anonymised_at is None:
                assert original is not None
                assert person.id > 20 or original["custody_status"] == "IN_CUSTODY"
                continue
            assert person.id <= 20 and person.custody_status in ("RELEASED", "REMOVED")
            assert person.case_number == retention.pseudonym(person.id)
            assert (person.family_name, person.given_names, person.native_name, person.place_of_birth) == (
                "ANONYMISED",
                "",
                "",
                "",
            )
            assert (person.date_of_birth.month, person.date_of_birth.day) == (1, 1)
            numbers = s.execute(sa.select(TravelDocument.number).where(TravelDocument.person_id == person.id))
            assert all(n.startswith("ANON") for n in numbers.scalars())
            refs = s.execute(
                sa.select(NationalityVerification.reference).where(
                    NationalityVerification.person_id == person.id
                )
            )
            assert set(refs.scalars()) == {""}
        events = (
            s.execute(sa.select(AuditEvent).where(AuditEvent.action == "person.anonymise")).scalars().all()
        )
        assert len(events) == 15
        for event in events:  # no personal data in the events
            for p in people:
                assert p["case_number"] not in event.changes_json
            assert "ANONYMISED" not in event.changes_json and "P1000" not in event.changes_json
        assert audit.verify_chain(uow).ok

    again = retention.apply_retention(ctx, admin, days=365)
    assert again.anonymised == 0
    with ctx.uow(write=False) as uow:
        count = sa.select(sa.func.count()).where(AuditEvent.action == "person.anonymise")
        assert uow.session.execute(count).scalar() == 15


def test_retention_is_admin_only_and_cli_works(ctx: AppContext, monkeypatch, capsys) -> None:
    import pytest

    from planner.domain.enums import Role
    from planner.domain.errors import PermissionDenied
    from planner.entrypoints.cli import main as cli
    from tests.conftest import ADMIN_PASSWORD, add_user

    _load(ctx)
    officer = add_user(ctx, "olivia", Role.OFFICER)
    with pytest.raises(PermissionDenied):
        retention.apply_retention(ctx, officer, days=0)
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    db = ctx.settings.database
    assert cli.run(["--db", db, "retention", "apply", "--days", "30", "--dry-run"]) == 0
    assert "15 people released or removed" in capsys.readouterr().out
    assert cli.run(["--db", db, "retention", "apply", "--days", "5"]) == 0
    assert "30 people" in capsys.readouterr().out
    assert cli.run(["--db", db, "retention", "apply", "--days", "-1"]) == 2


def test_retention_never_touches_people_on_manifests_in_force_or_flights_not_departed(
    ctx: AppContext, monkeypatch
) -> None:
    """Issue #12, defect 5: released long ago but still listed on an approved manifest (or placed by
    the current plan on a flight not departed): skipped and counted, so the next plan still runs."""
    from planner.domain.enums import Role
    from planner.persistence.models import Flight
    from planner.services import planning
    from planner.services.manifests import workflow as manifests
    from tests.conftest import add_user
    from tests.integration.manifests.world import T0, World

    officer = add_user(ctx, "olivia", Role.OFFICER)
    supervisor = add_user(ctx, "sam", Role.SUPERVISOR)
    world = World(ctx).setup()
    for case in ("A10000001", "A10000002", "A10000003"):
        world.person(case, "CHN")
    world.plan({"A10000001": 1, "A10000002": 1})
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    world.plan({"A10000001": 1, "A10000002": 1, "A10000003": 1})  # a reopened flight's draft, say
    long_ago = T0 - timedelta(days=400)
    with ctx.uow() as uow:  # all three released long ago
        uow.session.execute(sa.update(Person).values(custody_status="RELEASED", updated_at=long_ago))
        uow.commit()

    report = retention.apply_retention(ctx, admin_actor(), days=365, now=T0)  # anonymised them before
    assert (report.anonymised, report.skipped) == (0, 3)
    assert "3 skipped" in report.summary()
    with ctx.uow(write=False) as uow:
        assert set(uow.session.execute(sa.select(Person.case_number)).scalars()) == set(world.person_ids)
    planning.run_plan(ctx, officer, ctx.settings, time_limit=5, now=T0)  # refused before the fix

    # Once the flight has departed they are fair game.
    with ctx.uow() as uow:
        uow.session.execute(sa.update(Flight).values(status="DEPARTED"))
        uow.commit()
    report = retention.apply_retention(ctx, admin_actor(), days=365, now=T0)
    assert (report.anonymised, report.skipped) == (3, 0)
