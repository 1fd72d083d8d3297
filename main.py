"""Charter Planner entry point: ``python main.py`` opens the window; ``python main.py COMMAND``
runs the command line. Builds settings, logging, engine and session factory; nothing else does.

Before the window opens on Linux, ``xcb_problem`` checks that Qt's xcb platform plugin can load
(``ldd`` on ``libqxcb.so``): Qt itself would abort with a core dump ("Could not load the Qt platform
plugin "xcb""); instead the program prints the ``apt-get install`` line and exits 2."""

from __future__ import annotations

import importlib.util
import logging
import logging.handlers
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

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
    from planner.files import restrict_new_files

    restrict_new_files()  # the data folder and the log file are created private (0700/0600)
    settings = load_settings()
    configure_logging(settings)
    return cli.run(sys.argv[1:] if argv is None else argv, settings=settings, open_window=_open_window)


#: The Debian/Ubuntu package of every system library Qt 6's xcb platform plugin (and the window's
#: Qt modules) load, by library file name (``ldd`` of ``libqxcb.so``, ``libQt6XcbQpa``,
#: ``libQt6Widgets``, ``libQt6Pdf``, ``libQt6PrintSupport`` on Debian 12). The README's set-up
#: line lists them all (a test checks).
QT_XCB_PACKAGES: dict[str, str] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def xcb_plugin() -> Path | None:
    """PySide6's ``Qt/plugins/platforms/libqxcb.so``, or None when PySide6 or the file is absent."""
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def missing_libraries(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` reported as ``not found``, in its order, once each."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def install_hint(missing: Sequence[str]) -> str:
    """One line: what is missing and the ``apt-get install`` that brings it."""
    packages = sorted({QT_XCB_PACKAGES.get(name, name) for name in missing})
    return (
        f"charter-planner: the window cannot start: Qt's xcb platform plugin needs {', '.join(missing)}; "
        f"install with: sudo apt-get install {' '.join(packages)} (Debian/Ubuntu; the README lists every "
        "library the window needs)"
    )


def _ldd(path: Path) -> str:
    try:
        return subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""  # no ldd: let Qt try


def xcb_problem(
    *,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    plugin: Path | None = None,
    ldd: Callable[[Path], str] = _ldd,
) -> str | None:
    """The install hint when Qt would use its xcb plugin (Linux, ``QT_QPA_PLATFORM`` unset or
    naming xcb) and a library it needs is missing; None otherwise (or when it cannot tell)."""
    requested = environ.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or (requested and "xcb" not in requested):
        return None
    plugin = plugin or xcb_plugin()
    if plugin is None:
        return None
    missing = missing_libraries(ldd(plugin))
    return install_hint(missing) if missing else None


def _open_window(settings: Settings) -> int:
    problem = xcb_problem()
    if problem is not None:
        logging.getLogger(__name__).info("window not opened: %s", problem)
        print(problem, file=sys.stderr)
        return 2
    from ui.app import run_gui

    return run_gui(settings)


if __name__ == "__main__":
    sys.exit(run())
