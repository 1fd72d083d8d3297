"""The Manifests screen's output: save or print the previewed PDF, write files off the GUI thread,
and render every manifest to a folder in the background with progress and Cancel.

A part of ``ManifestsScreen`` (``ui.screens.manifests.screen``) split off for size: it works on the
screen's state, its batch bar widgets and its seams (``_ask_save_path``, ``_ask_folder``,
``_choose_printer``, which the tests replace). GUI thread only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QMessageBox

from planner.domain.wording import plural
from planner.files import write_output
from planner.services.manifests import batch as manifest_batch
from planner.services.manifests.batch import BatchReport
from ui.errors import show_error
from ui.operations import Operation, TaskControl

if TYPE_CHECKING:
    from ui.screens.manifests.screen import ManifestsScreen


class ManifestOutput:
    """Files, printing and the batch of one ``ManifestsScreen`` (see the module docstring)."""

    def __init__(self, screen: ManifestsScreen) -> None:
        self.screen = screen
        self._batch: Operation[BatchReport] | None = None

    # ------------------------------------------------------------ files

    def write_file(self, path: str, data: bytes, message: str) -> None:
        """Write ``data`` to ``path`` off the GUI thread; ``message`` goes to the status bar."""
        screen = self.screen
        Operation[Path](screen, f"Could not write {path}").success(
            lambda _n: screen.status_message.emit(message)
        ).run_in_thread(lambda _task: write_output(path, data))

    def save_pdf(self) -> None:
        """Save the previewed revision's PDF (the bytes shown) to a file."""
        screen = self.screen
        if not screen.pdf_ready() or screen._pdf is None:
            return
        code, revision, data = screen._pdf
        path = screen._ask_save_path("Save manifest PDF", f"{code}_rev{revision}.pdf", "PDF files (*.pdf)")
        if path:
            self.write_file(path, data, f"Saved {code} revision {revision} to {path}")

    def print_pdf(self) -> None:
        """Print the previewed revision: print dialog, then each page rendered onto the printer."""
        screen = self.screen
        if not screen.pdf_ready() or screen._pdf is None:
            return
        code, revision = screen._pdf[0], screen._pdf[1]
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(f"Manifest {code} revision {revision}")
        if not screen._choose_printer(printer):
            return
        try:
            pages = screen.preview.print_document(printer)
        except Exception as exc:  # printer errors are shown, not raised into Qt
            show_error(screen, "Could not print the manifest", exc)
            return
        screen.status_message.emit(
            f"Sent {plural(pages, 'page')} of {code} revision {revision} to the printer"
        )

    # ------------------------------------------------------------ batch

    @property
    def batch_running(self) -> bool:
        return self._batch is not None

    def render_all(self, folder: str | None = None) -> None:
        """Choose a folder and write the current manifest of every planned flight there, in the
        background with progress and Cancel."""
        screen = self.screen
        if self._batch is not None:
            return
        folder = folder or screen._ask_folder("Render all manifests into folder")
        if not folder:
            return
        ctx, actor, workers = screen.ctx, screen.actor, screen.batch_workers

        def work(task: TaskControl) -> BatchReport:
            return manifest_batch.render_all_manifests(
                ctx,
                actor,
                folder,
                progress=task.report_progress,
                should_stop=task.should_stop,
                workers=workers,
            )

        screen.progress.setValue(0)
        screen.progress.setFormat("Starting…")
        screen.cancel_button.setEnabled(True)
        screen.batch_bar.setVisible(True)
        self._batch = (
            Operation[BatchReport](screen)
            .success(self._batch_done)
            .failure(self._batch_failed)
            .progress(self._batch_progress)
            .run_in_thread(work)
        )
        screen._update_actions()

    def cancel_batch(self) -> None:
        if self._batch is not None:
            self._batch.cancel()
            self.screen.cancel_button.setEnabled(False)
            self.screen.progress.setFormat("Cancelling… (files being written finish)")

    def _batch_progress(self, fraction: float, message: str) -> None:
        self.screen.progress.setValue(round(1000 * fraction))
        self.screen.progress.setFormat(f"{fraction:.0%} — {message}")

    def _batch_done(self, report: BatchReport) -> None:
        screen = self.screen
        self._batch = None
        screen.last_batch = report
        screen.batch_bar.setVisible(False)
        screen._update_actions()
        box = QMessageBox(
            QMessageBox.Icon.Information if not report.skipped else QMessageBox.Icon.Warning,
            "Render all manifests",
            report.summary(),
            QMessageBox.StandardButton.Ok,
            screen,
        )
        box.setObjectName("batchReport")
        if report.skipped:
            box.setDetailedText(
                "\n".join(
                    f"{code}: {'; '.join(reasons[:5])}" for code, reasons in sorted(report.skipped.items())
                )
            )
        box.open()
        screen._changed(report.summary())

    def _batch_failed(self, exc: BaseException, details: str) -> None:
        self._batch = None
        self.screen.batch_bar.setVisible(False)
        self.screen._update_actions()
        show_error(self.screen, "Could not render the manifests", exc, details)


__all__ = ["ManifestOutput"]
