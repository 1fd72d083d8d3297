"""SIGKILL a CLI command at random moments on copies of one database; check what survives.

Shared by the always-run crash tests and the bench versions (bigger files, more kills)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from planner.entrypoints.cli import main as cli
from tests.conftest import ADMIN_PASSWORD

REPO = Path(__file__).resolve().parents[3]


@dataclass
class KillReport:
    runs: int = 0
    killed: int = 0
    finished: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    full_seconds: float = 0.0

    def text(self) -> str:
        return (
            f"{self.runs} runs ({self.killed} killed, {self.finished} finished before the kill), "
            f"outcomes {self.outcomes}, uninterrupted run {self.full_seconds:.1f} s"
        )


def cli_env(data_dir: Path) -> dict[str, str]:
    return dict(
        os.environ,
        CHARTER_USER="admin",
        CHARTER_PASSWORD=ADMIN_PASSWORD,
        CHARTER_DATA_DIR=str(data_dir),
        CHARTER_LOG_LEVEL="WARNING",
    )


def start(db: Path, args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "--db", str(db), *args],
        cwd=REPO,
        env=cli_env(db.parent),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def integrity(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:  # opening recovers from the WAL, as the next program would
        return conn.execute("PRAGMA integrity_check").fetchall()


def audit_verify(db: Path) -> int:
    """``audit verify`` through the command line (in-process, to save a Python start-up)."""
    env = cli_env(db.parent)
    saved = {k: os.environ.get(k) for k in ("CHARTER_USER", "CHARTER_PASSWORD")}
    os.environ.update(CHARTER_USER=env["CHARTER_USER"], CHARTER_PASSWORD=env["CHARTER_PASSWORD"])
    try:
        return cli.run(["--db", str(db), "audit", "verify"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def kill_loop(
    template: Path,
    work: Path,
    args: list[str],
    *,
    kills: int,
    outcome: Callable[[Path], str],
    seed: int = 7,
) -> KillReport:
    """Run ``args`` once uninterrupted (its duration sets the kill window), then ``kills`` times
    on a fresh copy of ``template``, SIGKILLed after a random delay; after each, the copy must pass
    ``integrity_check`` and ``audit verify``, and ``outcome(copy)`` names the state found (it
    raises AssertionError for a partial state)."""
    rng = random.Random(seed)
    report = KillReport()
    work.mkdir(parents=True, exist_ok=True)
    full = work / "full.db"
    shutil.copyfile(template, full)
    t0 = time.perf_counter()
    proc = start(full, args)
    _out, err = proc.communicate(timeout=600)
    report.full_seconds = time.perf_counter() - t0
    assert proc.returncode == 0, err.decode()
    assert outcome(full) == "complete"
    window = report.full_seconds
    for i in range(kills):
        db = work / f"run{i}.db"
        shutil.copyfile(template, db)
        delay = rng.uniform(0.3, window * 1.05)
        proc = start(db, args)
        t_start = time.perf_counter()
        try:
            proc.wait(timeout=delay)
            report.finished += 1
            window = min(window, time.perf_counter() - t_start)  # the machine got faster: aim inside
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            report.killed += 1
        proc.stderr.close()
        report.runs += 1
        context = f"run {i} (killed after {delay:.2f} s, seed {seed})"
        assert integrity(db) == [("ok",)], context
        state = outcome(db)
        report.outcomes[state] = report.outcomes.get(state, 0) + 1
        assert audit_verify(db) == 0, context
        for p in db.parent.glob(f"{db.name}*"):
            p.unlink()
    return report


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def roster_outcome(expected_people: int) -> Callable[[Path], str]:
    def outcome(db: Path) -> str:
        people = count(db, "SELECT count(*) FROM person")
        events = count(db, "SELECT count(*) FROM audit_event WHERE entity = 'person'")
        assert people in (0, expected_people), f"partial import: {people} people"
        assert (events == 0) == (people == 0), f"{people} people but {events} person events"
        return "complete" if people else "absent"

    return outcome


def plan_outcome(db: Path) -> str:
    runs = count(db, "SELECT count(*) FROM plan_run")
    assignments = count(db, "SELECT count(*) FROM assignment")
    exclusions = count(db, "SELECT count(*) FROM plan_exclusion")
    events = count(db, "SELECT count(*) FROM audit_event WHERE action = 'plan.run'")
    locks = count(db, "SELECT count(*) FROM app_lock")
    assert locks in (0, 1)  # a killed run leaves its lease, which expires by itself
    if runs == 0:
        assert assignments == exclusions == events == 0, "partial plan store"
        return "absent"
    assert runs == 1 and events == 1
    with sqlite3.connect(db) as conn:
        counts = json.loads(conn.execute("SELECT counts_json FROM plan_run").fetchone()[0])
    assert assignments == counts["placed"], f"{assignments} assignments for {counts['placed']} placed"
    assert assignments + exclusions == counts["people_considered"]
    return "complete"
