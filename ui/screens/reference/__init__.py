"""The Reference data screen (admin): receiving-country rules and airports."""

from __future__ import annotations

from ui.screens.reference.screen import ReferenceDataScreen

__all__ = ["ReferenceDataScreen"]
