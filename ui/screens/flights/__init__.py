"""The Flights screen package: the table model (:mod:`.model`), the editor dialog
(:mod:`.editor`) and the screen (:mod:`.screen`)."""

from ui.screens.flights.editor import FlightEditorDialog, local_to_utc, zone_of
from ui.screens.flights.model import (
    COLUMN_WIDTHS,
    COLUMNS,
    FlightsTableModel,
    LegLoadDelegate,
    column_of,
    percent,
)
from ui.screens.flights.screen import FlightsScreen

__all__ = [
    "COLUMNS",
    "COLUMN_WIDTHS",
    "FlightEditorDialog",
    "FlightsScreen",
    "FlightsTableModel",
    "LegLoadDelegate",
    "column_of",
    "local_to_utc",
    "percent",
    "zone_of",
]
