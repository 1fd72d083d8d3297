"""Backups (online copy with the backup API, checked) and restores (validated before replacing)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.entrypoints.cli import main as cli
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, User
from planner.services import backup
from planner.services.backup import file_sha256
from tests.conftest import ADMIN_PASSWORD, add_user, admin_actor
from tests.integration.reliability.conftest import fill_demo


def _usernames(sqlite_ctx: AppContext) -> set[str]:
    with sqlite_ctx.uow(write=False) as uow:
        return set(uow.session.execute(sa.select(User.username)).scalars())


def _last_action(sqlite_ctx: AppContext) -> str:
    with sqlite_ctx.uow(write=False) as uow:
        return uow.session.execute(
            sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)
        ).scalar_one()


def _chain_ok(sqlite_ctx: AppContext) -> bool:
    with sqlite_ctx.uow(write=False) as uow:
        return audit.verify_chain(uow).ok


@pytest.fixture
def backed_up(sqlite_ctx: AppContext, tmp_path: Path) -> tuple[AppContext, Path]:
    fill_demo(sqlite_ctx, people=60, flights=2)
    out = tmp_path / "backups" / "charter-backup.db"
    out.parent.mkdir()
    report = backup.backup_database(sqlite_ctx, admin_actor(), out)
    assert report.path == out and report.size_bytes == out.stat().st_size and report.audit_events > 0
    return sqlite_ctx, out


def test_backup_is_a_checked_self_contained_copy(backed_up: tuple[AppContext, Path]) -> None:
    sqlite_ctx, out = backed_up
    assert out.read_bytes()[:16] == b"SQLite format 3\x00"
    assert not Path(f"{out}-wal").exists()
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("SELECT count(*) FROM person").fetchone() == (60,)
    assert _last_action(sqlite_ctx) == "database.backup"
    assert _chain_ok(sqlite_ctx)


def test_restore_brings_back_the_backup_and_audits_it(backed_up: tuple[AppContext, Path]) -> None:
    sqlite_ctx, out = backed_up
    add_user(sqlite_ctx, "late", Role.OFFICER)
    assert "late" in _usernames(sqlite_ctx)
    report = backup.restore_database(sqlite_ctx, admin_actor(), out)
    assert "late" not in _usernames(sqlite_ctx)  # the engine opens the restored file
    assert _last_action(sqlite_ctx) == "database.restore"
    assert _chain_ok(sqlite_ctx) and report.audit_events > 0
    live = Path(sqlite_ctx.engine.url.database)
    with sqlite3.connect(live) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert sorted(p.name for p in live.parent.iterdir() if p.name.startswith(".")) == []


def _live_state(sqlite_ctx: AppContext) -> tuple[str, set[str]]:
    sqlite_ctx.engine.dispose()
    return file_sha256(Path(sqlite_ctx.engine.url.database)), _usernames(sqlite_ctx)


def _corrupt(src: Path, dst: Path) -> Path:
    data = bytearray(src.read_bytes())
    page = 4096
    for offset in range(2 * page, min(len(data), 6 * page), 7):
        data[offset] ^= 0x5A
    dst.write_bytes(bytes(data))
    return dst


def _broken_chain(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    with sqlite3.connect(dst) as conn:
        conn.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE id = 2")
    return dst


def _unknown_revision(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    with sqlite3.connect(dst) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    return dst


def _foreign(_src: Path, dst: Path) -> Path:
    with sqlite3.connect(dst) as conn:
        conn.execute("CREATE TABLE notes (x TEXT)")
    return dst


def _not_sqlite(_src: Path, dst: Path) -> Path:
    dst.write_bytes(b"this is a spreadsheet, honest\n" * 500)
    return dst


def _truncated(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes()[: 3 * 4096 + 100])
    return dst


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (_corrupt, r"damaged|malformed|not a usable"),
        (_truncated, r"damaged|malformed|not a usable"),
        (_broken_chain, r"audit chain does not verify"),
        (_unknown_revision, r"schema revision 9999"),
        (_foreign, r"not a Charter Planner database"),
        (_not_sqlite, r"encrypted \(or not an SQLite database\)|not a usable"),
    ],
)
def test_bad_backups_are_refused_and_nothing_is_replaced(
    backed_up: tuple[AppContext, Path], tmp_path: Path, make_bad, message: str
) -> None:
    sqlite_ctx, out = backed_up
    add_user(sqlite_ctx, "late", Role.OFFICER)
    before = _live_state(sqlite_ctx)
    bad = make_bad(out, tmp_path / "bad.db")
    with pytest.raises(InvalidInput, match=message):
        backup.restore_database(sqlite_ctx, admin_actor(), bad)
    assert _live_state(sqlite_ctx) == before
    live = Path(sqlite_ctx.engine.url.database)
    assert not [p for p in live.parent.iterdir() if ".restore-" in p.name]


def test_only_admins_back_up_and_restore(backed_up: tuple[AppContext, Path], tmp_path: Path) -> None:
    from planner.domain.errors import PermissionDenied

    sqlite_ctx, out = backed_up
    officer = add_user(sqlite_ctx, "olivia", Role.OFFICER)
    with pytest.raises(PermissionDenied):
        backup.backup_database(sqlite_ctx, officer, tmp_path / "x.db")
    with pytest.raises(PermissionDenied):
        backup.restore_database(sqlite_ctx, officer, out)
    assert not (tmp_path / "x.db").exists()


def test_cli_backup_and_restore(sqlite_ctx: AppContext, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    db = sqlite_ctx.settings.database
    sqlite_ctx.close()
    out = tmp_path / "b.db"
    assert cli.run(["--db", db, "backup", "--out", str(out)]) == 0
    assert "integrity ok" in capsys.readouterr().out
    assert cli.run(["--db", db, "restore", str(out)]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    assert cli.run(["--db", db, "audit", "verify"]) == 0
    assert cli.run(["--db", db, "restore", str(tmp_path / "missing.db")]) == 2


@pytest.mark.postgres
def test_backup_on_postgres_points_to_pg_dump(
    pg_ctx: AppContext, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    out = tmp_path / "b.db"
    assert cli.run(["--db", pg_ctx.settings.database, "backup", "--out", str(out)]) == 2
    assert "pg_dump" in capsys.readouterr().err
    assert not out.exists()
