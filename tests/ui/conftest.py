"""Window-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import shiboken6


class EveryModelTester:
    """pytest-qt's model tester, for tests that check more than one model.

    The plugin's tester watches one model at a time and at teardown disconnects only the last
    one, so a late change (background work) in an earlier model hit a tester with no model. This
    one lets go of each model before checking the next and at teardown, and tolerates models that
    were already deleted with their window."""

    def __init__(self, tester: Any) -> None:
        self._tester = tester

    def check(self, model: Any, *, force_py: bool = False) -> None:
        self.release()
        self._tester.check(model, force_py=force_py)

    def release(self) -> None:
        model = self._tester._model
        if model is not None and shiboken6.isValid(model):
            self._tester._cleanup()
        self._tester._model = None


@pytest.fixture
def qtmodeltester(qtmodeltester: Any) -> Iterator[EveryModelTester]:
    tester = EveryModelTester(qtmodeltester)
    yield tester
    tester.release()
