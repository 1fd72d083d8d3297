"""The Manifests screen, as a package (like Anki's ``aqt/browser``): ``screen`` (the screen),
``models`` (its two tables), ``dialogs``, ``preview`` (the PDF preview), ``workflow`` (the
workflow actions), ``output`` (files, printing, the batch), ``strike_dialog`` (strike-off with a
coded reason), ``departure`` and ``departure_models`` (the departure view of a flight) and
``struck_report`` (the struck-off report). Which action is enabled, and why
not, is the pure ``planner.services.manifests.actions``."""

from planner.services.manifests.actions import NEEDS_SUPERVISOR
from ui.screens.manifests.dialogs import (
    HashCheckDialog,
    ReopenDialog,
    SignDialog,
    approval_text,
    parse_printed_hash,
)
from ui.screens.manifests.models import FlightManifestRow
from ui.screens.manifests.screen import ManifestsScreen

__all__ = [
    "NEEDS_SUPERVISOR",
    "FlightManifestRow",
    "HashCheckDialog",
    "ManifestsScreen",
    "ReopenDialog",
    "SignDialog",
    "approval_text",
    "parse_printed_hash",
]
