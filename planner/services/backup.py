"""Backups and restores of the SQLite database (admin). PostgreSQL uses ``pg_dump``/``pg_restore``.

``backup_database`` copies the live file with SQLite's online backup API (a consistent snapshot
while others keep working; never a file copy, which could catch a half-written page or miss the
WAL), checks the copy with ``PRAGMA integrity_check``, makes it a self-contained file (rollback
journal mode, no ``-wal``), writes it under a fresh temporary name in the target folder
(``.charter-backup-…``, 0600, encrypted like the live file; a killed run's copies are removed by
the next backup, restore or start), fsyncs it and renames it into place, then audits
``database.backup`` in the live database. Before copying it records an audit anchor (the chain's
head, :mod:`planner.persistence.audit_anchors`), so the copy holds it and the report line prints
it: keep that line with the backup.

``restore_database`` validates before it replaces anything:

1. the file opens (with the database key when the live file is encrypted) and passes
   ``integrity_check``;
2. its schema revision is one this program knows (older revisions are migrated);
3. its audit chain verifies;
4. after migrating, its schema objects (tables, indexes, views, triggers) are exactly the ones this
   version makes (``planner.persistence.schema_objects``): a dropped audit trigger, an extra or a
   changed trigger is refused, naming the object;

all on a private copy next to the live file. Only then is ``database.restore`` audited in that
copy, the copy made self-contained and fsynced, and renamed over the live file (atomic on one file
system). A backup that fails any check changes nothing.

Restoring needs the database to itself: the caller's engine is disposed and the restore is refused
(``Conflict``) when a WAL checkpoint shows other connections still reading or writing. Other
programs that open the database *during* the final rename are not detected — close the window on
every desk first (README, "Office set-up").
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

from planner.domain.enums import Role
from planner.domain.errors import Conflict, InvalidInput, PlannerError
from planner.files import (
    BACKUP_TEMP_PREFIX,
    RESTORE_TEMP_PREFIX,
    fsync_folder,
    locked_temporary,
    remove_stale_temporaries,
)
from planner.persistence import audit
from planner.persistence.audit_anchors import record_anchor
from planner.persistence.context import AppContext
from planner.persistence.db import (
    EncryptionKeyError,
    connect_sqlite_file,
    is_encrypted_file,
    make_engine,
    make_session_factory,
    sqlite_file,
)
from planner.persistence.migrate import alembic_config, head_revision, upgrade_to_head
from planner.persistence.schema_objects import differences_text, read_objects, schema_differences
from planner.persistence.uow import UnitOfWork, run_in_transaction
from planner.services.auth import Actor, authorize

log = logging.getLogger(__name__)

PG_DUMP_HINT = (
    "this database is on PostgreSQL: back it up with pg_dump -Fc -f charter.dump URL and restore "
    "with pg_restore --clean --if-exists -d URL charter.dump (README, 'Office set-up')"
)


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size_bytes: int
    sha256: str
    audit_events: int
    encrypted: bool
    seconds: float
    #: The audit chain's head the copy was made at, ``"<event id>:<hash>"`` (audit_anchors).
    anchor: str = ""

    def summary(self) -> str:
        event_id, _, digest = self.anchor.partition(":")
        anchored = f"; audit anchor event {event_id} {digest}" if self.anchor else ""
        return (
            f"backup written to {self.path} ({self.size_bytes:,} bytes, {self.audit_events:,} audit events, "
            f"integrity ok{', encrypted' if self.encrypted else ''}) in {self.seconds:.1f} s; sha256 {self.sha256}"
            + anchored
        )


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    database: Path
    revision_before: str
    revision_after: str
    audit_events: int
    seconds: float

    def summary(self) -> str:
        migrated = (
            f" (migrated from {self.revision_before})" if self.revision_before != self.revision_after else ""
        )
        return (
            f"{self.database} restored from {self.path}: schema {self.revision_after}{migrated}, "
            f"audit chain intact ({self.audit_events:,} events) in {self.seconds:.1f} s"
        )


# ---------------------------------------------------------------- file helpers


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _integrity(connection: Any) -> list[str]:
    """``[]`` when ``PRAGMA integrity_check`` says ok, else its complaints."""
    rows = [str(r[0]) for r in connection.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def _self_contained(connection: Any) -> None:
    """Checkpoint and leave WAL mode, so the file alone holds everything (no ``-wal`` needed)."""
    mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()
    if not mode or str(mode[0]).lower() != "delete":
        raise PlannerError(f"could not make the copy self-contained (journal mode {mode})")


def _require_sqlite(ctx: AppContext) -> Path:
    path = sqlite_file(ctx.engine)
    if path is None:
        raise InvalidInput(PG_DUMP_HINT)
    return path.resolve()


def _authorize_admin(ctx: AppContext, actor: Actor, action: str) -> None:
    with ctx.uow() as uow:
        authorize(uow, actor, Role.ADMIN, action)


# ---------------------------------------------------------------- backup


def backup_database(ctx: AppContext, actor: Actor, out: Path | str) -> BackupReport:
    """Admin: write a consistent, checked copy of the live SQLite database to ``out`` (replacing
    an existing file only once the new copy is complete and checked). Raises ``InvalidInput`` for
    PostgreSQL (use pg_dump) or when ``out`` is the live file; ``PlannerError`` when the copy fails
    its integrity check (nothing is left at ``out``)."""
    started = time.perf_counter()
    _authorize_admin(ctx, actor, "database.backup")
    live = _require_sqlite(ctx)
    out = Path(out).expanduser().resolve()
    if out == live:
        raise InvalidInput("the backup must not be the database file itself")
    if out.is_dir():
        raise InvalidInput(
            f"{out} is a folder: give the backup file's name, e.g. {out / 'charter-backup.db'}"
        )
    if out.exists() and not out.is_file():
        raise InvalidInput(f"{out} is not a regular file: give the backup file's name")
    if not out.parent.is_dir():
        raise InvalidInput(f"{out.parent} is not a folder")
    remove_stale_temporaries(out.parent, (BACKUP_TEMP_PREFIX,))  # left by a killed backup
    key = ctx.settings.db_key or None
    # recorded before the copy, so the copy holds it too (keep the report line with the backup)
    anchor = run_in_transaction(
        ctx.session_factory, lambda uow: record_anchor(uow, "backup", out.name, actor.username)
    )
    # a fresh, locked 0600 temporary (encrypted like the live file), removed when anything fails
    with locked_temporary(out.parent, BACKUP_TEMP_PREFIX) as part:
        source = connect_sqlite_file(live, key=key)
        try:
            target = connect_sqlite_file(part, key=key)
            try:
                source.backup(target)  # one step: a consistent snapshot of the live database
                _self_contained(target)
                problems = _integrity(target)
                if problems:
                    raise PlannerError(
                        "the backup copy failed its integrity check: " + "; ".join(problems[:5])
                    )
                events = target.execute("SELECT count(*) FROM audit_event").fetchone()[0]
            finally:
                target.close()
        finally:
            source.close()
        _fsync_file(part)
        os.replace(part, out)
        fsync_folder(out.parent)
    report = BackupReport(
        out,
        out.stat().st_size,
        file_sha256(out),
        int(events),
        bool(key),
        time.perf_counter() - started,
        anchor=anchor.text,
    )

    def record(uow: UnitOfWork) -> None:
        audit.record(
            uow,
            audit.AuditEntry(
                actor.username,
                "database.backup",
                "database",
                live.name,
                {
                    "file": str(out),
                    "bytes": report.size_bytes,
                    "sha256": report.sha256,
                    "audit_events": report.audit_events,
                    "anchor": report.anchor,
                },
            ),
        )

    run_in_transaction(ctx.session_factory, record)
    log.info("backup of %s written to %s (%d bytes)", live, out, report.size_bytes)
    return report


# ---------------------------------------------------------------- restore


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def _validate_copy(copy: Path, name: str, key: str | None) -> str:
    """Integrity, schema revision and audit chain of ``copy``; returns its revision."""
    connection = connect_sqlite_file(copy, key=key)
    try:
        problems = _integrity(connection)
        if problems:
            raise InvalidInput(f"{name} is damaged: " + "; ".join(problems[:5]))
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except Exception as exc:
            raise InvalidInput(f"{name} is not a Charter Planner database (no schema revision)") from exc
    finally:
        connection.close()
    revision = str(row[0]) if row else ""
    if revision not in _known_revisions():
        raise InvalidInput(
            f"{name} has schema revision {revision or 'none'}, which this program does not know "
            f"(it knows up to {head_revision()}): restore it with the program version that made it"
        )
    engine = make_engine(str(copy), key=key)
    try:
        with UnitOfWork(make_session_factory(engine), write=False) as uow:
            chain = audit.verify_chain(uow)
    finally:
        engine.dispose()
    if not chain.ok:
        raise InvalidInput(f"{name}: the audit chain does not verify: {chain.message}")
    return revision


def restore_database(ctx: AppContext, actor: Actor, backup: Path | str) -> RestoreReport:
    """Admin: replace the live SQLite database with ``backup`` after validating it (see the module
    docstring). Raises ``InvalidInput`` when the backup is unusable (nothing replaced), ``Conflict``
    when other connections are using the database. ``ctx.engine`` is disposed; its next use
    opens the restored file."""
    started = time.perf_counter()
    _authorize_admin(ctx, actor, "database.restore")
    live = _require_sqlite(ctx)
    backup = Path(backup).expanduser().resolve()
    if backup.is_dir():
        raise InvalidInput(f"{backup} is a folder: give the backup file written by 'backup'")
    if not backup.is_file():
        raise InvalidInput(
            f"{backup} does not exist" if not backup.exists() else f"{backup} is not a regular file"
        )
    if backup == live:
        raise InvalidInput("that is the database file itself")
    key = ctx.settings.db_key or None
    name = backup.name
    if is_encrypted_file(backup) and not key:
        raise InvalidInput(f"{name} is encrypted (or not an SQLite database): set CHARTER_DB_KEY to its key")
    backup_sha = file_sha256(backup)
    remove_stale_temporaries(live.parent, (RESTORE_TEMP_PREFIX,))  # left by a killed restore
    # a fresh, locked 0600 temporary (encrypted like the live file), removed when anything fails
    with locked_temporary(live.parent, RESTORE_TEMP_PREFIX) as copy:
        # 1. a private copy next to the live file (never touching the backup itself)
        try:
            source = connect_sqlite_file(backup, key=key, read_only=True)
            try:
                target = connect_sqlite_file(copy, key=key)
                try:
                    source.backup(target)
                finally:
                    target.close()
            finally:
                source.close()
        except EncryptionKeyError as exc:
            raise InvalidInput(f"{name}: {exc}") from exc
        except PlannerError:
            raise
        except Exception as exc:  # sqlite3 / sqlcipher3 DatabaseError: not a database, wrong key, …
            raise InvalidInput(f"{name} is not a usable SQLite backup: {exc}") from exc
        # 2. validate, migrate, audit the restore in the restored database itself
        try:
            revision_before = _validate_copy(copy, name, key)
        except (InvalidInput, EncryptionKeyError):
            raise
        except Exception as exc:
            raise InvalidInput(f"{name} could not be validated: {type(exc).__name__}: {exc}") from exc
        engine = make_engine(str(copy), key=key)
        try:
            _before, revision_after = upgrade_to_head(engine)
            with engine.connect() as connection:
                differences = schema_differences(read_objects(connection))
            if differences:
                raise InvalidInput(
                    f"{name}: its schema objects are not this version's ({differences_text(differences)}); "
                    "nothing was restored"
                )
            factory = make_session_factory(engine)

            def record(uow: UnitOfWork) -> int:
                audit.record(
                    uow,
                    audit.AuditEntry(
                        actor.username,
                        "database.restore",
                        "database",
                        live.name,
                        {
                            "file": str(backup),
                            "sha256": backup_sha,
                            "revision": [revision_before, revision_after],
                        },
                    ),
                )
                uow.flush()
                return audit.verify_chain(uow).events_checked

            events = run_in_transaction(factory, record)
        finally:
            engine.dispose()
        connection = connect_sqlite_file(copy, key=key)
        try:
            _self_contained(connection)
        finally:
            connection.close()
        _fsync_file(copy)
        # 3. the live database must be ours alone: checkpoint everything, then swap the files
        ctx.engine.dispose()
        live_connection = connect_sqlite_file(live, key=key)
        try:
            busy = live_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy and busy[0]:
                raise Conflict(
                    "another program is using the database; close the window on every desk and try again"
                )
        finally:
            live_connection.close()
        os.replace(copy, live)
        for sidecar in (Path(f"{live}-wal"), Path(f"{live}-shm")):
            with contextlib.suppress(FileNotFoundError):
                sidecar.unlink()
        fsync_folder(live.parent)
    report = RestoreReport(
        backup, live, revision_before, revision_after, events, time.perf_counter() - started
    )
    log.warning("database %s restored from %s by %s", live, backup, actor.username)
    return report


__all__ = [
    "PG_DUMP_HINT",
    "BackupReport",
    "RestoreReport",
    "backup_database",
    "file_sha256",
    "restore_database",
]
