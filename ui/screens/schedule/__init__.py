"""The Schedule screen package (issue 17): the calendar (:mod:`.calendar`), the cost split chart
(:mod:`.cost_chart`), the totals panel (:mod:`.totals`), the missions table and wording
(:mod:`.models`) and the screen (:mod:`.screen`)."""

from ui.screens.schedule.calendar import MissionCalendar
from ui.screens.schedule.cost_chart import CostSplitChart
from ui.screens.schedule.models import MissionTableModel
from ui.screens.schedule.screen import ACCEPT_KEYS, PROPOSE_KEYS, SCHEDULE_KEYS, ScheduleScreen
from ui.screens.schedule.totals import TotalsPanel

__all__ = [
    "ACCEPT_KEYS",
    "PROPOSE_KEYS",
    "SCHEDULE_KEYS",
    "CostSplitChart",
    "MissionCalendar",
    "MissionTableModel",
    "ScheduleScreen",
    "TotalsPanel",
]
