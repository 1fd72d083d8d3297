"""``charter-planner rules list [--all] [--json]``: the receiving-country rules.

One line per stored rule (country, name, verification, accepted documents, minimum validity, cap
per flight, notice, API deadline, expected answer lead time, the mission limits — region, missions
per week, arrival weekdays, arrival airports ("-" / "any": no limit) — and version; ``--json`` also
the request CSV columns); ``--all`` adds every other ISO 3166 country, on the
conservative default rule (version ``DEFAULT``). Rules are changed with
``charter-planner import country-rules FILE`` or in the window's Reference data screen.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from planner.entrypoints.cli.common import Parser, SubParsers, login

if TYPE_CHECKING:
    from planner.persistence.context import AppContext

HEADER = (
    "COUNTRY",
    "NAME",
    "VERIFY",
    "DOCUMENTS",
    "VALID",
    "CAP",
    "NOTICE",
    "API",
    "LEAD",
    "REGION",
    "MISSIONS",
    "ARRIVE",
    "AIRPORTS",
    "VERSION",
)


def cmd_rules_list(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.country_rules import list_rules

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        rows = list_rules(uow, actor, include_default=args.all)
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
        return 0
    lines = [HEADER] + [
        (
            r.country,
            r.name[:32],
            "yes" if r.verification_required else "no",
            r.documents_text,
            f"{r.min_validity_days}d",
            "-" if r.max_per_flight is None else str(r.max_per_flight),
            f"{r.notice_days}d",
            f"{r.api_deadline_minutes}min",
            f"{r.lead_time_days}d",
            r.region or "-",
            "-" if r.max_missions_per_week is None else f"{r.max_missions_per_week}/wk",
            r.arrival_weekdays or "any",
            r.arrival_airports or "any",
            "DEFAULT" if not r.stored else str(r.version),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    stored = sum(1 for r in rows if r.stored)
    print(
        f"{stored} countries with their own rule"
        + (f", {len(rows) - stored} on the default rule" if args.all else "")
    )
    return 0


def register(sub: SubParsers) -> None:
    group = sub.add_parser("rules", help="receiving-country rules (change them with 'import country-rules')")
    actions = group.add_subparsers(dest="rules_command", metavar="ACTION", required=True, parser_class=Parser)
    p = actions.add_parser("list", help="list the country rules with their versions")
    p.add_argument("--all", action="store_true", help="also every ISO 3166 country on the default rule")
    p.add_argument("--json", action="store_true", help="print them as JSON")
    p.set_defaults(func=cmd_rules_list)
