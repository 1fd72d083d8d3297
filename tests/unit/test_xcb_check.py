"""Before the window opens on Linux, a missing system library of Qt's xcb platform plugin is named
with the ``apt-get install`` that brings it, and the program exits 2 instead of Qt's core dump
(issue 13: a minimal Debian 12 lacked libxcb-icccm4, libxcb-keysyms1 …)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import main
from planner.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
PLUGIN = Path("/venv/PySide6/Qt/plugins/platforms/libqxcb.so")
LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f01)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f02)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f03)
"""


def _fake_ldd(output: str):
    def ldd(path: Path) -> str:
        assert path == PLUGIN
        return output

    return ldd


def test_missing_libraries_are_read_from_ldd() -> None:
    assert main.missing_libraries(LDD_MISSING) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert main.missing_libraries("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


def test_the_hint_names_the_libraries_and_the_packages() -> None:
    problem = main.xcb_problem(platform="linux", environ={}, plugin=PLUGIN, ldd=_fake_ldd(LDD_MISSING))
    assert problem is not None and "\n" not in problem
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in problem
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 " in problem


def test_no_hint_when_nothing_is_missing_or_xcb_is_not_used() -> None:
    complete = _fake_ldd("\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n")
    assert main.xcb_problem(platform="linux", environ={}, plugin=PLUGIN, ldd=complete) is None
    missing = _fake_ldd(LDD_MISSING)
    for platform, environ in (("linux", {"QT_QPA_PLATFORM": "offscreen"}), ("darwin", {}), ("win32", {})):
        assert main.xcb_problem(platform=platform, environ=environ, plugin=PLUGIN, ldd=missing) is None
    assert main.xcb_problem(platform="linux", environ={"QT_QPA_PLATFORM": "xcb"}, plugin=PLUGIN, ldd=missing)


def test_the_real_plugin_loads_here() -> None:
    plugin = main.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    assert main.xcb_problem(platform="linux", environ={}) is None  # this machine has every library


def test_the_window_is_not_opened_and_the_exit_code_is_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(main, "xcb_problem", lambda: "charter-planner: the window cannot start: …")
    assert main._open_window(Settings(db=str(tmp_path / "x.db"), data_dir=tmp_path)) == 2
    assert capsys.readouterr().err.strip() == "charter-planner: the window cannot start: …"


def test_the_readme_installs_every_library_the_check_knows() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- xcb-libraries -->\n```\n(.+?)\n```", text, re.DOTALL)
    assert block is not None
    line = block.group(1)
    assert line.startswith("sudo apt-get install ") and "\n" not in line
    assert set(main.QT_XCB_PACKAGES.values()) <= set(line.split()[3:])
