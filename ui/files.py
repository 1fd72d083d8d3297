"""Where the window's file dialogs open: the folder last used in this session, else the user's
documents folder (``QStandardPaths.DocumentsLocation``), else the home folder — never the program's
working folder (where a bare suggested name like ``RF0001_rev1.pdf`` would otherwise land).

Every ``QFileDialog`` in ``ui/`` goes through ``ask_save_path``, ``ask_open_path`` or
``ask_folder`` (or builds its start with ``default_save_path``); each remembers the chosen folder.
Threading: GUI thread only (the remembered folder is plain module state).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

_last_folder: Path | None = None


def documents_folder() -> Path:
    """The user's documents folder if it exists, else the home folder."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(location) if location else None
    return folder if folder is not None and folder.is_dir() else Path.home()


def start_folder() -> Path:
    """The folder a file dialog opens in: the last one used this session, else ``documents_folder()``."""
    if _last_folder is not None and _last_folder.is_dir():
        return _last_folder
    return documents_folder()


def default_save_path(name: str = "") -> str:
    """``name`` (a suggested file name) inside ``start_folder()``; an absolute ``name`` unchanged;
    the folder itself when ``name`` is empty."""
    if not name:
        return str(start_folder())
    path = Path(name)
    return str(path if path.is_absolute() else start_folder() / path)


def remember(path: str) -> str:
    """Remember the folder of a chosen ``path`` (a file, or a folder) for the next dialog; returns
    ``path`` unchanged ("" — cancelled — changes nothing)."""
    global _last_folder
    if path:
        chosen = Path(path)
        _last_folder = chosen if chosen.is_dir() else chosen.parent
    return path


def forget() -> None:
    """Forget the folder used last (a new session; tests)."""
    global _last_folder
    _last_folder = None


def ask_save_path(parent: QWidget | None, caption: str, name: str, file_filter: str = "") -> str:
    """Ask where to save, proposing ``name`` in ``start_folder()``; "" when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, caption, default_save_path(name), file_filter)
    return remember(path)


def ask_open_path(parent: QWidget | None, caption: str, file_filter: str = "", start: str = "") -> str:
    """Ask for a file to open, starting in ``start`` (when given) or ``start_folder()``; "" when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, caption, start or default_save_path(), file_filter)
    return remember(path)


def ask_folder(parent: QWidget | None, caption: str) -> str:
    """Ask for a folder, starting in ``start_folder()``; "" when cancelled."""
    return remember(QFileDialog.getExistingDirectory(parent, caption, default_save_path()))
