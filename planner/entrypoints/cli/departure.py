"""Departure-day commands of the CLI (issue #12)::

    reserves FLIGHT_ID                                   ranked reserves per stop
    strike FLIGHT_ID CASE_NUMBER --reason CODE [--note TEXT]
    board FLIGHT_ID CASE_NUMBER... | board FLIGHT_ID --file SCANS.txt [--airport IATA]
    close FLIGHT_ID                                      supervisor; refuses with the open cases
    depart FLIGHT_ID [--at ISO8601]                      supervisor; after close
    report struck-off [--from D] [--to D] [--flight F] --out FILE.csv

Arguments are checked before signing in, so bad input exits 2 having written nothing.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from planner.domain.enums import StrikeReason, enum_values
from planner.domain.errors import InvalidInput
from planner.domain.wording import plural
from planner.entrypoints.cli.common import login
from planner.files import write_output

if TYPE_CHECKING:
    from planner.persistence.context import AppContext


def cmd_reserves(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.persistence.models import utc_now
    from planner.services.reserves import list_reserves

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        reserves = list_reserves(uow, actor, args.flight, now=utc_now())
    print(
        f"{reserves.flight_code}: {plural(reserves.people, 'reserve')}, at most {reserves.limit} "
        f"({plural(reserves.seats, 'seat')})"
    )
    for stop in reserves.stops:
        print(f"stop {stop.sequence} {stop.airport} ({stop.country}): {plural(stop.people, 'reserve')}")
        for unit in stop.units:
            family = f" family {unit.family_group}" if unit.family_group else ""
            later = f", placed on {unit.placed_on}" if unit.placed_on else ""
            print(
                f"  {unit.rank:>3}. {', '.join(unit.case_numbers)}{family} (priority {float(unit.mean_priority):.1f}{later})"
            )
    return 0


def cmd_strike(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.departure.strike import parse_reason, strike

    parse_reason(args.reason, args.note)
    actor = login(ctx)
    with ctx.uow() as uow:
        result = strike(uow, actor, args.flight, args.case, args.reason, args.note)
    print(f"struck off {result.flight_code} ({result.reason}): {', '.join(result.struck)}")
    for line in result.moved_up:
        print(f"reserve moved up: {line}")
    if result.manifest is not None:
        print(
            f"{result.flight_code} revision {result.manifest.revision} {result.manifest.status}: "
            f"{result.manifest.person_count} persons; approve it for the new PAXLST"
        )
    return 0


def _scans(args: argparse.Namespace) -> list[str]:
    from planner.services.departure.boarding import read_scans

    if args.file and args.cases:
        raise InvalidInput("give case numbers or --file SCANS.txt, not both")
    if args.file:
        try:
            text = Path(args.file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {args.file}: {exc}") from exc
        cases = read_scans(text)
        if not cases:
            raise InvalidInput(f"{args.file} holds no case numbers")
        return cases
    if not args.cases:
        raise InvalidInput("board FLIGHT_ID needs case numbers or --file SCANS.txt")
    return [c for c in args.cases if c.strip()]


def cmd_board(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.departure.boarding import board

    cases = _scans(args)
    actor = login(ctx)
    with ctx.uow() as uow:
        result = board(uow, actor, args.flight, cases, airport=args.airport)
    print(f"{result.flight_code} at {result.airport}: {len(result.boarded)} boarded")
    for case in result.already:
        print(f"already boarded: {case}")
    return 0


def cmd_close(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.departure.boarding import close

    actor = login(ctx)
    with ctx.uow() as uow:
        result = close(uow, actor, args.flight)
    print(f"{result.flight_code} closed: {result.boarded} boarded, {result.struck} struck off")
    return 0


def _timestamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"--at {text!r} is not an ISO 8601 time") from exc
    if value.utcoffset() is None:
        raise InvalidInput(f"--at {text!r} needs a time zone offset (e.g. +00:00)")
    return value


def cmd_depart(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.departure.depart import depart

    at = _timestamp(args.at)
    actor = login(ctx)
    with ctx.uow() as uow:
        result = depart(uow, actor, args.flight, at=at)  # the margin: the office setting
    print(
        f"{result.flight_code} DEPARTED at {result.departed_at.isoformat()}: {len(result.removed)} removed, "
        f"{len(result.back_to_planning)} back in planning"
    )
    return 0


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"{option} {text!r} is not a date (YYYY-MM-DD)") from exc


def cmd_report(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.departure.report import report_csv, struck_off_report

    date_from, date_to = _date(args.date_from, "--from"), _date(args.date_to, "--to")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(f"--to {date_to} is before --from {date_from}")
    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        report = struck_off_report(uow, actor, date_from=date_from, date_to=date_to, flight_code=args.flight)
    write_output(args.out, report_csv(report).encode("utf-8"))
    counts = ", ".join(f"{reason} {n}" for reason, n in report.counts.items() if n) or "none"
    print(f"{report.total} struck off ({counts}) -> {args.out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``reserves``, ``strike``, ``board``, ``close``, ``depart`` and ``report``."""
    p = subparsers.add_parser("reserves", help="a flight's ranked reserves per stop")
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.set_defaults(func=cmd_reserves)

    p = subparsers.add_parser("strike", help="strike a person (and their family) off a flight, with a reason")
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.add_argument("case", metavar="CASE_NUMBER")
    p.add_argument("--reason", required=True, metavar="CODE", help=" | ".join(enum_values(StrikeReason)))
    p.add_argument("--note", metavar="TEXT", help="free text (required for OTHER)")
    p.set_defaults(func=cmd_strike)

    p = subparsers.add_parser("board", help="record who boarded (case numbers, or a scanner file)")
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.add_argument("cases", nargs="*", metavar="CASE_NUMBER")
    p.add_argument("--file", metavar="SCANS.txt", help="one case number per line (a USB scanner's output)")
    p.add_argument(
        "--airport",
        metavar="IATA",
        help="pickup airport (default: the departure airport; on a route with several pickups, each person's own)",
    )
    p.set_defaults(func=cmd_board)

    p = subparsers.add_parser("close", help="close the doors: everybody boarded or struck off (supervisor)")
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.set_defaults(func=cmd_close)

    p = subparsers.add_parser("depart", help="mark a closed flight departed (supervisor)")
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.add_argument("--at", metavar="ISO8601", help="when it left (default: now)")
    p.set_defaults(func=cmd_depart)

    p = subparsers.add_parser("report", help="reports")
    p.add_argument("kind", choices=["struck-off"], help="struck-off: people struck off flights, by reason")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    p.add_argument("--flight", metavar="FLIGHT_ID")
    p.add_argument("--out", required=True, metavar="FILE.csv")
    p.set_defaults(func=cmd_report)
