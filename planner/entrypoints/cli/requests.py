"""``verification request|status|remind`` and ``travel-docs request``: requests to receiving states.

This module only builds the parsers; the commands live in ``request_batches`` (creating batches)
and ``request_status`` (status and reminder letters), imported when a command runs.
"""

from __future__ import annotations

import argparse

from planner.entrypoints.cli.common import Parser, SubParsers, lazy_command


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _request_arguments(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--country", required=True, metavar="ISO3", help="the receiving state, e.g. CHN")
    p.add_argument(
        "--limit",
        type=_positive,
        metavar="N",
        help=f"at most N people (most urgent first; families whole); default all {what}",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE.csv",
        help="the request CSV (the country rule's layout); the PDF cover letter is written beside it as FILE.pdf",
    )


def register(sub: SubParsers) -> None:
    group = sub.add_parser(
        "verification", help="requests to receiving states to verify nationality: create, track, remind"
    )
    actions = group.add_subparsers(
        dest="verification_command", metavar="ACTION", required=True, parser_class=Parser
    )
    p = actions.add_parser(
        "request",
        help="create a verification request batch (officer): people in custody with a removal order "
        "claiming the country, not yet verified nor requested",
    )
    _request_arguments(p, "candidates")
    p.set_defaults(func=lazy_command("request_batches", "cmd_verification_request"))
    p = actions.add_parser(
        "status", help="per country: open, overdue and answered requests, lead times, batches"
    )
    p.add_argument("--country", metavar="ISO3", help="one country only")
    p.add_argument("--json", action="store_true", help="print one object per country as JSON")
    p.set_defaults(func=lazy_command("request_status", "cmd_verification_status"))
    p = actions.add_parser(
        "remind", help="write a reminder letter (PDF) to a country's consulate for its overdue requests"
    )
    p.add_argument("--country", required=True, metavar="ISO3")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(func=lazy_command("request_status", "cmd_verification_remind"))

    group = sub.add_parser(
        "travel-docs", help="requests to receiving states that issue travel documents on request (eTD)"
    )
    actions = group.add_subparsers(
        dest="travel_docs_command", metavar="ACTION", required=True, parser_class=Parser
    )
    p = actions.add_parser(
        "request",
        help="create a travel-document request batch (officer): confirmed nationals without a valid "
        "accepted document, none requested yet",
    )
    _request_arguments(p, "candidates")
    p.set_defaults(func=lazy_command("request_batches", "cmd_travel_docs_request"))
