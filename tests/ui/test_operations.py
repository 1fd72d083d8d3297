"""``ui.operations.Operation``: callbacks on the GUI thread, none on a deleted parent, the change
announced after a success (even when the parent is gone), and the only user of the engines."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from ui import operations
from ui.operations import Change, Operation, TaskControl

UI = Path(__file__).resolve().parents[2] / "ui"
ENGINES = {"ui.background", "ui.process_runner"}
WAIT = 10_000


class _Sink(QWidget):
    """Stands in for a screen: receives ``announce_change``."""

    changed = Signal(object)

    def announce_change(self, change: Change) -> None:
        self.changed.emit(change)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_only_operations_uses_the_engines() -> None:
    users = sorted(
        str(path.relative_to(UI.parent))
        for path in UI.rglob("*.py")
        if _imports(path) & ENGINES
        and path.name not in {"operations.py", "background.py", "process_runner.py"}
    )
    assert users == []


def test_success_runs_on_the_gui_thread_and_announces_the_change(qtbot) -> None:
    sink = _Sink()
    qtbot.addWidget(sink)
    child = QWidget(sink)
    seen: list[tuple[int, bool]] = []
    progress: list[float] = []

    def work(task: TaskControl) -> int:
        task.report_progress(0.5, "half")
        return 42

    op = Operation[int](child).success(
        lambda value: seen.append((value, threading.current_thread() is threading.main_thread()))
    )
    with qtbot.waitSignal(sink.changed, timeout=WAIT) as changed:
        op.progress(lambda fraction, _m: progress.append(fraction)).changes(Change.PEOPLE).run_in_thread(work)
        assert op.running and operations.busy()
    assert changed.args == [Change.PEOPLE]
    assert seen == [(42, True)]
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)
    assert not op.running


def test_failure_goes_to_the_failure_callback(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    failures: list[str] = []

    def work(_task: TaskControl) -> None:
        raise ValueError("boom")

    Operation[None](parent).success(lambda _r: failures.append("success?")).failure(
        lambda exc, _details: failures.append(str(exc))
    ).run_in_thread(work)
    qtbot.waitUntil(lambda: bool(failures), timeout=WAIT)
    assert failures == ["boom"]


def test_no_callback_on_a_deleted_parent_but_the_change_is_announced(qtbot) -> None:
    sink = _Sink()
    qtbot.addWidget(sink)
    dialog = QWidget(sink)
    release = threading.Event()
    called: list[object] = []
    op = (
        Operation[int](dialog)
        .success(called.append)
        .changes(Change.USERS)
        .run_in_thread(lambda _task: 1 if release.wait(WAIT / 1000) else 0)
    )
    dialog.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=WAIT)
    with qtbot.waitSignal(sink.changed, timeout=WAIT) as changed:
        release.set()
    assert changed.args == [Change.USERS] and called == [] and not op.running


def test_an_operation_runs_once(qtbot) -> None:
    op = Operation[int](None).run_in_thread(lambda _task: 1)
    with pytest.raises(RuntimeError):
        op.run_in_thread(lambda _task: 2)
    qtbot.waitUntil(lambda: not op.running, timeout=WAIT)
