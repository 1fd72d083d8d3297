"""A command imports only what it needs (issue 18): ``--help`` (of the program and of a command)
loads neither the database layer nor OR-Tools, pandas, ReportLab or Qt; ``audit verify``,
``explain`` and ``export plan`` run without OR-Tools, pandas, ReportLab or Qt.

Each command runs as ``main.py`` in a fresh interpreter (``runpy``, as ``__main__``) with its own
data folder, and writes the names in ``sys.modules`` at exit to a file the test reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.demo.generate import generate_demo
from planner.entrypoints.cli import imports as cli_imports
from planner.persistence.context import AppContext
from planner.persistence.models import Assignment, Person
from planner.services import planning
from planner.services.auth import Actor
from planner.services.imports import KINDS
from tests.conftest import ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
#: Never loaded by ``--help``, ``audit verify``, ``explain`` or ``export plan``.
HEAVY = ("ortools", "pandas", "reportlab", "PySide6")
#: Not loaded by ``--help`` either: parsing the arguments needs no database.
DATABASE = ("sqlalchemy", "sqlmodel", "alembic")

#: ``python -c`` body: run ``main.py`` as the console script would, then record ``sys.modules``.
_RUN_MAIN = """
import json, os, runpy, sys
sys.argv = ["main.py", *sys.argv[1:]]
try:
    runpy.run_path("main.py", run_name="__main__")
finally:
    with open(os.environ["CHARTER_TEST_MODULES"], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)
"""


def run_main(args: list[str], folder: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``main.py ARGS`` in a new process whose data folder is ``folder`` (signed in as the
    tests' admin); the completed process and the top-level packages it had imported at exit."""
    modules = folder / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHARTER_", "QT_"))}
    env.update(
        CHARTER_DATA_DIR=str(folder),
        CHARTER_DB=str(folder / "charter.db"),
        CHARTER_USER="admin",
        CHARTER_PASSWORD=ADMIN_PASSWORD,
        CHARTER_TEST_MODULES=str(modules),
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", _RUN_MAIN, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    loaded = {name.split(".")[0] for name in json.loads(modules.read_text(encoding="utf-8"))}
    return done, loaded


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["plan", "--help"],
        ["explain", "--help"],
        ["export", "--help"],
        ["audit", "verify", "--help"],
    ],
    ids=" ".join,
)
def test_help_loads_no_database_solver_data_frame_pdf_or_qt(args: list[str], tmp_path: Path) -> None:
    done, loaded = run_main(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: charter-planner")
    assert not loaded & {*HEAVY, *DATABASE}, sorted(loaded & {*HEAVY, *DATABASE})
    assert not (tmp_path / "charter.db").exists(), "--help opens no database"


def test_the_import_command_lists_the_importers_kinds() -> None:
    assert cli_imports.KINDS == KINDS  # the parser's own copy, so --help loads no importer


@pytest.fixture
def planned(ctx: AppContext, admin: Actor) -> AppContext:
    """A small demo office with a stored draft plan."""
    with ctx.uow() as uow:
        generate_demo(uow, admin, people=40, flights=2, seed=3)
        uow.commit()
    planning.run_plan(ctx, admin, ctx.settings, time_limit=5)
    return ctx


def test_audit_verify_explain_and_export_load_no_solver_data_frame_pdf_or_qt(
    planned: AppContext, tmp_path: Path
) -> None:
    with planned.uow(write=False) as uow:
        case = uow.session.execute(
            sa.select(Person.case_number).join(Assignment, Assignment.person_id == Person.id).limit(1)
        ).scalar_one()
    db = ["--db", planned.settings.database]
    commands = {
        "audit verify": [*db, "audit", "verify"],
        "explain": [*db, "explain", case],
        "export plan": [*db, "export", "plan", "--format", "csv", "--out", str(tmp_path / "plan.csv")],
    }
    for name, args in commands.items():
        done, loaded = run_main(args, tmp_path)
        assert done.returncode == 0, (name, done.stderr)
        assert not loaded & set(HEAVY), (name, sorted(loaded & set(HEAVY)))
    assert (tmp_path / "plan.csv").read_text(encoding="utf-8").startswith("case_number,")
