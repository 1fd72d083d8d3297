"""Benchmark: a 300-person manifest PDF (target < 1 s) and its PAXLST.

Run with ``pytest tests/bench/bench_manifests.py -m bench -s``.
"""

from __future__ import annotations

import io
import statistics
import time
from datetime import UTC, datetime

import pytest

from planner.services.manifests.content import content_sha256
from planner.services.manifests.paxlst import parse_paxlst, write_paxlst
from planner.services.manifests.pdf import render_manifest_pdf
from tests.unit.manifests.sample import sample_manifest

pytestmark = pytest.mark.bench


def _timed(fn: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times


def test_bench_300_person_manifest_pdf() -> None:
    content = sample_manifest(300, status="DRAFT")
    out = io.BytesIO()

    def render() -> None:
        out.seek(0)
        out.truncate()
        render_manifest_pdf(content, out)

    first = _timed(render, 1)[0]  # includes registering the fonts (once per process)
    warm = _timed(render, 5)
    size = len(out.getvalue())
    print(
        f"\nmanifest PDF, 300 persons: first {first:.3f} s, warm median {statistics.median(warm):.3f} s, "
        f"max {max(warm):.3f} s, {size / 1024:.0f} KiB"
    )
    assert statistics.median(warm) < 1.0


def test_bench_300_person_paxlst_and_hash() -> None:
    content = sample_manifest(300, status="APPROVED")
    now = datetime(2025, 7, 10, tzinfo=UTC)
    text = ""

    def write() -> None:
        nonlocal text
        text = write_paxlst(content, sender="OFFICE", recipient="CARRIER", interchange_ref="R1", now=now)

    paxlst = statistics.median(_timed(write, 5))
    parse = statistics.median(_timed(lambda: parse_paxlst(text), 5))
    digest = statistics.median(_timed(lambda: content_sha256(content), 5))
    print(
        f"\nPAXLST 300 persons: write {paxlst * 1000:.1f} ms, parse {parse * 1000:.1f} ms; hash {digest * 1000:.1f} ms"
    )
    assert paxlst < 0.5
