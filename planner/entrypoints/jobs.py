"""Long jobs as plain top-level functions, so the window can run them in a separate process
(``ui/process_runner.py``): a child process has its own interpreter, so neither the solver nor
bulk database work can hold the window's GIL.

Every job takes ``(progress, should_stop, *arguments)``, builds its own engine from the
settings (connections never cross processes), and returns plain, picklable data.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from planner.persistence.context import AppContext, build_context
from planner.services.auth import Actor
from planner.settings import Settings
from solver.callbacks import Progress, ShouldStop

if TYPE_CHECKING:  # the services are imported inside the jobs, in the child process that runs them
    from planner.services.imports import ImportReport
    from planner.services.plan_results import FlightLoad, PlanDiff, PlanRunRow, UnplacedRow
    from planner.services.planning import PlanSummary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanOutcome:
    """What ``plan_job`` hands back: the run's summary and, read in the child process right after
    the run was stored, what the window shows first (so it needs no heavy query after a run): the
    run history, the per-flight loads, the first ``unplaced_limit`` people not placed and the
    changes from the previous run (at most ``changes_limit`` listed per kind). ``results`` is None
    when reading them failed (the plan is stored all the same; the window then queries)."""

    summary: PlanSummary
    results: PlanResults | None = None


@dataclass(frozen=True)
class PlanResults:
    """The results of one stored plan run the window shows first (see ``PlanOutcome``)."""

    runs: list[PlanRunRow]
    loads: list[FlightLoad]
    unplaced: list[UnplacedRow]
    unplaced_limit: int
    diff: PlanDiff


def plan_job(
    progress: Progress,
    should_stop: ShouldStop,
    settings: Settings,
    actor: Actor,
    time_limit: float,
    unplaced_limit: int = 5000,
    changes_limit: int | None = 5000,
) -> PlanOutcome:
    """``planning.run_plan`` in this process, then the results the window shows first (see
    ``PlanOutcome``)."""
    from planner.services import planning

    ctx = build_context(settings)
    try:
        summary = planning.run_plan(
            ctx,
            actor,
            settings,
            time_limit=time_limit,
            progress=progress,
            should_stop=should_stop,
        )
        progress(1.0, "reading the results")
        try:
            results = plan_results_of(ctx, actor, summary.plan_run_id, unplaced_limit, changes_limit)
        except Exception:  # the plan is stored: the window reads the results itself
            log.exception("could not read the results of plan run %s", summary.plan_run_id)
            results = None
        return PlanOutcome(summary, results)
    finally:
        ctx.close()


def plan_results_of(
    ctx: AppContext, actor: Actor, plan_run_id: int, unplaced_limit: int, changes_limit: int | None
) -> PlanResults:
    """The run history and ``plan_run_id``'s loads, first unplaced and changes, in one read."""
    from planner.services import plan_results

    with ctx.uow(write=False) as uow:
        return PlanResults(
            runs=plan_results.plan_runs(uow, actor),
            loads=plan_results.flight_loads(uow, actor, plan_run_id),
            unplaced=plan_results.unplaced(uow, actor, plan_run_id, limit=unplaced_limit),
            unplaced_limit=unplaced_limit,
            diff=plan_results.plan_diff(uow, actor, plan_run_id, limit=changes_limit),
        )


@dataclass(frozen=True)
class ImportOutcome:
    """The importer's report (also for a rejected file: then nothing was written), whether the file
    was rejected, and the SHA-256 of the bytes that were read."""

    report: ImportReport
    digest: str
    rejected: bool


@dataclass(frozen=True)
class ImportRequest:
    """What ``import_job`` reads and how: ``encoding`` a codec name (``None``: detected);
    ``expected_sha256`` the digest of the checked file when importing it."""

    kind: str
    path: str
    dry_run: bool
    expected_sha256: str | None = None
    encoding: str | None = None


def import_job(
    progress: Progress, should_stop: ShouldStop, settings: Settings, actor: Actor, request: ImportRequest
) -> ImportOutcome:
    """Read ``request.path`` and import it (or check it, with ``dry_run``) in one unit of work (the
    import commits it only when it succeeds). With ``expected_sha256`` a file that changed since it
    was checked is refused (``InvalidInput``) before anything is written."""
    from planner.domain.errors import InvalidInput
    from planner.services.imports import ImportRejected, import_file

    kind, path, dry_run, expected_sha256 = (
        request.kind,
        request.path,
        request.dry_run,
        request.expected_sha256,
    )
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
                    encoding=request.encoding,
                )
            except ImportRejected as rejected:
                return ImportOutcome(rejected.report, digest, True)
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
    from planner.demo import first_run
    from planner.domain.errors import PlannerError
    from planner.persistence.db import is_sqlite
    from planner.persistence.migrate import current_revision, head_revision
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
        return PreparedDatabase("demo", tuple(first_run.initialize_demo(ctx, progress=progress)))
    finally:
        ctx.close()
