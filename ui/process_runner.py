"""Run a long job in a child process and hand progress and the result back on the GUI thread.

Threads share one interpreter lock: a background thread deep in SQLAlchemy row handling, numpy or
JSON can keep the GUI thread waiting for hundreds of milliseconds. Jobs that take seconds (plan,
import) therefore run in a separate process (``spawn``), which shares nothing with the window.

``run_in_process(job, args, on_done, on_error, on_progress, owner=...)`` starts
``job(progress, should_stop, *args)`` (a picklable top-level function, see ``planner/jobs.py``);
a ``QTimer`` on the GUI thread polls the child's queue, so every callback runs on the GUI thread
and is skipped once ``owner`` is deleted. ``task.cancel()`` makes the child's ``should_stop()``
return True. Call from the GUI thread only.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import time
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer

from planner.errors import PlannerError

log = logging.getLogger(__name__)

POLL_MS = 50
PROGRESS_MIN_INTERVAL = 0.1  # seconds between progress messages sent by the child
CHILD_NICENESS = 10

_running: set[ProcessTask] = set()


def _child_main(job: Callable[..., Any], args: tuple, messages: Any, stop: Any) -> None:
    """Entry point of the child process. It runs at a lower scheduling priority, so on a small
    machine the window keeps the CPU it needs while the solver uses the rest."""
    logging.basicConfig(level=logging.WARNING)
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)
    last = [0.0]

    def progress(fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_MIN_INTERVAL or fraction >= 1.0:
            last[0] = now
            messages.put(("progress", float(fraction), str(message)))

    try:
        result = job(progress, stop.is_set, *args)
    except BaseException as exc:
        details = traceback.format_exc()
        try:
            messages.put(("error", exc, details))
        except Exception:
            messages.put(("error", PlannerError(f"{type(exc).__name__}: {exc}"), details))
    else:
        messages.put(("done", result, ""))


class ProcessTask(QObject):
    """A job running in a child process. Same ``cancel`` / ``should_stop`` as ``background.Task``."""

    def __init__(
        self,
        job: Callable[..., Any],
        args: tuple,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException, str], None],
        on_progress: Callable[[float, str], None] | None,
        owner: QObject | None,
    ) -> None:
        super().__init__()
        context = multiprocessing.get_context("spawn")
        self._messages = context.Queue()
        self._stop = context.Event()
        self._on_done, self._on_error, self._on_progress = on_done, on_error, on_progress
        self._owner = owner
        self._finished = False
        self.process = context.Process(
            target=_child_main, args=(job, args, self._messages, self._stop), daemon=True
        )
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        self.process.start()
        self._timer.start()

    def cancel(self) -> None:
        self._stop.set()

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def _owner_gone(self) -> bool:
        return self._owner is not None and not shiboken6.isValid(self._owner)

    def _poll(self) -> None:
        if self._finished:
            self._reap()
            return
        for _ in range(100):  # bounded: never hold the GUI thread for long
            try:
                message = self._messages.get_nowait()
            except queue.Empty:
                break
            if self._dispatch(*message):
                return
        if not self._finished and not self.process.is_alive():
            # The child has ended: a last message may still be in flight.
            try:
                message = self._messages.get(timeout=0.2)
            except queue.Empty:
                message = (
                    "error",
                    PlannerError(
                        f"the background process stopped unexpectedly (exit code {self.process.exitcode}); "
                        "nothing it had not committed was saved"
                    ),
                    "",
                )
            self._dispatch(*message)

    def _dispatch(self, kind: str, value: Any, details: str) -> bool:
        """Handle one message from the child; True when the task is over."""
        if kind == "progress":
            if self._on_progress is not None and not self._owner_gone():
                self._on_progress(value, details)
            return False
        self._finish()
        if not self._owner_gone():
            if kind == "done":
                self._on_done(value)
            else:
                self._on_error(value, details)
        return True

    def _finish(self) -> None:
        """The result is in: stop reading messages; the timer goes on only to reap the child
        (never ``join`` with a wait on the GUI thread: the child may take a moment to exit)."""
        self._finished = True
        self._reap()

    def _reap(self) -> None:
        if self.process.is_alive():
            return
        self.process.join(timeout=0)
        self._timer.stop()
        _running.discard(self)


def run_in_process(
    job: Callable[..., Any],
    args: tuple,
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException, str], None],
    on_progress: Callable[[float, str], None] | None = None,
    *,
    owner: QObject | None = None,
) -> ProcessTask:
    """Start ``job(progress, should_stop, *args)`` in a child process (see the module docstring)."""
    task = ProcessTask(job, args, on_done, on_error, on_progress, owner)
    _running.add(task)
    task.start()
    return task
