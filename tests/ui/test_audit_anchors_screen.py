"""The Audit screen's "Verify with anchors file…": the chain checked against an exported anchors
file (see tests/integration/security/test_audit_anchors.py for the attacks themselves)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, AuditHead
from planner.services import audit_log
from planner.services.auth import Actor
from tests.ui.test_audit_screen import _finish_background_work, _screen  # noqa: F401 (autouse fixture)
from ui import operations


@pytest.fixture
def logged(ctx: AppContext) -> AppContext:
    """The initialised database plus 20 events."""
    with ctx.uow() as uow:
        audit.record_many(
            uow, [audit.AuditEntry("olivia", "thing.update", "thing", str(i)) for i in range(20)]
        )
        uow.commit()
    return ctx


def _export(ctx: AppContext, actor: Actor, path: Path) -> None:
    with ctx.uow() as uow:
        path.write_text(audit_log.export_anchors(uow, actor), encoding="utf-8")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the attack uses SQLite's catalogue
def test_verify_with_an_anchors_file_intact_then_truncated(
    qtbot,
    logged: AppContext,
    officer: Actor,
    tmp_path: Path,
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    _export(logged, officer, anchors)
    screen = _screen(qtbot, logged, officer)
    assert screen.anchors_button.isEnabled()
    screen.verify_with_anchors(str(anchors))
    qtbot.waitUntil(lambda: "intact" in screen.verdict.text(), timeout=10000)
    assert "checked against 1 anchor" in screen.verdict.text()

    # someone with the file drops the last events and fixes the head: the chain alone verifies
    with logged.engine.begin() as conn:
        for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").all():
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        (last,) = conn.execute(sa.select(sa.func.max(AuditEvent.id))).one()
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.id > last - 3))
        new_last, new_hash = conn.execute(
            sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).one()
        conn.execute(sa.update(AuditHead).values(last_event_id=new_last, last_hash=new_hash))
        conn.exec_driver_sql("DELETE FROM audit_anchor")
    screen.verify_with_anchors(str(anchors))
    qtbot.waitUntil(lambda: "BROKEN" in screen.verdict.text(), timeout=10000)
    assert "behind the anchors file" in screen.verdict.text()
    qtbot.waitUntil(lambda: not operations.busy(), timeout=10000)


def test_a_bad_anchors_file_says_so(
    qtbot,
    logged: AppContext,
    officer: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        "ui.screens.audit.show_error", lambda parent, title, exc, details="": shown.append(str(exc))
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text("hello\n")
    screen = _screen(qtbot, logged, officer)
    screen.verify_with_anchors(str(bad))
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "not an audit anchors file" in shown[0]
    assert screen.anchors_button.isEnabled() and screen.verify_button.isEnabled()
