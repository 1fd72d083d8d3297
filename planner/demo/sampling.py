"""What the demo generator's parts share: the reference data it draws from, its constants and
its sampling helpers (deterministic given a ``random.Random``)."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from planner.demo import names
from planner.domain.enums import VerificationResult
from planner.domain.requests import DEFAULT_LEAD_TIME_DAYS

#: The next 90 days get flights; departed ones lie up to three weeks back.
HORIZON_DAYS = 90
DEMO_COUNTRIES = tuple(names.NATIONALITY_BASE_SHARE)
SOURCE_FILE = "demo"
#: Demo flights are ``DM0001``…, demo case numbers ``A3xxxxxxxx``: neither clashes with the shared
#: sample files (``RF0000``…, ``A2000000xx``) or an office's own schedule, so the samples import
#: into a demo database.
DEMO_FLIGHT_PREFIX = "DM"
DEMO_CASE_BASE = 300_000_000

CONFIRMED = VerificationResult.CONFIRMED.value
PENDING = VerificationResult.PENDING.value
NOT_CONFIRMED = VerificationResult.NOT_CONFIRMED.value


@dataclass(frozen=True)
class Rule:
    """What the generator needs of a receiving country's rule."""

    name: str
    accepted: tuple[str, ...]
    min_validity_days: int
    #: Days the country is expected to take to answer a request (``CountryRule.lead_time_days``).
    lead_time_days: int = DEFAULT_LEAD_TIME_DAYS


@dataclass(frozen=True)
class Reference:
    """The airports and country rules of the database the demo data is generated for."""

    hubs: tuple[str, ...]
    airports_by_country: dict[str, tuple[str, ...]]
    timezone: dict[str, str]
    country_of: dict[str, str]
    rules: dict[str, Rule]
    countries: tuple[str, ...]
    #: Receiving countries without a stored rule (they run on the default rule).
    without_rule: frozenset[str] = frozenset()


def weighted(rng: random.Random, cum: Sequence[float], items: Sequence[Any]) -> Any:
    """``rng.choices(items, cum_weights=cum)[0]`` without the list."""
    return items[bisect.bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]


def cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    """Running totals of ``weights`` (the ``cum`` that ``weighted`` takes)."""
    return tuple(itertools.accumulate(weights))


class Permutation:
    """A bijection k -> [0, 10**digits) that looks random: unique case and document numbers."""

    def __init__(self, rng: random.Random, digits: int, multiplier: int) -> None:
        self.modulus = 10**digits
        self.multiplier = multiplier  # coprime to 10
        self.offset = rng.randrange(self.modulus)

    def __call__(self, k: int) -> int:
        return (k * self.multiplier + self.offset) % self.modulus
