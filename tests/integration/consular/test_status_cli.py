"""``verification status [--country] [--json]`` and ``verification remind`` through the command line,
on both backends: the JSON keys, the text, the exit codes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from planner.entrypoints.cli import main as cli
from planner.persistence.db import make_engine
from planner.persistence.models import utc_now
from tests.integration.consular import pipeline_world
from tests.integration.consular.pipeline_world import reference
from tests.integration.test_cli import db, empty_db  # noqa: F401 - fixtures

DAY = timedelta(days=1)
KEYS = {
    "country",
    "name",
    "requested_open",
    "overdue",
    "confirmed",
    "not_confirmed",
    "median_lead_days",
    "expected_lead_days",
    "batches",
    "travel_documents",
}


@pytest.fixture
def world_db(db: str) -> str:  # noqa: F811
    """``db`` with the pipeline world dated from today (the command line runs on the clock)."""
    engine = make_engine(db)
    with Session(engine) as session:
        pipeline_world.build(session, utc_now().date())
        session.commit()
    engine.dispose()
    return db


def test_status_json_prints_one_object_per_country(world_db: str, capsys: pytest.CaptureFixture) -> None:
    assert cli.run(["--db", world_db, "verification", "status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["country"] for r in rows] == ["CHN", "HTI"]
    assert all(set(r) == KEYS for r in rows)
    chn = rows[0]
    assert (chn["requested_open"], chn["overdue"], chn["confirmed"], chn["not_confirmed"]) == (3, 1, 3, 1)
    assert (chn["median_lead_days"], chn["expected_lead_days"]) == (20.0, 20)
    assert len(chn["batches"]) == 4 and chn["batches"][0]["closed"] is True
    assert chn["travel_documents"]["requested_open"] == 1
    assert cli.run(["--db", world_db, "verification", "status", "--country", "GTM", "--json"]) == 0
    (gtm,) = json.loads(capsys.readouterr().out)
    assert gtm["batches"] == [] and gtm["requested_open"] == 0 and gtm["median_lead_days"] is None


def test_status_text_has_a_line_per_country_then_its_batches(
    world_db: str, capsys: pytest.CaptureFixture
) -> None:
    today = utc_now().date()
    assert cli.run(["--db", world_db, "verification", "status", "--country", "CHN"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "CHN China — verification: 3 open requests (1 overdue), 3 confirmed, 1 not confirmed, "
        "median lead 20 days, expected 20 days (median of 4 answers)"
    )
    assert lines[1] == (
        "    travel documents: 1 open request (1 overdue), 0 issued, 0 refused, no answers yet, "
        "expected 30 days (country rule; 0 answers so far)"
    )
    first = reference("VR", "CHN", today - 92 * DAY, 1)
    assert (
        f"    {first}  verification  sent {today - 92 * DAY}, due {today - 72 * DAY}: 5 people, " in lines[3]
    )
    assert lines[3].endswith("1 open (1 overdue), 3 answered")
    assert lines[2].endswith(": 1 person, closed, 1 answered")
    assert len(lines) == 6
    assert cli.run(["--db", world_db, "verification", "status"]) == 0
    out = capsys.readouterr().out
    assert "\nHTI Haiti — verification: 1 open request (1 overdue)" in out


def test_status_exit_codes_unknown_country_and_no_batches(db: str, capsys: pytest.CaptureFixture) -> None:  # noqa: F811
    assert cli.run(["--db", db, "verification", "status"]) == 0
    assert capsys.readouterr().out == "no request batches yet\n"
    assert cli.run(["--db", db, "verification", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli.run(["--db", db, "verification", "status", "--country", "XYZ"]) == 2
    err = capsys.readouterr().err
    assert "unknown country" in err and err.strip().count("\n") == 0


def test_remind_writes_the_letter_or_says_nothing_is_overdue(
    world_db: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "reminder.pdf"
    assert cli.run(["--db", world_db, "verification", "remind", "--country", "GTM", "--out", str(out)]) == 2
    assert "nothing is overdue for GTM" in capsys.readouterr().err and not out.exists()
    assert cli.run(["--db", world_db, "verification", "remind", "--country", "CHN", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("reminder to CHN: 2 requests (") and "2 people overdue" in printed
    assert out.read_bytes().startswith(b"%PDF")
