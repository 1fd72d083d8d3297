"""``schedule propose`` and ``schedule accept`` (issue 17); the parsers are in ``schedule``.

``propose`` (officer) loads and solves without holding a write transaction (progress on stderr;
the first Ctrl+C stops the search and keeps the best schedule found), then stores the proposal
(audited) and prints a table of its missions (id, date, aircraft, pickups, stops, people by
country, seats, load, cost, cost per person), the proposed and the current totals side by side,
the proven bound and gap, the notes, and how to accept; ``--json`` prints exactly
``ProposalView.as_json()``. ``accept`` (supervisor) prints the PLANNED flights created. Errors are
one line (``cli.main``: invalid input exits 2, a refusal or other failure 1).
"""

from __future__ import annotations

import argparse
import json
import signal

from planner.domain.wording import plural
from planner.entrypoints.cli.common import ProgressPrinter, login
from planner.persistence.context import AppContext
from planner.services.scheduling import proposals
from planner.services.scheduling.views import MissionView, ProposalView
from solver.schedule.problem import Totals

MISSION_COLUMNS = (
    "id",
    "date",
    "aircraft",
    "pickups",
    "stops",
    "people",
    "seats",
    "load",
    "cost",
    "cost/person",
)


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _mission_row(m: MissionView) -> tuple[str, ...]:
    return (
        m.id,
        m.date.isoformat(),
        m.aircraft,
        ";".join(m.pickups),
        ";".join(m.stops),
        ", ".join(f"{country} {n}" for country, n in m.people.items()) or "—",
        str(m.seats),
        _percent(m.load_factor),
        _money(m.cost),
        _money(m.cost_per_person),
    )


def table_lines(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> list[str]:
    """``rows`` under ``header`` in aligned columns (numbers right-aligned from ``seats`` on)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = header.index("seats") if "seats" in header else len(header)

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i >= numeric else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _totals_rows(proposed: Totals, current: Totals) -> list[tuple[str, ...]]:
    def pair(label: str, a: str, b: str) -> tuple[str, ...]:
        return (label, a, b)

    def days(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    return [
        pair("total cost", _money(proposed.cost), _money(current.cost)),
        pair("  flying", _money(proposed.flight_cost), _money(current.flight_cost)),
        pair("  waiting", _money(proposed.waiting_cost), _money(current.waiting_cost)),
        pair("removed", f"{proposed.removed:,}", f"{current.removed:,}"),
        pair("not removed", f"{proposed.unserved:,}", f"{current.unserved:,}"),
        pair("cost per removal", _money(proposed.cost_per_removal), _money(current.cost_per_removal)),
        pair("mean wait (days)", days(proposed.mean_wait_days), days(current.mean_wait_days)),
        pair("load factor", _percent(proposed.load_factor), _percent(current.load_factor)),
        pair("missions", f"{proposed.missions:,}", f"{current.missions:,}"),
    ]


def proposal_lines(view: ProposalView) -> list[str]:
    """What ``schedule propose`` prints for ``view``."""
    head = "what-if (not stored)" if view.id is None else f"schedule proposal {view.id}"
    lines = [
        f"{head}: {plural(view.weeks, 'week')} from {view.from_date.isoformat()}, "
        f"{plural(len(view.missions), 'mission')} (solved in {view.seconds:.1f} s, {view.solver_status or view.status})",
        "",
    ]
    if view.missions:
        lines += table_lines([_mission_row(m) for m in view.missions], MISSION_COLUMNS)
    else:
        lines.append("no mission proposed")
    lines.append("")
    lines += table_lines(_totals_rows(view.totals, view.current), ("", "proposed", "current"))
    bound = "none proven" if view.bound is None else _money(view.bound)
    gap = "—" if view.gap is None else f"{view.gap:.1%}"
    lines += ["", f"lower bound on any schedule's cost: {bound}; gap {gap}"]
    if view.notes:
        lines += ["", "notes:", *(f"  - {note}" for note in view.notes)]
    if view.id is not None and view.missions:
        example = ",".join(m.id for m in view.missions[:2])
        lines += [
            "",
            f"accept every mission with: schedule accept {view.id}   (or some: --missions {example})",
        ]
    return lines


def cmd_schedule_propose(ctx: AppContext, args: argparse.Namespace) -> int:
    actor = login(ctx)
    interrupted = {"stop": False}

    def on_interrupt(_signum: int, _frame: object) -> None:
        interrupted["stop"] = True  # first Ctrl+C: stop the search, keep the best schedule found

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        with ctx.uow(write=False) as uow:  # no write lock while the solver runs
            computed = proposals.compute_proposal(
                uow,
                actor,
                start=args.from_date,
                weeks=args.weeks,
                time_limit=args.time_limit,
                progress=ProgressPrinter(),
                should_stop=lambda: interrupted["stop"],
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    with ctx.uow() as uow:
        view = proposals.store_proposal(uow, actor, computed)
    if args.json:
        print(json.dumps(view.as_json(), indent=2, ensure_ascii=False))
        return 0
    for line in proposal_lines(view):
        print(line)
    return 0


def cmd_schedule_accept(ctx: AppContext, args: argparse.Namespace) -> int:
    actor = login(ctx)
    with ctx.uow() as uow:
        codes = proposals.accept(uow, actor, args.proposal_id, args.missions)
    print(
        f"schedule proposal {args.proposal_id}: {plural(len(codes), 'PLANNED flight')} created: {', '.join(codes)}"
    )
    print("plan the people onto them with: plan")
    return 0


__all__ = ["cmd_schedule_accept", "cmd_schedule_propose", "proposal_lines", "table_lines"]
