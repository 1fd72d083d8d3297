"""Fuzzing every importer: arbitrary bytes and mutated valid files end in a clean import or in
``ImportRejected`` with line-numbered errors — never another exception, never a partial write."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.imports import KINDS, ImportRejected, import_file

from .conftest import SAMPLE_ORDER, sample_bytes, snapshot

FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SAMPLE_FILES = {
    **dict(SAMPLE_ORDER),
    "country-rules": "country_rules.csv",
    "aircraft": "aircraft.csv",
}  # samples/ here
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "gb18030"]


def attempt(ctx: AppContext, actor: Actor, kind: str, data: bytes) -> None:
    """Import ``data``; on rejection commit anyway (a careless caller) and prove nothing was
    pending. A clean import commits itself (the service commits its own write)."""
    before = snapshot(ctx)
    with ctx.uow() as uow:
        try:
            report = import_file(uow, actor, kind, data, name="fuzz.csv")
        except ImportRejected as exc:
            report = exc.report
            assert report.errors and not report.written
            for error in report.errors:
                assert error.line >= 1 and error.column and error.message
            assert exc.details == [f"fuzz.csv:{e.line}: {e.column}: {e.message}" for e in report.errors]
            uow.commit()
        else:
            assert report.rows == report.new + report.updated + report.unchanged
            assert report.written == bool(report.changes)
            return
    assert snapshot(ctx) == before


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes(samples_loaded: AppContext, admin: Actor, kind: str, data: bytes) -> None:
    attempt(samples_loaded, admin, kind, data)


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data())
def test_mutated_valid_files(
    samples_loaded: AppContext, admin: Actor, kind: str, data: st.DataObject
) -> None:
    text = sample_bytes(SAMPLE_FILES[kind]).decode("utf-8")
    lines = text.splitlines(keepends=True)
    lines = lines[:1] + lines[1 : 1 + data.draw(st.integers(1, 12), label="rows")]
    for _ in range(data.draw(st.integers(0, 3), label="line edits")):
        op = data.draw(st.sampled_from(["dup", "swap", "drop", "field"]), label="op")
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        j = data.draw(st.integers(0, len(lines) - 1), label="other")
        if op == "dup":
            lines.insert(j, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "drop" and len(lines) > 1:
            del lines[i]
        elif op == "field":
            fields = lines[i].split(",")
            k = data.draw(st.integers(0, len(fields) - 1), label="field")
            fields[k] = data.draw(
                st.one_of(st.text(max_size=12), st.sampled_from(["", " ", '"', ";", "\u00a0", "郑", "NaN"])),
                label="value",
            )
            lines[i] = ",".join(fields)
    raw = bytearray("".join(lines).encode(data.draw(st.sampled_from(ENCODINGS), label="encoding")))
    for _ in range(data.draw(st.integers(0, 2), label="byte edits")):
        if raw:
            pos = data.draw(st.integers(0, len(raw) - 1), label="pos")
            raw[pos : pos + data.draw(st.integers(0, 3))] = data.draw(st.binary(max_size=3), label="bytes")
    attempt(samples_loaded, admin, kind, bytes(raw))
