"""What every command group shares: the acting user's sign-in, the progress bar, the parser class.

Importing this module (and building any group's parser) loads no database, solver or PDF library:
those load inside the commands (``lazy_command``, or imports in the command's body).

The acting user comes from ``CHARTER_USER`` (default: the operating system account name) and
``CHARTER_PASSWORD`` (prompted when absent and a terminal is present).
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from planner.domain.errors import InvalidInput, PlannerError

if TYPE_CHECKING:  # the database layer loads when a command runs, not to parse (``--help`` stays light)
    from planner.persistence.context import AppContext
    from planner.services.auth import Actor

#: A command: ``(ctx, args) -> exit code``; set on its sub-parser with ``set_defaults(func=...)``.
Command = Callable[["AppContext", argparse.Namespace], int]
#: ``argparse``'s sub-parser collection each group's ``register`` adds its commands to.
SubParsers = argparse._SubParsersAction


def lazy_command(module: str, name: str) -> Command:
    """The command ``name`` of ``planner.entrypoints.cli.<module>``, imported only when it runs
    (so building the parsers, and ``--help``, stays light)."""

    def run(ctx: AppContext, args: argparse.Namespace) -> int:
        command: Command = getattr(importlib.import_module(f"planner.entrypoints.cli.{module}"), name)
        return command(ctx, args)

    return run


def interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def password_from_env_or_prompt(prompt: str, *, confirm: bool = False) -> str:
    password = os.environ.get("CHARTER_PASSWORD")
    if password:
        return password
    if not interactive():
        raise InvalidInput("no password: set CHARTER_PASSWORD or run from a terminal")
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat password: ") != password:
        raise InvalidInput("the two passwords differ")
    return password


def acting_username() -> str:
    return os.environ.get("CHARTER_USER") or getpass.getuser()


def login(ctx: AppContext) -> Actor:
    """Authenticate the acting user (every attempt is audited). With a PostgreSQL URL that names
    no user, sign in as the user's own database login (the server checks the password), then
    check the schema."""
    from planner.services import users

    username = acting_username()
    password = password_from_env_or_prompt(f"Password for {username}: ")
    if ctx.signs_in_to_database:
        from planner.services import database_sign_in

        database_sign_in.connect(ctx, username, password)
        require_current_schema(ctx)
        with ctx.uow() as uow:
            return database_sign_in.signed_in_actor(uow)
    with ctx.uow() as uow:
        return users.authenticate(uow, username, password)


class ProgressPrinter:
    """A ``progress(fraction, message)`` callable that draws a bar on a terminal's stderr
    and prints nothing when stderr is not a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
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


def require_current_schema(ctx: AppContext) -> None:
    from planner.persistence.migrate import current_revision, head_revision

    current = current_revision(ctx.engine)
    where = ctx.engine.url.render_as_string(hide_password=True)
    if current is None:
        raise PlannerError(f"{where} is not a Charter Planner database yet: run 'init --admin NAME'")
    if current != head_revision():
        raise PlannerError(f"{where} has an older schema ({current}): run 'init' to migrate it")


class Parser(argparse.ArgumentParser):
    """Usage errors are invalid input: exit 2 with one line (argparse's own convention)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")
