"""Command line over the same services as the window (docs/design.md, "Command line").

Exit codes: 0 success, 2 invalid input (nothing written), 1 any other failure, 141 (128 + SIGPIPE,
as a shell reports a program its pipe reader left) when standard output was closed early, e.g.
``plan | head -1`` (the command's work is done and committed; only its printout is cut short).
Errors are one line on stderr; tracebacks go to the log file only.

At start every run makes new files private (umask 077), tightens the modes of an existing data
folder and SQLite database, and removes the temporary copies a killed backup or restore left.

Each command group is a module of this package with ``register(subparsers)``; this module imports
them explicitly, builds the parser and runs one command. The groups import services inside their
command functions (or through ``common.lazy_command``), and this module imports the database layer
only once a command runs, so parsing the arguments (and ``--help``) loads no database, solver, data
frame or PDF library (tests/integration/test_cli_light_imports.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from planner import __version__
from planner.domain.errors import AuthenticationFailed, PlannerError
from planner.entrypoints.cli import (
    airports,
    audit,
    demo,
    departure,
    imports,
    manifests,
    office,
    planning,
    reliability,
    requests,
    rules,
    schedule,
    setup,
    users,
)
from planner.entrypoints.cli.common import Parser, require_current_schema
from planner.files import (
    BACKUP_TEMP_PREFIX,
    RESTORE_TEMP_PREFIX,
    output_target,
    remove_stale_temporaries,
    restrict_new_files,
    tighten_modes,
)
from planner.settings import Settings, load_settings

log = logging.getLogger(__name__)

#: The command groups in the order their commands are added (``reliability`` extends ``init``).
COMMAND_GROUPS = (
    setup,
    users,
    demo,
    audit,
    imports,
    planning,
    manifests,
    departure,
    office,
    reliability,
    airports,
    rules,
    requests,
    schedule,
)

#: The exit code of a command whose standard output was closed early (128 + SIGPIPE).
EXIT_PIPE_CLOSED = 141


def database_file(settings: Settings) -> Path | None:
    """The SQLite file ``settings`` name (None for PostgreSQL or an in-memory database)."""
    import sqlalchemy as sa  # here, not at the top: ``--help`` loads no database library

    from planner.persistence.db import normalise_url

    try:
        url = sa.engine.make_url(normalise_url(settings.database))
    except sa.exc.ArgumentError:
        return None  # not a URL: building the engine says so
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


def secure_files(settings: Settings) -> None:
    """New files private (umask 077); an existing data folder 0700 and database 0600; the
    temporary copies a killed backup or restore left in the data or database folder removed."""
    restrict_new_files()
    database = database_file(settings)
    tighten_modes(settings.data_dir, database)
    folders = {settings.data_dir, *([database.parent] if database is not None else [])}
    for folder in folders:
        remove_stale_temporaries(folder, (BACKUP_TEMP_PREFIX, RESTORE_TEMP_PREFIX))


def _stdout_closed() -> int:
    """Standard output's reader is gone: point it at devnull (so the flush at exit cannot fail
    again, as the Python docs advise) and return ``EXIT_PIPE_CLOSED``."""
    log.info("standard output was closed early; the rest of the printout is dropped")
    with_fd = getattr(sys.stdout, "fileno", None)
    try:
        fd = with_fd() if with_fd is not None else None
    except (OSError, ValueError):
        fd = None
    if fd is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    return EXIT_PIPE_CLOSED


def _failure(exc: Exception, command: str | None) -> int:
    """Print why ``command`` failed (one line, plus an import's row errors) and return its exit code."""
    from planner.persistence import server_refusals

    exc = server_refusals.as_planner_error(exc) or exc
    if isinstance(exc, AuthenticationFailed):
        print(f"charter-planner: {exc}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, PlannerError):
        print(f"charter-planner: {exc}", file=sys.stderr)
        details = getattr(exc, "details", [])
        for line in details[:200]:
            if line != str(exc):
                print(line, file=sys.stderr)
        if len(details) > 200:
            print(f"… and {len(details) - 200} more", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, OSError) and exc.filename is not None:
        log.info("%s: %s", command, exc, exc_info=True)
        return _file_error(exc)
    log.exception("unexpected failure in %s", command)
    print(f"charter-planner: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1


def _file_error(exc: OSError) -> int:
    """One line for a file the command could not use; exit 2 when the path itself is wrong."""
    where = exc.filename or "a file"
    print(f"charter-planner: cannot use {where}: {exc.strerror or exc}", file=sys.stderr)
    bad_path = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)
    return 2 if isinstance(exc, bad_path) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="charter-planner",
        description="Plan return charter flights. Without a command, opens the window.",
    )
    parser.add_argument(
        "--db", metavar="PATH_OR_URL", help="SQLite file or postgresql+psycopg:// URL (env CHARTER_DB)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def run(
    argv: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
    open_window: Callable[[Settings], int] | None = None,
) -> int:
    """Parse ``argv`` and run one command; without a command call ``open_window(settings)``.

    Returns the exit code (never raises for user errors)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        logging.getLogger().setLevel(logging.DEBUG)
    ctx = None
    try:
        settings = settings or load_settings()
        if args.db:
            settings = dataclasses.replace(settings, db=args.db)
        secure_files(settings)
        if not getattr(args, "func", None):
            if open_window is None:
                parser.print_help(sys.stderr)
                return 2
            return open_window(settings)
        if isinstance(getattr(args, "out", None), str):
            output_target(args.out)  # a folder or a missing folder: one line before any work
        from planner.persistence.context import build_context

        ctx = build_context(settings)
        if args.command != "init" and not ctx.signs_in_to_database:  # else after the sign-in
            require_current_schema(ctx)
        code = args.func(ctx, args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except KeyboardInterrupt:
        print("charter-planner: interrupted; nothing was committed", file=sys.stderr)
        return 1
    except Exception as exc:
        return _failure(exc, args.command)
    finally:
        if ctx is not None:
            ctx.close()
