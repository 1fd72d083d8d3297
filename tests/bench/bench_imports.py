"""Benchmark: a 100,000-row roster and a 100,000-row verification list (GB18030), fresh and re-imported.

Run with ``pytest tests/bench/bench_imports.py -m bench -s`` (the file name is not ``test_*``, so
name it explicitly) or ``python -m tests.bench.bench_imports [ROWS] [DB_URL]``. Prints seconds, rows/s
and the peak resident memory. Target (issue 3): each import under 15 s, peak memory under 1 GB.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import pytest

from planner.domain.enums import Role
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.imports import ImportReport, import_file
from planner.settings import Settings
from tests.conftest import make_initialised_context
from tests.integration.imports import synth

ADMIN = Actor("admin", Role.ADMIN, "admin")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_import(ctx: AppContext, kind: str, data: bytes) -> tuple[float, ImportReport]:
    start = time.perf_counter()
    with ctx.uow() as uow:
        report = import_file(uow, ADMIN, kind, data, name=f"{kind}.csv")
        uow.commit()
    return time.perf_counter() - start, report


def run_benchmark(rows: int = 100_000, db: str | None = None) -> dict[str, float]:
    """Import ``rows`` people then their verifications, twice each; print and return the seconds."""
    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    ctx = make_initialised_context(Settings(db=db or str(folder / "bench.db"), data_dir=folder))
    try:
        timed_import(ctx, "facilities", synth.facilities_csv().encode())
        people = synth.roster_rows(rows)
        roster = synth.to_csv(synth.ROSTER_HEADER, people).encode("utf-8")
        verification = synth.to_csv(synth.VERIFICATION_HEADER, synth.verification_rows(people)).encode(
            "gb18030"
        )
        # Every person changes (place of birth): the mass-update path.
        changed = [
            {**p, "place_of_birth": f"{p.get('place_of_birth', '')} (corrected)".strip()} for p in people
        ]
        roster_updated = synth.to_csv(synth.ROSTER_HEADER, changed).encode("utf-8")
        del people, changed
        seconds: dict[str, float] = {}
        for label, kind, data in (
            ("roster (new)", "roster", roster),
            ("verification (new, GB18030)", "verification", verification),
            ("roster (unchanged)", "roster", roster),
            ("verification (unchanged)", "verification", verification),
            ("roster (every row updated)", "roster", roster_updated),
        ):
            elapsed, report = timed_import(ctx, kind, data)
            seconds[label] = elapsed
            print(
                f"{label:30s} {elapsed:6.2f} s  {rows / elapsed:9,.0f} rows/s  "
                f"[{report.counts()}]  peak RSS {peak_mb():,.0f} MB",
                flush=True,
            )
        return seconds
    finally:
        ctx.close()


@pytest.mark.bench
def test_import_100k_rows() -> None:
    seconds = run_benchmark()
    assert max(seconds.values()) < 15, seconds
    assert peak_mb() < 1024


if __name__ == "__main__":
    run_benchmark(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, sys.argv[2] if len(sys.argv) > 2 else None
    )
