"""Window-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ui import background


@pytest.fixture
def qtmodeltester(qtmodeltester, qtbot) -> Iterator:
    """pytest-qt's model tester, which stops checking at its teardown: background work a test
    started finishes first, so a late result cannot change a model nobody checks any more."""
    yield qtmodeltester
    qtbot.waitUntil(lambda: not background._running, timeout=10_000)
