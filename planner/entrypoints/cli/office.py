"""``settings show`` / ``settings set KEY VALUE …``: the office's safety settings in the database."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from planner.domain.errors import InvalidInput
from planner.entrypoints.cli.common import Parser, SubParsers, login

if TYPE_CHECKING:
    from planner.persistence.context import AppContext


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def cmd_settings_show(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import office_settings

    login(ctx)
    with ctx.uow(write=False) as uow:
        current = office_settings.load(uow)
    if args.json:
        print(json.dumps({**current.values(), "version": current.version}, indent=2))
        return 0
    for key in office_settings.KEYS:
        print(f"{key:<22} {_value_text(getattr(current, key)):<8} {office_settings.DESCRIPTIONS[key]}")
    changed = (
        f", changed by {current.updated_by} at {current.updated_at:%Y-%m-%d %H:%M} UTC"
        if current.updated_at
        else ""
    )
    print(f"version {current.version}{changed}")
    return 0


def cmd_settings_set(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import office_settings

    pairs = list(args.pairs)
    if not pairs or len(pairs) % 2:
        raise InvalidInput("give KEY VALUE pairs, e.g. settings set escort_high 2.5")
    changes = dict(zip(pairs[::2], pairs[1::2], strict=True))
    actor = login(ctx)
    with ctx.uow() as uow:
        expected = (
            args.expected_version if args.expected_version is not None else office_settings.load(uow).version
        )
        before = office_settings.load(uow)
        after = office_settings.update(uow, actor, changes, expected)
    changed = [key for key in office_settings.KEYS if getattr(before, key) != getattr(after, key)]
    if not changed:
        print("nothing changed")
    for key in changed:
        print(f"{key}: {_value_text(getattr(before, key))} -> {_value_text(getattr(after, key))}")
    return 0


def register(sub: SubParsers) -> None:
    group = sub.add_parser("settings", help="the office's safety settings, kept in the database")
    actions = group.add_subparsers(
        dest="settings_command", metavar="ACTION", required=True, parser_class=Parser
    )
    p = actions.add_parser("show", help="print the safety settings every desk plans with")
    p.add_argument("--json", action="store_true", help="print them as JSON")
    p.set_defaults(func=cmd_settings_show)
    p = actions.add_parser("set", help="change safety settings: KEY VALUE [KEY VALUE ...] (admin, audited)")
    p.add_argument("pairs", nargs="+", metavar="KEY VALUE")
    p.add_argument(
        "--expected-version", type=int, metavar="N", help="refuse unless the settings are still at version N"
    )
    p.set_defaults(func=cmd_settings_set)
