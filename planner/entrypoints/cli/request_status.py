"""``verification status [--country ISO3] [--json]`` and ``verification remind --country ISO3 --out
FILE.pdf``: where the requests to receiving states stand, and reminder letters for overdue ones.

``status`` prints, per country with any batch, one line with the figures in words, then one line
per batch; ``--json`` prints a list with one object per country (``CountryStatus.as_json``). An
unknown country exits 2 with one line; no batches at all is one line, exit 0.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from planner.domain.wording import plural
from planner.entrypoints.cli.common import login
from planner.persistence.context import AppContext
from planner.services.consular.status import BatchStatus, CountryStatus, KindStatus

KIND_LABELS = {"VERIFICATION": "verification", "TRAVEL_DOCUMENT": "travel documents"}


def _median_text(kind: KindStatus) -> str:
    if kind.median_lead_days is None:
        return "no answers yet"
    return f"median lead {kind.median_lead_days:g} days"


def _kind_text(kind: KindStatus, yes: str, no: str) -> str:
    return (
        f"{plural(kind.requested_open, 'open request')} ({kind.overdue:,} overdue), "
        f"{kind.positive:,} {yes}, {kind.negative:,} {no}, {_median_text(kind)}, "
        f"expected {kind.expected.describe()}"
    )


def country_lines(status: CountryStatus) -> list[str]:
    """The text ``verification status`` prints for one country."""
    lines = [
        f"{status.country} {status.name} — verification: "
        + _kind_text(status.verification, "confirmed", "not confirmed")
    ]
    td = status.travel_documents
    if td.requested_open or td.positive or td.negative or td.withdrawn:
        lines.append("    travel documents: " + _kind_text(td, "issued", "refused"))
    if not status.batches:
        lines.append("    no batches")
    lines.extend(f"    {batch_line(b)}" for b in status.batches)
    return lines


def batch_line(b: BatchStatus) -> str:
    """``VR-CHN-2026-0001  verification  sent 2026-01-05, due 2026-02-04: 10 people, 3 open (3 overdue), 7 answered``."""
    state = "closed" if b.closed else f"{b.open:,} open ({b.overdue:,} overdue)"
    return (
        f"{b.reference}  {KIND_LABELS.get(b.kind.value, b.kind.value)}  sent {b.sent_on:%Y-%m-%d}, "
        f"due {b.due_on:%Y-%m-%d}: {plural(b.people, 'person', 'people')}, {state}, {b.answered:,} answered"
    )


def cmd_verification_status(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.consular.status import pipeline_status

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        rows = pipeline_status(uow, actor, args.country)
    if args.json:
        print(json.dumps([r.as_json() for r in rows], indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no request batches yet")
        return 0
    for i, row in enumerate(rows):
        if i:
            print()
        for line in country_lines(row):
            print(line)
    return 0


def cmd_verification_remind(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.consular.reminders import write_reminder

    actor = login(ctx)
    with ctx.uow() as uow:
        letter = write_reminder(uow, actor, args.country, Path(args.out))
    print(
        f"reminder to {letter.country}: {plural(len(letter.references), 'request')} "
        f"({', '.join(letter.references)}), {plural(letter.people, 'person', 'people')} overdue "
        f"-> {letter.path} (SHA-256 {letter.sha256})"
    )
    return 0


__all__ = ["batch_line", "cmd_verification_remind", "cmd_verification_status", "country_lines"]
