"""``demo``: fill an empty database with synthetic, realistic data (admin)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from planner.entrypoints.cli.common import ProgressPrinter, SubParsers, login

if TYPE_CHECKING:
    from planner.persistence.context import AppContext


def cmd_demo(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.demo import generate as demo
    from planner.persistence.uow import run_in_transaction

    actor = login(ctx)
    report = run_in_transaction(
        ctx.session_factory,
        lambda uow: demo.generate_demo(
            uow, actor, people=args.people, flights=args.flights, seed=args.seed, progress=ProgressPrinter()
        ),
    )
    print(report.summary())
    return 0


def register(sub: SubParsers) -> None:
    p = sub.add_parser("demo", help="fill the database with synthetic, realistic data (admin)")
    p.add_argument("--people", type=int, default=2000, metavar="N")
    p.add_argument("--flights", type=int, default=40, metavar="M")
    p.add_argument("--seed", type=int, default=1, metavar="S")
    p.set_defaults(func=cmd_demo)
