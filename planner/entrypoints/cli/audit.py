"""``audit verify``: recompute the audit hash chain; exit 1 naming the first broken event."""

from __future__ import annotations

import argparse
import sys

from planner.entrypoints.cli.common import Parser, SubParsers, login
from planner.persistence.context import AppContext


def cmd_audit_verify(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import audit_log

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        report = audit_log.verify(uow, actor)
    if report.ok:
        print(f"audit chain intact: {report.events_checked} events")
        return 0
    print(f"audit chain BROKEN at event {report.first_broken_id}: {report.message}", file=sys.stderr)
    return 1


def register(sub: SubParsers) -> None:
    a = sub.add_parser("audit", help="audit log")
    a_sub = a.add_subparsers(dest="audit_command", metavar="ACTION", required=True, parser_class=Parser)
    p = a_sub.add_parser("verify", help="check the hash chain; exit 1 on tampering")
    p.set_defaults(func=cmd_audit_verify)
