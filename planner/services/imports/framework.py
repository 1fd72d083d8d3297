"""The one import pipeline every kind (roster, verification, flights, facilities) runs through.

``run_import`` does, in order, inside the caller's unit of work:

1. ``authorize`` (admin only; a refusal is audited);
2. read and strictly decode the file (``reader.decode``: the given encoding, or detected), check
   the header;
3. ``Importer.load``: preload what the checks need, one query per table, no per-row SELECT;
4. parse every field of every record (``Column``), then ``Importer.check_row`` (cross-field and
   database checks of one row) and the in-file duplicate check (``Importer.unique_key``);
5. ``Importer.check_rows`` (checks across rows, e.g. family groups) and ``Importer.plan``
   (compare with the database: each valid row is new, updated or unchanged);
6. any error -> ``ImportRejected`` (an ``InvalidInput``: exit 2) carrying the full ``ImportReport``,
   with nothing written; a dry run -> the report, nothing written;
   every report names the encoding used, its warnings (e.g. "not UTF-8") and a preview of the
   decoded text of the first rows (``Importer.preview_columns``), so an officer sees the names
   before writing;
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
from typing import Any, ClassVar, Literal, TypedDict, Unpack

import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput, PlannerError
from planner.domain.fields import Column, RowError, record_parser
from planner.domain.wording import plural
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
#: Rows in a report's preview of decoded names, and records looked at to find non-ASCII ones.
PREVIEW_ROWS = 5
PREVIEW_SCAN = 10_000


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
    ``documents_created``). ``errors`` are in line order; ``error_lines()`` formats them.
    ``encoding`` is the display name of the encoding used (``"Windows-1252"``), ``warnings`` what
    the officer should know about the reading, ``preview`` ``(line, text)`` of the decoded
    name-like columns of a few rows (those with non-ASCII letters first)."""

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
    warnings: tuple[str, ...] = ()
    preview: tuple[tuple[int, str], ...] = ()
    #: What the import did beyond the counts, one line each (e.g. the requests a response closed).
    notes: tuple[str, ...] = ()

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
            f"({plural(self.rows, 'row')}: {self.counts()})"
        )

    def summary(self) -> str:
        """One or two lines for the command line and the wizard's last page."""
        extra = "".join(f"; {k.replace('_', ' ')}: {v}" for k, v in self.details.items() if v)
        head = f"{self.source} ({self.encoding}, {self.delimiter!r}): {self.kind}, {plural(self.rows, 'row')}: {self.counts()}{extra}"
        head += "".join(f"\n{note}" for note in self.notes)
        if self.dry_run:
            return f"dry run, nothing written — {head}"
        if not self.changes:
            return f"{head}\nnothing to change: the database already holds this file"
        return head

    def preview_lines(self, max_warnings: int = 20) -> list[str]:
        """The encoding, the warnings (the first ``max_warnings``) and the preview of decoded names,
        one line each."""
        lines = [f"encoding: {self.encoding}", *(f"warning: {w}" for w in self.warnings[:max_warnings])]
        if len(self.warnings) > max_warnings:
            lines.append(f"… and {len(self.warnings) - max_warnings} more warnings")
        if self.preview:
            lines.append(f"decoded as {self.encoding}, first rows:")
            lines.extend(f"  line {line}: {text}" for line, text in self.preview)
        return lines


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
    #: Columns whose decoded text a dry run previews (names, codes), in this order.
    preview_columns: ClassVar[tuple[str, ...]] = ()
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
        #: Per-row warnings for the report ("line 4: …"): accepted, but the officer should know.
        self.warnings: list[str] = []
        #: Lines for the report's ``notes`` (what the import did beyond the counts).
        self.notes: list[str] = []
        #: The columns the file's header names (set before the rows are read; an
        #: ``optional_column`` the file leaves out is absent here).
        self.file_columns: frozenset[str] = frozenset()

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


class _Preview:
    """``PREVIEW_ROWS`` records' ``columns`` as text: the first ones with non-ASCII text (among the
    first ``PREVIEW_SCAN`` records), then the first others, in line order."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self.plain: list[tuple[int, str]] = []
        self.accented: list[tuple[int, str]] = []
        self.seen = 0

    def add(self, record: reader.Record) -> None:
        self.seen += 1
        if not self.columns or len(self.accented) >= PREVIEW_ROWS or self.seen > PREVIEW_SCAN:
            return
        values = [value for name in self.columns if (value := record.values.get(name, "").strip())]
        text = " · ".join(values)
        if not all(value.isascii() for value in values):
            self.accented.append((record.line, text))
        elif len(self.plain) < PREVIEW_ROWS:
            self.plain.append((record.line, text))

    def rows(self) -> tuple[tuple[int, str], ...]:
        chosen = self.accented + self.plain[: max(0, PREVIEW_ROWS - len(self.accented))]
        return tuple(sorted(chosen))


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


class ImportOptions(TypedDict, total=False):
    """The keyword options of ``run_import`` (and ``import_file``)."""

    #: The file name used in messages (default: the path as given).
    name: str | None
    #: Check and count only; write nothing.
    dry_run: bool
    progress: Progress | None
    should_stop: ShouldStop | None
    #: A codec name to decode the file in strictly (``None``: detected, see ``reader``).
    encoding: str | None
    #: ``country-rules`` only (``import_file``): write rules even when they make people on approved
    #: manifests ineligible (the impact is audited); ``run_import`` itself ignores it.
    accept_impact: bool


def run_import(
    importer_class: type[Importer],
    uow: UnitOfWork,
    actor: Actor,
    source: Path | str | bytes,
    **options: Unpack[ImportOptions],
) -> ImportReport:
    """Validate ``source`` (a path or the file's bytes) and, unless ``dry_run``, apply it in ``uow``
    (``options``: ``ImportOptions``). Raises
    ``PermissionDenied`` for non-admins, ``InvalidInput`` for an unreadable file or unknown encoding,
    ``ImportRejected`` (with the report) when any row is invalid, ``ImportCancelled`` on request.
    Commits ``uow`` when it wrote the file (never after a dry run or a rejection).
    """
    kind = importer_class.kind
    name, dry_run = options.get("name"), options.get("dry_run", False)
    authorize(uow, actor, Role.ADMIN, f"import {kind}")
    source_name = name or (str(source) if not isinstance(source, bytes) else f"{kind}.csv")
    with bulk_mode(uow):
        report = _pipeline(
            importer_class(uow, actor, source_name),
            source,
            dry_run,
            options.get("progress") or _quiet,
            options.get("should_stop") or _never,
            options.get("encoding"),
        )
    if not dry_run:
        uow.commit()
    return report


def _pipeline(
    importer: Importer,
    source: Path | str | bytes,
    dry_run: bool,
    progress: Progress,
    should_stop: ShouldStop,
    encoding: str | None = None,
) -> ImportReport:
    """Steps 2–7 of the module docstring (``run_import`` has authorised the actor)."""
    kind, source_name, uow = importer.kind, importer.source, importer.uow

    def stop_if_asked() -> None:
        if should_stop():
            raise ImportCancelled(f"{kind} import cancelled; nothing was written")

    progress(0.0, f"reading {source_name}")
    data = _read_source(source)
    decoded = reader.decode(data, encoding)
    del data
    error_list: list[RowError] = list(decoded.errors)
    errors = ErrorSink(error_list)
    preview = _Preview(importer.preview_columns)

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
            warnings=(*decoded.warnings, *importer.warnings),
            preview=preview.rows(),
            notes=tuple(importer.notes),
        )

    delimiter = ","
    if decoded.text is None:
        raise ImportRejected(report(0, [], written=False, details={}))

    if not dry_run:
        _lock_tables(uow, importer.writes)
    importer.load()
    columns = importer.columns()
    records = reader.Records(
        decoded.text, [c.name for c in columns], error_list, [c.name for c in columns if c.optional_column]
    )
    importer.file_columns = frozenset(records.header)
    delimiter = records.delimiter
    total_lines = max(1, records.estimated_lines)
    rows: list[Row] = []
    seen: dict[Hashable, int] = {}
    count = 0
    parse = record_parser(columns)  # planner.domain.fields.parse_record, set up once
    for record in records:
        count += 1
        if count % PROGRESS_EVERY == 0:
            stop_if_asked()
            progress(0.05 + 0.55 * record.line / total_lines, f"checking line {record.line:,}")
        if count <= PREVIEW_SCAN:
            preview.add(record)
        values = parse(record.line, record.values, error_list)
        if values is None:
            continue
        row = Row(record.line, values)
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
    decoded = reader.Decoded(None, decoded.encoding, [], decoded.warnings)  # free the text
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
