"""``audit verify [--anchors FILE]``: recompute the audit hash chain and check it against every
anchor (the file's, the stored ones, those signed manifests carry); exit 1 naming the first broken
event. ``audit anchors --out FILE``: export the anchors (keep the file away from the database).
``audit list``: the newest events, one line each, changes in words (``priority 5 → 2``)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from planner.domain.wording import plural
from planner.entrypoints.cli.common import Parser, SubParsers, login

if TYPE_CHECKING:
    from planner.persistence.context import AppContext


def cmd_audit_verify(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import audit_log

    anchors = audit_log.read_anchor_file(args.anchors) if args.anchors else []
    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        report = audit_log.verify(uow, actor, anchors)
    if report.ok:
        print(
            f"audit chain intact: {plural(report.events_checked, 'event')}, "
            f"checked against {plural(report.anchors_checked, 'anchor')}"
        )
        return 0
    where = f" at event {report.first_broken_id}" if report.first_broken_id is not None else ""
    print(f"audit chain BROKEN{where}: {report.message}", file=sys.stderr)
    return 1


def cmd_audit_anchors(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.files import output_target, write_output
    from planner.services import audit_log

    output_target(args.out)  # a bad target is refused before anything is recorded
    actor = login(ctx)
    with ctx.uow() as uow:
        text = audit_log.export_anchors(
            uow, actor, database=ctx.engine.url.render_as_string(hide_password=True)
        )
    target = write_output(args.out, text.encode("utf-8"))
    count = len(text.splitlines()) - 1
    print(f"{plural(count, 'anchor')} written to {target}: keep the file away from the database")
    return 0


def cmd_audit_list(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import audit_log

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        rows = audit_log.list_events(
            uow,
            actor,
            entity=args.entity,
            entity_id=args.id,
            actor_name=args.user,
            action_prefix=args.action,
            limit=args.limit,
        )
    for row in rows:
        print(audit_log.event_line(row))
    return 0


def register(sub: SubParsers) -> None:
    a = sub.add_parser("audit", help="audit log")
    a_sub = a.add_subparsers(dest="audit_command", metavar="ACTION", required=True, parser_class=Parser)
    p = a_sub.add_parser("verify", help="check the hash chain; exit 1 on tampering")
    p.add_argument(
        "--anchors", metavar="FILE", help="also check against an anchors file written by 'audit anchors'"
    )
    p.set_defaults(func=cmd_audit_verify)
    p = a_sub.add_parser("anchors", help="export the audit anchors to keep away from the database")
    p.add_argument("--out", metavar="FILE", required=True, help="the anchors file to write")
    p.set_defaults(func=cmd_audit_anchors)
    p = a_sub.add_parser("list", help="the newest events, changes in words")
    p.add_argument("--entity", help="only events about this kind of record (person, flight, user …)")
    p.add_argument("--id", metavar="ID", help="only events about this record (e.g. a case number)")
    p.add_argument("--user", metavar="NAME", help="only events by this user")
    p.add_argument("--action", metavar="PREFIX", help="only actions starting with PREFIX (e.g. person.)")
    p.add_argument("--limit", type=int, default=50, help="at most this many events (default 50)")
    p.set_defaults(func=cmd_audit_list)
