"""``schedule propose [--json]`` and ``schedule accept`` end to end through ``cli.main.run`` (both
backends): the JSON is exactly the proposal's ``as_json``, the table names how to accept, accepted
missions print their flight codes, refusals are one line with the exit codes of ``cli.main``."""

from __future__ import annotations

import json

import pytest

from planner.persistence.context import AppContext
from planner.services.auth import Actor
from tests.integration.consular.test_pipeline_end_to_end import _run, cli_db  # noqa: F401 - cli_db: a fixture
from tests.integration.scheduling.world import build, person


def test_propose_json_then_accept(
    ctx: AppContext,
    officer: Actor,
    supervisor: Actor,
    cli_db: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    build(ctx, [*(person("GTM") for _ in range(6)), person("SLV"), person("SLV")])
    propose = ("schedule", "propose", "--weeks", "2", "--time-limit", "2")
    assert _run(monkeypatch, cli_db, "olivia", *propose, "--json") == 0
    shape = json.loads(capsys.readouterr().out)
    assert list(shape) == ["proposal_id", "bound", "gap", "totals", "current", "missions"]
    assert shape["missions"] and shape["missions"][0]["id"] == "M1"
    proposal = shape["proposal_id"]

    assert _run(monkeypatch, cli_db, "olivia", *propose) == 0
    table = capsys.readouterr().out
    assert "id  date" in table and "cost/person" in table and "proposed" in table and "current" in table
    assert f"accept every mission with: schedule accept {proposal + 1}   (or some: --missions M1" in table

    assert _run(monkeypatch, cli_db, "olivia", "schedule", "accept", str(proposal)) == 1  # officers may not
    assert "may not schedule.accept" in capsys.readouterr().err
    assert _run(monkeypatch, cli_db, "sam", "schedule", "accept", str(proposal), "--missions", "M1") == 0
    assert f"S{proposal}-M1" in capsys.readouterr().out
    assert _run(monkeypatch, cli_db, "sam", "schedule", "accept", str(proposal), "--missions", "M1") == 2
    err = capsys.readouterr().err
    assert f"already accepted: M1 as flight S{proposal}-M1" in err
    assert err.strip().count("\n") == 0, "one line, no traceback"
    assert _run(monkeypatch, cli_db, "sam", "schedule", "accept", "999") == 2
    assert "there is no schedule proposal 999" in capsys.readouterr().err
    assert _run(monkeypatch, cli_db, "sam", "schedule", "accept", str(proposal), "--missions", "M1,M99") == 2
    assert f"schedule proposal {proposal} has no mission M99" in capsys.readouterr().err
