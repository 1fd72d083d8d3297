"""The Requests screen package: the charts (:mod:`.charts`), the table models and the load
(:mod:`.models`), the request dialog (:mod:`.dialogs`) and the screen (:mod:`.screen`)."""

from ui.screens.requests.charts import FunnelChart, KindLeads, LeadTimeChart
from ui.screens.requests.dialogs import RequestDialog
from ui.screens.requests.models import BatchTableModel, CountryRow, CountryTableModel, load_overview
from ui.screens.requests.screen import RequestsScreen

__all__ = [
    "BatchTableModel",
    "CountryRow",
    "CountryTableModel",
    "FunnelChart",
    "KindLeads",
    "LeadTimeChart",
    "RequestDialog",
    "RequestsScreen",
    "load_overview",
]
