"""Run work off the GUI thread and hand the result back on it.

``run_in_background(fn, on_done, on_error)`` runs ``fn()`` on the global ``QThreadPool``; the
callbacks run on the GUI thread (queued signal). ``fn`` must not touch widgets; pass it ids and
plain values only. Keep the returned ``Task`` referenced until it finishes (the helper does).

While any task runs, the cyclic garbage collector is paused (``collector_paused``): a query that
builds tens of thousands of objects would otherwise set off full collections on the pool thread,
each of which holds the interpreter lock for hundreds of milliseconds over every object built so
far, while the window's thread waits. Most of those objects are freed by reference counting as the
task ends; the collector runs again after the last running task.

A low-level engine: the window uses it only through ``ui.operations.Operation``.
"""

from __future__ import annotations

import gc
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from planner.domain.errors import PlannerError
from solver.callbacks import Progress

log = logging.getLogger(__name__)

#: Tasks started and not yet reported back; keeps them (and their relays) alive until then.
_running: set[Task] = set()

_collector_lock = threading.Lock()
#: Tasks inside ``collector_paused``, and whether the collector was enabled when the first entered.
_collector_holds = 0
_collector_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the block runs (any thread; nested and concurrent
    blocks are counted). It is enabled again when the last block ends, if it was before the first."""
    global _collector_holds, _collector_was_enabled
    with _collector_lock:
        if _collector_holds == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_holds += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_holds -= 1
            if _collector_holds == 0 and _collector_was_enabled:
                gc.enable()


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object, str)
    progress = Signal(float, str)


class _Relay(QObject):
    """Lives on the GUI thread; its slots are what the task's signals reach, so plain Python
    callbacks always run on the GUI thread (a signal connected straight to a function would run
    it on the emitting pool thread)."""

    def __init__(
        self,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException, str], None],
        on_progress: Progress | None,
        owner: QObject | None = None,
    ) -> None:
        super().__init__()
        self._on_done, self._on_error, self._on_progress = on_done, on_error, on_progress
        self._owner = owner
        self.task: Task | None = None

    def _owner_gone(self) -> bool:
        """True when the widget that asked for the work was deleted meanwhile (window closed):
        its callbacks must not run on a dead C++ object."""
        return self._owner is not None and not shiboken6.isValid(self._owner)

    @Slot(object)
    def done(self, result: object) -> None:
        _running.discard(self.task)
        if not self._owner_gone():
            self._on_done(result)

    @Slot(object, str)
    def failed(self, exc: object, details: str) -> None:
        _running.discard(self.task)
        if not self._owner_gone():
            self._on_error(exc, details)  # type: ignore[arg-type]

    @Slot(float, str)
    def progress(self, fraction: float, message: str) -> None:
        if self._on_progress is not None and not self._owner_gone():
            self._on_progress(fraction, message)


class Task(QRunnable):
    """One background job. ``progress(fraction, message)`` may be called from ``fn`` via
    ``task.report_progress``; ``cancel()`` makes ``should_stop()`` return True."""

    def __init__(self, fn: Callable[[Task], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = _Signals()
        self._fn = fn
        self._cancelled = False
        self.relay: _Relay | None = None

    def cancel(self) -> None:
        self._cancelled = True

    def should_stop(self) -> bool:
        return self._cancelled

    def report_progress(self, fraction: float, message: str = "") -> None:
        self.signals.progress.emit(float(fraction), message)

    def run(self) -> None:  # runs on a pool thread
        try:
            with collector_paused():
                result = self._fn(self)
        except PlannerError as exc:  # refused, invalid, conflict: the view shows it; not a fault
            log.info("background task refused: %s", exc)
            self.signals.failed.emit(exc, traceback.format_exc())
        except Exception as exc:
            log.exception("background task failed")
            self.signals.failed.emit(exc, traceback.format_exc())
        else:
            self.signals.done.emit(result)


def run_in_background(
    fn: Callable[[Task], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException, str], None],
    on_progress: Progress | None = None,
    *,
    owner: QObject | None = None,
) -> Task:
    """Start ``fn(task)`` on the thread pool; callbacks arrive on the GUI thread, and are skipped
    when ``owner`` (the widget that asked) has been deleted by then.

    Call from the GUI thread only."""
    task = Task(fn)
    task.relay = _Relay(on_done, on_error, on_progress, owner)
    task.relay.task = task
    task.signals.done.connect(task.relay.done)
    task.signals.failed.connect(task.relay.failed)
    task.signals.progress.connect(task.relay.progress)
    _running.add(task)
    QThreadPool.globalInstance().start(task)
    return task
