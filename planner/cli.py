"""Command line over the same services as the window (DESIGN.md, "Command line").

Exit codes: 0 success, 2 invalid input (nothing written), 1 any other failure. Errors are one
line on stderr; tracebacks go to the log file only.

Each command is a small ``cmd_*`` function taking ``(ctx, args)`` and returning an exit code;
``build_parser`` wires them. The acting user comes from ``CHARTER_USER`` (default: the operating
system account name) and ``CHARTER_PASSWORD`` (prompted when absent and a terminal is present).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from planner import __version__
from planner.auth import Actor
from planner.context import AppContext, build_context
from planner.errors import AuthenticationFailed, InvalidInput, PlannerError
from planner.settings import Settings, load_settings
from planner.uow import run_in_transaction

log = logging.getLogger(__name__)

Command = Callable[[AppContext, argparse.Namespace], int]


# ---------------------------------------------------------------- helpers


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _password_from_env_or_prompt(prompt: str, *, confirm: bool = False) -> str:
    password = os.environ.get("CHARTER_PASSWORD")
    if password:
        return password
    if not _interactive():
        raise InvalidInput("no password: set CHARTER_PASSWORD or run from a terminal")
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat password: ") != password:
        raise InvalidInput("the two passwords differ")
    return password


def acting_username() -> str:
    return os.environ.get("CHARTER_USER") or getpass.getuser()


def login(ctx: AppContext) -> Actor:
    """Authenticate the acting user (every attempt is audited)."""
    from planner.services import users

    username = acting_username()
    password = _password_from_env_or_prompt(f"Password for {username}: ")
    with ctx.uow() as uow:
        return users.authenticate(uow, username, password)


class ProgressPrinter:
    """A ``progress(fraction, message)`` callable that draws a bar on a terminal's stderr
    and prints nothing when stderr is not a terminal."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = -1

    def __call__(self, fraction: float, message: str = "") -> None:
        if not self.enabled:
            return
        percent = max(0, min(100, int(fraction * 100)))
        if percent == self._last and fraction < 1:
            return
        self._last = percent
        bar = "#" * (percent // 4)
        self.stream.write(f"\r[{bar:<25}] {percent:3d}% {message[:50]:<50}")
        if fraction >= 1:
            self.stream.write("\n")
        self.stream.flush()


def _require_current_schema(ctx: AppContext) -> None:
    from planner.migrate import current_revision, head_revision

    current = current_revision(ctx.engine)
    where = ctx.engine.url.render_as_string(hide_password=True)
    if current is None:
        raise PlannerError(f"{where} is not a Charter Planner database yet: run 'init --admin NAME'")
    if current != head_revision():
        raise PlannerError(f"{where} has an older schema ({current}): run 'init' to migrate it")


# ---------------------------------------------------------------- commands


def cmd_init(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import setup

    password = None
    if args.admin:
        password = _password_from_env_or_prompt(f"Password for new admin {args.admin}: ", confirm=True)
    report = setup.initialize(ctx, admin=args.admin, password=password)
    print(
        f"database ready at schema {report.revision_after}"
        + (f" (was {report.revision_before})" if report.revision_before != report.revision_after else "")
        + f"; {report.airports_added} airports and {report.rules_added} country rules added"
        + (f"; admin {args.admin} created" if report.admin_created else "")
    )
    return 0


def cmd_user_add(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import users

    actor = login(ctx)
    new_password = os.environ.get("CHARTER_NEW_PASSWORD")
    if not new_password:
        if not _interactive():
            raise InvalidInput("no password for the new user: set CHARTER_NEW_PASSWORD")
        new_password = getpass.getpass(f"Password for new user {args.name}: ")
        if getpass.getpass("Repeat password: ") != new_password:
            raise InvalidInput("the two passwords differ")
    created = run_in_transaction(
        ctx.session_factory,
        lambda uow: users.create_user(
            uow,
            actor,
            username=args.name,
            role=args.role,
            password=new_password,
            display_name=args.display_name or "",
        ),
    )
    print(f"user {created.username} added as {created.role.value}")
    return 0


def cmd_demo(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import demo

    actor = login(ctx)
    report = run_in_transaction(
        ctx.session_factory,
        lambda uow: demo.generate_demo(
            uow, actor, people=args.people, flights=args.flights, seed=args.seed, progress=ProgressPrinter()
        ),
    )
    print(report.summary())
    return 0


def cmd_audit_verify(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import audit_log

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        report = audit_log.verify(uow, actor)
    if report.ok:
        print(f"audit chain intact: {report.events_checked} events")
        return 0
    print(f"audit chain BROKEN at event {report.first_broken_id}: {report.message}", file=sys.stderr)
    return 1


# ---------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """Usage errors are invalid input: exit 2 with one line (argparse's own convention)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="charter-planner",
        description="Plan return charter flights. Without a command, opens the window.",
    )
    parser.add_argument(
        "--db", metavar="PATH_OR_URL", help="SQLite file or postgresql+psycopg:// URL (env CHARTER_DB)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("init", help="create or migrate the database; create the first admin")
    p.add_argument(
        "--admin", metavar="NAME", help="user name of the first admin (password from CHARTER_PASSWORD)"
    )
    p.set_defaults(func=cmd_init)

    user = sub.add_parser("user", help="manage users (admin)")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True, parser_class=_Parser)
    p = user_sub.add_parser("add", help="add a user (password from CHARTER_NEW_PASSWORD or prompt)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=["officer", "supervisor", "admin"])
    p.add_argument("--display-name", default="")
    p.set_defaults(func=cmd_user_add)

    p = sub.add_parser("demo", help="fill the database with synthetic, realistic data (admin)")
    p.add_argument("--people", type=int, default=2000, metavar="N")
    p.add_argument("--flights", type=int, default=40, metavar="M")
    p.add_argument("--seed", type=int, default=1, metavar="S")
    p.set_defaults(func=cmd_demo)

    a = sub.add_parser("audit", help="audit log")
    a_sub = a.add_subparsers(dest="audit_command", metavar="ACTION", required=True, parser_class=_Parser)
    p = a_sub.add_parser("verify", help="check the hash chain; exit 1 on tampering")
    p.set_defaults(func=cmd_audit_verify)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


#: Modules contributing commands, each with ``register(subparsers)`` adding its own sub-parsers
#: with ``set_defaults(func=...)``. Imported when the parser is built (they import this module).
COMMAND_MODULES = (
    "planner.imports.commands",
    "planner.planning_cli",
    "planner.manifests.commands",
    "planner.reliability_cli",
)


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
            _require_current_schema(ctx)
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
