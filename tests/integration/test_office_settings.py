"""The office's safety settings in the database (both backends): seeded defaults, admin-only
validated and audited changes, stale versions refused, the old environment variables ignored with
a warning, every plan run using and recording the stored values, and the ``settings`` command."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from planner.domain.errors import InvalidInput, PermissionDenied, StaleVersion
from planner.entrypoints.cli import main as cli
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, PlanRun
from planner.services import office_settings, plan_results, planning
from planner.services.auth import Actor
from planner.settings import Settings, load_settings
from tests.conftest import ADMIN_PASSWORD
from tests.integration.departure.world import T0, add, departure_world


def _events(ctx: AppContext, action: str) -> list[dict]:
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(AuditEvent.changes_json).where(AuditEvent.action == action)
        ).scalars()
        return [json.loads(r) for r in rows]


def _load(ctx: AppContext) -> office_settings.OfficeSettings:
    with ctx.uow(write=False) as uow:
        return office_settings.load(uow)


def _update(
    ctx: AppContext, actor: Actor, changes: dict, version: int | None = None
) -> office_settings.OfficeSettings:
    with ctx.uow() as uow:
        expected = office_settings.load(uow).version if version is None else version
        return office_settings.update(uow, actor, changes, expected)


def test_the_migration_seeds_todays_defaults(ctx: AppContext) -> None:
    stored = _load(ctx)
    assert stored.values() == office_settings.DEFAULTS.values()
    assert stored.escort_load() == {"LOW": 1.0, "MEDIUM": 1.5, "HIGH": 2.0}
    assert (stored.version, stored.updated_by, stored.four_eyes_sign) == (1, "system", True)


def test_an_admin_changes_settings_audited_old_to_new(ctx: AppContext, admin: Actor) -> None:
    after = _update(ctx, admin, {"escort_high": "2.5", "four_eyes_sign": "no", "depart_margin_minutes": 90})
    assert (after.escort_high, after.four_eyes_sign, after.depart_margin_minutes) == (2.5, False, 90)
    assert (after.version, after.updated_by) == (2, "admin")
    assert _load(ctx) == after
    [event] = _events(ctx, office_settings.UPDATE_ACTION)
    assert event == {
        "escort_high": [2.0, 2.5],
        "four_eyes_sign": [True, False],
        "depart_margin_minutes": [60, 90],
        "version": [1, 2],
    }
    # The same values again: nothing written, nothing audited.
    assert _update(ctx, admin, {"escort_high": 2.5}).version == 2
    assert len(_events(ctx, office_settings.UPDATE_ACTION)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"escort_high": 0}, "escort_high must be more than 0"),
        ({"escort_high": -1}, "escort_high must be more than 0"),
        ({"escort_high": 1.2}, "escort_high >= escort_medium >= escort_low"),
        ({"escort_low": 0, "escort_medium": 0, "escort_high": 0}, "escort_low must be more than 0"),
        ({"reserve_fraction": 1}, "reserve_fraction must be at least 0 and below 1"),
        ({"reserve_fraction": -0.1}, "reserve_fraction must be at least 0 and below 1"),
        ({"time_limit": 0}, "time_limit must be more than 0"),
        ({"depart_margin_minutes": -5}, "depart_margin_minutes must be more than 0"),
        ({"escort_high": "lots"}, "escort_high: 'lots' is not a number"),
        ({"escort_high": "nan"}, "not a finite number"),
        ({"depart_margin_minutes": "1.5"}, "is not a whole number"),
        ({"four_eyes_sign": "maybe"}, "is not yes or no"),
        ({"escort_extreme": 3}, "unknown setting 'escort_extreme'"),
    ],
)
def test_a_bad_value_is_refused_in_one_line_and_changes_nothing(
    ctx: AppContext, admin: Actor, changes: dict, message: str
) -> None:
    before = _load(ctx)
    with pytest.raises(InvalidInput) as refused:
        _update(ctx, admin, changes)
    assert message in str(refused.value) and "\n" not in str(refused.value)
    assert _load(ctx) == before
    assert _events(ctx, office_settings.UPDATE_ACTION) == []


def test_only_an_admin_changes_settings(ctx: AppContext, supervisor: Actor) -> None:
    with pytest.raises(PermissionDenied, match="needs admin"):
        _update(ctx, supervisor, {"escort_high": 3})
    assert _load(ctx).escort_high == 2.0
    assert _events(ctx, office_settings.UPDATE_ACTION) == []
    assert _events(ctx, "permission.denied")[-1]["required"] == "admin"


def test_a_stale_version_is_refused(ctx: AppContext, admin: Actor) -> None:
    _update(ctx, admin, {"escort_high": 3})
    with pytest.raises(StaleVersion, match=r"changed by admin .* since you read them"):
        _update(ctx, admin, {"escort_medium": 2}, version=1)
    assert _load(ctx).escort_medium == 1.5
    assert len(_events(ctx, office_settings.UPDATE_ACTION)) == 1


def test_the_old_environment_variables_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="planner.settings"):
        settings = load_settings({"CHARTER_ESCORT_HIGH": "0", "CHARTER_CURRENCY": "USD"})
    assert settings.currency == "USD"  # display settings still come from the environment
    assert not hasattr(settings, "escort_high") and not hasattr(Settings(), "time_limit")
    [record] = [r for r in caplog.records if "CHARTER_ESCORT_HIGH" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "ignored" in record.getMessage() and "'settings' command" in record.getMessage()


def test_a_plan_run_uses_records_and_shows_the_stored_settings(
    ctx: AppContext, admin: Actor, officer: Actor
) -> None:
    world = departure_world(ctx, seats=4)
    for i in range(1, 4):
        add(world, f"A1000000{i}", risk_level="HIGH")
    # Four escorts per HIGH-risk returnee on RF0001 (40 escort officers): at most 10 of them.
    _update(ctx, admin, {"escort_low": 1, "escort_medium": 2, "escort_high": 4, "time_limit": 7})
    summary = planning.run_plan(ctx, officer, ctx.settings, now=T0)
    assert summary.safety_settings["escort_high"] == 4.0 and summary.safety_settings["time_limit"] == 7.0
    assert "safety settings: escort officers per returnee LOW 1 / MEDIUM 2 / HIGH 4; solver limit 7 s" in (
        summary.text()
    )
    with ctx.uow(write=False) as uow:
        used = json.loads(uow.session.get(PlanRun, summary.plan_run_id).settings_json)
        row = plan_results.plan_run(uow, officer, summary.plan_run_id)
    assert used["escort_load"] == {"LOW": 1.0, "MEDIUM": 2.0, "HIGH": 4.0}
    assert used["office_settings"] == _load(ctx).values() and used["office_settings_version"] == 2
    assert used["time_limit"] == 7.0
    assert "HIGH 4" in row.safety_settings and "solver limit 7 s" in row.safety_settings


def test_the_settings_command_shows_and_sets(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    db = ["--db", ctx.settings.database]
    assert cli.run([*db, "settings", "show"]) == 0
    shown = capsys.readouterr().out
    assert "escort_high" in shown and "2" in shown and "version 1" in shown
    assert cli.run([*db, "settings", "set", "escort_high", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "escort_high must be more than 0" in err and "\n" not in err
    assert cli.run([*db, "settings", "set", "escort_high", "3", "four_eyes_sign", "off"]) == 0
    out = capsys.readouterr().out
    assert "escort_high: 2 -> 3" in out and "four_eyes_sign: yes -> no" in out
    assert cli.run([*db, "settings", "set", "escort_high", "4", "--expected-version", "1"]) == 1
    assert "since you read them" in capsys.readouterr().err
    assert cli.run([*db, "settings", "set", "escort_high"]) == 2
    capsys.readouterr()
    assert cli.run([*db, "settings", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["escort_high"] == 3.0


@pytest.mark.parametrize(
    ("key", "value"),
    [("detention_cost_person", -1), ("unserved_penalty", -5), ("schedule_weeks", 0), ("schedule_weeks", 53)],
)
def test_the_database_refuses_bad_scheduling_costs_written_around_the_service(
    ctx: AppContext, admin: Actor, key: str, value: float
) -> None:
    """A desk's own database tools cannot set what ``update`` refuses (a CHECK on PostgreSQL,
    triggers on SQLite); the service says it in words."""
    with pytest.raises(sa.exc.DBAPIError), ctx.engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE office_settings SET {key} = :v WHERE id = 1"), {"v": value})
    with ctx.uow() as uow:
        current = office_settings.load(uow)
        assert getattr(current, key) == getattr(office_settings.DEFAULTS, key)
        with pytest.raises(InvalidInput, match=key):
            office_settings.update(uow, admin, {key: value}, expected_version=current.version)
