"""Files: private modes, fresh temporary names, devices left alone, no plaintext leftovers, and
backups whose schema objects are not this version's refused (issue 14, "Files" and "Restore and
init check the schema objects")."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.domain.errors import InvalidInput
from planner.entrypoints.cli import main as cli
from planner.files import BACKUP_TEMP_PREFIX, RESTORE_TEMP_PREFIX, write_output
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent
from planner.persistence.schema_objects import protective_triggers
from planner.services import backup, setup
from planner.services.backup import file_sha256
from tests.conftest import ADMIN_PASSWORD, admin_actor
from tests.integration.reliability.conftest import fill_demo


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """Run with a permissive umask (022), restored afterwards: the program, not the umask of the
    test, must make its files private (``cli.run`` tightens the umask itself)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _live(sqlite_ctx: AppContext) -> Path:
    return Path(str(sqlite_ctx.engine.url.database))


def _triggers(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}


# ---------------------------------------------------------------- output files


def test_output_files_are_private_and_written_whole(tmp_path: Path) -> None:
    target = write_output(tmp_path / "RF0001_rev1.pdf", b"%PDF-1.7 one")
    assert target.read_bytes() == b"%PDF-1.7 one" and _mode(target) == 0o600
    write_output(target, b"%PDF-1.7 two")
    assert target.read_bytes() == b"%PDF-1.7 two" and _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RF0001_rev1.pdf"]  # no temporary left


def test_a_planted_symlink_at_a_temporary_name_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "elsewhere" / "victim.txt"
    victim.parent.mkdir()
    victim.write_bytes(b"precious")
    out = tmp_path / "out"
    out.mkdir()
    target = out / "export.csv"
    (out / "export.csv.part").symlink_to(victim)  # the old fixed name
    predictable = out / ".charter-planted.tmp"
    predictable.symlink_to(victim)
    names = iter(["planted", "fresh123"])  # the first name tempfile would try is the planted one
    monkeypatch.setattr(tempfile, "_get_candidate_names", lambda: names)
    write_output(target, b"a,b\n")
    assert victim.read_bytes() == b"precious"
    assert target.read_bytes() == b"a,b\n" and not target.is_symlink()
    assert predictable.is_symlink() and (out / "export.csv.part").is_symlink()


def test_a_device_target_is_written_into_never_replaced() -> None:
    write_output("/dev/null", b"nothing to see")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_folder_target_is_one_line_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is a folder"):
        write_output(tmp_path, b"x")
    with pytest.raises(InvalidInput, match="is not a folder"):
        write_output(tmp_path / "missing" / "x.pdf", b"x")


# ---------------------------------------------------------------- modes


def test_new_data_folder_database_and_log_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("CHARTER_DATA_DIR", str(data))
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    assert cli.run(["init", "--admin", "root"]) == 0
    assert _mode(data) == 0o700
    database = data / "charter.db"
    assert _mode(database) == 0o600
    for sidecar in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        if sidecar.exists():
            assert _mode(sidecar) == 0o600


def test_start_tightens_an_existing_data_folder_and_database(
    sqlite_ctx: AppContext, signed_in: None, caplog: pytest.LogCaptureFixture
) -> None:
    live = _live(sqlite_ctx)
    data = sqlite_ctx.settings.data_dir
    log_file = data / "charter-planner.log"
    log_file.write_text("old log\n")
    os.chmod(data, 0o755)
    os.chmod(live, 0o644)
    os.chmod(log_file, 0o644)
    with caplog.at_level(logging.WARNING, logger="planner.files"):
        assert cli.run(["--db", str(live), "audit", "verify"], settings=sqlite_ctx.settings) == 0
    assert (_mode(data), _mode(live), _mode(log_file)) == (0o700, 0o600, 0o600)
    assert [r.message for r in caplog.records if "made private" in r.message]


def test_backup_and_restored_database_are_private(sqlite_ctx: AppContext, tmp_path: Path) -> None:
    fill_demo(sqlite_ctx, people=20, flights=1)
    out = tmp_path / "backups" / "b.db"
    out.parent.mkdir()
    backup.backup_database(sqlite_ctx, admin_actor(), out)
    assert _mode(out) == 0o600
    os.chmod(_live(sqlite_ctx), 0o644)
    backup.restore_database(sqlite_ctx, admin_actor(), out)
    assert _mode(_live(sqlite_ctx)) == 0o600


# ---------------------------------------------------------------- killed backups and restores


def _leftover(folder: Path, prefix: str) -> Path:
    """What a killed backup/restore leaves: a temporary copy and its journal."""
    path = folder / f"{prefix}killed.tmp"
    path.write_bytes(b"SQLite format 3\x00 personal data")
    Path(f"{path}-journal").write_bytes(b"journal")
    return path


def test_killed_backup_leftovers_are_removed_by_the_next_backup_and_at_start(
    sqlite_ctx: AppContext, tmp_path: Path, signed_in: None
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    in_backup_folder = _leftover(folder, BACKUP_TEMP_PREFIX)
    busy = folder / f"{BACKUP_TEMP_PREFIX}running.tmp"  # another backup still writing it
    busy.write_bytes(b"in use")
    with busy.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        backup.backup_database(sqlite_ctx, admin_actor(), folder / "b.db")
        assert busy.exists()
    assert not in_backup_folder.exists() and not Path(f"{in_backup_folder}-journal").exists()
    data = sqlite_ctx.settings.data_dir
    in_data_folder = [_leftover(data, BACKUP_TEMP_PREFIX), _leftover(data, RESTORE_TEMP_PREFIX)]
    assert cli.run(["--db", str(_live(sqlite_ctx)), "audit", "verify"], settings=sqlite_ctx.settings) == 0
    assert not any(p.exists() or Path(f"{p}-journal").exists() for p in in_data_folder)


def test_killed_restore_leftovers_are_removed_by_the_next_restore(
    sqlite_ctx: AppContext, tmp_path: Path
) -> None:
    out = tmp_path / "b.db"
    backup.backup_database(sqlite_ctx, admin_actor(), out)
    leftover = _leftover(_live(sqlite_ctx).parent, RESTORE_TEMP_PREFIX)
    backup.restore_database(sqlite_ctx, admin_actor(), out)
    assert not leftover.exists()
    assert not [p for p in _live(sqlite_ctx).parent.iterdir() if p.name.startswith(".charter-")]


def test_a_failed_backup_leaves_no_copy(
    sqlite_ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(_connection: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(backup, "_self_contained", interrupted)
    with pytest.raises(KeyboardInterrupt):
        backup.backup_database(sqlite_ctx, admin_actor(), tmp_path / "b.db")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".charter-") or p.name == "b.db"]


# ---------------------------------------------------------------- schema objects


@pytest.fixture
def backed_up(sqlite_ctx: AppContext, tmp_path: Path) -> tuple[AppContext, Path]:
    fill_demo(sqlite_ctx, people=20, flights=1)
    out = tmp_path / "backups" / "b.db"
    out.parent.mkdir()
    backup.backup_database(sqlite_ctx, admin_actor(), out)
    return sqlite_ctx, out


def _tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        (("DROP TRIGGER audit_event_no_delete",), "trigger audit_event_no_delete is missing"),
        (
            ("CREATE TRIGGER quietly AFTER INSERT ON person BEGIN SELECT 1; END",),
            "trigger quietly is not one this version makes",
        ),
        (
            (
                "DROP TRIGGER audit_event_no_update",
                "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN SELECT 1; END",
            ),
            "trigger audit_event_no_update differs",
        ),
        (("CREATE VIEW everyone AS SELECT * FROM person",), "view everyone is not one this version makes"),
    ],
    ids=["trigger-dropped", "trigger-added", "trigger-changed", "view-added"],
)
def test_restore_refuses_a_backup_whose_schema_objects_differ(
    backed_up: tuple[AppContext, Path], statements: tuple[str, ...], named: str
) -> None:
    sqlite_ctx, out = backed_up
    _tamper(out, *statements)
    sqlite_ctx.engine.dispose()
    before = file_sha256(_live(sqlite_ctx))
    with pytest.raises(InvalidInput, match=named) as info:
        backup.restore_database(sqlite_ctx, admin_actor(), out)
    assert "\n" not in str(info.value) and "nothing was restored" in str(info.value)
    sqlite_ctx.engine.dispose()
    assert file_sha256(_live(sqlite_ctx)) == before  # nothing replaced
    assert not [p for p in _live(sqlite_ctx).parent.iterdir() if p.name.startswith(".charter-")]


def test_restore_refusal_is_one_line_exit_2_on_the_command_line(
    backed_up: tuple[AppContext, Path], signed_in: None, capsys: pytest.CaptureFixture
) -> None:
    sqlite_ctx, out = backed_up
    _tamper(out, "DROP TRIGGER audit_event_no_delete")
    code = cli.run(["--db", str(_live(sqlite_ctx)), "restore", str(out)], settings=sqlite_ctx.settings)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "audit_event_no_delete" in err


def test_init_recreates_dropped_protective_triggers_and_audits_it(
    sqlite_ctx: AppContext, signed_in: None, capsys: pytest.CaptureFixture
) -> None:
    live = _live(sqlite_ctx)
    dropped = ["audit_event_no_delete", "audit_event_no_update"]
    if any(t.name == "audit_head_no_delete" for t in protective_triggers()):
        dropped.append("audit_head_no_delete")
    sqlite_ctx.engine.dispose()
    _tamper(live, *(f"DROP TRIGGER {name}" for name in dropped))
    assert not set(dropped) & _triggers(live)
    report = setup.initialize(sqlite_ctx, admin=None, password=None)
    assert sorted(report.triggers_recreated) == sorted(dropped)
    assert set(dropped) <= _triggers(live)
    with sqlite_ctx.uow(write=False) as uow:
        last = uow.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        assert last.action == "audit.triggers_recreated"
        assert audit.verify_chain(uow).ok
    assert setup.initialize(sqlite_ctx, admin=None, password=None).triggers_recreated == ()
    with sqlite_ctx.engine.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        conn.execute(sa.delete(AuditEvent))
    sqlite_ctx.engine.dispose()
    _tamper(live, "DROP TRIGGER audit_event_no_delete")
    assert cli.run(["--db", str(live), "init"], settings=sqlite_ctx.settings) == 0
    assert "re-created protective triggers audit_event_no_delete" in capsys.readouterr().out


def test_an_encrypted_database_s_temporary_copies_are_encrypted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("sqlcipher3")
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHARTER_DB_KEY", "correct horse battery staple")
    db = tmp_path / "secret.db"
    assert cli.run(["--db", str(db), "init", "--admin", "admin", "--encrypt"]) == 0
    seen: list[tuple[str, bytes]] = []
    fsync = backup._fsync_file

    def spy(path: Path) -> None:  # the temporary copy, complete, just before it is renamed
        seen.append((Path(path).name, Path(path).read_bytes()))
        fsync(path)

    monkeypatch.setattr(backup, "_fsync_file", spy)
    out = tmp_path / "backup.db"
    assert cli.run(["--db", str(db), "backup", "--out", str(out)]) == 0
    assert cli.run(["--db", str(db), "restore", str(out)]) == 0
    assert [name.split("-")[1] for name, _ in seen] == ["backup", "restore"]
    for _name, data in seen:
        assert not data.startswith(b"SQLite format 3") and b"CREATE TABLE" not in data
