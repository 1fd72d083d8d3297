"""The struck-off report (service and CSV) and every departure command of the CLI: exit 0 on
success, exit 2 with one line and nothing written on bad input (both backends)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from planner.domain.errors import InvalidInput
from planner.entrypoints.cli import main as cli
from planner.persistence.context import AppContext
from planner.services.departure.report import CSV_HEADER, report_csv, struck_off_report
from planner.services.departure.strike import strike
from tests.conftest import USER_PASSWORD
from tests.integration.departure.world import T0, add, approve, departure_world, staff, writes


def _world(ctx: AppContext):  # type: ignore[no-untyped-def]
    world = departure_world(ctx)
    for case in ("A10000001", "A10000002", "A10000003"):
        add(world, case)
    add(world, "A20000001", "GTM", family="FAM1")
    add(world, "A20000002", "GTM", family="FAM1")
    world.plan({"A10000001": 1, "A10000002": 1, "A20000001": 2, "A20000002": 2})
    return world


def test_report_counts_by_reason_per_flight_and_period(ctx: AppContext) -> None:
    _world(ctx)
    officer, supervisor = staff(ctx)
    approve(ctx, officer, supervisor)
    with ctx.uow() as uow:
        strike(uow, officer, "RF0001", "A20000001", "OTHER", 'said "no", then left', now=T0)
    with ctx.uow() as uow:
        strike(uow, officer, "RF0001", "A10000001", "NO_SHOW", now=T0 + timedelta(days=2))
    with ctx.uow(write=False) as uow:
        everything = struck_off_report(uow, officer)
        first_day = struck_off_report(
            uow, officer, date_from=T0.date(), date_to=T0.date(), flight_code="RF0001"
        )
        later = struck_off_report(uow, officer, date_from=T0.date() + timedelta(days=1))
    assert everything.total == 3
    assert everything.counts["OTHER"] == 2 and everything.counts["NO_SHOW"] == 1
    assert everything.counts["LEGAL_STAY"] == 0
    assert everything.per_flight == {"RF0001": {"OTHER": 2, "NO_SHOW": 1}}
    assert [r.case_number for r in first_day.rows] == ["A20000001", "A20000002"]
    assert [r.case_number for r in later.rows] == ["A10000001"]
    rows = list(csv.reader(io.StringIO(report_csv(everything))))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1][:6] == ["A20000001", "RF0001", "2", "OTHER", 'said "no", then left', "olivia"]
    assert rows[1][6].endswith("Z") and rows[1][7] == "1"
    with ctx.uow(write=False) as uow, pytest.raises(InvalidInput, match="ends"):
        struck_off_report(uow, officer, date_from=date(2030, 3, 5), date_to=date(2030, 3, 1))
    with ctx.uow(write=False) as uow, pytest.raises(InvalidInput, match="no flight RF9999"):
        struck_off_report(uow, officer, flight_code="RF9999")


@pytest.fixture
def cli_db(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    return ctx.settings.database


def _run(monkeypatch: pytest.MonkeyPatch, db: str, user: str, *args: str) -> int:
    monkeypatch.setenv("CHARTER_USER", user)
    return cli.run(["--db", db, *args])


def test_cli_departure_commands(
    cli_db: str,
    ctx: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    _world(ctx)
    officer, supervisor = staff(ctx)
    approve(ctx, officer, supervisor, now=T0)  # (the commands run at the real clock, long before 2030)
    db = cli_db
    assert _run(monkeypatch, db, "olivia", "reserves", "RF0001") == 0
    assert "A10000003" in capsys.readouterr().out

    bad = [
        ("olivia", "strike", "RF0001", "A10000001", "--reason", "BORED"),
        ("olivia", "strike", "RF0001", "A10000001", "--reason", "OTHER"),
        ("olivia", "strike", "RF0001", "A99999999", "--reason", "NO_SHOW"),
        ("olivia", "strike", "RF0001", "A10000003", "--reason", "NO_SHOW"),
        ("olivia", "strike", "RF9999", "A10000001", "--reason", "NO_SHOW"),
        ("olivia", "board", "RF0001"),
        ("olivia", "board", "RF0001", "A99999999"),
        ("olivia", "board", "RF0001", "A10000003"),
        ("olivia", "board", "RF0001", "--file", str(tmp_path / "missing.txt")),
        ("sam", "depart", "RF0001"),
        ("sam", "depart", "RF0001", "--at", "yesterday"),
        ("sam", "depart", "RF0001", "--at", "2030-03-31T09:00"),
        ("olivia", "report", "struck-off", "--from", "2030-13-01", "--out", str(tmp_path / "r.csv")),
        (
            "olivia",
            "report",
            "struck-off",
            "--from",
            "2030-03-05",
            "--to",
            "2030-03-01",
            "--out",
            str(tmp_path / "r.csv"),
        ),
    ]
    for user, *args in bad:
        before = writes(ctx)
        capsys.readouterr()
        assert _run(monkeypatch, db, user, *args) == 2, args
        err = capsys.readouterr().err.strip()
        assert err.startswith("charter-planner:"), (args, err)
        assert writes(ctx)[1] == before[1], args
    assert not (tmp_path / "r.csv").exists()

    assert _run(monkeypatch, db, "olivia", "strike", "RF0001", "A10000001", "--reason", "no_show") == 0
    out = capsys.readouterr().out
    assert "struck off RF0001 (NO_SHOW): A10000001" in out

    scans = tmp_path / "scans.txt"
    scans.write_text("A10000002\n\n  A20000001\r\nA20000002\n", encoding="utf-8")
    assert _run(monkeypatch, db, "olivia", "board", "RF0001", "--file", str(scans)) == 0
    assert "3 boarded" in capsys.readouterr().out
    assert _run(monkeypatch, db, "olivia", "board", "RF0001", "A10000002") == 0
    assert "already boarded: A10000002" in capsys.readouterr().out
    assert _run(monkeypatch, db, "olivia", "close", "RF0001") == 1  # an officer may not
    # The reserve who moved up is on the draft, not on the approved revision: close refuses nothing
    # for them; everybody listed on revision 1 is boarded or struck.
    assert _run(monkeypatch, db, "sam", "close", "RF0001") == 0
    assert "closed" in capsys.readouterr().out
    assert _run(monkeypatch, db, "sam", "depart", "RF0001") == 2  # years before the scheduled time
    assert "cannot depart before" in capsys.readouterr().err

    out_csv = tmp_path / "struck.csv"
    assert (
        _run(monkeypatch, db, "olivia", "report", "struck-off", "--flight", "RF0001", "--out", str(out_csv))
        == 0
    )
    assert "1 struck off (NO_SHOW 1)" in capsys.readouterr().out
    assert out_csv.read_text(encoding="utf-8").splitlines()[1].startswith("A10000001,RF0001,1,NO_SHOW")
