"""``user add``: add an account (admin)."""

from __future__ import annotations

import argparse
import getpass
import os
from typing import TYPE_CHECKING

from planner.domain.errors import InvalidInput
from planner.entrypoints.cli.common import Parser, SubParsers, interactive, login

if TYPE_CHECKING:
    from planner.persistence.context import AppContext


def cmd_user_add(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.persistence.uow import run_in_transaction
    from planner.services import users

    actor = login(ctx)
    new_password = os.environ.get("CHARTER_NEW_PASSWORD")
    if not new_password:
        if not interactive():
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


def register(sub: SubParsers) -> None:
    user = sub.add_parser("user", help="manage users (admin)")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True, parser_class=Parser)
    p = user_sub.add_parser("add", help="add a user (password from CHARTER_NEW_PASSWORD or prompt)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=["officer", "supervisor", "admin"])
    p.add_argument("--display-name", default="")
    p.set_defaults(func=cmd_user_add)
