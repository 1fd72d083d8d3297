"""Charter Planner entry point: ``python main.py`` opens the window; ``python main.py COMMAND``
runs the command line. Builds settings, logging, engine and session factory; nothing else does."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Sequence

from planner.settings import Settings, load_settings


def configure_logging(settings: Settings) -> None:
    """Log to ``<data_dir>/charter-planner.log`` (rotating) and warnings to stderr."""
    root = logging.getLogger()
    root.setLevel(settings.log_level.upper())
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            settings.data_dir / "charter-planner.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setFormatter(fmt)
        root.addHandler(file_handler)
    except OSError as exc:  # a read-only home must not stop the program
        print(f"charter-planner: cannot write the log file: {exc}", file=sys.stderr)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)


def run(argv: Sequence[str] | None = None) -> int:
    """Console-script entry (``charter-planner``)."""
    from planner.entrypoints.cli import main as cli

    settings = load_settings()
    configure_logging(settings)
    return cli.run(sys.argv[1:] if argv is None else argv, settings=settings, open_window=_open_window)


def _open_window(settings: Settings) -> int:
    from ui.app import run_gui

    return run_gui(settings)


if __name__ == "__main__":
    sys.exit(run())
