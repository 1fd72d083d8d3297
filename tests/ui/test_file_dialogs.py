"""File dialogs open in the user's documents folder (else home), then in the folder used last this
session — never in the program's working folder (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QWidget

from ui import files

UI = Path(__file__).resolve().parents[2] / "ui"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp) -> Iterator[Path]:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    files.forget()
    yield tmp_path
    files.forget()


def test_documents_folder_first_home_when_there_is_none(home: Path) -> None:
    assert files.documents_folder() == home
    assert files.default_save_path("RF0001_rev1.pdf") == str(home / "RF0001_rev1.pdf")
    (home / "Documents").mkdir()
    assert files.documents_folder() == home / "Documents"
    assert files.default_save_path("RF0001_rev1.pdf") == str(home / "Documents" / "RF0001_rev1.pdf")
    assert files.default_save_path() == str(home / "Documents")
    assert files.default_save_path("/elsewhere/x.csv") == "/elsewhere/x.csv"
    assert not files.default_save_path("x.pdf").startswith(str(Path.cwd()))


def test_the_folder_used_last_is_remembered(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "Documents").mkdir()
    exports = home / "exports"
    exports.mkdir()
    asked: list[tuple[str, str]] = []

    def save(_parent: QWidget | None, caption: str, start: str, _filter: str = "") -> tuple[str, str]:
        asked.append((caption, start))
        return str(exports / Path(start).name), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda _p, caption, start: asked.append((caption, start)) or ""
    )
    assert files.ask_save_path(None, "Save", "a.pdf", "PDF files (*.pdf)") == str(exports / "a.pdf")
    assert asked[-1] == ("Save", str(home / "Documents" / "a.pdf"))
    assert files.ask_save_path(None, "Save", "b.pdf") == str(exports / "b.pdf")
    assert asked[-1] == ("Save", str(exports / "b.pdf"))  # the folder chosen before
    assert files.ask_folder(None, "Folder") == ""  # cancelled: remembers nothing new
    assert asked[-1] == ("Folder", str(exports))


def test_every_file_dialog_in_the_window_goes_through_the_helper() -> None:
    offenders = [
        str(path.relative_to(UI))
        for path in UI.rglob("*.py")
        if path.name != "files.py" and "QFileDialog" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
