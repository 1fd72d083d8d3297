"""The command line with bad paths and a closed pipe: one line on stderr, the right exit code,
never a traceback or "internal error" (issue 14, "One-line errors")."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.entrypoints.cli import main as cli
from planner.persistence.context import AppContext
from planner.persistence.models import PlanRun
from tests.conftest import ADMIN_PASSWORD
from tests.integration.reliability.conftest import fill_demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)


def _run(ctx: AppContext, *argv: str) -> int:
    return cli.run(["--db", str(ctx.engine.url.database), *argv], settings=ctx.settings)


@pytest.mark.parametrize(
    "argv",
    [
        ("backup", "--out", "{dir}"),
        ("restore", "{dir}"),
        ("manifest", "RF0001", "--out", "{dir}"),
        ("export", "plan", "--format", "csv", "--out", "{dir}"),
        ("paxlst", "RF0001", "--out", "{dir}"),
        ("import", "roster", "{dir}"),
        ("backup", "--out", "/dev/null"),
    ],
    ids=[
        "backup-out-dir",
        "restore-dir",
        "manifest-out-dir",
        "export-out-dir",
        "paxlst-out-dir",
        "import-dir",
        "backup-devnull",
    ],
)
def test_a_folder_or_device_where_a_file_belongs_is_one_line_exit_2(
    sqlite_ctx: AppContext,
    signed_in: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    argv: tuple[str, ...],
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    code = _run(sqlite_ctx, *(a.format(dir=folder) for a in argv))
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err
    assert list(folder.iterdir()) == []
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_plan_into_a_pipe_closed_early_stores_the_plan_and_exits_141(sqlite_ctx: AppContext) -> None:
    fill_demo(sqlite_ctx, people=60, flights=2)
    env = {**os.environ, "CHARTER_USER": "admin", "CHARTER_PASSWORD": ADMIN_PASSWORD}
    env["CHARTER_DATA_DIR"] = str(sqlite_ctx.settings.data_dir)
    database = str(sqlite_ctx.engine.url.database)
    read, write = os.pipe()
    os.close(read)  # the reader (``head -1``) is gone before the plan is printed
    try:
        run = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "--db", database, "plan", "--time-limit", "5", "--json"],
            env=env,
            stdout=write,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        os.close(write)
    assert run.returncode == cli.EXIT_PIPE_CLOSED, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert run.stderr.count("\n") <= 1
    with sqlite_ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(PlanRun)).scalar_one() == 1
