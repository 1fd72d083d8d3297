"""CLI commands of the planner: ``plan``, ``explain``, ``export plan``. Each imports its service
when it runs: OR-Tools, pandas and the PDF library load for ``plan`` only."""

from __future__ import annotations

import argparse
import csv
import io
import json
import signal
from typing import TYPE_CHECKING

from planner.domain.errors import InvalidInput
from planner.entrypoints.cli.common import Parser, ProgressPrinter, login
from planner.files import output_target, write_output

if TYPE_CHECKING:
    from planner.persistence.context import AppContext

#: Plan export columns: the first four as before; ``pickup_airport`` (where the person boards) fifth.
EXPORT_COLUMNS = ("case_number", "flight_id", "stop_airport", "departure_utc", "pickup_airport")


def cmd_plan(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import planning

    actor = login(ctx)
    if args.time_limit is not None and args.time_limit <= 0:
        raise InvalidInput("--time-limit must be a positive number of seconds")
    interrupted = {"stop": False}

    def on_interrupt(_signum: int, _frame: object) -> None:
        interrupted["stop"] = True  # first Ctrl+C: stop the search, keep the best plan found

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        summary = planning.run_plan(
            ctx,
            actor,
            ctx.settings,
            time_limit=args.time_limit,
            progress=ProgressPrinter(),
            should_stop=lambda: interrupted["stop"],
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    print(json.dumps(summary.as_dict(), indent=2, default=str) if args.json else summary.text())
    return 0


def cmd_explain(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import explain

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        print(explain.explain(uow, actor, args.case_number).text())
    return 0


def cmd_export_plan(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.plan_export import assignments_for_export

    out = output_target(args.out)
    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        rows = assignments_for_export(uow, actor)
    text = io.StringIO(newline="")
    if args.format == "csv":
        writer = csv.DictWriter(text, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        json.dump(rows, text, ensure_ascii=False, indent=1)
    write_output(out, text.getvalue().encode("utf-8"))
    print(f"{len(rows):,} assignments written to {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="solve and store a draft plan; print a summary (officer)")
    p.add_argument("--time-limit", type=float, metavar="S", help="solver seconds (default: office setting)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("explain", help="why a person is placed where they are, or why not")
    p.add_argument("case_number", metavar="CASE_NUMBER")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("export", help="export data")
    export_sub = p.add_subparsers(dest="export_what", metavar="WHAT", required=True, parser_class=Parser)
    e = export_sub.add_parser("plan", help="the current draft plan")
    e.add_argument("--format", choices=["csv", "json"], required=True)
    e.add_argument("--out", required=True, metavar="FILE")
    e.set_defaults(func=cmd_export_plan)
