"""Run a long job in a child process and hand progress and the result back on the GUI thread.

Threads share one interpreter lock: a background thread deep in SQLAlchemy row handling, numpy or
JSON can keep the GUI thread waiting for hundreds of milliseconds. Jobs that take seconds (plan,
import) therefore run in a separate process (``spawn``), which shares nothing with the window.

``run_in_process(job, args, on_done, on_error, on_progress, owner=...)`` starts
``job(progress, should_stop, *args)`` (a picklable top-level function, see ``planner/jobs.py``);
a reader thread takes the child's messages off the pipe (a big result arrives in pieces while the
child writes it; unpickling it is no work for the GUI thread either) and a ``QTimer`` on the GUI
thread hands them on, so every callback runs on the GUI thread, never waits for the pipe, and is
skipped once ``owner`` is deleted. ``task.cancel()`` makes the child's ``should_stop()``
return True. Call from the GUI thread only.

A low-level engine: the window uses it only through ``ui.operations.Operation``.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer

from planner.domain.errors import PlannerError
from solver.callbacks import Progress
from ui.child_process import child_main, lower_priority

log = logging.getLogger(__name__)

POLL_MS = 50
#: How long (seconds) the reader thread waits for a message before it checks whether the child ended.
READ_TIMEOUT = 0.2
#: How much lower than the window's the child's scheduling priority is.
CHILD_NICENESS = 10

_running: set[ProcessTask] = set()


class ProcessTask(QObject):
    """A job running in a child process. Same ``cancel`` / ``should_stop`` as ``background.Task``."""

    def __init__(
        self,
        job: Callable[..., Any],
        args: tuple,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException, str], None],
        on_progress: Progress | None,
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
            target=child_main, args=(job, args, self._messages, self._stop, CHILD_NICENESS), daemon=True
        )
        #: Messages read off the pipe by ``_reader``, waiting for the GUI thread.
        self._inbox: queue.SimpleQueue[tuple[str, Any, str]] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read, name="process-task-reader", daemon=True)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        self.process.start()
        # At once, not when the child gets round to it: starting an interpreter and importing the
        # planner is seconds of CPU that must not compete with the window on a small machine.
        if self.process.pid is not None:
            lower_priority(self.process.pid, CHILD_NICENESS)
        self._reader.start()
        self._timer.start()

    def cancel(self) -> None:
        self._stop.set()

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def _owner_gone(self) -> bool:
        return self._owner is not None and not shiboken6.isValid(self._owner)

    def _read(self) -> None:
        """Reader thread: move the child's messages to ``_inbox`` until the last one (or until the
        child has ended without sending one). Waiting on the pipe releases the interpreter lock."""
        while True:
            try:
                message = self._messages.get(timeout=READ_TIMEOUT)
            except queue.Empty:
                if not wait([self.process.sentinel], timeout=0):
                    continue  # still running
                try:  # the child has ended: a last message may still be in flight
                    message = self._messages.get(timeout=READ_TIMEOUT)
                except queue.Empty:
                    return
            except (EOFError, OSError):
                return
            self._inbox.put(message)
            if message[0] != "progress":
                return

    def _poll(self) -> None:
        if self._finished:
            self._reap()
            return
        for _ in range(100):  # bounded: never hold the GUI thread for long
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                break
            if self._dispatch(*message):
                return
        if not self._finished and not self._reader.is_alive() and self._inbox.empty():
            # The reader has stopped without a last message: the child ended without one.
            self._dispatch(
                "error",
                PlannerError(
                    f"the background process stopped unexpectedly (exit code {self.process.exitcode}); "
                    "nothing it had not committed was saved"
                ),
                "",
            )

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
    on_progress: Progress | None = None,
    *,
    owner: QObject | None = None,
) -> ProcessTask:
    """Start ``job(progress, should_stop, *args)`` in a child process (see the module docstring)."""
    task = ProcessTask(job, args, on_done, on_error, on_progress, owner)
    _running.add(task)
    task.start()
    return task
