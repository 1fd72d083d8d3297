"""Check a manifest PDF against the database (the window's ``manifest check FLIGHT --pdf FILE``).

:class:`PdfCheckDialog` asks for the flight and the file, runs
``planner.services.manifests.document_check.check_document`` off the GUI thread and shows the
verdict and one line per difference, signature and note. GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from planner.services.manifests.document_check import DocumentCheck, check_document
from ui.files import ask_open_path
from ui.operations import Operation

#: Colour of the verdict line: the file matches / it does not (or could not be checked).
MATCH_COLOUR, DIFFER_COLOUR = "#1b5e20", "#b71c1c"


def result_lines(result: DocumentCheck) -> list[str]:
    """What the dialog lists under the verdict: differences, signatures, notes."""
    return (
        [f"DIFFERENCE {line}" for line in result.differences]
        + list(result.signatures)
        + [f"note: {line}" for line in result.notes]
    )


class PdfCheckDialog(QDialog):
    """Pick a PDF, check it, read the differences (see the module docstring)."""

    def __init__(
        self, ctx: AppContext, actor: Actor, flight: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        self.checked: DocumentCheck | None = None
        self.setObjectName("pdfCheckDialog")
        self.setWindowTitle("Check a manifest PDF")
        self.setMinimumSize(720, 420)
        self.flight = QLineEdit(flight, self)
        self.flight.setObjectName("pdfCheckFlight")
        self.flight.setPlaceholderText("e.g. RF0001")
        self.path = QLineEdit(self)
        self.path.setObjectName("pdfCheckPath")
        self.path.setPlaceholderText("the PDF to check")
        self.browse_button = QPushButton("&Browse…", self)
        self.browse_button.clicked.connect(self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse_button)
        self.answer = QLabel("", self)
        self.answer.setObjectName("pdfCheckAnswer")
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("pdfCheckDetails")
        self.details.setReadOnly(True)
        form = QFormLayout()
        form.addRow("&Flight:", self.flight)
        file_label = QLabel("PDF &file:", self)
        file_label.setBuddy(self.path)
        form.addRow(file_label, file_row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.check_button = self.buttons.addButton("&Check", QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(self.check)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.answer)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.buttons)

    def _ask_pdf(self) -> str:
        """Ask for the PDF (a seam the tests replace). Returns "" when cancelled."""
        return ask_open_path(self, "Check a manifest PDF", "PDF files (*.pdf)")

    def browse(self) -> None:
        path = self._ask_pdf()
        if path:
            self.path.setText(path)
            self.check()

    def check(self) -> None:
        code, path = self.flight.text().strip().upper(), self.path.text().strip()
        if not code or not path:
            self._say("Enter the flight and choose the PDF.", DIFFER_COLOUR)
            return
        self.flight.setText(code)
        self.check_button.setEnabled(False)
        self.answer.setText("Checking…")
        self.answer.setStyleSheet("")
        self.details.clear()

        def work(uow: UnitOfWork) -> DocumentCheck:
            return check_document(uow, self.actor, code, Path(path).read_bytes())

        Operation[DocumentCheck](self).success(self._answered).failure(self._failed).run_in_uow(
            self.ctx, work
        )

    def _answered(self, result: DocumentCheck) -> None:
        self.checked = result
        self.check_button.setEnabled(True)
        self._say(result.summary, MATCH_COLOUR if result.matches else DIFFER_COLOUR)
        self.details.setPlainText("\n".join(result_lines(result)))

    def _failed(self, exc: BaseException, _details: str) -> None:
        self.checked = None
        self.check_button.setEnabled(True)
        self._say(str(exc), DIFFER_COLOUR)

    def _say(self, text: str, colour: str) -> None:
        self.answer.setText(text)
        self.answer.setStyleSheet(f"color: {colour}; font-weight: bold")


__all__ = ["PdfCheckDialog", "result_lines"]
