"""Benchmark: ``demo --people 100000 --flights 800`` on SQLite must finish in under 60 s.

Run by hand (not collected by the default test run): ``pytest -m bench -s tests/bench/bench_demo.py``.
Prints the time of the generation and its commit, the process's peak resident memory, and the
report; then checks SQLite's integrity and the audit chain.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.demo.generate import generate_demo
from planner.persistence.audit import verify_chain
from planner.settings import Settings
from tests.conftest import admin_actor, make_initialised_context

PEOPLE, FLIGHTS, SEED = 100_000, 800, 7
LIMIT_SECONDS = 60.0


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@pytest.mark.bench
def test_demo_100k_people_800_flights_under_a_minute(tmp_path: Path) -> None:
    ctx = make_initialised_context(Settings(db=str(tmp_path / "bench.db"), data_dir=tmp_path))
    try:
        rss_before = _peak_rss_mb()
        started = time.perf_counter()
        with ctx.uow() as uow:
            report = generate_demo(uow, admin_actor(), people=PEOPLE, flights=FLIGHTS, seed=SEED)
            uow.commit()
        elapsed = time.perf_counter() - started
        print(f"\ndemo {PEOPLE:,} people / {FLIGHTS} flights: {elapsed:.1f} s including commit")
        print(f"peak RSS {_peak_rss_mb():.0f} MB (before: {rss_before:.0f} MB)")
        print(report.summary())
        assert report.people == PEOPLE and report.flights == FLIGHTS
        assert elapsed < LIMIT_SECONDS

        with ctx.uow(write=False) as uow:
            assert uow.session.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
            assert uow.session.execute(sa.text("PRAGMA foreign_key_check")).all() == []
            chain = verify_chain(uow)
            assert chain.ok, chain.message
            assert chain.events_checked >= PEOPLE + FLIGHTS
    finally:
        ctx.close()
