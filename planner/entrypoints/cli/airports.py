"""``airports add`` / ``airports list`` / ``airports show``: the world's airports (the shipped
dataset) and the ones an admin added (``planner.services.airports``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from planner.entrypoints.cli.common import Parser, SubParsers, login

if TYPE_CHECKING:
    from planner.persistence.context import AppContext
    from planner.services.airports import AirportInfo


def _line(a: AirportInfo) -> str:
    mark = "*" if a.source == "admin" else " "
    return f"{a.iata}{mark} {a.country}  {a.timezone:<30} {a.city[:30]:<30} {a.name}"


def cmd_airports_add(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.persistence.uow import run_in_transaction
    from planner.services import airports

    actor = login(ctx)
    added = run_in_transaction(
        ctx.session_factory,
        lambda uow: airports.add_airport(
            uow,
            actor,
            airports.NewAirport(
                args.iata,
                name=args.name,
                city=args.city,
                country=args.country,
                timezone=args.timezone,
                latitude=args.lat,
                longitude=args.lon,
            ),
        ),
    )
    print(f"airport {airports.describe(added)} added ({added.timezone})")
    return 0


def cmd_airports_list(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import airports

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        found = airports.search_airports(uow, actor, args.text or "", args.limit or None)
    for a in found:
        print(_line(a))
    if any(a.source == airports.ADMIN for a in found):
        print("* added by an admin")
    if not found:
        print(f"no airport matches {args.text!r}")
    return 0


def cmd_airports_show(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import airports

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        a = airports.get_airport(uow, actor, args.iata)
        in_database = airports.AirportCatalog.load(uow).stored.get(a.iata) is not None
    where = "the database" if in_database else "the shipped table (copied in when first used)"
    position = (
        f"{a.latitude:.4f}, {a.longitude:.4f}" if a.latitude is not None and a.longitude is not None else "-"
    )
    print(f"code       {a.iata}")
    print(f"name       {a.name}")
    print(f"city       {a.city}")
    print(f"country    {a.country}")
    print(f"time zone  {a.timezone}")
    print(f"position   {position}")
    print(f"source     {'added by an admin' if a.source == airports.ADMIN else 'dataset'}; in {where}")
    return 0


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (no limit) or more")
    return value


def register(sub: SubParsers) -> None:
    group = sub.add_parser("airports", help="the world's airports and the ones an admin added")
    actions = group.add_subparsers(
        dest="airports_command", metavar="ACTION", required=True, parser_class=Parser
    )
    p = actions.add_parser(
        "add", help="add a private or missing airport (admin, audited); shipped airports need no adding"
    )
    p.add_argument("iata", metavar="IATA", help="three letters, not a code of the shipped table")
    p.add_argument("--name", required=True)
    p.add_argument("--city", required=True)
    p.add_argument("--country", required=True, metavar="ISO3", help="ISO 3166-1 alpha-3, e.g. HTI")
    p.add_argument("--timezone", required=True, metavar="ZONE", help="IANA zone, e.g. America/Port-au-Prince")
    p.add_argument("--lat", metavar="X", help="latitude, -90 to 90 (with --lon)")
    p.add_argument("--lon", metavar="Y", help="longitude, -180 to 180 (with --lat)")
    p.set_defaults(func=cmd_airports_add)
    p = actions.add_parser(
        "list", help="search airports by code, name, city or country (* = added by an admin)"
    )
    p.add_argument("text", nargs="?", default="", metavar="TEXT")
    p.add_argument(
        "--limit", type=_limit, default=50, metavar="N", help="at most N lines (0: all; default 50)"
    )
    p.set_defaults(func=cmd_airports_list)
    p = actions.add_parser("show", help="one airport's details")
    p.add_argument("iata", metavar="IATA")
    p.set_defaults(func=cmd_airports_show)
