"""``init``: create or migrate the database and, with ``--admin``, the first admin."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from planner.domain.wording import plural
from planner.entrypoints.cli.common import SubParsers, password_from_env_or_prompt

if TYPE_CHECKING:
    from planner.persistence.context import AppContext


def cmd_init(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import setup

    password = None
    if args.admin:
        password = password_from_env_or_prompt(f"Password for new admin {args.admin}: ", confirm=True)
    report = setup.initialize(ctx, admin=args.admin, password=password)
    before = report.revision_before
    print(
        f"database ready at schema {report.revision_after}"
        + (("" if before is None else f" (was {before})") if before != report.revision_after else "")
        + (" (new database)" if before is None else "")
        + f"; {plural(report.airports_added, 'airport')} and {plural(report.rules_added, 'country rule')} added"
        + (f"; admin {args.admin} created" if report.admin_created else "")
        + (
            f"; re-created protective triggers {', '.join(report.triggers_recreated)}"
            if report.triggers_recreated
            else ""
        )
    )
    return 0


def register(sub: SubParsers) -> None:
    p = sub.add_parser("init", help="create or migrate the database; create the first admin")
    p.add_argument(
        "--admin", metavar="NAME", help="user name of the first admin (password from CHARTER_PASSWORD)"
    )
    p.set_defaults(func=cmd_init)
