"""Benchmark: all manifests of an 800-flight database (target < 3 minutes), ~100 people per flight.

Run with ``pytest tests/bench/bench_manifest_batch.py -m bench -s``. ``BENCH_FLIGHTS`` /
``BENCH_PEOPLE_PER_FLIGHT`` / ``BENCH_WORKERS`` override the size and the number of render processes.
The database is synthetic (bulk inserts): one plan with every flight filled, one or two stops
(China, Mexico), Hanzi native names on the Chinese stops.
"""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    PlanRun,
    TravelDocument,
)
from planner.services.auth import Actor
from planner.services.manifests.batch import render_all_manifests
from tests.integration.manifests.world import T0

pytestmark = pytest.mark.bench

FLIGHTS = int(os.environ.get("BENCH_FLIGHTS", "800"))
PER_FLIGHT = int(os.environ.get("BENCH_PEOPLE_PER_FLIGHT", "100"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "0")) or None
HANZI = "王李张刘陈杨黄赵吴周伟芳娜秀英敏静丽强磊军洋艳勇杰涛"


def _fill(ctx: AppContext) -> int:
    flights, stops, people, docs, vers, assignments = [], [], [], [], [], []
    pid = 0
    for f in range(1, FLIGHTS + 1):
        flights.append(
            {
                "id": f,
                "code": f"RF{f:04d}",
                "carrier": "Bench Air",
                "aircraft": "B737",
                "departure_airport": "IAH",
                "departure_utc": T0 + timedelta(days=30 + f % 60, hours=f % 24),
                "seats": 150,
                "escort_officers": 60,
                "medical_slots": 2,
                "wheelchair_slots": 2,
                "status": "PLANNED",
                "version": 1,
            }
        )
        legs = [("PEK", "CHN")] if f % 3 else [("PEK", "CHN"), ("MEX", "MEX")]
        for seq, (iata, _c) in enumerate(legs, start=1):
            stops.append({"id": f * 10 + seq, "flight_id": f, "sequence": seq, "airport": iata})
        for k in range(PER_FLIGHT):
            pid += 1
            seq = 1 + (k % len(legs))
            country = legs[seq - 1][1]
            native = (
                HANZI[pid % 10] + HANZI[10 + pid % 16] + HANZI[(pid // 7) % len(HANZI)]
                if country == "CHN"
                else ""
            )
            people.append(
                {
                    "id": pid,
                    "case_number": f"A{pid:08d}",
                    "family_name": f"FAMILY{pid % 997}",
                    "given_names": f"GIVEN {pid % 613}",
                    "native_name": native,
                    "sex": "MF"[pid % 2],
                    "date_of_birth": date(1970 + pid % 35, 1 + pid % 12, 1 + pid % 28),
                    "place_of_birth": "",
                    "nationality": country,
                    "risk_level": ("LOW", "MEDIUM", "HIGH")[pid % 3],
                    "medical_need": "NONE",
                    "order_status": "FINAL",
                    "priority": 3,
                    "custody_status": "IN_CUSTODY",
                    "created_at": T0,
                    "updated_at": T0,
                    "version": 1,
                }
            )
            docs.append(
                {
                    "person_id": pid,
                    "doc_type": "PASSPORT",
                    "number": f"P{pid:08d}",
                    "issuing_country": country,
                    "expires_on": date(2036, 1, 1),
                    "status": "VALID",
                    "version": 1,
                }
            )
            vers.append(
                {
                    "person_id": pid,
                    "country": country,
                    "result": "CONFIRMED",
                    "authority": "Consulate",
                    "verified_on": date(2030, 1, 1),
                    "reference": f"V{pid}",
                    "source_file": "",
                    "imported_by": "bench",
                    "imported_at": T0,
                }
            )
            assignments.append(
                {"plan_run_id": 1, "person_id": pid, "flight_stop_id": f * 10 + seq, "frozen": False}
            )
    with ctx.uow() as uow:
        conn = uow.session.connection()
        conn.execute(sa.insert(Flight.__table__), flights)
        conn.execute(sa.insert(FlightStop.__table__), stops)
        for table, rows in (
            (Person.__table__, people),
            (TravelDocument.__table__, docs),
            (NationalityVerification.__table__, vers),
        ):
            for start in range(0, len(rows), 10_000):
                conn.execute(sa.insert(table), rows[start : start + 10_000])
        conn.execute(
            sa.insert(PlanRun.__table__),
            [
                {
                    "id": 1,
                    "created_by": "bench",
                    "status": "DRAFT",
                    "started_at": T0,
                    "settings_json": "{}",
                    "counts_json": "{}",
                }
            ],
        )
        for start in range(0, len(assignments), 10_000):
            conn.execute(sa.insert(Assignment.__table__), assignments[start : start + 10_000])
        uow.commit()
    return pid


def test_bench_all_manifests_of_800_flights(ctx: AppContext, officer: Actor, tmp_path: Path) -> None:
    started = time.perf_counter()
    people = _fill(ctx)
    filled = time.perf_counter() - started
    marks: list[tuple[float, float]] = []
    t0 = time.perf_counter()
    report = render_all_manifests(
        ctx,
        officer,
        tmp_path / "out",
        now=T0,
        progress=lambda f, _m: marks.append((time.perf_counter() - t0, f)),
        workers=WORKERS,
    )
    prepare_seconds = next(t for t, f in marks if f > 0)
    size = sum(p.stat().st_size for p in report.files)
    print(
        f"\n{FLIGHTS} flights x {PER_FLIGHT} people ({people} people; fill {filled:.1f} s): "
        f"{len(report.files)} PDFs, {report.prepared} revisions prepared in {prepare_seconds:.1f} s, "
        f"total {report.seconds:.1f} s ({report.seconds / max(1, len(report.files)) * 1000:.0f} ms/manifest), "
        f"{size / 2**20:.0f} MiB, workers={WORKERS or min(4, os.cpu_count() or 1)}"
    )
    assert len(report.files) == FLIGHTS and not report.skipped
    assert report.seconds < 180
    # Nothing changed: a second run only re-renders.
    again = render_all_manifests(ctx, officer, tmp_path / "again", now=T0, workers=WORKERS)
    assert again.prepared == 0
    print(f"second run (nothing to prepare): {again.seconds:.1f} s")
