"""The window on an encrypted database: it asks for the passphrase, then works as usual."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog

from planner.entrypoints.cli import main as cli
from planner.persistence.context import build_context
from planner.services import users
from planner.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from ui import app
from ui.main_window import MainWindow
from ui.screens.people import PeopleScreen

KEY = "correct horse battery staple"


@pytest.fixture
def encrypted_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("sqlcipher3")
    monkeypatch.setenv("CHARTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CHARTER_DB_KEY", KEY)
    db = tmp_path / "secret.db"
    assert cli.run(["--db", str(db), "init", "--admin", "admin", "--encrypt"]) == 0
    assert cli.run(["--db", str(db), "demo", "--people", "50", "--flights", "3"]) == 0
    monkeypatch.delenv("CHARTER_DB_KEY")
    return db


def test_window_asks_for_the_passphrase_and_opens(qtbot, encrypted_db: Path, monkeypatch) -> None:
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *args, **kwargs: (KEY, True)))
    settings = app.ask_for_key(Settings(db=str(encrypted_db), data_dir=encrypted_db.parent))
    assert settings is not None and settings.db_key == KEY
    assert app.prepare_database(settings) == ""  # opened in the child process with the key
    ctx = build_context(settings)
    try:
        with ctx.uow() as uow:
            actor = users.authenticate(uow, "admin", ADMIN_PASSWORD)
        window = MainWindow(ctx, actor)
        qtbot.addWidget(window)
        people = window.screen(PeopleScreen.title)
        people.activate()
        qtbot.waitUntil(lambda: people.count_label.text() == "50 people", timeout=10_000)
    finally:
        ctx.close()


def test_cancelling_the_passphrase_opens_nothing(encrypted_db: Path, monkeypatch) -> None:
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *args, **kwargs: ("", False)))
    assert app.ask_for_key(Settings(db=str(encrypted_db), data_dir=encrypted_db.parent)) is None


def test_a_plain_database_is_not_asked_about(tmp_path: Path) -> None:
    settings = Settings(db=str(tmp_path / "plain.db"), data_dir=tmp_path)
    assert app.ask_for_key(settings) is settings
