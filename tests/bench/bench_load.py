"""Soak run of the load test on PostgreSQL: flight editors, person editors, a roster importer and
two planners, each its own process, for ``CHARTER_LOAD_SECONDS`` (default 120). Every failure must
be a clean ``Conflict``; the stored counters must add up (``tests/integration/reliability/load.py``).

Run with ``pytest -m bench -s tests/bench/bench_load.py``.
"""

from __future__ import annotations

import os

import pytest

from planner.persistence.context import AppContext
from tests.integration.reliability.load import Workers, check, prepare, run_load

SECONDS = float(os.environ.get("CHARTER_LOAD_SECONDS", "120"))


@pytest.mark.bench
@pytest.mark.postgres
def test_load_soak_on_postgres(pg_ctx: AppContext) -> None:
    prepare(pg_ctx)
    report = run_load(pg_ctx, SECONDS, Workers(flight_editors=3, person_editors=3, importers=1, planners=2))
    print("\n" + report.text())
    check(report)
    final = report.final
    print(
        f"  final: {report.totals['flight']['ok']} flight edits, {report.totals['person']['ok']} person "
        f"edits, {report.totals['import']['rows_updated']} person updates by {report.totals['import']['ok']} "
        f"imports, {report.totals['plan']['ok']} plans; audit chain {final['chain'].events_checked} "
        "events intact"
    )
