"""The callables a caller controls a long run with, and the watcher that honours a stop request.

``Progress`` and ``ShouldStop`` are defined here once for the whole application: the solver is the
lowest layer (``ui`` → ``planner`` → ``solver``, and the solver imports nothing of the others), so
every long job — solve, import, demo data, manifest batch, the window's background tasks and child
processes — takes the same two callables from this module.

:class:`StopWatcher` turns a ``ShouldStop`` into an interrupt of a blocking native solve (CP-SAT's
``stop_search``, the MIP solver's ``interrupt_solve``), which cannot poll a Python callable itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

#: ``progress(fraction, message)``: ``fraction`` in [0, 1] of the whole job, ``message`` for the user.
Progress = Callable[[float, str], None]

#: ``should_stop()`` is True once the user asked to stop; the job then returns what it has so far.
ShouldStop = Callable[[], bool]

#: How often (seconds) :class:`StopWatcher` asks ``should_stop``.
POLL_SECONDS = 0.05


class StopWatcher:
    """While its ``with`` block runs, asks ``should_stop`` every ``poll_seconds`` on a daemon thread and
    calls ``interrupt`` once when it answers True (then :attr:`stopped` is True).

    With ``should_stop=None`` it starts no thread and never interrupts. Leaving the block ends the
    thread (joined, so no interrupt arrives after the block).
    """

    def __init__(
        self,
        should_stop: ShouldStop | None,
        interrupt: Callable[[], object],
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._should_stop = should_stop
        self._interrupt = interrupt
        self._poll_seconds = poll_seconds
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        #: True once ``should_stop`` answered True and ``interrupt`` was called.
        self.stopped = False

    def _watch(self, should_stop: ShouldStop) -> None:
        while not self._done.wait(self._poll_seconds):
            if should_stop():
                self.stopped = True
                self._interrupt()
                return

    def __enter__(self) -> Self:
        if self._should_stop is not None:
            self._thread = threading.Thread(target=self._watch, args=(self._should_stop,), daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
