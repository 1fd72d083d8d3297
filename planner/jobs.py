"""Long jobs as plain top-level functions, so the window can run them in a separate process
(``ui/process_runner.py``): a child process has its own interpreter, so neither the solver nor
bulk database work can hold the window's GIL.

Every job takes ``(progress, should_stop, *arguments)``, builds its own engine from the
settings (connections never cross processes), and returns plain, picklable data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from planner.auth import Actor
from planner.context import build_context
from planner.settings import Settings

Progress = Callable[[float, str], None]
ShouldStop = Callable[[], bool]


def plan_job(
    progress: Progress, should_stop: ShouldStop, settings: Settings, actor: Actor, time_limit: float
):
    """``planning.run_plan`` in this process; returns its ``PlanSummary``."""
    from planner.services import planning

    ctx = build_context(settings)
    try:
        return planning.run_plan(
            ctx.session_factory,
            actor,
            settings,
            time_limit=time_limit,
            progress=progress,
            should_stop=should_stop,
        )
    finally:
        ctx.close()


@dataclass(frozen=True)
class ImportOutcome:
    """The importer's report (also for a rejected file: then nothing was written), whether the file
    was rejected, and the SHA-256 of the bytes that were read."""

    report: object
    digest: str
    rejected: bool


def import_job(
    progress: Progress,
    should_stop: ShouldStop,
    settings: Settings,
    actor: Actor,
    kind: str,
    path: str,
    dry_run: bool,
    expected_sha256: str | None = None,
) -> ImportOutcome:
    """Read ``path`` and import it (or check it, with ``dry_run``) in one unit of work, committed
    only when it succeeds. With ``expected_sha256`` a file that changed since it was checked is
    refused (``InvalidInput``) before anything is written."""
    from planner.errors import InvalidInput
    from planner.imports import ImportRejected, import_file

    source = Path(path)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and digest != expected_sha256:
        raise InvalidInput(f"{source.name} changed after it was checked; check it again before importing")
    ctx = build_context(settings)
    try:
        with ctx.uow(write=not dry_run) as uow:
            try:
                report = import_file(
                    uow,
                    actor,
                    kind,
                    data,
                    name=source.name,
                    dry_run=dry_run,
                    progress=progress,
                    should_stop=should_stop,
                )
            except ImportRejected as rejected:
                return ImportOutcome(rejected.report, digest, True)
            if not dry_run:
                uow.commit()
            return ImportOutcome(report, digest, False)
    finally:
        ctx.close()


@dataclass(frozen=True)
class PreparedDatabase:
    """What ``prepare_database_job`` did: ``"ready"``, ``"migrated"`` or ``"demo"`` (with accounts)."""

    outcome: str
    accounts: tuple[str, ...] = ()


def prepare_database_job(progress: Progress, should_stop: ShouldStop, settings: Settings) -> PreparedDatabase:
    """Before the window opens: migrate an older database to the newest schema; on a new SQLite
    file create the demo database (schema, demo accounts, demo data). A shared (PostgreSQL)
    database that was never initialised is refused: an admin runs ``init`` there."""
    from planner.db import is_sqlite
    from planner.errors import PlannerError
    from planner.migrate import current_revision, head_revision
    from planner.services import setup

    ctx = build_context(settings)
    try:
        revision = current_revision(ctx.engine)
        if revision == head_revision():
            return PreparedDatabase("ready")
        if revision is not None:
            progress(0.1, "migrating the database to the newest schema")
            setup.initialize(ctx, admin=None, password=None)
            return PreparedDatabase("migrated")
        if not is_sqlite(ctx.engine):
            raise PlannerError(
                "this shared database is not initialised: an admin runs 'charter-planner init'"
            )
        return PreparedDatabase("demo", tuple(setup.initialize_demo(ctx, progress=progress)))
    finally:
        ctx.close()
