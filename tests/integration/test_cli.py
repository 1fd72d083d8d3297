"""The command line: exit codes 0/1/2, one-line errors, the same services as the window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.entrypoints.cli import main as cli
from planner.persistence.db import make_engine
from planner.persistence.models import AuditEvent
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The ``--db`` value of a new, empty database: an SQLite path or a PostgreSQL URL."""
    if backend == "sqlite":
        return str(tmp_path / "cli.db")
    return request.getfixturevalue("pg_settings").database


@pytest.fixture
def db(empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``empty_db`` after ``init --admin chief``, signed in as chief through the environment (not
    ``root``: on PostgreSQL the admin gets a login role, and a server may have a superuser ``root``,
    which the program refuses to take over)."""
    monkeypatch.setenv("CHARTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHARTER_USER", "chief")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    assert cli.run(["--db", empty_db, "init", "--admin", "chief"]) == 0
    return empty_db


def test_init_is_repeatable_and_reports_the_schema(db: str, capsys: pytest.CaptureFixture) -> None:
    assert cli.run(["--db", db, "init", "--admin", "chief"]) == 0
    assert "database ready at schema" in capsys.readouterr().out


def test_user_add_by_admin_then_refused_for_officer(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CHARTER_NEW_PASSWORD", USER_PASSWORD)
    assert cli.run(["--db", db, "user", "add", "olivia", "--role", "officer"]) == 0
    assert "user olivia added as officer" in capsys.readouterr().out
    monkeypatch.setenv("CHARTER_USER", "olivia")
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    assert cli.run(["--db", db, "user", "add", "eve", "--role", "admin"]) == 1
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0, "one line, no traceback"
    assert "may not user.add" in err


def test_invalid_input_exits_2(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CHARTER_NEW_PASSWORD", "short")
    assert cli.run(["--db", db, "user", "add", "bob", "--role", "officer"]) == 2
    assert "password: at least" in capsys.readouterr().err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        cli.run(["user", "add", "bob", "--role", "pilot"])
    assert info.value.code == 2


def test_wrong_password_exits_1(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CHARTER_PASSWORD", "not-the-password")
    assert cli.run(["--db", db, "audit", "verify"]) == 1
    assert "wrong user name or password" in capsys.readouterr().err


def test_uninitialised_database_is_a_clear_error(empty_db: str, capsys: pytest.CaptureFixture) -> None:
    assert cli.run(["--db", empty_db, "audit", "verify"]) == 1
    assert "run 'init --admin NAME'" in capsys.readouterr().err


def test_audit_verify_detects_tampering_and_names_the_event(db: str, capsys: pytest.CaptureFixture) -> None:
    assert cli.run(["--db", db, "audit", "verify"]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    engine = make_engine(db)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == 3).values(actor="mallory"))
    engine.dispose()
    assert cli.run(["--db", db, "audit", "verify"]) == 1
    assert "BROKEN at event 3" in capsys.readouterr().err


def test_console_entry_runs_as_a_process(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CHARTER_USER": "root",
        "CHARTER_PASSWORD": ADMIN_PASSWORD,
        "CHARTER_DATA_DIR": str(tmp_path),
    }
    db = str(tmp_path / "proc.db")
    run = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--db", db, "init", "--admin", "root"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    run = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--db", db, "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
