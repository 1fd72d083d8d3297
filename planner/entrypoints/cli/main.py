"""Command line over the same services as the window (docs/design.md, "Command line").

Exit codes: 0 success, 2 invalid input (nothing written), 1 any other failure. Errors are one
line on stderr; tracebacks go to the log file only.

Each command group is a module of this package with ``register(subparsers)``; this module imports
them explicitly, builds the parser and runs one command. The groups import services inside their
command functions, so parsing the arguments (and ``--help``) stays light.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Callable, Sequence

from planner import __version__
from planner.domain.errors import AuthenticationFailed, PlannerError
from planner.entrypoints.cli import (
    audit,
    demo,
    departure,
    imports,
    manifests,
    planning,
    reliability,
    setup,
    users,
)
from planner.entrypoints.cli.common import Parser, require_current_schema
from planner.persistence.context import build_context
from planner.settings import Settings, load_settings

log = logging.getLogger(__name__)

#: The command groups in the order their commands are added (``reliability`` extends ``init``).
COMMAND_GROUPS = (setup, users, demo, audit, imports, planning, manifests, departure, reliability)


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
        if not getattr(args, "func", None):
            if open_window is None:
                parser.print_help(sys.stderr)
                return 2
            return open_window(settings)
        ctx = build_context(settings)
        if args.command != "init":
            require_current_schema(ctx)
        return args.func(ctx, args)
    except AuthenticationFailed as exc:
        print(f"charter-planner: {exc}", file=sys.stderr)
        return exc.exit_code
    except PlannerError as exc:
        print(f"charter-planner: {exc}", file=sys.stderr)
        for line in getattr(exc, "details", [])[:200]:
            if line != str(exc):
                print(line, file=sys.stderr)
        hidden = len(getattr(exc, "details", [])) - 200
        if hidden > 0:
            print(f"… and {hidden} more", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("charter-planner: interrupted; nothing was committed", file=sys.stderr)
        return 1
    except Exception as exc:
        log.exception("unexpected failure in %s", args.command)
        print(f"charter-planner: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if ctx is not None:
            ctx.close()
