"""``rules list [--all] [--json]`` and ``import country-rules FILE [--dry-run] [--accept-impact]``
through the command line, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.entrypoints.cli import main as cli
from tests.integration.test_cli import db, empty_db  # noqa: F401 - fixtures

HEADER = (
    "country,name,verification_required,accepted_document_types,min_validity_days,max_per_flight,"
    "notice_days,api_deadline_minutes\n"
)


def test_rules_list_shows_the_stored_rules_and_with_all_every_country(
    db: str,  # noqa: F811
    capsys: pytest.CaptureFixture,
) -> None:
    assert cli.run(["--db", db, "rules", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "COUNTRY",
        "NAME",
        "VERIFY",
        "DOCUMENTS",
        "VALID",
        "CAP",
        "NOTICE",
        "API",
        "LEAD",
        "REGION",
        "MISSIONS",
        "ARRIVE",
        "AIRPORTS",
        "VERSION",
    ]
    china = next(line for line in out if line.startswith("CHN"))
    assert china.split() == [
        "CHN",
        "China",
        "yes",
        "PASSPORT;TRAVEL_DOCUMENT",
        "30d",
        "-",
        "14d",
        "120min",
        "30d",
        "-",
        "1/wk",
        "TUE;THU",
        "any",
        "1",
    ]
    honduras = next(line for line in out if line.startswith("HND"))
    assert honduras.split()[9:] == ["Central", "America", "6/wk", "MON;TUE;WED;THU;FRI", "SAP;XPL", "1"]
    assert out[-1] == "10 countries with their own rule"
    assert cli.run(["--db", db, "rules", "list", "--all", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 249
    haiti = next(r for r in rows if r["country"] == "HTI")
    assert haiti["version"] == "default" and haiti["accepted_document_types"] == ["PASSPORT"]
    assert haiti["lead_time_days"] == 30 and haiti["request_columns"][:2] == ["reference", "case_number"]
    assert (haiti["region"], haiti["max_missions_per_week"], haiti["arrival_airports"]) == ("", None, [])
    china = next(r for r in rows if r["country"] == "CHN")
    assert (china["max_missions_per_week"], china["arrival_weekdays"]) == (1, ["TUE", "THU"])
    assert cli.run(["--db", db, "rules", "list", "--all"]) == 0
    out = capsys.readouterr().out
    assert "HTI      Haiti" in out and "DEFAULT" in out and "239 on the default rule" in out


def test_import_country_rules_dry_run_then_real_and_a_bad_file_exits_2(
    db: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    good = tmp_path / "rules.csv"
    good.write_text(HEADER + "HTI,,true,PASSPORT,0,,5,\nVNM,,true,PASSPORT;LAISSEZ_PASSER,30,150,10,240\n")
    assert cli.run(["--db", db, "import", "country-rules", str(good), "--dry-run"]) == 0
    assert "dry run, nothing written" in capsys.readouterr().out
    assert cli.run(["--db", db, "import", "country-rules", str(good), "--accept-impact"]) == 0
    assert "2 new" in capsys.readouterr().out
    assert cli.run(["--db", db, "rules", "list"]) == 0
    assert "VNM      Viet Nam" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "HTI,,true,PASSPORT,0,,6,\nZZZ,,true,VISA,0,,5,\n")
    assert cli.run(["--db", db, "import", "country-rules", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3: country:" in err and f"{bad}:3: accepted_document_types:" in err
    assert cli.run(["--db", db, "rules", "list", "--json"]) == 0
    assert next(r for r in json.loads(capsys.readouterr().out) if r["country"] == "HTI")["notice_days"] == 5
