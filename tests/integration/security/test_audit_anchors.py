"""Audit anchors: someone holding the database file rewrites the audit chain (recomputing every
hash, truncating it, reordering it, emptying it) so that the chain alone verifies — the anchors
kept outside (an exported anchors file, the anchors signed manifests carry) still catch it.

The attacks are made as an attacker with the SQLite file would: a plain connection, every trigger
dropped first, every hash recomputed with the published formula, the head and the anchor table
fixed up to match."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.entrypoints.cli import main as cli
from planner.persistence import audit
from planner.persistence.audit import GENESIS_HASH, event_hash
from planner.persistence.audit_anchors import (
    Anchor,
    current_head,
    parse_anchor_file,
    parse_anchor_text,
    stored_anchors,
    verify_against_anchors,
)
from planner.persistence.context import AppContext
from planner.persistence.db import make_engine, make_session_factory
from planner.persistence.models import AuditAnchor, AuditEvent, Boarding, Flight, Manifest
from planner.persistence.uow import UnitOfWork
from planner.services import audit_log, backup
from planner.services.auth import Actor
from planner.services.manifests import flown
from planner.services.manifests import workflow as manifests
from tests.conftest import USER_PASSWORD, add_user, admin_actor
from tests.integration.manifests.test_signing_and_cli import P12_PASSWORD, _self_signed_p12
from tests.integration.manifests.world import DEPARTURE, T0, World

CASES = ["A10000001", "A10000002", "A10000003"]


# ---------------------------------------------------------------- a world with a signed manifest


def _signed(ctx: AppContext, *, p12: bytes | None = None) -> tuple[World, Actor]:
    """RF0001 prepared by olivia, approved by sam, signed by sue (three people, whatever the
    four-eyes setting; PAdES with ``p12``); returns the world and olivia."""
    world = World(ctx).setup()
    for case in CASES:
        world.person(case, "CHN")
    world.plan({c: 1 for c in CASES})
    officer = add_user(ctx, "olivia", Role.OFFICER)
    approver = add_user(ctx, "sam", Role.SUPERVISOR)
    signer = add_user(ctx, "sue", Role.SUPERVISOR)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, approver, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.sign_manifest(uow, signer, "RF0001", p12=p12, p12_password=P12_PASSWORD, now=T0)
    return world, officer


def _more_events(ctx: AppContext, n: int, actor: str = "olivia") -> None:
    with ctx.uow() as uow:
        audit.record_many(
            uow,
            [audit.AuditEntry(actor, "thing.update", "thing", str(i), {"x": [i, i + 1]}) for i in range(n)],
        )
        uow.commit()


def _export(ctx: AppContext, actor: Actor) -> list[Anchor]:
    with ctx.uow() as uow:
        text = audit_log.export_anchors(uow, actor)
    return parse_anchor_file(text)


def _verify(ctx: AppContext, anchors: list[Anchor] | None = None) -> Any:
    with ctx.uow(write=False) as uow:
        return verify_against_anchors(uow, anchors)


# ---------------------------------------------------------------- the attacker (SQLite file)


def _attacker(ctx: AppContext) -> sqlite3.Connection:
    """A plain connection to the file with every trigger dropped, as someone with the file would."""
    ctx.engine.dispose()
    connection = sqlite3.connect(ctx.settings.database)
    for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        connection.execute(f'DROP TRIGGER "{name}"')
    return connection


def _events(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    connection.row_factory = sqlite3.Row
    rows = connection.execute(
        "SELECT id, occurred_at, actor, action, entity, entity_id, changes_json FROM audit_event ORDER BY id"
    ).fetchall()
    connection.row_factory = None
    return [dict(r) for r in rows]


def _rewrite(connection: sqlite3.Connection, events: list[dict[str, Any]], *, fix_anchors: bool) -> None:
    """Replace the whole chain by ``events`` renumbered 1.. with every hash recomputed, fix the
    head and (``fix_anchors``) every stored anchor and the anchors signed manifests carry."""
    connection.execute("DELETE FROM audit_event")
    prev, hashes = GENESIS_HASH, {0: GENESIS_HASH}
    for number, event in enumerate(events, start=1):
        occurred = datetime.fromisoformat(event["occurred_at"]).replace(tzinfo=UTC)
        digest = event_hash(
            event_id=number,
            occurred_at=occurred,
            actor=event["actor"],
            action=event["action"],
            entity=event["entity"],
            entity_id=event["entity_id"],
            changes_json=event["changes_json"],
            prev_hash=prev,
        )
        connection.execute(
            "INSERT INTO audit_event (id, occurred_at, actor, action, entity, entity_id, changes_json, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (number, event["occurred_at"], event["actor"], event["action"], event["entity"],
             event["entity_id"], event["changes_json"], prev, digest),
        )  # fmt: skip
        prev, hashes[number] = digest, digest
    connection.execute("DELETE FROM audit_head")
    connection.execute(
        "INSERT INTO audit_head (id, last_event_id, last_hash) VALUES (1, ?, ?)", (len(events), prev)
    )
    if fix_anchors:
        for anchor_id, event_id in connection.execute("SELECT id, event_id FROM audit_anchor").fetchall():
            if event_id in hashes:
                connection.execute(
                    "UPDATE audit_anchor SET event_hash = ? WHERE id = ?", (hashes[event_id], anchor_id)
                )
            else:
                connection.execute("DELETE FROM audit_anchor WHERE id = ?", (anchor_id,))
        for manifest_id, content in connection.execute("SELECT id, content_json FROM manifest").fetchall():
            data = json.loads(content)
            if "audit_anchor" in data:
                event_id, _ = parse_anchor_text(data["audit_anchor"])
                if event_id in hashes:
                    data["audit_anchor"] = f"{event_id}:{hashes[event_id]}"
                else:
                    del data["audit_anchor"]
                connection.execute(
                    "UPDATE manifest SET content_json = ? WHERE id = ?", (json.dumps(data), manifest_id)
                )
    connection.commit()
    connection.close()


# ---------------------------------------------------------------- recording anchors


def test_a_signed_manifest_carries_the_head_it_was_signed_at(ctx: AppContext) -> None:
    _signed(ctx)
    with ctx.uow(write=False) as uow:
        anchors = [a for a in stored_anchors(uow) if a.kind == "manifest.signed"]
        content_json = uow.session.execute(sa.select(Manifest.content_json)).scalar_one()
        sign_id, sign_changes = uow.session.execute(
            sa.select(AuditEvent.id, AuditEvent.changes_json).where(AuditEvent.action == "manifest.sign")
        ).one()
        anchored_hash = uow.session.execute(
            sa.select(AuditEvent.hash).where(AuditEvent.id == anchors[0].event_id)
        ).scalar_one()
    assert len(anchors) == 1 and anchors[0].reference == "RF0001 rev 1" and anchors[0].recorded_by == "sue"
    # the head just before the sign event, with its real hash
    assert anchors[0].event_id == sign_id - 1 and anchors[0].event_hash == anchored_hash
    assert json.loads(content_json)["audit_anchor"] == anchors[0].text
    assert json.loads(sign_changes)["anchor"] == anchors[0].text
    report = _verify(ctx)
    assert report.ok, report.message
    assert report.anchors_checked == 1  # the stored one, which the signed manifest also carries


def test_the_signed_pdf_shows_the_anchor(sqlite_ctx: AppContext) -> None:
    _signed(sqlite_ctx)
    with sqlite_ctx.uow(write=False) as uow:
        anchor = next(a for a in stored_anchors(uow) if a.kind == "manifest.signed")
        pdf = manifests.manifest_pdf(uow, admin_actor(), "RF0001")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert f"event {anchor.event_id}" in text and anchor.event_hash[:16] in text


def test_an_as_flown_manifest_records_an_anchor(ctx: AppContext) -> None:
    world, officer = _signed(ctx)
    with ctx.uow() as uow:
        for case in CASES:
            uow.session.add(
                Boarding(
                    flight_id=world.flight_id,
                    person_id=world.person_ids[case],
                    airport="IAH",
                    boarded_by="olivia",
                    boarded_at=DEPARTURE - timedelta(hours=2),
                )
            )
        flight = uow.session.get(Flight, world.flight_id)
        assert flight is not None
        flight.closed_at, flight.closed_by = DEPARTURE - timedelta(minutes=30), "sam"
        flight.status, flight.departed_at = "DEPARTED", DEPARTURE
        uow.commit()
    with ctx.uow(write=False) as uow:
        head = current_head(uow)
    with ctx.uow() as uow:
        result = flown.as_flown_manifest(uow, officer, "RF0001", now=DEPARTURE + timedelta(hours=1))
    with ctx.uow(write=False) as uow:
        anchor = next(a for a in stored_anchors(uow) if a.kind == "manifest.as_flown")
        event = uow.session.execute(
            sa.select(AuditEvent.changes_json).where(AuditEvent.action == "manifest.as_flown")
        ).scalar_one()
    assert (anchor.event_id, anchor.event_hash) == (head.event_id, head.event_hash)
    assert anchor.reference == "RF0001 as-flown" and json.loads(event)["anchor"] == anchor.text
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(result.pdf)).pages)
    assert f"event {anchor.event_id}" in text and anchor.event_hash[:16] in text


def test_a_backup_records_an_anchor_that_the_copy_holds(sqlite_ctx: AppContext, tmp_path: Path) -> None:
    _more_events(sqlite_ctx, 3)
    with sqlite_ctx.uow(write=False) as uow:
        head = current_head(uow)
    out = tmp_path / "copy.db"
    report = backup.backup_database(sqlite_ctx, admin_actor(), out)
    assert (
        report.anchor == head.text
        and f"audit anchor event {head.event_id} {head.event_hash}" in report.summary()
    )
    with sqlite3.connect(out) as copy:
        rows = copy.execute("SELECT kind, reference, event_id, event_hash FROM audit_anchor").fetchall()
    assert ("backup", "copy.db", head.event_id, head.event_hash) in rows
    with sqlite_ctx.uow(write=False) as uow:
        event = uow.session.execute(
            sa.select(AuditEvent.changes_json).where(AuditEvent.action == "database.backup")
        ).scalar_one()
    assert json.loads(event)["anchor"] == head.text


def test_export_then_verify_passes_on_an_untouched_database(ctx: AppContext) -> None:
    _, officer = _signed(ctx)
    _more_events(ctx, 5)
    anchors = _export(ctx, officer)
    assert anchors[-1].kind == "export" and {a.kind for a in anchors} == {"manifest.signed", "export"}
    _more_events(ctx, 5)
    report = _verify(ctx, anchors)
    assert report.ok, report.message
    with ctx.uow(write=False) as uow:
        exported = uow.session.execute(
            sa.select(AuditEvent.changes_json).where(AuditEvent.action == "audit.anchors_export")
        ).scalar_one()
    assert json.loads(exported)["anchor"] == anchors[-1].text


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_anchor SET event_hash = 'f'", "DELETE FROM audit_anchor"],
)
def test_anchors_are_append_only(ctx: AppContext, statement: str) -> None:
    """Triggers refuse rewriting or removing a stored anchor (someone who owns the database can drop
    them; ``init`` re-creates them, and the anchors kept outside still catch the rewrite)."""
    _, officer = _signed(ctx)
    _export(ctx, officer)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), ctx.engine.begin() as connection:
        connection.exec_driver_sql(statement)
    with ctx.uow(write=False) as uow:
        assert all(a.event_hash != "f" for a in uow.session.execute(sa.select(AuditAnchor)).scalars())


# ---------------------------------------------------------------- attacks (SQLite: someone with the file)


def test_reattributed_events_with_every_hash_recomputed_are_detected(sqlite_ctx: AppContext) -> None:
    _, officer = _signed(sqlite_ctx)
    _more_events(sqlite_ctx, 60)
    anchors = _export(sqlite_ctx, officer)
    connection = _attacker(sqlite_ctx)
    events = _events(connection)
    for event in events:
        if event["actor"] == "olivia":
            event["actor"] = "sam"
    _rewrite(connection, events, fix_anchors=False)

    with sqlite_ctx.uow(write=False) as uow:
        assert audit.verify_chain(uow).ok
    # the anchors the signed manifest carries (and the anchor table) catch it …
    report = _verify(sqlite_ctx)
    assert not report.ok and "differs from its anchor" in report.message
    # … and so does the exported file
    report = _verify(sqlite_ctx, anchors)
    assert not report.ok and "RF0001 rev 1" in report.message


def test_the_pades_signed_pdf_carries_the_anchor_the_file_holder_cannot_rewrite(
    sqlite_ctx: AppContext,
) -> None:
    p12, _ = _self_signed_p12("Sue Supervisor")
    _signed(sqlite_ctx, p12=p12)
    with sqlite_ctx.uow(write=False) as uow:
        carried = audit_log.signed_pdf_anchors(uow)
        stored = next(a for a in stored_anchors(uow) if a.kind == "manifest.signed")
    assert [(a.event_id, a.event_hash, a.source) for a in carried] == [
        (stored.event_id, stored.event_hash, "signed PDF")
    ]
    _more_events(sqlite_ctx, 5)
    connection = _attacker(sqlite_ctx)
    events = _events(connection)
    events[0]["actor"] = "mallory"
    _rewrite(connection, events, fix_anchors=True)  # table and content fixed, not the signed PDF
    with sqlite_ctx.uow(write=False) as uow:
        report = audit_log.verify(uow, admin_actor())
    assert not report.ok and "(signed PDF)" in report.message and "differs from its anchor" in report.message


def test_a_thorough_rewrite_is_still_caught_by_the_exported_file(sqlite_ctx: AppContext) -> None:
    _, officer = _signed(sqlite_ctx)
    _more_events(sqlite_ctx, 20)
    anchors = _export(sqlite_ctx, officer)
    connection = _attacker(sqlite_ctx)
    events = _events(connection)
    for event in events:
        if event["actor"] == "olivia":
            event["actor"] = "sam"
    _rewrite(connection, events, fix_anchors=True)  # anchor table and signed manifests fixed too
    assert _verify(sqlite_ctx).ok  # nothing inside the file disagrees any more
    report = _verify(sqlite_ctx, anchors)
    assert not report.ok and "differs from its anchor" in report.message
    assert report.first_broken_id is not None and report.first_broken_id <= anchors[0].event_id


def test_a_truncated_chain_with_its_head_fixed_is_detected(sqlite_ctx: AppContext) -> None:
    _, officer = _signed(sqlite_ctx)
    _more_events(sqlite_ctx, 10)
    anchors = _export(sqlite_ctx, officer)
    connection = _attacker(sqlite_ctx)
    events = _events(connection)
    _rewrite(connection, events[:-4], fix_anchors=True)
    with sqlite_ctx.uow(write=False) as uow:
        assert audit.verify_chain(uow).ok
    report = _verify(sqlite_ctx, anchors)
    assert not report.ok
    assert "is missing" in report.message and "the chain was truncated" in report.message
    assert "behind the anchors file" in report.message


def test_two_swapped_events_recomputed_are_detected(sqlite_ctx: AppContext) -> None:
    _, officer = _signed(sqlite_ctx)
    _more_events(sqlite_ctx, 10)
    anchors = _export(sqlite_ctx, officer)
    connection = _attacker(sqlite_ctx)
    events = _events(connection)
    events[2], events[5] = events[5], events[2]
    _rewrite(connection, events, fix_anchors=True)
    with sqlite_ctx.uow(write=False) as uow:
        assert audit.verify_chain(uow).ok
    report = _verify(sqlite_ctx, anchors)
    assert not report.ok and "the chain was rewritten" in report.message


def test_an_emptied_chain_without_its_head_is_detected(sqlite_ctx: AppContext) -> None:
    _, officer = _signed(sqlite_ctx)
    anchors = _export(sqlite_ctx, officer)
    connection = _attacker(sqlite_ctx)
    connection.execute("DELETE FROM audit_event")
    connection.execute("DELETE FROM audit_head")
    connection.commit()
    connection.close()
    # the signed manifest still carries its anchor: detected without the file
    report = _verify(sqlite_ctx)
    assert not report.ok and "RF0001 rev 1 is missing" in report.message
    # the thorough attacker also empties the anchor table and strips the manifests: the file
    connection = _attacker(sqlite_ctx)
    _rewrite(connection, [], fix_anchors=True)
    with sqlite_ctx.uow(write=False) as uow:
        assert audit.verify_chain(uow).ok
        assert not uow.session.execute(sa.select(AuditAnchor)).first()
    report = _verify(sqlite_ctx, anchors)
    assert not report.ok and "is missing" in report.message
    assert "the chain's head (event 0) is behind the anchors file" in report.message


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_rewrite_at_or_before_an_anchor_is_detected(sqlite_ctx: AppContext, data: st.DataObject) -> None:
    """Change one field of any event at or before the exported head, or drop it, or swap it with
    another, recompute everything and fix the anchor table: the exported anchors catch it."""
    base = Path(sqlite_ctx.settings.data_dir) / "anchors-base.db"  # made once, copied per example
    if not base.exists():
        _more_events(sqlite_ctx, 12)
        with sqlite_ctx.uow() as uow:
            text = audit_log.export_anchors(uow, Actor("admin", Role.ADMIN, "admin"))
        sqlite_ctx.engine.dispose()
        shutil.copyfile(sqlite_ctx.settings.database, base)
        (base.parent / "anchors.jsonl").write_text(text)
    anchors = parse_anchor_file((base.parent / "anchors.jsonl").read_text())
    work = base.parent / f"work-{data.draw(st.integers(0, 10**9))}.db"
    shutil.copyfile(base, work)
    connection = sqlite3.connect(work)
    for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        connection.execute(f'DROP TRIGGER "{name}"')
    events = _events(connection)
    head = anchors[-1].event_id
    target = data.draw(st.integers(0, head - 1), label="event index")
    how = data.draw(st.sampled_from(["actor", "changes", "drop", "swap"]), label="rewrite")
    if how == "actor":
        events[target]["actor"] += "x"
    elif how == "changes":
        events[target]["changes_json"] = '{"forged":true}'
    elif how == "drop":
        del events[target]
    else:
        other = data.draw(st.integers(0, len(events) - 1).filter(lambda i: i != target), label="other")
        if events[other] == events[target]:
            return
        events[target], events[other] = events[other], events[target]
    _rewrite(connection, events, fix_anchors=True)
    engine = make_engine(str(work))
    try:
        with UnitOfWork(make_session_factory(engine), write=False) as uow:
            assert audit.verify_chain(uow).ok
            report = verify_against_anchors(uow, anchors)
    finally:
        engine.dispose()
    assert not report.ok, (how, target)


# ---------------------------------------------------------------- the anchors file


def test_bad_anchor_files_are_one_line_errors() -> None:
    header = json.dumps({"format": "charter-audit-anchors/1"})
    good = json.dumps({"kind": "export", "reference": "", "event_id": 3, "event_hash": "a" * 64})
    assert parse_anchor_file(f"{header}\n{good}\n")[0].event_id == 3
    for text, words in [
        ("", "empty"),
        ("hello\n", "not an audit anchors file"),
        (header + "\n", "no anchors"),
        (f"{header}\n{{", "line 2: not JSON"),
        (f"{header}\n{good}\n" + good.replace('"export"', '"nonsense"'), "line 3: unknown kind"),
        (f"{header}\n" + good.replace("3", "-1", 1), "event_id"),
        (f"{header}\n" + good.replace("a" * 64, "A" * 64), "event_hash"),
    ]:
        with pytest.raises(InvalidInput, match=words) as caught:
            parse_anchor_file(text)
        assert "\n" not in str(caught.value)


@pytest.fixture
def cli_env(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> str:
    add_user(ctx, "olivia", Role.OFFICER)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    monkeypatch.setenv("CHARTER_USER", "olivia")
    return ctx.settings.database


def _run(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str, str]:
    code = cli.run(["--db", db, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_audit_anchors_and_verify_from_the_command_line(
    ctx: AppContext, cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "anchors.jsonl"
    code, stdout, _ = _run(capsys, cli_env, "audit", "anchors", "--out", str(out))
    assert code == 0 and "written to" in stdout and out.is_file()
    assert json.loads(out.read_text().splitlines()[0])["format"] == "charter-audit-anchors/1"
    code, stdout, _ = _run(capsys, cli_env, "audit", "verify", "--anchors", str(out))
    assert code == 0 and "audit chain intact" in stdout and "checked against 1 anchor\n" in stdout
    code, stdout, _ = _run(capsys, cli_env, "audit", "verify")
    assert code == 0 and "intact" in stdout

    bad = tmp_path / "bad.jsonl"
    bad.write_text("not an anchors file\n")
    code, _, err = _run(capsys, cli_env, "audit", "verify", "--anchors", str(bad))
    assert code == 2 and "not an audit anchors file" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, cli_env, "audit", "verify", "--anchors", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot read the anchors file" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, cli_env, "audit", "anchors", "--out", str(tmp_path))
    assert code == 2 and len(err.strip().splitlines()) == 1

    # a forged anchors file pointing beyond the head: BROKEN, exit 1
    lines = out.read_text().splitlines()
    last = json.loads(lines[-1])
    last["event_id"] += 100
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join([*lines, json.dumps(last)]) + "\n")
    code, _, err = _run(capsys, cli_env, "audit", "verify", "--anchors", str(forged))
    assert code == 1 and "BROKEN" in err and "behind the anchors file" in err


def test_a_truncated_sqlite_chain_fails_audit_verify_with_the_anchors_file(
    sqlite_ctx: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_user(sqlite_ctx, "olivia", Role.OFFICER)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(sqlite_ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    monkeypatch.setenv("CHARTER_USER", "olivia")
    db = sqlite_ctx.settings.database
    _more_events(sqlite_ctx, 10)
    out = tmp_path / "anchors.jsonl"
    assert _run(capsys, db, "audit", "anchors", "--out", str(out))[0] == 0
    connection = _attacker(sqlite_ctx)
    _rewrite(connection, _events(connection)[:-3], fix_anchors=True)
    code, _, _ = _run(capsys, db, "audit", "verify")
    assert code == 0  # nothing inside the file disagrees
    code, _, err = _run(capsys, db, "audit", "verify", "--anchors", str(out))
    # the sign-ins of the commands since have appended new events where the old ones were
    assert code == 1 and "BROKEN" in err and ("truncated" in err or "rewritten" in err)
