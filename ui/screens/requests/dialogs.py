"""The request dialog: a batch of verification or travel-document requests for one country.

Country (prefilled from the screen's selection), an optional limit and where to write the request
list (the cover letter goes beside it as ``.pdf``). *Create batch* runs
``planner.services.consular.batches.create_batch`` as an operation: on a batch the dialog closes
(``created`` holds it); when nobody is left to request it stays open and says why.

Threading: GUI thread only; the service runs off it (``ui.operations.Operation``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import RequestKind
from planner.domain.errors import PlannerError
from planner.persistence import server_refusals
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from planner.services.consular import batches
from planner.services.consular.batches import CreatedBatch
from ui.errors import show_error
from ui.files import ask_save_path, default_save_path
from ui.operations import Change, Operation

TITLES = {
    RequestKind.VERIFICATION: "Request verification",
    RequestKind.TRAVEL_DOCUMENT: "Request travel documents",
}
FILE_PREFIX = {
    RequestKind.VERIFICATION: "verification-request",
    RequestKind.TRAVEL_DOCUMENT: "travel-document-request",
}
#: A request batch changes the people (PENDING verifications) and the requests.
CHANGES = Change.REQUESTS | Change.PEOPLE | Change.AUDIT


def suggested_name(kind: RequestKind, country: str, today: date | None = None) -> str:
    """``verification-request-CHN-2026-12-03.csv``."""
    return f"{FILE_PREFIX[kind]}-{country}-{(today or date.today()).isoformat()}.csv"


class RequestDialog(QDialog):
    """Create a request batch (see the module docstring). ``created`` is the batch once made."""

    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        kind: RequestKind,
        countries: list[tuple[str, str]],
        country: str | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.actor, self.kind = ctx, actor, kind
        self.created: CreatedBatch | None = None
        self.nobody: str = ""
        self._operation: Operation[tuple[CreatedBatch | None, str]] | None = None
        self.setWindowTitle(TITLES[kind])
        self.setObjectName("requestDialog")
        self.setMinimumWidth(560)

        self.country = QComboBox(self)
        self.country.setObjectName("requestCountry")
        self.country.setEditable(False)
        for code, name in countries:
            self.country.addItem(f"{code} — {name}", code)
        if country is not None and self.country.findData(country) >= 0:
            self.country.setCurrentIndex(self.country.findData(country))
        self.limit = QSpinBox(self)
        self.limit.setObjectName("requestLimit")
        self.limit.setRange(0, 100_000)
        self.limit.setSpecialValueText("No limit")
        self.limit.setToolTip("At most this many people (whole families are kept together); 0 = everybody")
        self.path = QLineEdit(self)
        self.path.setObjectName("requestPath")
        self.path.setPlaceholderText(
            "Where to write the request list (.csv); the letter goes beside it (.pdf)"
        )
        choose = QPushButton("Choose…", self)
        choose.setObjectName("choosePath")
        choose.clicked.connect(self.choose_path)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(choose)
        form = QFormLayout()
        form.addRow("Country:", self.country)
        form.addRow("Limit:", self.limit)
        form.addRow("Request list:", path_row)

        self.message = QLabel(self)
        self.message.setObjectName("requestMessage")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create batch")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        explain = QLabel(
            "People claiming the country, in custody with a removal order (final or pending), "
            + (
                "with no verification for it yet and no open request."
                if kind is RequestKind.VERIFICATION
                else "confirmed (or being verified), without a valid document and no open request."
            ),
            self,
        )
        explain.setWordWrap(True)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.country.currentIndexChanged.connect(self._country_changed)
        self._country_changed()

    def chosen_country(self) -> str | None:
        code = self.country.currentData()
        return str(code) if code else None

    def _country_changed(self) -> None:
        code = self.chosen_country()
        self.message.setText("")
        if code is not None:
            current = Path(self.path.text()) if self.path.text().strip() else None
            name = suggested_name(self.kind, code)
            folder = current.parent if current is not None else Path(default_save_path())
            self.path.setText(str(folder / name))

    def choose_path(self) -> None:
        code = self.chosen_country() or "XXX"
        chosen = ask_save_path(
            self, TITLES[self.kind], self.path.text() or suggested_name(self.kind, code), "CSV (*.csv)"
        )
        if chosen:
            self.path.setText(chosen if chosen.lower().endswith(".csv") else f"{chosen}.csv")

    @property
    def running(self) -> bool:
        return self._operation is not None and self._operation.running

    def submit(self) -> None:
        """Create the batch in the background (nothing happens while one is running)."""
        code, text = self.chosen_country(), self.path.text().strip()
        if self.running:
            return
        if code is None:
            self.message.setText("Choose a country.")
            return
        if not text:
            self.message.setText("Choose where to write the request list.")
            return
        kind, limit, out = self.kind, self.limit.value() or None, Path(text)
        actor = self.actor

        def work(uow: UnitOfWork) -> tuple[CreatedBatch | None, str]:
            created = batches.create_batch(uow, actor, kind, code, out, limit=limit)
            if created is not None:
                return created, ""
            return None, batches.candidate_counts(uow, actor, kind, code, limit).nobody_text()

        self.create_button.setEnabled(False)
        self.message.setText("Creating the batch…")
        self._operation = (
            Operation(self, "The batch was not created")
            .success(self._done)
            .failure(self._failed)
            .changes(CHANGES)
            .run_in_uow(self.ctx, work, write=True)
        )

    def _done(self, result: tuple[CreatedBatch | None, str]) -> None:
        self.create_button.setEnabled(True)
        created, nobody = result
        if created is None:
            self.nobody = nobody[:1].upper() + nobody[1:] if nobody else "Nobody to request"
            self.message.setText(self.nobody + ".")
            return
        self.created = created
        self.accept()

    def _failed(self, exc: BaseException, details: str) -> None:
        self.create_button.setEnabled(True)
        refusal = server_refusals.as_planner_error(exc) or exc
        if isinstance(refusal, PlannerError):  # bad input or a refusal: said here, in one line
            self.message.setText(f"Not created: {refusal}")
        else:
            self.message.setText("Not created.")
            show_error(self, "The batch was not created", exc, details)


__all__ = ["CHANGES", "RequestDialog", "suggested_name"]
