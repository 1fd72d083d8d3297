"""Starts the window: application object, first-run demo database, sign-in, main window.

``Session`` runs sign-in → main window → (File ▸ Sign out) → sign-in → a new window built for the
new user's role …, until a sign-in is cancelled.

What runs before the sign-in dialog paints is kept to what the dialog needs: a database already at
the newest schema is recognised in this process (``database_is_current``: one read, no child
process); the services behind the main window's screens are imported on a background thread while
the person types (``preload_services``), the window's own modules after the sign-in."""

from __future__ import annotations

import dataclasses
import gc
import importlib
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QProgressDialog

from planner.domain.errors import PlannerError
from planner.entrypoints.jobs import PreparedDatabase, prepare_database_job
from planner.persistence.context import AppContext, build_context
from planner.persistence.db import is_encrypted_file
from planner.services.auth import Actor
from planner.settings import Settings
from ui.errors import show_error
from ui.login import LoginDialog
from ui.operations import Operation

if TYPE_CHECKING:
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)


#: How long (seconds) a background thread may hold the interpreter lock before the window's thread
#: gets it (Python's default is 5 ms).
SWITCH_INTERVAL = 0.001
BACKGROUND_THREADS = 1


def tune_for_responsiveness() -> None:
    """The window thread must never wait long for the interpreter lock: background threads hand
    it over every ``SWITCH_INTERVAL`` and only ``BACKGROUND_THREADS`` run service queries at once
    (the rest queue); seconds-long jobs run in child processes (``ui.process_runner``)."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    QThreadPool.globalInstance().setMaxThreadCount(BACKGROUND_THREADS)


def settle_heap() -> None:
    """Once the first main window has painted: move every object alive now (modules, Qt wrappers, SQLAlchemy's
    metadata) out of the garbage collector's reach. A full collection holds the interpreter lock
    throughout; over the whole startup heap it took 130 ms, during which the window's thread could
    not run (the measured stall after a plan run). Later collections scan only what came since."""
    gc.collect()
    gc.freeze()


def make_application(argv: list[str] | None = None) -> QApplication:
    tune_for_responsiveness()
    QCoreApplication.setOrganizationName("Charter Planner")
    QCoreApplication.setApplicationName("Charter Planner")
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    return app  # type: ignore[return-value]


#: The services behind the main window's screens, which ``preload_services`` imports while the
#: person types (their own imports bring in the rest: NumPy, ReportLab, the eligibility rules …).
#: Only ``planner`` modules: they never import Qt, so importing them off the GUI thread is safe;
#: the window's own modules (Qt classes) are imported on the GUI thread, after the sign-in.
PRELOAD_MODULES = (
    "planner.services.dashboard",
    "planner.services.plan_results",
    "planner.services.plan_legs",
    "planner.services.explain",
    "planner.services.people",
    "planner.services.audit_log",
    "planner.services.airports",
    "planner.services.country_rules",
    "planner.services.imports",
    "planner.services.manifests.batch",
    "planner.services.manifests.flown",
    "planner.services.manifests.document_check",
    "planner.services.departure.boarding",
    "planner.services.departure.strike",
    "planner.services.departure.report",
    "planner.services.consular.batches",
    "planner.services.consular.funnel",
    "planner.services.consular.reminders",
    "planner.services.scheduling.proposals",
)


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # imported again (and reported) where it is used
            log.exception("preloading %s failed", name)


def preload_services() -> threading.Thread:
    """Import ``PRELOAD_MODULES`` on a background thread (started once the sign-in dialog is shown:
    the person types meanwhile). Importing one of them later waits for this import to finish."""
    thread = threading.Thread(
        target=_import_all, args=(PRELOAD_MODULES,), name="preload-services", daemon=True
    )
    thread.start()
    return thread


def database_is_current(settings: Settings) -> bool:
    """Whether the database is at the newest schema already: one read in this process (every start
    after the first), so no child process has to start for it. False when it is not, or when the
    read fails: ``prepare_database`` then does the work in a child process, which reports."""
    from planner.persistence.migrate import current_revision, head_revision

    ctx = build_context(settings)
    try:
        return current_revision(ctx.engine) == head_revision()
    except Exception as exc:
        log.info("the quick schema check could not tell (%s): the child process checks", exc)
        return False
    finally:
        ctx.close()


def prepare_database(settings: Settings) -> str:
    """Migrate or (first run) create the demo database in a child process behind a progress
    dialog (nothing to do when ``database_is_current``); returns a hint for the sign-in dialog.
    Raises ``PlannerError`` when it cannot."""
    if database_is_current(settings):
        return ""
    dialog = QProgressDialog("Opening the database…", "", 0, 100)
    dialog.setCancelButton(None)
    dialog.setWindowTitle("Charter Planner")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(500)
    loop = QEventLoop()
    outcome: dict[str, Any] = {}

    def done(prepared: PreparedDatabase) -> None:
        outcome["prepared"] = prepared
        loop.quit()

    def failed(exc: BaseException, details: str) -> None:
        outcome["error"] = (exc, details)
        loop.quit()

    def progress(fraction: float, message: str) -> None:
        dialog.setLabelText(message or "Creating a demo database…")
        dialog.setValue(int(fraction * 100))

    Operation(None).success(done).failure(failed).progress(progress).run_in_process(
        prepare_database_job, (settings,)
    )
    loop.exec()
    dialog.reset()
    if "error" in outcome:
        exc, details = outcome["error"]
        log.error("database preparation failed: %s\n%s", exc, details)
        raise exc if isinstance(exc, PlannerError) else PlannerError(f"could not open the database: {exc}")
    prepared: PreparedDatabase = outcome["prepared"]
    if prepared.outcome == "migrated":
        return "The database was migrated to the newest schema."
    if prepared.outcome == "demo":
        from planner.demo import first_run

        return (
            f"A demo database was created. Accounts: {', '.join(prepared.accounts)} "
            f"— password “{first_run.DEMO_PASSWORD}”."
        )
    return ""


def ask_for_key(settings: Settings) -> Settings | None:
    """An encrypted SQLite file and no ``CHARTER_DB_KEY``: ask for the passphrase (None = cancelled)."""
    path = settings.database
    if settings.db_key or "://" in path or not is_encrypted_file(path):
        return settings
    key, accepted = QInputDialog.getText(
        None,
        "Charter Planner — encrypted database",
        f"{path} is encrypted.\nPassphrase:",
        QLineEdit.EchoMode.Password,
    )
    return dataclasses.replace(settings, db_key=key) if accepted and key else None


class Session(QObject):
    """The sign-in dialog, then the main window for whoever signed in; after a sign-out the
    dialog again and a new window (screens and menus for the new user's role). ``ended`` is
    emitted when a sign-in is cancelled (or the window cannot be built)."""

    ended = Signal()

    def __init__(self, ctx: AppContext, *, username: str = "", hint: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self._username, self._hint = username, hint
        self.login: LoginDialog | None = None
        self.window: MainWindow | None = None
        self._windows_built = 0
        self._preload: threading.Thread | None = None

    def sign_in(self) -> LoginDialog:
        """Open the sign-in dialog (not modal for the event loop: ``finished`` goes on)."""
        dialog = LoginDialog(self.ctx, username=self._username, hint=self._hint)
        dialog.setObjectName("signIn")
        dialog.finished.connect(lambda result: self._signed_in(dialog, result))
        self.login = dialog
        dialog.open()
        if self._preload is None and "ui.main_window" not in sys.modules:
            self._preload = preload_services()
        return dialog

    def _signed_in(self, dialog: LoginDialog, result: int) -> None:
        self.login = None
        dialog.deleteLater()
        actor = dialog.actor
        if result != LoginDialog.DialogCode.Accepted or actor is None:
            self.ended.emit()
            return
        try:
            from ui.main_window import MainWindow  # on this thread: it defines Qt classes

            window = MainWindow(self.ctx, actor)
        except Exception as exc:
            show_error(None, "Charter Planner", exc)
            self.ended.emit()
            return
        window.signed_out.connect(self._signed_out)
        self._windows_built += 1
        if self._windows_built == 1:  # once painted: the collection waits for nothing on screen
            window.first_painted.connect(settle_heap)
        window.show()
        self.window = window

    def _signed_out(self, actor: Actor) -> None:
        old, self.window = self.window, None
        self._username, self._hint = "", f"{actor.display_name or actor.username} signed out."
        self.sign_in()  # first, so closing the window does not close the last one
        if old is not None:
            old.close()
            old.deleteLater()


def run_gui(settings: Settings) -> int:
    app = make_application()
    keyed = ask_for_key(settings)
    if keyed is None:
        return 0
    settings = keyed
    ctx = build_context(settings)
    try:
        try:
            # a desk's own login may not migrate, and nothing connects before the sign-in
            hint = "" if ctx.signs_in_to_database else prepare_database(settings)
        except Exception as exc:
            log.exception("database preparation failed")
            QMessageBox.critical(None, "Charter Planner", str(exc))
            return 1
        session = Session(ctx, username="officer" if hint.startswith("A demo") else "", hint=hint)
        session.ended.connect(app.quit)
        session.sign_in()
        return app.exec()
    except Exception as exc:
        show_error(None, "Charter Planner", exc)
        return 1
    finally:
        ctx.close()
