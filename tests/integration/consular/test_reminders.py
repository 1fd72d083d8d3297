"""Reminder letters to a consulate for its overdue requests, on both backends."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput, PermissionDenied
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent
from planner.services.auth import Actor
from planner.services.consular.reminders import write_reminder
from planner.services.input_changes import changes_inputs
from tests.integration.consular import pipeline_world
from tests.integration.consular.pipeline_world import reference

TODAY = date(2026, 12, 1)
DAY = timedelta(days=1)


@pytest.fixture
def world(ctx: AppContext) -> dict[str, int]:
    with ctx.uow() as uow:
        ids = pipeline_world.build(uow.session, TODAY)
        uow.commit()
    return ids


def _events(ctx: AppContext) -> list[tuple[str, str, dict]]:
    """``(actor, entity id, changes)`` of every ``request.reminder`` event."""
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.entity_id, AuditEvent.changes_json).where(
                AuditEvent.action == "request.reminder"
            )
        ).all()
    return [(actor, entity_id, json.loads(changes)) for actor, entity_id, changes in rows]


def test_a_reminder_lists_the_overdue_batches_and_people_and_is_audited(
    ctx: AppContext, officer: Actor, world: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "reminder-chn.pdf"
    with ctx.uow() as uow:
        letter = write_reminder(uow, officer, "chn", out, today=TODAY)
    assert letter.country == "CHN" and letter.people == 2 and letter.path == out
    assert letter.references == (
        reference("VR", "CHN", TODAY - 92 * DAY, 1),
        reference("TD", "CHN", TODAY - 61 * DAY, 1),
    )
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == letter.sha256
    ((actor, entity_id, changes),) = _events(ctx)
    assert (actor, entity_id) == ("olivia", "CHN")
    assert changes["references"] == list(letter.references)
    assert (changes["country"], changes["people"], changes["sha256"]) == ("CHN", 2, letter.sha256)
    assert not changes_inputs("request.reminder")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, check=True).stdout
        words = text.decode("utf-8")
        assert "Consular Section of China" in words and "Page 1 of 1" in words
        assert "A100000005" in words and "王小明" in words and "A100000001" in words
        assert "72" in words and (TODAY - 72 * DAY).isoformat() in words


def test_nothing_overdue_or_an_unknown_country_writes_nothing(
    ctx: AppContext, officer: Actor, world: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "reminder.pdf"
    with ctx.uow() as uow, pytest.raises(InvalidInput, match=r"^nothing is overdue for GTM$"):
        write_reminder(uow, officer, "GTM", out, today=TODAY)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="unknown country"):
        write_reminder(uow, officer, "XX1", out, today=TODAY)
    # the recent Chinese batch alone is not overdue on the day it was sent
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="nothing is overdue for HTI"):
        write_reminder(uow, officer, "HTI", out, today=TODAY - 30 * DAY)
    assert not out.exists() and _events(ctx) == []


def test_only_officers_write_reminders(ctx: AppContext, world: dict[str, int], tmp_path: Path) -> None:
    stranger = Actor("nobody", Role.OFFICER, "Nobody")  # no account: refused
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        write_reminder(uow, stranger, "CHN", tmp_path / "r.pdf", today=TODAY)
    assert not (tmp_path / "r.pdf").exists() and _events(ctx) == []
