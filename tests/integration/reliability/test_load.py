"""Load test in CI: flight editors, person editors, a roster importer and two planners, each its own
process, against one database for a few seconds (``CHARTER_LOAD_SECONDS``, default 6). Every
failure must be a clean ``Conflict`` and the stored counters must add up (see ``load.py``); the
bench (``tests/bench/bench_load.py``) runs the same for longer."""

from __future__ import annotations

import os

import pytest

from planner.persistence.context import AppContext
from tests.integration.reliability.load import check, prepare, run_load

SECONDS = float(os.environ.get("CHARTER_LOAD_SECONDS", "6"))


@pytest.mark.slow
def test_concurrent_editing_importing_and_planning_lose_nothing(ctx: AppContext) -> None:
    prepare(ctx)
    report = run_load(ctx, SECONDS)
    print("\n" + report.text())
    check(report)
    assert report.totals["flight"]["ok"] > 0 and report.totals["person"]["ok"] > 0
    assert report.totals["import"]["ok"] > 0 and report.totals["plan"]["ok"] > 0
