"""What the Schedule screen shows, as text: money and load wording, the load-factor colours the
calendar and the table share, the missions table model and the what-if cost arithmetic.

Plain functions over the services' ``ProposalView`` / ``MissionView`` (read by attribute, so a
view from ``propose`` and one from ``load_proposal`` read the same). GUI thread only for the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from planner.domain.wording import DEFAULT_CURRENCY, money_text, plural
from planner.services.scheduling.problem import ScheduleCosts
from ui.record_model import RecordTableModel

if TYPE_CHECKING:
    from planner.services.scheduling.views import MissionView, ProposalView
    from solver.schedule.problem import Totals

#: A proposed mission at least this full is "full"; under ``LOW_LOAD`` the issue's 80 % line.
FULL_LOAD = 0.95
LOW_LOAD = 0.80
#: Fill colours by load factor (full, fair, under 80 %), readable with white text.
LOAD_COLOURS: tuple[tuple[float, QColor, str], ...] = (
    (FULL_LOAD, QColor("#2e7d32"), f"≥ {FULL_LOAD:.0%}"),
    (LOW_LOAD, QColor("#3b6fb6"), f"{LOW_LOAD:.0%}–{FULL_LOAD:.0%}"),
    (0.0, QColor("#c0661a"), f"< {LOW_LOAD:.0%}"),
)
#: The flights already scheduled ("current"): outlined in this colour.
CURRENT_COLOUR = QColor("#6b7785")
FLYING_COLOUR = QColor("#3b6fb6")
WAITING_COLOUR = QColor("#c0861a")
PENALTY_COLOUR = QColor("#b3261e")
#: The detention-cost slider's range, dollars per single adult per day.
SLIDER_MAX = 400


def load_colour(load_factor: float | None) -> QColor:
    """The fill of a mission ``load_factor`` full (None: the under-80 % colour)."""
    value = load_factor or 0.0
    return next(colour for floor, colour, _label in LOAD_COLOURS if value >= floor)


@dataclass(frozen=True)
class Money:
    """Amounts in the office's currency (``Settings.currency``), as the rest of the window shows
    them: ``Money("USD")(58463)`` is ``"USD 58,463"``; ``short`` for chart labels (``"USD 1.23 M"``)."""

    currency: str = DEFAULT_CURRENCY

    def __call__(self, amount: float | None) -> str:
        return money_text(amount, self.currency)

    def short(self, amount: float | None) -> str:
        if amount is None:
            return ""
        if abs(amount) >= 1e6:
            return f"{self.currency} {amount / 1e6:,.2f} M"
        if abs(amount) >= 1e4:
            return f"{self.currency} {amount / 1e3:,.1f} k"
        return self(amount)


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f} %"


def days_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def people_text(people: dict[str, int]) -> str:
    """``"GTM 120 · SLV 60"``, largest first."""
    return " · ".join(f"{c} {n:,}" for c, n in sorted(people.items(), key=lambda kv: (-kv[1], kv[0])))


def penalty_part(totals: Totals, costs: ScheduleCosts | None) -> float:
    """The unserved penalty inside ``totals.waiting_cost`` (people left × penalty per person)."""
    return totals.unserved * costs.unserved_penalty if costs is not None else 0.0


def scaled_costs(office: ScheduleCosts, person_per_day: float) -> ScheduleCosts:
    """The office's costs with the single adult's detention cost set to ``person_per_day`` and the
    family's scaled by the same ratio (unchanged when the office's single-adult cost is 0)."""
    family = (
        office.detention_cost_family * person_per_day / office.detention_cost_person
        if office.detention_cost_person > 0
        else office.detention_cost_family
    )
    return ScheduleCosts(
        detention_cost_person=float(person_per_day),
        detention_cost_family=family,
        unserved_penalty=office.unserved_penalty,
    )


def whatif_text(person_per_day: float, view: ProposalView, money: Money) -> str:
    """``"At USD 122/day: 14 missions, USD 1,210 per removal"``."""
    per_removal = view.totals.cost_per_removal
    tail = f", {money(per_removal)} per removal" if per_removal is not None else ", nobody removed"
    return f"At {money(person_per_day)}/day: {plural(len(view.missions), 'mission')}{tail}"


def mission_tooltip(mission: MissionView, money: Money, *, current: bool = False) -> str:
    """The mission's figures, several lines (calendar tooltips)."""
    what = f"Flight {mission.id} (already scheduled)" if current else f"Mission {mission.id}"
    if not current and mission.flight_code:
        what += f" — accepted as flight {mission.flight_code}"
    people = sum(mission.people.values())
    lines = [
        f"{what}: {mission.date:%a %Y-%m-%d}, {mission.aircraft}",
        f"{' → '.join(mission.pickups)} → {' → '.join(mission.stops)}",
        f"{plural(people, 'person', 'people')} of {mission.seats:,} seats ({percent(mission.load_factor)})"
        + (f": {people_text(mission.people)}" if len(mission.people) > 1 else ""),
        f"{money(mission.cost)} flying ({mission.block_hours:.1f} block hours)"
        + (f", {money(mission.cost_per_person)} per person" if mission.cost_per_person is not None else ""),
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the table

MISSION_COLUMNS: list[tuple[str, str]] = [
    ("number", "Mission"),
    ("date", "Date"),
    ("aircraft", "Aircraft"),
    ("pickups", "Pickups"),
    ("stops", "Stops"),
    ("people", "People"),
    ("countries", "By country"),
    ("seats", "Seats"),
    ("load_factor", "Load"),
    ("cost", "Cost"),
    ("cost_per_person", "Per person"),
    ("flight_code", "Flight"),
]
MISSION_WIDTHS = (70, 95, 100, 150, 150, 65, 170, 55, 60, 105, 90, 90)
MISSION_TIPS: dict[str, str] = {
    "pickups": "Pickup airports in flying order",
    "stops": "Arrival airports in flying order",
    "people": "Returnees on the mission",
    "countries": "Returnees per receiving country",
    "seats": "Returnee seats of the aircraft",
    "load_factor": f"People / seats; under {LOW_LOAD:.0%} in orange",
    "cost": "Block hours × cost per block hour (the empty return leg included)",
    "cost_per_person": "Flying cost / people",
    "flight_code": "The PLANNED flight the mission became when accepted",
}
RIGHT = Qt.AlignmentFlag.AlignRight
ALIGNMENTS = dict.fromkeys(("people", "seats", "load_factor", "cost", "cost_per_person"), RIGHT)


def column_of(key: str) -> int:
    return [k for k, _ in MISSION_COLUMNS].index(key)


class MissionTableModel(RecordTableModel):
    """The proposed missions (``MissionView``), sortable; ``Qt.UserRole`` is the view."""

    def __init__(self, parent: Any = None, money: Money = Money()) -> None:
        self.money = money
        super().__init__(
            MISSION_COLUMNS,
            parent,
            formatters={
                "number": lambda n: f"M{n}",
                "pickups": " → ".join,
                "stops": " → ".join,
                "load_factor": percent,
                "cost": money,
                "cost_per_person": money,
            },
            alignments=ALIGNMENTS,
            tips=MISSION_TIPS,
        )

    @staticmethod
    def _get(record: Any, key: str) -> Any:
        if key == "people":
            return sum(record.people.values())
        if key == "countries":
            return people_text(record.people)
        return RecordTableModel._get(record, key)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        key = self.columns[index.column()][0]
        if key == "load_factor" and role == Qt.ItemDataRole.ForegroundRole:
            load = self.record(index.row()).load_factor
            return QBrush(load_colour(load)) if load is not None and load < LOW_LOAD else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return mission_tooltip(self.record(index.row()), self.money)
        return super().data(index, role)

    def row_of(self, mission_id: str) -> int | None:
        """The row showing mission ``mission_id`` ("M3"), None when it is not listed."""
        return next((n for n, m in enumerate(self.records()) if m.id == mission_id), None)


def unaccepted(missions: Sequence[MissionView]) -> list[MissionView]:
    """The missions not yet turned into flights."""
    return [m for m in missions if not m.flight_code]


__all__ = [
    "CURRENT_COLOUR",
    "FLYING_COLOUR",
    "LOAD_COLOURS",
    "MISSION_COLUMNS",
    "MISSION_WIDTHS",
    "PENALTY_COLOUR",
    "SLIDER_MAX",
    "WAITING_COLOUR",
    "MissionTableModel",
    "Money",
    "column_of",
    "load_colour",
    "mission_tooltip",
    "penalty_part",
    "people_text",
    "percent",
    "scaled_costs",
    "unaccepted",
    "whatif_text",
]
