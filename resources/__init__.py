"""Reference data shipped with the application (airports, country rules, fonts, icons)."""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """Absolute path of a file shipped in ``resources/``."""
    return RESOURCES_DIR / name
