"""What the window loads: the solver (OR-Tools, and pandas with it) only in the child process that
plans, never in the window's own process (issue 18: it costs the first paint seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from planner.persistence.context import AppContext

ROOT = Path(__file__).resolve().parents[2]

#: Builds the main window (every screen, not planning) on the database ``argv[1]`` (folder
#: ``argv[2]``), visits every screen until its data is in, then prints the heavy modules the process
#: holds. Run in a fresh interpreter: the test process may have imported them already.
_WINDOW = r"""
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from PySide6.QtTest import QTest

app = QApplication([])
from planner.persistence.context import build_context
from planner.services.auth import Actor
from planner.domain.enums import Role
from planner.settings import Settings
from ui import operations
from ui.main_window import MainWindow

ctx = build_context(Settings(db=sys.argv[1], data_dir=Path(sys.argv[2])))
window = MainWindow(ctx, Actor("admin", Role.ADMIN, "admin"))
window.show()
for title in window.screens:
    window.show_screen(title)
    QTest.qWait(50)
    while operations.busy():
        QTest.qWait(20)
print(sorted(m for m in ("ortools", "pandas") if m in sys.modules))
"""


def test_the_window_does_not_load_the_solver(ctx: AppContext, tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _WINDOW, ctx.settings.database, str(tmp_path)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout[-2000:]
