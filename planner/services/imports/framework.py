"""The one import pipeline every kind (roster, verification, flights, facilities) runs through.

``run_import`` does, in order, inside the caller's unit of work:

1. ``authorize`` (admin only; a refusal is audited);
2. read and strictly decode the file (``reader.decode``), check the header;
3. ``Importer.load``: preload what the checks need, one query per table, no per-row SELECT;
4. parse every field of every record (``Column``), then ``Importer.check_row`` (cross-field and
   database checks of one row) and the in-file duplicate check (``Importer.unique_key``);
5. ``Importer.check_rows`` (checks across rows, e.g. family groups) and ``Importer.plan``
   (compare with the database: each valid row is new, updated or unchanged);
6. any error -> ``ImportRejected`` (an ``InvalidInput``: exit 2) carrying the full ``ImportReport``,
   with nothing written; a dry run -> the report, nothing written;
7. otherwise ``Importer.apply`` writes with bulk statements and the audit events (changed fields
   old -> new) are appended, and the unit of work is committed: the whole file is one transaction.

``progress(fraction, message)`` is called now and then; ``should_stop()`` is polled and a true
answer raises ``ImportCancelled`` (nothing is committed).
"""

from __future__ import annotations

import gc
import logging
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput, PlannerError
from planner.domain.fields import Column, RowError, parse_record
from planner.persistence import audit
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.imports import reader
from solver.callbacks import Progress, ShouldStop

log = logging.getLogger(__name__)

Outcome = Literal["new", "updated", "unchanged"]

#: Rows between two progress calls / cancellation polls.
PROGRESS_EVERY = 2000
#: Rows per executemany batch when writing.
WRITE_BATCH = 5000


class ImportRejected(InvalidInput):
    """The file has errors; nothing was written. ``report`` has the counts and every error."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.rejection_message(), report.error_lines())
        self.report = report


class ImportCancelled(PlannerError):
    """``should_stop()`` asked to stop; nothing was committed."""


@dataclass(slots=True)
class Row:
    """A record whose every field parsed: ``values`` maps column name to typed value."""

    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class ImportReport:
    """What an import did or, for a dry run or a rejected file, would do.

    ``rows`` counts the non-blank data records; ``new + updated + unchanged`` are the valid ones,
    ``rejected`` the records with at least one error. ``details`` holds per-entity counts (e.g.
    ``documents_created``). ``errors`` are in line order; ``error_lines()`` formats them."""

    kind: str
    source: str
    encoding: str
    delimiter: str
    rows: int
    new: int
    updated: int
    unchanged: int
    rejected: int
    errors: tuple[RowError, ...]
    dry_run: bool
    written: bool
    details: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> int:
        return self.new + self.updated

    def error_lines(self) -> list[str]:
        return [e.format(self.source) for e in self.errors]

    def counts(self) -> str:
        return f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected"

    def rejection_message(self) -> str:
        lines = {e.line for e in self.errors}
        return (
            f"{self.source}: {self.kind} import rejected, nothing was written: {len(self.errors)} "
            f"error{'s' if len(self.errors) != 1 else ''} on {len(lines)} line{'s' if len(lines) != 1 else ''} "
            f"({self.rows} rows: {self.counts()})"
        )

    def summary(self) -> str:
        """One or two lines for the command line and the wizard's last page."""
        extra = "".join(f"; {k.replace('_', ' ')}: {v}" for k, v in self.details.items() if v)
        head = f"{self.source} ({self.encoding}, {self.delimiter!r}): {self.kind}, {self.rows} rows: {self.counts()}{extra}"
        if self.dry_run:
            return f"dry run, nothing written — {head}"
        if not self.changes:
            return f"{head}\nnothing to change: the database already holds this file"
        return head


class ErrorSink:
    """Collects ``RowError``s; ``bad_lines`` are the lines with at least one error."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors

    def add(self, line: int, column: str, message: str) -> None:
        self.errors.append(RowError(line, column, message))

    @property
    def bad_lines(self) -> set[int]:
        return {e.line for e in self.errors}


class Importer(ABC):
    """One import kind. Subclasses declare ``kind``, ``columns()`` and the four steps.

    Instances live for one import; they keep what ``load`` and ``plan`` found for ``apply``.
    """

    kind: ClassVar[str]
    #: Tables the import writes. On PostgreSQL a real import locks them against other writers
    #: (readers go on) before it reads, so an officer's edit waits for the import instead of
    #: making a long import fail at its last step; SQLite's write lock does the same already.
    writes: ClassVar[tuple[str, ...]]

    def __init__(self, uow: UnitOfWork, actor: Actor, source: str) -> None:
        self.uow = uow
        self.session = uow.session
        self.actor = actor
        self.source = source
        self.events: list[audit.AuditEntry] = []
        #: Per-entity counts for the report (``plan`` fills them, so dry runs show them too).
        self.details: dict[str, int] = {}

    # ---- steps a kind provides

    @abstractmethod
    def load(self) -> None:
        """Preload the database state the checks need (one query per table)."""

    @abstractmethod
    def columns(self) -> Sequence[Column]:
        """The file's columns (called after ``load``, so parsers may use loaded state)."""

    def unique_key(self, row: Row) -> tuple[str, Hashable] | None:
        """``(column to blame, key)``: two rows with the same key are duplicates."""
        return None

    def check_row(self, row: Row, errors: ErrorSink) -> None:  # noqa: B027 - optional hook
        """Cross-field and database checks of one parsed row."""

    def check_rows(self, rows: Sequence[Row], errors: ErrorSink) -> None:  # noqa: B027 - optional hook
        """Checks across rows (family groups, conflicting rows)."""

    @abstractmethod
    def plan(self, rows: Sequence[Row], errors: ErrorSink) -> list[Outcome]:
        """Compare valid rows with the database; one outcome per row; remember what to write."""

    @abstractmethod
    def apply(self, progress: Progress, should_stop: ShouldStop) -> None:
        """Write what ``plan`` found (bulk statements); queue audit events in ``self.events``."""

    # ---- helpers for subclasses

    def event(self, action: str, entity: str, entity_id: str, changes: Mapping[str, Any]) -> None:
        self.events.append(audit.AuditEntry(self.actor.username, action, entity, entity_id, changes))

    def execute_batches(
        self,
        statement: Any,
        rows: Sequence[Mapping[str, Any]],
        progress: Progress,
        should_stop: ShouldStop,
        message: str,
    ) -> None:
        """Write ``rows`` in batches of ``WRITE_BATCH``: ``statement`` is an SQLAlchemy statement
        (``session.execute(statement, batch)``) or a function ``write(batch)`` such as
        ``planner.persistence.bulk.bulk_insert`` bound to a table."""
        write = statement if callable(statement) else (lambda batch: self.session.execute(statement, batch))
        for start in range(0, len(rows), WRITE_BATCH):
            if should_stop():
                raise ImportCancelled(f"{self.kind} import cancelled; nothing was written")
            write(rows[start : start + WRITE_BATCH])
            progress(min(1.0, (start + WRITE_BATCH) / max(1, len(rows))), message)


def _lock_tables(uow: UnitOfWork, tables: Sequence[str]) -> None:
    """PostgreSQL: block other writers of ``tables`` (not readers) until this transaction ends."""
    if uow.dialect == "postgresql" and tables:
        names = ", ".join(f'"{name}"' for name in tables)
        uow.session.execute(sa.text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))


def _read_source(source: Path | str | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {source}: {exc.strerror or exc}") from None


def _parse_record(record: reader.Record, columns: Sequence[Column], errors: ErrorSink) -> Row | None:
    """The record's typed values by ``columns`` (``planner.domain.fields.parse_record``)."""
    values = parse_record(record.line, record.values, columns, errors.errors)
    return Row(record.line, values) if values is not None else None


@contextmanager
def bulk_mode(uow: UnitOfWork) -> Iterator[None]:
    """Settings for one big import: the cyclic garbage collector paused (hundreds of thousands of
    small objects made it rescan the heap again and again) and, on SQLite, a page cache of up to
    128 MB so index pages of a large transaction stay in memory. Both are restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    sqlite = uow.dialect == "sqlite"
    connection = uow.session.connection()
    if sqlite:
        previous = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        connection.exec_driver_sql("PRAGMA cache_size=-131072")
    try:
        yield
    finally:
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")
        if was_enabled:
            gc.enable()


def _never() -> bool:
    return False


def _quiet(_fraction: float, _message: str = "") -> None:
    return None


def run_import(
    importer_class: type[Importer],
    uow: UnitOfWork,
    actor: Actor,
    source: Path | str | bytes,
    *,
    name: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> ImportReport:
    """Validate ``source`` (a path or the file's bytes) and, unless ``dry_run``, apply it in ``uow``.

    ``name`` is the file name used in messages (default: the path as given). Raises
    ``PermissionDenied`` for non-admins, ``InvalidInput`` for an unreadable file,
    ``ImportRejected`` (with the report) when any row is invalid, ``ImportCancelled`` on request.
    Commits ``uow`` when it wrote the file (never after a dry run or a rejection).
    """
    kind = importer_class.kind
    authorize(uow, actor, Role.ADMIN, f"import {kind}")
    source_name = name or (str(source) if not isinstance(source, bytes) else f"{kind}.csv")
    with bulk_mode(uow):
        report = _pipeline(
            importer_class(uow, actor, source_name),
            source,
            dry_run,
            progress or _quiet,
            should_stop or _never,
        )
    if not dry_run:
        uow.commit()
    return report


def _pipeline(
    importer: Importer, source: Path | str | bytes, dry_run: bool, progress: Progress, should_stop: ShouldStop
) -> ImportReport:
    """Steps 2–7 of the module docstring (``run_import`` has authorised the actor)."""
    kind, source_name, uow = importer.kind, importer.source, importer.uow

    def stop_if_asked() -> None:
        if should_stop():
            raise ImportCancelled(f"{kind} import cancelled; nothing was written")

    progress(0.0, f"reading {source_name}")
    data = _read_source(source)
    decoded = reader.decode(data)
    del data
    error_list: list[RowError] = list(decoded.errors)
    errors = ErrorSink(error_list)

    def report(
        rows: int, outcomes: Iterable[Outcome], *, written: bool, details: Mapping[str, int]
    ) -> ImportReport:
        tally = {"new": 0, "updated": 0, "unchanged": 0}
        for outcome in outcomes:
            tally[outcome] += 1
        return ImportReport(
            kind=kind,
            source=source_name,
            encoding=decoded.encoding,
            delimiter=delimiter,
            rows=rows,
            new=tally["new"],
            updated=tally["updated"],
            unchanged=tally["unchanged"],
            rejected=len({e.line for e in error_list if e.line > 1}),
            errors=tuple(sorted(error_list, key=lambda e: e.line)),
            dry_run=dry_run,
            written=written,
            details=dict(details),
        )

    delimiter = ","
    if decoded.text is None:
        raise ImportRejected(report(0, [], written=False, details={}))

    if not dry_run:
        _lock_tables(uow, importer.writes)
    importer.load()
    columns = importer.columns()
    records = reader.Records(decoded.text, [c.name for c in columns], error_list)
    delimiter = records.delimiter
    total_lines = max(1, records.estimated_lines)
    rows: list[Row] = []
    seen: dict[Hashable, int] = {}
    count = 0
    for record in records:
        count += 1
        if count % PROGRESS_EVERY == 0:
            stop_if_asked()
            progress(0.05 + 0.55 * record.line / total_lines, f"checking line {record.line:,}")
        row = _parse_record(record, columns, errors)
        if row is None:
            continue
        before = len(error_list)
        importer.check_row(row, errors)
        key = importer.unique_key(row)
        if key is not None:
            column, value = key
            first = seen.setdefault(value, row.line)
            if first != row.line:
                errors.add(row.line, column, f"duplicate of line {first}")
        if len(error_list) == before:
            rows.append(row)
    decoded = reader.Decoded(None, decoded.encoding, [])  # free the text
    del records
    stop_if_asked()
    progress(0.62, "checking across rows")
    importer.check_rows(rows, errors)
    bad = errors.bad_lines
    if bad:
        rows = [r for r in rows if r.line not in bad]
    progress(0.66, "comparing with the database")
    outcomes = importer.plan(rows, errors)
    if error_list:
        bad = errors.bad_lines
        kept = [o for r, o in zip(rows, outcomes, strict=True) if r.line not in bad]
        raise ImportRejected(report(count, kept, written=False, details=importer.details))
    if dry_run:
        progress(1.0, "dry run complete")
        return report(count, outcomes, written=False, details=importer.details)
    del rows  # the importer keeps what it needs; free the rest before writing
    stop_if_asked()

    def apply_progress(fraction: float, message: str) -> None:
        progress(0.7 + 0.25 * fraction, message)

    importer.apply(apply_progress, should_stop)
    details = importer.details
    if importer.events:
        stop_if_asked()
        progress(0.96, f"auditing {len(importer.events):,} changes")
        importer.event(
            f"import.{kind}",
            "import",
            Path(source_name).name[-audit.ENTITY_ID_LENGTH :],
            {"file": source_name, "encoding": decoded.encoding, "rows": count, **details},
        )
        audit.record_many(uow, importer.events, returning=False)
    uow.flush()
    result = report(count, outcomes, written=bool(importer.events), details=details)
    log.info("%s", result.summary())
    progress(1.0, "done")
    return result
