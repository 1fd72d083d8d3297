"""The departure view of one flight (Manifests screen, "Departure…", Ctrl+Shift+D): a window of its
own for departure day, usable with the keyboard alone.

- the listed passengers per stop with their state (listed / boarded at airport and time / struck off
  with the reason) and the ranked reserves per stop (``planner.services.reserves.list_reserves``);
- a **scan field** that has the focus: a USB scanner types the case number and Enter, or the officer
  types it; each scan boards the person (``planner.services.departure.boarding.board``) at the chosen
  airport. Feedback: the row flashes green, amber for "already boarded"; unknown case, not listed,
  struck off or before approval give a red message and a beep. Scans queue while one is recorded;
- counters (boarded / listed / struck off / still to board);
- **Strike off…** for the selected passenger, **Close the doors…** (supervisor; a refusal lists the
  open cases and the people no longer eligible with their reasons), **Depart…** (supervisor, after
  closing; asks for the time), and the documents: boarding cards, as-flown manifest, handover receipt
  (saved as PDF files like the manifests).

Which action is enabled, and why not, is ``planner.services.manifests.actions.departure_actions``.
``clock`` gives "now" to every service call (the tests set it). GUI thread only; every service call
runs as an ``ui.operations.Operation``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, Qt, QTimer, QTimeZone
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from planner.domain.errors import PlannerError
from planner.persistence.uow import UnitOfWork
from planner.services.departure import boarding
from planner.services.departure import depart as departing
from planner.services.departure.boarding import BoardResult
from planner.services.departure.listing import DepartureRefused
from planner.services.manifests import boarding_cards, flown
from planner.services.manifests.actions import DepartureAction, DepartureViewState, departure_actions
from ui.errors import show_error
from ui.operations import Operation
from ui.screens.manifests.departure_models import (
    BOARDED,
    LISTED,
    STRUCK,
    DepartureData,
    PassengerModel,
    ReserveModel,
    read_departure,
)
from ui.tables import table_view

if TYPE_CHECKING:
    from ui.screens.manifests.screen import ManifestsScreen

FEEDBACK_COLOURS = {"ok": "#1b5e20", "again": "#b26a00", "error": "#b3261e", "info": "#333333"}
FLASH_MS = 1500
SCAN_HINT = "Scan a card or type a case number + Enter"


def _utc(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"


class DepartConfirmDialog(QDialog):
    """Confirm the departure and give its time (UTC, default now)."""

    def __init__(self, data: DepartureData, now: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("departConfirm")
        self.setWindowTitle(f"Depart {data.flight_code}")
        boarded, not_boarded = data.count(BOARDED), data.count(LISTED)
        text = QLabel(
            f"Mark flight {data.flight_code} (scheduled {_utc(data.departure_utc)}) as DEPARTED?\n\n"
            f"The {boarded} people who boarded become REMOVED (their custody history names the flight); "
            "everybody of the plan who did not board goes back to planning"
            + (f" ({not_boarded} listed, not boarded)" if not_boarded else "")
            + ". This cannot be undone.",
            self,
        )
        text.setWordWrap(True)
        self.when = QDateTimeEdit(self)
        self.when.setObjectName("departedAt")
        self.when.setTimeZone(QTimeZone.utc())
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm 'UTC'")
        self.when.setCalendarPopup(True)
        self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(now.timestamp()) // 60 * 60, QTimeZone.utc()))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.addButton("Depart", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Departed at:", self.when)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.when.setFocus()

    def departed_at(self) -> datetime:
        value = self.when.dateTime().toUTC().toPython()
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class DepartureDialog(QDialog):
    """The departure view of flight ``code`` (see the module docstring). GUI thread only."""

    def __init__(self, screen: ManifestsScreen, code: str) -> None:
        super().__init__(screen, Qt.WindowType.Window)
        self.host, self.code = screen, code
        self.ctx, self.actor = screen.ctx, screen.actor
        self.setObjectName("departureDialog")
        self.setWindowTitle(f"Departure — {code}")
        self.resize(1280, 760)
        #: "Now" for every service call (tests replace it).
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.data: DepartureData | None = None
        self._generation = 0
        self._busy = ""
        self._queue: list[str] = []
        self._scanning: str | None = None
        self._first_show = True
        #: The last feedback shown: (kind, text); kind is ok, again, error or info.
        self.last_feedback: tuple[str, str] = ("info", "")
        #: The last confirmation opened (tests drive it).
        self.confirm_box: QMessageBox | None = None
        self.depart_dialog: DepartConfirmDialog | None = None

        layout = QVBoxLayout(self)
        self._build_header(layout)
        layout.addWidget(self._build_tables(), 1)
        self._build_problems(layout)
        layout.addLayout(self._build_buttons())
        self.setTabOrder(self.scan_field, self.airport)
        self.setTabOrder(self.airport, self.passenger_table)
        self.setTabOrder(self.passenger_table, self.reserve_table)
        screen.workflow.struck.connect(self._after_strike)
        screen.workflow.failed.connect(self._after_strike)
        self._update_actions()
        self.scan_field.setFocus()

    def _build_header(self, layout: QVBoxLayout) -> None:
        """Title, status, the scan row with its feedback, the counters."""
        self.title = QLabel(self.code, self)
        self.title.setObjectName("departureTitle")
        self.title.setStyleSheet("font-weight: bold; font-size: 15px")
        self.status = QLabel("Loading…", self)
        self.status.setObjectName("departureStatus")
        self.scan_field = QLineEdit(self)
        self.scan_field.setObjectName("scanField")
        self.scan_field.setPlaceholderText(SCAN_HINT)
        self.scan_field.setMinimumWidth(340)
        self.scan_field.setStyleSheet("font-size: 16px; padding: 4px")
        self.scan_field.returnPressed.connect(self.scan)
        self.airport = QComboBox(self)
        self.airport.setObjectName("boardingAirport")
        self.airport.setToolTip("The airport where the people scanned board")
        scan_label = QLabel("&Scan case number:", self)
        scan_label.setBuddy(self.scan_field)
        airport_label = QLabel("boarding &at:", self)
        airport_label.setBuddy(self.airport)
        self.feedback = QLabel("", self)
        self.feedback.setObjectName("scanFeedback")
        self.feedback.setWordWrap(True)
        self.counters = QLabel("", self)
        self.counters.setObjectName("departureCounters")
        self.counters.setStyleSheet("font-size: 14px")
        scan_row = QHBoxLayout()
        scan_row.addWidget(scan_label)
        scan_row.addWidget(self.scan_field, 2)
        scan_row.addWidget(airport_label)
        scan_row.addWidget(self.airport)
        scan_row.addWidget(self.feedback, 3)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addLayout(scan_row)
        layout.addWidget(self.counters)

    def _build_tables(self) -> QSplitter:
        """Passengers (left) and reserves (right)."""
        self.passengers = PassengerModel(self)
        self.passenger_table = table_view(
            self.passengers,
            "departurePassengers",
            widths=(60, 100, 240, 70, 90),
            single_selection=True,
            parent=self,
        )
        self.passenger_table.selectionModel().selectionChanged.connect(self._update_actions)
        self.reserves = ReserveModel(self)
        self.reserve_table = table_view(
            self.reserves, "departureReserves", widths=(55, 45, 100, 190, 70, 55), parent=self
        )
        self.passenger_label = QLabel("&Passengers per stop", self)
        self.passenger_label.setBuddy(self.passenger_table)
        self.reserve_label = QLabel("&Reserves (ranked per stop)", self)
        self.reserve_label.setBuddy(self.reserve_table)
        left, right = QWidget(self), QWidget(self)
        left_layout, right_layout = QVBoxLayout(left), QVBoxLayout(right)
        for box, label, table in ((left_layout, self.passenger_label, self.passenger_table),
                                  (right_layout, self.reserve_label, self.reserve_table)):  # fmt: skip
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(label)
            box.addWidget(table)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([850, 430])
        return splitter

    def _build_problems(self, layout: QVBoxLayout) -> None:
        """Where a refused close lists its open cases (hidden otherwise)."""
        self.problems_title = QLabel("", self)
        self.problems_title.setObjectName("closeProblemsTitle")
        self.problems_title.setStyleSheet(f"color: {FEEDBACK_COLOURS['error']}; font-weight: bold")
        self.problems = QPlainTextEdit(self)
        self.problems.setObjectName("closeProblems")
        self.problems.setReadOnly(True)
        self.problems.setMaximumHeight(120)
        self._show_problems("", [])
        layout.addWidget(self.problems_title)
        layout.addWidget(self.problems)

    def _build_buttons(self) -> QHBoxLayout:
        self.buttons: dict[DepartureAction, QPushButton] = {}
        row = QHBoxLayout()
        specs: list[tuple[DepartureAction, str, str, Callable[[], None]]] = [
            (DepartureAction.STRIKE, "S&trike off…", "Ctrl+Shift+T", self.strike_off),
            (DepartureAction.CLOSE, "&Close the doors…", "Ctrl+Shift+L", self.close_doors),
            (DepartureAction.DEPART, "&Depart…", "Ctrl+Shift+D", self.depart),
            (DepartureAction.BOARDING_CARDS, "&Boarding cards…", "Ctrl+B", self.save_boarding_cards),
            (DepartureAction.AS_FLOWN, "As-&flown manifest…", "Ctrl+Shift+F", self.save_as_flown),
            (DepartureAction.HANDOVER, "&Handover receipt…", "Ctrl+Shift+H", self.save_handover),
        ]
        for action, text, shortcut, slot in specs:
            button = QPushButton(text, self)
            button.setObjectName(f"departure_{action.value}")
            button.setShortcut(QKeySequence(shortcut))
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, s=slot: s())
            self.buttons[action] = button
            row.addWidget(button)
        row.addStretch(1)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_button.setToolTip("Read the flight again (F5)")
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh)
        close_window = QPushButton("Close window", self)
        close_window.setToolTip("Close this window (Esc); nothing is lost")
        close_window.setAutoDefault(False)
        close_window.clicked.connect(self.reject)
        row.addWidget(self.refresh_button)
        row.addWidget(close_window)
        return row

    # ------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Read the flight again (off the GUI thread)."""
        self._generation += 1
        generation, now = self._generation, self.clock()

        def shown(data: DepartureData) -> None:
            if generation == self._generation:
                self._show(data)

        Operation(self, f"Could not read {self.code}").success(shown).run_in_uow(
            self.ctx, lambda uow: read_departure(uow, self.actor, self.code, now=now)
        )

    def _show(self, data: DepartureData) -> None:
        self.data = data
        stops = " → ".join(f"{seq} {airport}" for seq, airport in data.stops)
        pickups = f" (pickups {' → '.join(data.pickups)})" if data.pickups else ""
        if data.pickups:  # the Stop column reads "1 SAT → GUA": pickup, then stop
            self.passenger_table.setColumnWidth(0, max(self.passenger_table.columnWidth(0), 110))
        self.title.setText(
            f"{data.flight_code} — departs {data.departure_airport} {_utc(data.departure_utc)}{pickups} — {stops}"
        )
        revision = f"revision {data.in_force} in force" if data.in_force else "no approved revision"
        if data.newest and data.newest[0] != data.in_force:
            revision += f" · newest revision {data.newest[0]} is {data.newest[1]}"
        self.status.setText(f"{data.status_text()} · {revision}")
        current = self.airport.currentText()
        self.airport.clear()
        self.airport.addItems(list(data.airports))
        if current in data.airports:
            self.airport.setCurrentText(current)
        keep = self.selected_case()
        self.passengers.set_records(list(data.passengers))
        self.reserves.set_records(list(data.reserves))
        for table, model in ((self.passenger_table, self.passengers), (self.reserve_table, self.reserves)):
            header = table.horizontalHeader()
            if header.sortIndicatorSection() >= 0:
                model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        row = self.passengers.row_of(keep) if keep else None
        if row is not None:
            self.passenger_table.selectRow(row)
        count = f"{len(data.reserves)} people" if data.reserves else "none eligible now"
        self.reserve_label.setText(
            f"&Reserves, ranked per stop (at most {data.reserve_limit} people): {count}"
        )
        self._show_counters()
        self._update_actions()
        focus, first = self.focusWidget(), self._first_show
        self._first_show = False
        if self.scan_field.isEnabled() and (first or focus is None or not focus.isEnabled()):
            self.scan_field.setFocus()  # ready to scan

    def _show_counters(self) -> None:
        if self.data is not None:
            self.counters.setText(self.data.counters_text())

    def selected_case(self) -> str | None:
        rows = self.passenger_table.selectionModel().selectedRows()
        return self.passengers.record(rows[0].row()).case_number if rows else None

    # ------------------------------------------------------------ action state

    def _state(self) -> DepartureViewState | None:
        data = self.data
        if data is None:
            return None
        case = self.selected_case()
        selected = next((p for p in data.passengers if p.case_number == case), None)
        return DepartureViewState(
            flight=data.flight_state(),
            role=self.actor.role,
            in_force=data.in_force,
            closed=data.closed_at is not None,
            boarded=data.count(BOARDED),
            strikable=sum(1 for p in data.passengers if p.state != STRUCK),
            selected=selected is not None and selected.state != STRUCK,
            busy=self._busy,
        )

    def _update_actions(self, *_args: object) -> None:
        state = self._state()
        if state is None:
            for button in self.buttons.values():
                button.setEnabled(False)
                button.setToolTip("Loading…")
            return  # the scan field stays enabled: the service decides
        states = departure_actions(state)
        for action, button in self.buttons.items():
            shortcut = button.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            button.setEnabled(states[action].enabled)
            button.setToolTip(states[action].tooltip(f" ({shortcut})"))
        board = states[DepartureAction.BOARD]
        self.scan_field.setEnabled(board.enabled)
        self.airport.setEnabled(board.enabled)
        self.scan_field.setToolTip(board.tooltip())
        if not board.enabled:
            self.scan_field.setPlaceholderText(f"Boarding is over: {board.reason}")
        elif state.in_force is None:
            self.scan_field.setPlaceholderText("Not approved yet: scans are refused")
        else:
            self.scan_field.setPlaceholderText(SCAN_HINT)

    # ------------------------------------------------------------ scanning

    def scan(self) -> None:
        """Queue the case number in the scan field and board it (one at a time, in order)."""
        case = self.scan_field.text().strip().upper()
        self.scan_field.clear()
        if case:
            self._queue.append(case)
            self._next_scan()

    def _next_scan(self) -> None:
        if self._scanning is not None or not self._queue:
            return
        case = self._queue.pop(0)
        self._scanning = case
        airport, now = self.airport.currentText() or None, self.clock()

        def work(uow: UnitOfWork) -> BoardResult:
            return boarding.board(uow, self.actor, self.code, [case], airport=airport, now=now)

        Operation[BoardResult](self).success(lambda r: self._boarded(case, r, now)).failure(
            lambda exc, details: self._scan_failed(case, exc, details)
        ).run_in_uow(self.ctx, work, write=True)

    def _boarded(self, case: str, result: BoardResult, now: datetime) -> None:
        self._scanning = None
        row = self.passengers.row_of(case)
        name = self.passengers.record(row).name if row is not None else ""
        if result.already:
            self._say("again", f"{case} {name}: already boarded")
            self.passengers.flash(case, "again")
        else:
            self._say("ok", f"{case} {name}: boarded at {result.airport}")
            self.passengers.flash(case, "ok")
            self._mark_boarded(case, result.airport, now)
        if row is not None:
            self.passenger_table.scrollTo(self.passengers.index(row, 0))
        QTimer.singleShot(FLASH_MS, self.passengers, lambda: self.passengers.unflash(case))
        self._next_scan()

    def _mark_boarded(self, case: str, airport: str, now: datetime) -> None:
        """Show the boarding at once (the next refresh reads it back)."""
        if self.data is None:
            return
        detail = f"{airport} {_utc(now)}"
        passengers = tuple(
            dataclasses.replace(p, state=BOARDED, detail=detail) if p.case_number == case else p
            for p in self.data.passengers
        )
        self.data = dataclasses.replace(self.data, passengers=passengers)
        row = self.passengers.row_of(case)
        if row is not None:
            self.passengers.replace_record(row, next(p for p in passengers if p.case_number == case))
        self._show_counters()
        self._update_actions()

    def _scan_failed(self, case: str, exc: BaseException, details: str) -> None:
        self._scanning = None
        if isinstance(exc, PlannerError):
            self._say("error", str(exc))
        else:
            self._say("error", f"{case}: could not record the boarding")
            show_error(self, f"Could not board {case}", exc, details)
        QApplication.beep()
        self._next_scan()

    def _say(self, kind: str, text: str) -> None:
        self.last_feedback = (kind, text)
        self.feedback.setText(text)
        weight = "bold" if kind != "info" else "normal"
        self.feedback.setStyleSheet(
            f"color: {FEEDBACK_COLOURS[kind]}; font-weight: {weight}; font-size: 15px"
        )

    # ------------------------------------------------------------ strike, close, depart

    def _enabled(self, action: DepartureAction) -> bool:
        return self.buttons[action].isEnabled()

    def strike_off(self) -> None:
        """Strike the selected passenger (and their family) off; reserves move up."""
        if not self._enabled(DepartureAction.STRIKE) or self.data is None:
            return
        self._busy = "striking off"
        self._update_actions()
        self.host.workflow.open_strike_dialog(self, self.code, self.clock(), self.selected_case(), self.data)
        dialog = self.host.strike_dialog
        if dialog is not None:
            dialog.rejected.connect(self._after_strike)

    def _after_strike(self, _result: object = None) -> None:
        self._busy = ""
        self.refresh()
        self.scan_field.setFocus()  # back to scanning

    def close_doors(self) -> None:
        """Ask, then close the doors; a refusal lists every open case with its reason."""
        if not self._enabled(DepartureAction.CLOSE) or self.data is None:
            return
        data = self.data
        box = QMessageBox(
            QMessageBox.Icon.Question,
            f"Close the doors of {self.code}",
            f"Close the doors of flight {self.code}? Boarded: {data.count(BOARDED)}, struck off: "
            f"{data.count(STRUCK)}, still to board: {data.open_cases}.",
            parent=self,
        )
        box.setObjectName("closeConfirmation")
        box.setInformativeText(
            "Everybody boarded is checked against the rules one last time. After closing nobody can "
            "board or be struck off any more."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Close the doors")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r: self._close_answered(box))
        self.confirm_box = box
        box.open()

    def _close_answered(self, box: QMessageBox) -> None:
        if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
            return
        now = self.clock()

        def done(result: boarding.CloseResult) -> None:
            self._show_problems("", [])
            self._say(
                "ok",
                f"Doors closed at {_utc(result.closed_at)}: {result.boarded} boarded, "
                f"{result.struck} struck off",
            )

        def refused(exc: BaseException) -> bool:
            if not isinstance(exc, DepartureRefused):
                return False
            self._show_problems(str(exc), list(getattr(exc, "details", [])))
            self._say("error", f"{exc}: see the list below")
            QApplication.beep()
            return True

        self._run(
            f"closing {self.code}",
            lambda uow: boarding.close(uow, self.actor, self.code, now=now),
            done,
            f"Could not close {self.code}",
            refused,
        )

    def _show_problems(self, title: str, lines: list[str]) -> None:
        self.problems_title.setText(title)
        self.problems.setPlainText("\n".join(lines))
        self.problems_title.setVisible(bool(lines))
        self.problems.setVisible(bool(lines))

    def depart(self) -> None:
        """Ask for the departure time, then mark the flight departed."""
        if not self._enabled(DepartureAction.DEPART) or self.data is None:
            return
        dialog = DepartConfirmDialog(self.data, self.clock(), self)
        dialog.accepted.connect(lambda: self._depart_confirmed(dialog.departed_at()))
        self.depart_dialog = dialog
        dialog.open()

    def _depart_confirmed(self, at: datetime) -> None:
        now = self.clock()

        def done(result: departing.DepartResult) -> None:
            self._say(
                "ok",
                f"{result.flight_code} departed at {_utc(result.departed_at)}: {len(result.removed)} "
                f"removed, {len(result.back_to_planning)} back to planning",
            )

        self._run(
            f"departing {self.code}",
            lambda uow: departing.depart(uow, self.actor, self.code, at=at, now=now),
            done,
            f"Could not mark {self.code} departed",
        )

    def _run(
        self,
        busy: str,
        work: Callable[[UnitOfWork], Any],
        on_done: Callable[[Any], None],
        error_title: str,
        refused: Callable[[BaseException], bool] | None = None,
    ) -> None:
        """Run a write off the GUI thread; afterwards (refused or not) read the flight again."""
        self._busy = busy
        self._update_actions()

        def done(result: Any) -> None:
            self._busy = ""
            on_done(result)
            self.host._changed(f"{self.code}: {busy} done")
            self.refresh()

        def failed(exc: BaseException, details: str) -> None:
            self._busy = ""
            if refused is None or not refused(exc):
                self._say("error", f"{error_title}: {exc}")
                show_error(self, error_title, exc, details)
            self.refresh()

        Operation(self).success(done).failure(failed).run_in_uow(self.ctx, work, write=True)
        self.scan_field.setFocus()

    # ------------------------------------------------------------ documents

    def _save(self, what: str, suggested: str, work: Callable[[UnitOfWork], bytes], *, write: bool) -> None:
        path = self.host._ask_save_path(f"Save {what}", suggested, "PDF files (*.pdf)")
        if not path:
            return

        def done(data: bytes) -> None:
            self.host.output.write_file(path, data, f"{what} of {self.code} saved to {path}")
            self._say("info", f"{what} saved to {path}")

        Operation[bytes](self, f"Could not produce the {what.lower()}").success(done).run_in_uow(
            self.ctx, work, write=write
        )

    def save_boarding_cards(self) -> None:
        if self._enabled(DepartureAction.BOARDING_CARDS):
            self._save(
                "Boarding cards",
                f"{self.code}_boarding_cards.pdf",
                lambda uow: boarding_cards.boarding_cards_pdf(uow, self.actor, self.code)[0],
                write=False,
            )

    def save_as_flown(self) -> None:
        if self._enabled(DepartureAction.AS_FLOWN):
            now = self.clock()
            self._save(
                "As-flown manifest",
                f"{self.code}_as_flown.pdf",
                lambda uow: flown.as_flown_manifest(uow, self.actor, self.code, now=now).pdf,
                write=True,
            )

    def save_handover(self) -> None:
        if not self._enabled(DepartureAction.HANDOVER) or self.data is None:
            return
        stop = self.choose_stop([airport for _seq, airport in self.data.stops])
        if not stop:
            return
        now = self.clock()
        self._save(
            f"Handover receipt {stop}",
            f"{self.code}_handover_{stop}.pdf",
            lambda uow: flown.handover_receipt(uow, self.actor, self.code, stop, now=now).pdf,
            write=True,
        )

    def choose_stop(self, airports: list[str]) -> str:
        """Which stop's receipt (a seam the tests replace); "" when cancelled."""
        if len(airports) == 1:
            return airports[0]
        item, ok = QInputDialog.getItem(self, "Handover receipt", "Stop:", airports, 0, False)
        return item if ok else ""


__all__ = ["DepartConfirmDialog", "DepartureDialog"]
