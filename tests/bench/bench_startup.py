"""Start-up time: ``charter-planner --help`` and the window's first paint, before and after a change.
Target (issue 15): the full airport table costs start-up nothing measurable; at most 10 % slower.

Measured, as the median of ``CHARTER_BENCH_RUNS`` runs (default 15), each in a fresh process:

- **help**: wall-clock time of ``python main.py --help`` (process start to exit).
- **sign-in paint**: process start (the parent's clock just before it starts the child) to the
  first paint event of the first window the program shows without any typing: the sign-in
  dialog. This is everything the program does before a person can act: interpreter, imports,
  settings, logging, Qt, the database check in a child process, the dialog.
- **main-window paint**: the same to the main window's first paint, the sign-in dialog filled in
  and accepted by the harness the moment it is painted (as ``admin`` of the demo database, so every
  screen is built; the Argon2id password check is included: about 0.1–0.3 s).

A harness (``_HARNESS``, run with ``python -c``) wraps ``ui.app.make_application`` through an
import hook (the program's own import order is unchanged) to install an application-wide event
filter that notes those paint events; it then runs ``main.py`` as ``__main__``. Qt draws
``offscreen`` (``CHARTER_BENCH_QPA`` to change it), so no X server noise and no ``ldd`` check.

Before/after: the code at ``CHARTER_BENCH_BEFORE`` (default ``/tmp/before``, a checkout of the
commit before the change; skipped when absent) and this checkout, same interpreter; runs
alternate between the two so a machine busy with other work slows both alike. Each tree has its
own demo database, created by one warm-up run (not measured).

Run: ``pytest -m bench tests/bench/bench_startup.py -s`` (about 2–4 minutes at 15 runs).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

AFTER = Path(__file__).resolve().parents[2]
BEFORE = Path(os.environ.get("CHARTER_BENCH_BEFORE", "/tmp/before"))
RUNS = int(os.environ.get("CHARTER_BENCH_RUNS", "15"))
QPA = os.environ.get("CHARTER_BENCH_QPA", "offscreen")
TARGET_RATIO = 1.10
DEMO_ACCOUNT, DEMO_PASSWORD = "admin", "charter-demo"

#: Run by ``python -c`` in the tree's folder: ``argv[1]`` is ``login`` or ``main``. Prints one JSON
#: line ``{"login": seconds, "main": seconds}`` (from ``CHARTER_BENCH_T0``) and exits at once.
_HARNESS = r"""
import importlib.abc, importlib.machinery, json, os, runpy, sys, time

T0 = float(os.environ["CHARTER_BENCH_T0"])
MODE = sys.argv[1]
seen = {}


def done():
    print(json.dumps(seen), flush=True)
    os._exit(0)


def install(app):
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and obj.isWidgetType() and obj.isWindow():
                name = type(obj).__name__
                if name == "LoginDialog" and "login" not in seen:
                    seen["login"] = time.time() - T0
                    if MODE == "login":
                        done()
                    obj.username.setText(os.environ["CHARTER_BENCH_USER"])
                    obj.password.setText(os.environ["CHARTER_BENCH_PASSWORD"])
                    QTimer.singleShot(0, obj._sign_in)
                elif name == "MainWindow" and "main" not in seen:
                    seen["main"] = time.time() - T0
                    done()
            return False

    app._bench_filter = FirstPaint(app)
    app.installEventFilter(app._bench_filter)


class Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "ui.app":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            original = module.make_application

            def make_application(*args, **kwargs):
                app = original(*args, **kwargs)
                install(app)
                return app

            module.make_application = make_application

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, Hook())
sys.argv = ["main.py"]
runpy.run_path("main.py", run_name="__main__")
"""


def _env(root: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHARTER_", "QT_"))}
    env.update(
        PYTHONPATH=str(root),
        CHARTER_DATA_DIR=str(data_dir),
        CHARTER_DB=str(data_dir / "charter.db"),
        QT_QPA_PLATFORM=QPA,
        CHARTER_BENCH_USER=DEMO_ACCOUNT,
        CHARTER_BENCH_PASSWORD=DEMO_PASSWORD,
    )
    return env


def time_help(root: Path, data_dir: Path) -> float:
    env = _env(root, data_dir)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "main.py", "--help"],
        cwd=root,
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    return elapsed


def time_window(root: Path, data_dir: Path, mode: str, timeout: float = 120) -> dict[str, float]:
    env = _env(root, data_dir)
    env["CHARTER_BENCH_T0"] = repr(time.time())
    done = subprocess.run(
        [sys.executable, "-c", _HARNESS, mode],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, (done.returncode, done.stdout[-1000:], done.stderr[-3000:])
    result: dict[str, float] = json.loads(lines[-1])
    return result


def _median_table(samples: dict[str, dict[str, list[float]]]) -> list[str]:
    lines = [
        f"{'measure':<18} {'before s':>9} {'after s':>9} {'ratio':>7}   (median of {RUNS}; min before/after)"
    ]
    for measure in ("help", "login", "main"):
        before, after = samples["before"][measure], samples["after"][measure]
        b, a = statistics.median(before), statistics.median(after)
        lines.append(f"{measure:<18} {b:9.3f} {a:9.3f} {a / b:7.3f}   ({min(before):.3f} / {min(after):.3f})")
    return lines


@pytest.mark.timeout(3600)
@pytest.mark.skipif(not (BEFORE / "main.py").exists(), reason=f"no 'before' checkout at {BEFORE}")
def test_start_up_before_and_after() -> None:
    trees = {"before": BEFORE, "after": AFTER}
    folders = {name: Path(tempfile.mkdtemp(prefix=f"charter-bench-startup-{name}-")) for name in trees}
    for name, root in trees.items():  # warm-up: creates the demo database (first run), fills caches
        time_window(root, folders[name], "main", timeout=900)
        time_help(root, folders[name])
    samples: dict[str, dict[str, list[float]]] = {
        name: {"help": [], "login": [], "main": []} for name in trees
    }
    for i in range(RUNS):
        for name in ("before", "after") if i % 2 == 0 else ("after", "before"):
            root, folder = trees[name], folders[name]
            samples[name]["help"].append(time_help(root, folder))
            samples[name]["login"].append(time_window(root, folder, "login")["login"])
            samples[name]["main"].append(time_window(root, folder, "main")["main"])
    report = _median_table(samples)
    print("\nstart-up, " + os.environ.get("CHARTER_BENCH_NOTE", f"{os.cpu_count()} CPUs"))
    for line in report:
        print(line)
    for measure in ("help", "login", "main"):
        ratio = statistics.median(samples["after"][measure]) / statistics.median(samples["before"][measure])
        assert ratio <= TARGET_RATIO, f"{measure}: after/before = {ratio:.3f} > {TARGET_RATIO}"
