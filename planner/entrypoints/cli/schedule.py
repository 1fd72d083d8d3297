"""``schedule propose|accept``: the cost-aware mission scheduler (issue 17).

This module only builds the parsers; the commands live in ``schedule_commands``, imported when a
command runs (``--help`` stays light).
"""

from __future__ import annotations

import argparse
from datetime import date

from planner.entrypoints.cli.common import Parser, SubParsers, lazy_command


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _weeks(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 52:
        raise argparse.ArgumentTypeError("must be 1 to 52")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3600")
    return value


def _missions(text: str) -> list[str]:
    names = [part.strip().upper() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one mission, e.g. M1,M3")
    for name in names:
        if not (name.startswith("M") and name[1:].isdigit()):
            raise argparse.ArgumentTypeError(f"{name!r} is not a mission id (M1, M2, …)")
    return names


def register(sub: SubParsers) -> None:
    group = sub.add_parser(
        "schedule",
        help="which missions to fly over the coming weeks at the least total cost (flying + detention)",
    )
    actions = group.add_subparsers(
        dest="schedule_command", metavar="ACTION", required=True, parser_class=Parser
    )
    p = actions.add_parser(
        "propose",
        help="propose missions (officer; stored and audited): cost, bound and gap, beside the flights "
        "already scheduled over the same weeks",
    )
    p.add_argument("--from", dest="from_date", type=_date, metavar="DATE", help="first day (default today)")
    p.add_argument(
        "--weeks",
        type=_weeks,
        metavar="N",
        help="horizon in weeks (default: the office setting schedule_weeks)",
    )
    p.add_argument(
        "--time-limit",
        type=_seconds,
        metavar="S",
        help="solver wall-clock limit in seconds (default: the office setting time_limit)",
    )
    p.add_argument("--json", action="store_true", help="print the proposal as one JSON object")
    p.set_defaults(func=lazy_command("schedule_commands", "cmd_schedule_propose"))
    p = actions.add_parser(
        "accept",
        help="turn missions of a proposal into PLANNED flights (supervisor); assignment planning then "
        "works as for any flight",
    )
    p.add_argument("proposal_id", type=int, metavar="PROPOSAL_ID")
    p.add_argument(
        "--missions", type=_missions, metavar="M1,M2,…", help="the missions to accept (default: all of them)"
    )
    p.set_defaults(func=lazy_command("schedule_commands", "cmd_schedule_accept"))
