"""The entry point of a job's child process (``ui.process_runner``). Kept free of Qt: a ``spawn``
child imports the module its entry point lives in, and importing Qt there would only cost the
machine CPU time the window needs.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable
from typing import Any

from planner.domain.errors import PlannerError

PROGRESS_MIN_INTERVAL = 0.1  # seconds between progress messages sent by the child


def lower_priority(pid: int, niceness: int) -> None:
    """Give process ``pid`` (0: this one) at least ``niceness`` more than the window's own."""
    if not hasattr(os, "getpriority"):
        return
    try:
        target = min(19, os.getpriority(os.PRIO_PROCESS, os.getppid() if pid == 0 else 0) + niceness)
        if os.getpriority(os.PRIO_PROCESS, pid) < target:
            os.setpriority(os.PRIO_PROCESS, pid, target)
    except OSError:  # the process has ended, or the system refuses: it only runs at the same priority
        pass


def child_main(job: Callable[..., Any], args: tuple, messages: Any, stop: Any, niceness: int) -> None:
    """Run ``job(progress, should_stop, *args)`` and put ``("progress" | "done" | "error", ...)``
    messages on ``messages``. It runs at a lower scheduling priority (the parent lowers it as soon
    as the process exists; this makes sure), so on a small machine the window keeps the CPU it
    needs while the job uses the rest."""
    logging.basicConfig(level=logging.WARNING)
    lower_priority(0, niceness)
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
