"""Crash safety on SQLite (WAL, synchronous=FULL): SIGKILL during an import and a plan store.

The always-run versions (CI): a 100,000-row roster and a plan over a 3,000-person demo, 20 kills
each. The bench versions (``-m bench``): the same roster and a 20,000-person plan, 25 kills each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.demo import generate as demo
from planner.persistence.context import AppContext
from planner.services.imports import import_file
from planner.settings import Settings
from tests.conftest import admin_actor, make_initialised_context
from tests.integration.imports import synth
from tests.integration.reliability.crash import kill_loop, plan_outcome, roster_outcome

KILLS = 20


def _template(folder: Path, fill) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "template.db"
    ctx: AppContext = make_initialised_context(Settings(db=str(db), data_dir=folder))
    try:
        with ctx.uow() as uow:
            fill(uow)
            uow.commit()
    finally:
        ctx.close()  # the last connection checkpoints: the template is one self-contained file
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    return db


def _import_case(tmp_path: Path, rows: int, kills: int) -> None:
    def fill(uow) -> None:
        import_file(uow, admin_actor(), "facilities", synth.facilities_csv().encode(), name="facilities.csv")

    template = _template(tmp_path / "template", fill)
    roster = tmp_path / "roster.csv"
    roster.write_text(synth.to_csv(synth.ROSTER_HEADER, synth.roster_rows(rows)), encoding="utf-8")
    report = kill_loop(
        template,
        tmp_path / "runs",
        ["import", "roster", str(roster)],
        kills=kills,
        outcome=roster_outcome(rows),
    )
    print(f"\nimport of {rows:,} rows: {report.text()}")
    assert report.runs == kills and report.killed >= kills // 4
    assert report.outcomes.get("absent", 0) > 0


def _plan_case(tmp_path: Path, people: int, flights: int, kills: int) -> None:
    def fill(uow) -> None:
        demo.generate_demo(uow, admin_actor(), people=people, flights=flights, seed=5)

    template = _template(tmp_path / "template", fill)
    report = kill_loop(
        template,
        tmp_path / "runs",
        ["plan", "--time-limit", "1"],
        kills=kills,
        outcome=plan_outcome,
    )
    print(f"\nplan over {people:,} people: {report.text()}")
    assert report.runs == kills and report.killed >= kills // 4
    assert report.outcomes.get("absent", 0) > 0


@pytest.mark.slow
def test_sigkill_during_100k_roster_import(tmp_path: Path) -> None:
    _import_case(tmp_path, 100_000, KILLS)


@pytest.mark.slow
def test_sigkill_during_plan_store(tmp_path: Path) -> None:
    _plan_case(tmp_path, 3_000, 30, KILLS)


@pytest.mark.bench
def test_bench_sigkill_during_100k_roster_import(tmp_path: Path) -> None:
    _import_case(tmp_path, 100_000, 50)


@pytest.mark.bench
def test_bench_sigkill_during_big_plan_store(tmp_path: Path) -> None:
    _plan_case(tmp_path, 20_000, 120, 25)
