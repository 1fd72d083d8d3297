"""Starts the window: application object, first-run demo database, sign-in, main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from planner.context import AppContext, build_context
from planner.db import is_sqlite
from planner.migrate import current_revision, head_revision
from planner.services import setup
from planner.settings import Settings
from ui.background import Task, run_in_background
from ui.errors import show_error
from ui.login import LoginDialog
from ui.main_window import MainWindow

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    QCoreApplication.setOrganizationName("Charter Planner")
    QCoreApplication.setApplicationName("Charter Planner")
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    return app  # type: ignore[return-value]


def prepare_database(ctx: AppContext, app: QApplication) -> str:
    """Bring the database to the newest schema; on a new SQLite file create the demo database.

    Returns a hint for the sign-in dialog. Runs the slow part off the GUI thread behind a
    progress dialog (the local event loop keeps the window responsive)."""
    revision = current_revision(ctx.engine)
    if revision == head_revision():
        return ""
    if revision is not None:
        setup.initialize(ctx, admin=None, password=None)
        return "The database was migrated to the newest schema."
    if not is_sqlite(ctx.engine):
        raise RuntimeError("this shared database is not initialised: an admin runs 'charter-planner init'")
    dialog = QProgressDialog("Creating a demo database…", "", 0, 100)
    dialog.setCancelButton(None)
    dialog.setWindowTitle("Charter Planner — first run")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    outcome: dict[str, object] = {}

    def work(task: Task) -> list[str]:
        return setup.initialize_demo(ctx, progress=task.report_progress)

    def done(accounts: list[str]) -> None:
        outcome["accounts"] = accounts
        dialog.reset()

    def failed(exc: BaseException, details: str) -> None:
        outcome["error"] = (exc, details)
        dialog.reset()

    def progress(fraction: float, message: str) -> None:
        dialog.setValue(int(fraction * 100))
        dialog.setLabelText(message or "Creating a demo database…")

    run_in_background(work, done, failed, progress)
    while "accounts" not in outcome and "error" not in outcome:
        app.processEvents()
        QCoreApplication.sendPostedEvents()
    if "error" in outcome:
        exc, details = outcome["error"]  # type: ignore[misc]
        raise RuntimeError(f"could not create the demo database: {exc}\n{details}")
    return (
        f"A demo database was created. Accounts: {', '.join(outcome['accounts'])} "  # type: ignore[arg-type]
        f"— password “{setup.DEMO_PASSWORD}”."
    )


def run_gui(settings: Settings) -> int:
    app = make_application()
    ctx = build_context(settings)
    try:
        try:
            hint = prepare_database(ctx, app)
        except Exception as exc:
            log.exception("database preparation failed")
            QMessageBox.critical(None, "Charter Planner", str(exc))
            return 1
        login = LoginDialog(ctx, username="officer" if hint.startswith("A demo") else "", hint=hint)
        if login.exec() != LoginDialog.DialogCode.Accepted or login.actor is None:
            return 0
        window = MainWindow(ctx, login.actor)
        window.show()
        return app.exec()
    except Exception as exc:
        show_error(None, "Charter Planner", exc)
        return 1
    finally:
        ctx.close()
