"""Reference data (admin): a Countries tab (every ISO 3166 country with its rule or the default,
``ui.screens.reference.countries``) and an Airports tab (``ui.screens.reference.airports``, imported
when present so the screen works without it). Each tab is a panel with ``refresh()``; the screen
refreshes the panel shown when it is activated or the tab changes. Threading: GUI thread only."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from planner.domain.enums import Role
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from ui.screens.base import Screen
from ui.screens.reference.countries import CountriesPanel

log = logging.getLogger(__name__)


def _airports_panel(ctx: AppContext, actor: Actor, parent: QWidget) -> QWidget:
    """The Airports panel, or a note when its module is not installed."""
    try:
        module = importlib.import_module("ui.screens.reference.airports")
        panel: QWidget = module.AirportsPanel(ctx, actor, parent)
        return panel
    except (ImportError, AttributeError) as exc:
        log.info("no Airports panel: %s", exc)
        note = QLabel("The airports panel is not available in this build.", parent)
        note.setObjectName("airportsUnavailable")
        return note


class ReferenceDataScreen(Screen):
    title = "Reference data"
    required_role = Role.ADMIN

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("referenceTabs")
        self.countries = CountriesPanel(ctx, actor, self)
        self.airports = _airports_panel(ctx, actor, self)
        self.tabs.addTab(self.countries, "Countries")
        self.tabs.addTab(self.airports, "Airports")
        self.tabs.currentChanged.connect(lambda _index: self._refresh_current())
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)

    def activate(self) -> None:
        self._refresh_current()

    def _refresh_current(self) -> None:
        panel: Any = self.tabs.currentWidget()
        refresh = getattr(panel, "refresh", None)
        if callable(refresh):
            refresh()
