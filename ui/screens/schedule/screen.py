"""Schedule: which missions to fly over the coming weeks, at the least flying plus detention cost
(issue 17), beside the flights already scheduled.

Top bar: From, Weeks, Time limit, **Propose** (``PROPOSE_KEYS``; runs
``scheduling.proposals.propose`` in the background with progress and **Cancel** (Esc), then shows
the stored proposal), the stored proposals (``list_proposals`` / ``load_proposal``) and **Accept
missions…** (``ACCEPT_KEYS``; supervisor: the selected missions, or every one not yet accepted,
become PLANNED flights after a confirmation). Below: the calendar (:mod:`.calendar`), the cost split
(:mod:`.cost_chart`), the totals (:mod:`.totals`) and the missions table (:mod:`.models`).

"Fly now or wait": the slider sets the detention cost per single adult per day (the family's
scales with it). Moving it re-solves in the background without storing anything (``store=False``,
``WHATIF_SECONDS``), 400 ms after it stops moving, cancelling a run it supersedes; the screen then
shows the unsaved what-if (and says so) until the stored proposal is shown again or **Propose at
this cost** stores it.

Threading: GUI thread only. Every service call runs on the thread pool (``ui.operations``): the
solver releases the interpreter lock while it searches, and a what-if must start at once (a child
process would spend a second or two starting for every slider move). Results of a superseded
request are dropped (generation counters).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import Role
from planner.domain.wording import plural
from planner.persistence.context import AppContext
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings
from planner.services.airports import AirportCatalog
from planner.services.auth import Actor
from planner.services.office_settings import OfficeSettings
from planner.services.scheduling import proposals
from planner.services.scheduling.problem import ScheduleCosts
from planner.services.scheduling.views import MissionView, ProposalSummary, ProposalView
from ui.errors import show_error
from ui.operations import Change, Operation, TaskControl
from ui.screens.base import Screen
from ui.screens.schedule.accept import AcceptMixin
from ui.screens.schedule.calendar import MissionCalendar
from ui.screens.schedule.cost_chart import CostSplitChart
from ui.screens.schedule.models import (
    MISSION_WIDTHS,
    SLIDER_MAX,
    MissionTableModel,
    Money,
    column_of,
    scaled_costs,
    unaccepted,
    whatif_text,
)
from ui.screens.schedule.totals import TotalsPanel
from ui.tables import table_view

#: The Go menu's key of this screen (Ctrl+1 … Ctrl+0 are the ten older screens').
SCHEDULE_KEYS = "Ctrl+L"
#: Propose and Accept while focus is inside this screen (Ctrl+R: like the Plan screen's run).
PROPOSE_KEYS = "Ctrl+R"
ACCEPT_KEYS = "Ctrl+Return"
CANCEL_KEYS = "Esc"
#: Milliseconds the slider must rest before a what-if starts.
DEBOUNCE_MS = 400
WHATIF_STYLE = "background: #fff4d6; color: #5a4300; padding: 4px 8px; border-radius: 3px;"
STORED_STYLE = "padding: 4px 8px;"


def summary_text(summary: ProposalSummary, money: Money) -> str:
    """The proposals picker's line for one stored proposal."""
    accepted = f" ({summary.accepted} accepted)" if summary.accepted else ""
    return (
        f"#{summary.id} from {summary.from_date:%Y-%m-%d}, {plural(summary.weeks, 'week')}: "
        f"{plural(summary.missions, 'mission')}{accepted}, {money(summary.cost)} · "
        f"{summary.created_at:%Y-%m-%d %H:%M} by {summary.created_by}"
    )


class ScheduleScreen(AcceptMixin, Screen):
    title = "Schedule"
    required_role = Role.OFFICER
    #: The what-if's solver time limit, seconds (never more than the bar's).
    WHATIF_SECONDS = 5.0

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self._loaded = False
        self._sized = False
        self.office: OfficeSettings | None = None
        self.summaries: list[ProposalSummary] = []
        #: What the screen shows: a stored proposal, or a what-if (``showing_whatif``).
        self.view: ProposalView | None = None
        self.stored: ProposalView | None = None
        self.showing_whatif = False
        self._propose_task: Operation[ProposalView] | None = None
        self._whatif_task: Operation[ProposalView] | None = None
        self._whatif_generation = 0
        self._view_generation = 0
        self._last_progress = 0.0
        #: Amounts in the office's currency (``Settings.currency``).
        self.money = Money(ctx.settings.currency)
        #: The last confirmation and message box opened (tests drive them).
        self.confirm_box: QMessageBox | None = None
        self.result_box: QMessageBox | None = None

        bar = self._build_bar()
        self.banner = QLabel("", self)
        self.banner.setObjectName("scheduleBanner")
        self.banner.setWordWrap(True)
        self.store_whatif = QPushButton("Propose at this cost", self)
        self.store_whatif.setObjectName("proposeWhatIf")
        self.store_whatif.setToolTip("Solve again at this detention cost and store the proposal")
        self.store_whatif.clicked.connect(self.propose)
        showing_row = QHBoxLayout()
        showing_row.addWidget(QLabel("Showing:", self))
        showing_row.addWidget(self.picker, 1)
        showing_row.addWidget(self.accept_button)
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.store_whatif)
        slider_row = self._build_slider()

        self._build_body()

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(showing_row)
        layout.addLayout(banner_row)
        layout.addLayout(slider_row)
        layout.addWidget(self.splitter, 1)
        self._keys()
        for first, second in (
            (self.from_date, self.weeks),
            (self.weeks, self.time_limit),
            (self.time_limit, self.propose_button),
            (self.propose_button, self.cancel_button),
            (self.cancel_button, self.picker),
            (self.picker, self.accept_button),
            (self.accept_button, self.slider),
            (self.slider, self.store_whatif),
            (self.store_whatif, self.table),
        ):
            QWidget.setTabOrder(first, second)
        self._show(None)

    # ------------------------------------------------------------ building

    def _build_bar(self) -> QHBoxLayout:
        self.from_date = QDateEdit(QDate.currentDate(), self)
        self.from_date.setObjectName("scheduleFrom")
        self.from_date.setCalendarPopup(True)
        self.from_date.setDisplayFormat("yyyy-MM-dd")
        self.from_date.setToolTip("Day 0 of the horizon: waiting is counted from this day")
        self.weeks = QSpinBox(self)
        self.weeks.setObjectName("scheduleWeeks")
        self.weeks.setRange(1, 52)
        self.weeks.setValue(office_settings.DEFAULTS.schedule_weeks)
        self.weeks.setSuffix(" weeks")
        self.weeks.setToolTip("The horizon (starts at the office setting schedule_weeks)")
        self.time_limit = QSpinBox(self)
        self.time_limit.setObjectName("scheduleTimeLimit")
        self.time_limit.setRange(1, 3600)
        self.time_limit.setSuffix(" s")
        self.time_limit.setValue(round(office_settings.DEFAULTS.time_limit))
        self.time_limit.setToolTip("How long the solver may search (starts at the office setting time_limit)")
        self.propose_button = QPushButton("Propose", self)
        self.propose_button.setObjectName("propose")
        self.propose_button.clicked.connect(self.propose)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelPropose")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("scheduleProgress")
        self.progress.setRange(0, 1000)
        self.progress.setFormat("Ready")
        self.progress.setValue(0)
        self.picker = QComboBox(self)
        self.picker.setObjectName("proposalPicker")
        self.picker.setMinimumContentsLength(30)
        self.picker.setToolTip("Reopen a stored proposal")
        self.picker.activated.connect(self._picked)
        self.accept_button = QPushButton("Accept missions…", self)
        self.accept_button.setObjectName("acceptMissions")
        self.accept_button.clicked.connect(self.accept_missions)
        bar = QHBoxLayout()
        for label, widget in (
            ("From:", self.from_date),
            ("Weeks:", self.weeks),
            ("Time limit:", self.time_limit),
        ):
            bar.addWidget(QLabel(label, self))
            bar.addWidget(widget)
        bar.addWidget(self.propose_button)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.progress, 1)
        return bar

    def _build_slider(self) -> QHBoxLayout:
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("detentionSlider")
        self.slider.setRange(0, SLIDER_MAX)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(10)
        self.slider.setValue(round(office_settings.DEFAULTS.detention_cost_person))
        self.slider.setToolTip(
            "Fly now or wait: the detention cost per single adult per day (the family's scales with it). "
            "Moving it solves again without storing anything."
        )
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider_value = QLabel("", self)
        self.slider_value.setObjectName("detentionValue")
        self.slider_value.setMinimumWidth(60)
        self.whatif_label = QLabel("", self)
        self.whatif_label.setObjectName("whatIfLabel")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.run_whatif)
        row = QHBoxLayout()
        row.addWidget(QLabel("Fly now or wait — detention cost per adult per day:", self))
        row.addWidget(self.slider, 2)
        row.addWidget(self.slider_value)
        row.addWidget(self.whatif_label, 3)
        self._slider_label()
        return row

    def _build_body(self) -> None:
        """The calendar above, the cost split and the totals side by side, the missions below."""
        self.calendar = MissionCalendar(self)
        self.calendar.mission_clicked.connect(self.select_mission)
        self.chart = CostSplitChart(self)
        self.totals = TotalsPanel(self)
        self.missions = MissionTableModel(self, self.money)
        for widget in (self.calendar, self.chart, self.totals):
            widget.money = self.money
        self.table = table_view(
            self.missions,
            "scheduleMissions",
            widths=MISSION_WIDTHS,
            sort_column=column_of("date"),
            parent=self,
        )
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda _index: self._selection_changed())

        self.calendar_scroll = calendar_scroll = QScrollArea(self)
        calendar_scroll.setObjectName("calendarScroll")
        calendar_scroll.setWidgetResizable(True)
        calendar_scroll.setFrameShape(QFrame.Shape.NoFrame)
        calendar_scroll.setWidget(self.calendar)
        calendar_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The calendar paints its dates at the top of what shows: repaint it all on a scroll.
        calendar_scroll.verticalScrollBar().valueChanged.connect(lambda _v: self.calendar.update())
        calendar_box = self._box("Calendar: proposed missions and flights already scheduled", calendar_scroll)
        notes = QScrollArea(self)
        notes.setObjectName("scheduleNotesScroll")
        notes.setWidgetResizable(True)
        notes.setFrameShape(QFrame.Shape.NoFrame)
        notes.setWidget(self.totals.notes)
        notes.setMinimumHeight(48)
        chart_box = self._box("Cost: flying and waiting", self.chart, notes)
        totals_box = self._box("Totals", self.totals)
        middle = QSplitter(Qt.Orientation.Horizontal, self)
        middle.addWidget(chart_box)
        middle.addWidget(totals_box)
        middle.setStretchFactor(0, 3)
        middle.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("scheduleSplitter")
        self.splitter.addWidget(calendar_box)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(self.table)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setChildrenCollapsible(False)

    def _box(self, title: str, widget: QWidget, *below: QWidget) -> QGroupBox:
        box = QGroupBox(title, self)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addWidget(widget, 1)
        for other in below:
            inner.addWidget(other)
        return box

    def _keys(self) -> None:
        """Propose, Accept and Cancel keys, while focus is inside this screen."""
        self.shortcuts: dict[str, QShortcut] = {}
        for keys, slot in (
            (PROPOSE_KEYS, self.propose),
            (ACCEPT_KEYS, self.accept_missions),
            (CANCEL_KEYS, self.cancel),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            self.shortcuts[keys] = shortcut

    # ------------------------------------------------------------ screen contract

    def activate(self) -> None:
        """Each show: the stored proposals again (first show: and the newest opened)."""
        first = not self._loaded
        self._loaded = True
        self.reload(first=first)

    def refresh(self) -> None:
        """F5: the stored proposals and office settings again, and the shown proposal re-read."""
        self._loaded = True
        shown = self.stored.id if self.stored is not None and not self.showing_whatif else None
        self.reload(open_id=shown)

    @property
    def running(self) -> bool:
        """A proposal is being computed (stored when it ends)."""
        return self._propose_task is not None

    @property
    def whatif_running(self) -> bool:
        return self._whatif_task is not None and self._whatif_task.running

    # ------------------------------------------------------------ loading

    def reload(self, open_id: int | None = None, *, first: bool = False) -> None:
        """Read the office settings and the stored proposals; then open ``open_id`` (``first``:
        the newest). Writes of this screen reload here; another desk's proposals show on F5 or
        the next visit."""
        actor = self.actor

        def read(uow: UnitOfWork) -> tuple[OfficeSettings, list[ProposalSummary], dict[str, str]]:
            airports = {code: a.country for code, a in AirportCatalog.load(uow).stored.items()}
            return office_settings.load(uow), proposals.list_proposals(uow, actor), airports

        def shown(loaded: tuple[OfficeSettings, list[ProposalSummary], dict[str, str]]) -> None:
            office, summaries, self.calendar.airport_countries = loaded
            if self.office is None:  # the office's values, once: later the user's choices stay
                self.weeks.setValue(office.schedule_weeks)
                self.time_limit.setValue(max(1, min(3600, round(office.time_limit))))
                self.slider.blockSignals(True)
                self.slider.setValue(max(0, min(SLIDER_MAX, round(office.detention_cost_person))))
                self.slider.blockSignals(False)
            self.office = office
            self._slider_label()
            self._list(summaries)
            wanted = open_id if open_id is not None else (summaries[0].id if first and summaries else None)
            if wanted is not None and any(s.id == wanted for s in summaries):
                self.open_proposal(wanted)
            self._update_actions()

        Operation(self, "Could not load the schedule proposals").success(shown).run_in_uow(
            self.ctx, read, write=False
        )

    def _list(self, summaries: list[ProposalSummary]) -> None:
        self.summaries = summaries
        self.picker.blockSignals(True)
        self.picker.clear()
        if not summaries:
            self.picker.addItem("No stored proposals", None)
        for s in summaries:
            self.picker.addItem(summary_text(s, self.money), s.id)
        self._select_in_picker()
        self.picker.blockSignals(False)

    def _select_in_picker(self) -> None:
        index = self.picker.findData(self.stored.id) if self.stored is not None else -1
        self.picker.setCurrentIndex(index if index >= 0 or self.summaries else 0)

    def _picked(self, index: int) -> None:
        proposal_id = self.picker.itemData(index)
        if proposal_id is not None:
            self.open_proposal(int(proposal_id))

    def open_proposal(self, proposal_id: int) -> None:
        """Show stored proposal ``proposal_id`` (read in the background)."""
        self._view_generation += 1
        generation, actor = self._view_generation, self.actor

        def shown(view: ProposalView) -> None:
            if generation == self._view_generation:
                self.show_stored(view)

        Operation(self, "Could not open the proposal").success(shown).run_in_uow(
            self.ctx, lambda uow: proposals.load_proposal(uow, actor, proposal_id), write=False
        )

    # ------------------------------------------------------------ showing

    def show_stored(self, view: ProposalView) -> None:
        """Show a stored proposal; the bar and the slider take its horizon and cost."""
        self._stop_whatif()
        self.stored = view
        self.from_date.setDate(QDate(view.from_date.year, view.from_date.month, view.from_date.day))
        self.weeks.setValue(view.weeks)
        self.slider.blockSignals(True)
        self.slider.setValue(max(0, min(SLIDER_MAX, round(view.costs.detention_cost_person))))
        self.slider.blockSignals(False)
        self._slider_label()
        self._show(view)
        self.whatif_label.setText(whatif_text(view.costs.detention_cost_person, view, self.money))

    def show_whatif(self, view: ProposalView) -> None:
        self._show(view, whatif=True)

    def _show(self, view: ProposalView | None, *, whatif: bool = False) -> None:
        self.view, self.showing_whatif = view, whatif and view is not None
        if view is None:
            self.calendar.clear(f"No proposal yet — choose the horizon and Propose ({PROPOSE_KEYS})")
            self.chart.set_totals([], None)
            self.missions.set_records([])
        else:
            self.calendar.set_schedule(view.from_date, 7 * view.weeks, view.missions, view.current_missions)
            self.chart.set_totals(
                [("What-if" if whatif else "Proposed", view.totals), ("Current", view.current)], view.costs
            )
            self.missions.set_records(view.missions)
            header = self.table.horizontalHeader()
            self.missions.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.totals.set_view(view, whatif=whatif)
        self._banner()
        self._select_in_picker()
        self._selection_changed()

    def _banner(self) -> None:
        view = self.view
        self.store_whatif.setVisible(self.showing_whatif)
        if view is None:
            self.banner.setStyleSheet(STORED_STYLE)
            self.banner.setText(f"No proposal shown — choose the horizon and Propose ({PROPOSE_KEYS}).")
        elif self.showing_whatif:
            stored = f" Stored proposal #{self.stored.id} is unchanged." if self.stored is not None else ""
            self.banner.setStyleSheet(WHATIF_STYLE)
            self.banner.setText(
                f"What-if at {self.money(view.costs.detention_cost_person)}/day, not stored.{stored} "
                "Propose at this cost stores it."
            )
        else:
            accepted = len(view.missions) - len(unaccepted(view.missions))
            self.banner.setStyleSheet(STORED_STYLE)
            self.banner.setText(
                f"Proposal #{view.id} ({str(view.status).lower()}): {view.from_date:%Y-%m-%d}, "
                f"{plural(view.weeks, 'week')}, at {self.money(view.costs.detention_cost_person)}/day per adult "
                f"and {self.money(view.costs.detention_cost_family)}/day per family"
                + (f" — {accepted} of {plural(len(view.missions), 'mission')} accepted" if accepted else "")
            )

    # ------------------------------------------------------------ selection

    def selected_missions(self) -> list[MissionView]:
        return [self.missions.record(i.row()) for i in self.table.selectionModel().selectedRows()]

    def select_mission(self, mission_id: str) -> None:
        """Select mission ``mission_id`` in the table (a calendar click)."""
        row = self.missions.row_of(mission_id)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.missions.index(row, 0))
            self.status_message.emit(f"Mission {mission_id} selected")

    def _selection_changed(self) -> None:
        chosen = self.selected_missions()
        self.calendar.set_selected({m.id for m in chosen})
        if len(chosen) == 1:  # bring its blocks into view
            block = next((b for b in self.calendar.layout_blocks() if b.mission.id == chosen[0].id), None)
            if block is not None:
                centre = block.rect.center().toPoint()
                self.calendar_scroll.ensureVisible(centre.x(), centre.y(), 10, 60)
        self._update_actions()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._sized:  # first show, once laid out: calendar 45 %, cost 30 %, missions 25 %
            self._sized = True
            QTimer.singleShot(0, self._size_parts)

    def _size_parts(self) -> None:
        total = sum(self.splitter.sizes())
        self.splitter.setSizes([int(total * 0.45), int(total * 0.3), total - int(total * 0.75)])

    # ------------------------------------------------------------ actions state

    def _update_actions(self) -> None:
        running = self._propose_task is not None
        self.propose_button.setEnabled(not running)
        self.propose_button.setToolTip(
            "A proposal is being computed; wait for it or press Cancel (Esc)"
            if running
            else f"Propose the missions for the horizon at {self.money(self.slider.value())}/day and store "
            f"the proposal ({PROPOSE_KEYS})"
        )
        self.store_whatif.setEnabled(not running)
        for widget in (self.from_date, self.weeks, self.time_limit):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.cancel_button.setToolTip(
            "Stop the search and store the best proposal found so far (Esc)"
            if running
            else "Nothing is running"
        )
        self.shortcuts[CANCEL_KEYS].setEnabled(running)
        reason = self._accept_refusal()
        self.accept_button.setEnabled(reason is None)
        self.shortcuts[ACCEPT_KEYS].setEnabled(reason is None)
        if reason is None:
            chosen = unaccepted(self.selected_missions()) or unaccepted(
                self.view.missions if self.view else []
            )
            reason = f"Turn {plural(len(chosen), 'mission')} into PLANNED flights ({ACCEPT_KEYS})"
        self.accept_button.setToolTip(reason)

    def _accept_refusal(self) -> str | None:
        """Why Accept is disabled now (None: it is enabled)."""
        if not self.can(Role.SUPERVISOR):
            return f"Accepting missions needs the supervisor role; you are {self.actor.role.value}"
        if self.view is None:
            return "No proposal shown"
        if self.showing_whatif:
            return "This is an unsaved what-if: store it first (Propose at this cost)"
        if self._propose_task is not None:
            return "A proposal is being computed"
        if not unaccepted(self.view.missions):
            return (
                "Every mission of this proposal is accepted already" if self.view.missions else "No missions"
            )
        return None

    # ------------------------------------------------------------ propose

    def _costs(self) -> ScheduleCosts | None:
        """The costs at the slider's value (None until the office settings are read)."""
        if self.office is None:
            return None
        return scaled_costs(ScheduleCosts.from_settings(self.office), float(self.slider.value()))

    def _start(self) -> date:
        chosen = self.from_date.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def propose(self) -> None:
        """Compute and store a proposal at the slider's cost (no-op while one is computed)."""
        if self._propose_task is not None:
            return
        self._stop_whatif()
        actor, start, weeks, limit, costs = (
            self.actor,
            self._start(),
            self.weeks.value(),
            float(self.time_limit.value()),
            self._costs(),
        )

        def work(task: TaskControl) -> ProposalView:
            # Solve in a read-only unit of work, then store in a short write one: SQLite's write
            # lock is never held (other desks never wait) while the solver searches.
            with self.ctx.uow(write=False) as uow:
                computed = proposals.compute_proposal(
                    uow,
                    actor,
                    start=start,
                    weeks=weeks,
                    time_limit=limit,
                    costs=costs,
                    progress=task.report_progress,
                    should_stop=task.should_stop,
                )
            task.report_progress(1.0, "storing the proposal")
            with self.ctx.uow() as uow:
                return proposals.store_proposal(uow, actor, computed)

        self._last_progress = 0.0
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self._propose_task = (
            Operation[ProposalView](self, "The schedule could not be proposed")
            .success(self._proposed)
            .failure(self._propose_failed)
            .progress(self._progressed)
            .changes(Change.SCHEDULE | Change.AUDIT)
            .run_in_thread(work)
        )
        self.status_message.emit(f"Proposing missions for {plural(weeks, 'week')} (at most {limit:.0f} s)…")
        self._update_actions()

    def cancel(self) -> None:
        """Stop the running proposal; the best one found so far is stored."""
        if self._propose_task is None:
            return
        self._propose_task.cancel()
        self.progress.setFormat("Stopping — storing the best proposal found so far…")
        self.cancel_button.setEnabled(False)

    def _progressed(self, fraction: float, message: str) -> None:
        if self._propose_task is None:
            return
        self._last_progress = max(fraction, self._last_progress)
        if not self._propose_task.cancel_requested:
            self.progress.setFormat(f"{message} — %p%" if message else "%p%")
        self.progress.setValue(round(1000 * self._last_progress))

    def _proposed(self, view: ProposalView) -> None:
        self._propose_task = None
        self.progress.setValue(1000)
        self.progress.setFormat(
            f"Proposal #{view.id} stored: {plural(len(view.missions), 'mission')}, "
            f"{self.money(view.totals.cost_per_removal)} per removal"
        )
        self.status_message.emit(f"Proposal #{view.id} stored: {plural(len(view.missions), 'mission')}")
        self.show_stored(view)
        self._update_actions()
        self.reload()

    def _propose_failed(self, exc: BaseException, details: str) -> None:
        self._propose_task = None
        self.progress.setValue(0)
        self.progress.setFormat("Not proposed")
        self._update_actions()
        show_error(self, "The schedule could not be proposed", exc, details)

    # ------------------------------------------------------------ what-if

    def _slider_label(self) -> None:
        self.slider_value.setText(f"{self.money(self.slider.value())}/day")

    def _slider_moved(self, _value: int) -> None:
        self._slider_label()
        self.whatif_label.setText("…")
        self._update_actions()
        self._debounce.start()

    def run_whatif(self) -> None:
        """Solve at the slider's cost without storing (superseding a what-if still running)."""
        self._debounce.stop()
        costs = self._costs()
        if costs is None or self._propose_task is not None:
            return
        stored = self.stored
        if stored is not None and round(stored.costs.detention_cost_person) == self.slider.value():
            self._cancel_whatif()
            self.show_stored(stored)  # back at the stored proposal's cost: show it again
            return
        self._cancel_whatif()
        self._whatif_generation += 1
        generation = self._whatif_generation
        actor, start, weeks = self.actor, self._start(), self.weeks.value()
        limit = min(self.WHATIF_SECONDS, float(self.time_limit.value()))
        person = float(self.slider.value())

        def work(task: TaskControl) -> ProposalView:
            with self.ctx.uow(write=False) as uow:
                return proposals.propose(
                    uow,
                    actor,
                    start=start,
                    weeks=weeks,
                    time_limit=limit,
                    costs=costs,
                    store=False,
                    should_stop=task.should_stop,
                )

        def done(view: ProposalView) -> None:
            if generation != self._whatif_generation:
                return
            self._whatif_task = None
            self.show_whatif(view)
            self.whatif_label.setText(whatif_text(person, view, self.money) + " (not stored)")
            self.status_message.emit(whatif_text(person, view, self.money))

        def failed(exc: BaseException, details: str) -> None:
            if generation != self._whatif_generation:
                return
            self._whatif_task = None
            self.whatif_label.setText("The what-if failed")
            show_error(self, "The what-if could not be computed", exc, details)

        self.whatif_label.setText(f"Solving at {self.money(person)}/day…")
        self._whatif_task = Operation[ProposalView](self).success(done).failure(failed).run_in_thread(work)

    def _cancel_whatif(self) -> None:
        if self._whatif_task is not None:
            self._whatif_task.cancel()
            self._whatif_task = None
        self._whatif_generation += 1

    def _stop_whatif(self) -> None:
        self._debounce.stop()
        self._cancel_whatif()


__all__ = [
    "ACCEPT_KEYS",
    "CANCEL_KEYS",
    "PROPOSE_KEYS",
    "SCHEDULE_KEYS",
    "ScheduleScreen",
    "summary_text",
]
