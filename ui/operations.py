"""The one way the window runs work off the GUI thread (in the spirit of Anki's ``aqt.operations``).

    Operation(parent, "Could not save the flight")
        .success(on_saved)              # on the GUI thread, with the result
        .failure(on_failed)             # optional; default: an error dialog titled as above
        .progress(on_progress)          # optional: (fraction, message) on the GUI thread
        .changes(Change.FLIGHTS)        # what a success wrote: announced to every screen
        .run_in_uow(ctx, work, write=True)   # or .run_in_thread(work) / .run_in_process(job, args)

* ``run_in_thread(work)`` runs ``work(task)`` on the thread pool (``task.report_progress`` and
  ``task.should_stop`` are the ``TaskControl`` protocol); ``run_in_uow(ctx, work, write=...)`` runs
  ``work(uow)`` there in a fresh unit of work; ``run_in_process(job, args)`` runs the picklable
  ``job(progress, should_stop, *args)`` in a child process (``planner.entrypoints.jobs``).
* Every callback runs on the GUI thread and none runs once ``parent`` has been deleted (window or
  dialog closed meanwhile). The change announcement does not depend on ``parent``: it goes, after
  the success callback, to the nearest object up ``parent``'s ownership chain that has an
  ``announce_change(change)`` method (a screen), as long as that one is still alive — the write
  happened either way.
* ``cancel()`` asks the work to stop (``should_stop()`` turns True); ``running`` says whether the
  result is still to come.

``ui.background`` and ``ui.process_runner`` are the low-level engines; only this module uses them
(checked by ``tests/ui/test_operations.py`` and an import-linter contract).
Threading: build and start operations on the GUI thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Flag, auto
from typing import Any, Generic, Protocol

import shiboken6
from PySide6.QtCore import QObject
from typing_extensions import TypeVar

from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from solver.callbacks import Progress
from ui.background import run_in_background
from ui.errors import show_error
from ui.process_runner import run_in_process

log = logging.getLogger(__name__)

#: The result type; ``Any`` when not given (``Operation(parent)``), so the callbacks take any result.
T = TypeVar("T", default=Any)


class Change(Flag):
    """What a write changed; screens refresh what shows it (``Screen.on_data_changed``)."""

    NONE = 0
    PEOPLE = auto()
    FLIGHTS = auto()
    PLAN = auto()
    MANIFESTS = auto()
    USERS = auto()
    AUDIT = auto()
    #: Request batches to receiving states and their answers (the Requests screen).
    REQUESTS = auto()
    #: Mission-schedule proposals stored or accepted (the Schedule screen).
    SCHEDULE = auto()


class TaskControl(Protocol):
    """What ``run_in_thread``'s ``work`` receives: report progress, and learn about Cancel."""

    def report_progress(self, fraction: float, message: str = "") -> None: ...

    def should_stop(self) -> bool: ...


class _Cancellable(Protocol):
    def cancel(self) -> None: ...


#: Operations started and not yet reported back (tests wait for this to empty).
_in_flight: set[Operation[Any]] = set()


def busy() -> bool:
    """True while any operation's result is still to come."""
    return bool(_in_flight)


def _alive(obj: QObject | None) -> bool:
    return obj is None or shiboken6.isValid(obj)


def _change_sink(parent: QObject | None) -> QObject | None:
    """The nearest object from ``parent`` up its ownership chain with ``announce_change``."""
    node = parent
    while node is not None:
        if callable(getattr(node, "announce_change", None)):
            return node
        node = node.parent()
    return None


class Operation(Generic[T]):
    """One piece of work started from ``parent`` (see the module docstring). Configure it with the
    chaining methods, then start it once with one of the ``run_in_*`` methods."""

    def __init__(self, parent: QObject | None, error_title: str = "The action failed") -> None:
        self._parent = parent
        self._error_title = error_title
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[BaseException, str], None] | None = None
        self._on_progress: Progress | None = None
        self._change = Change.NONE
        self._sink: QObject | None = None
        self._task: _Cancellable | None = None
        self._finished = False
        self._cancel_requested = False

    # ------------------------------------------------------------ configuration

    def success(self, callback: Callable[[T], None]) -> Operation[T]:
        """``callback(result)`` on the GUI thread when the work returned."""
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException, str], None]) -> Operation[T]:
        """``callback(exception, traceback_text)`` instead of the default error dialog."""
        self._on_failure = callback
        return self

    def progress(self, callback: Progress) -> Operation[T]:
        """``callback(fraction, message)`` on the GUI thread while the work reports progress."""
        self._on_progress = callback
        return self

    def changes(self, change: Change) -> Operation[T]:
        """Announce ``change`` to the screens after a success (the work wrote that)."""
        self._change = change
        return self

    # ------------------------------------------------------------ starting

    def run_in_thread(self, work: Callable[[TaskControl], T]) -> Operation[T]:
        """Run ``work(task)`` on the thread pool. ``work`` must not touch widgets."""
        self._start()
        self._task = run_in_background(work, self._succeeded, self._failed, self._progressed)
        return self

    def run_in_uow(
        self, ctx: AppContext, work: Callable[[UnitOfWork], T], *, write: bool = False
    ) -> Operation[T]:
        """Run ``work(uow)`` on the thread pool in a new unit of work (services commit their writes)."""

        def job(_task: TaskControl) -> T:
            with ctx.uow(write=write) as uow:
                return work(uow)

        return self.run_in_thread(job)

    def run_in_process(self, job: Callable[..., T], args: tuple[Any, ...] = ()) -> Operation[T]:
        """Run ``job(progress, should_stop, *args)`` in a child process (picklable, top level)."""
        self._start()
        self._task = run_in_process(job, args, self._succeeded, self._failed, self._progressed)
        return self

    def cancel(self) -> None:
        """Ask the work to stop; it ends at its next ``should_stop()`` check."""
        if self._task is not None and not self._finished:
            self._cancel_requested = True
            self._task.cancel()

    @property
    def running(self) -> bool:
        """Started, and its result is still to come."""
        return self._task is not None and not self._finished

    @property
    def cancel_requested(self) -> bool:
        """``cancel()`` was called while it ran."""
        return self._cancel_requested

    def _start(self) -> None:
        if self._task is not None:
            raise RuntimeError("an operation runs once")
        self._sink = _change_sink(self._parent) if self._change else None
        _in_flight.add(self)

    # ------------------------------------------------------------ results (GUI thread)

    def _succeeded(self, result: T) -> None:
        self._finish()
        try:
            if self._on_success is not None and _alive(self._parent):
                self._on_success(result)
        finally:
            self._announce()

    def _failed(self, exc: BaseException, details: str) -> None:
        self._finish()
        if not _alive(self._parent):
            log.info("%s (its window is gone): %s", self._error_title, exc)
        elif self._on_failure is not None:
            self._on_failure(exc, details)
        else:
            show_error(self._parent, self._error_title, exc, details)  # type: ignore[arg-type]

    def _progressed(self, fraction: float, message: str) -> None:
        if self._on_progress is not None and not self._finished and _alive(self._parent):
            self._on_progress(fraction, message)

    def _finish(self) -> None:
        self._finished = True
        _in_flight.discard(self)

    def _announce(self) -> None:
        if self._change and self._sink is not None and shiboken6.isValid(self._sink):
            self._sink.announce_change(self._change)  # type: ignore[attr-defined]


__all__ = ["Change", "Operation", "TaskControl", "busy"]
