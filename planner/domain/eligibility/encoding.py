"""How the numpy tables encode facts: vocabularies of the enums, sentinels, time units.

Strings become small integers: document types, verification results and medical needs use the
declaration order of their enums (``NO_INDEX`` = unknown value, which never helps a person). Dates
are proleptic ordinals (``date.toordinal()``), instants are microseconds since the Unix epoch (UTC).
A stop's local departure date (at its departure airport) is an ordinal too, computed from the
airport's IANA zone when the tables are built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from planner.domain.eligibility.facts import EARLIEST_UTC_OFFSET, LATEST_UTC_OFFSET
from planner.domain.enums import DocumentType, MedicalNeed, VerificationResult, enum_values

IntArray = npt.NDArray[np.integer[Any]]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

NO_INDEX = -1
#: ``PeopleTable.hold_until`` for "no hold" and for "hold without until-date".
HOLD_NONE = int(np.iinfo(np.int64).min)
HOLD_INDEFINITE = int(np.iinfo(np.int64).max)
DOCUMENT_TYPES: tuple[str, ...] = enum_values(DocumentType)
VERIFICATION_RESULTS: tuple[str, ...] = enum_values(VerificationResult)
MEDICAL_NEEDS: tuple[str, ...] = enum_values(MedicalNeed)
US_PER_DAY = 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: ``facts.EARLIEST_UTC_OFFSET`` / ``LATEST_UTC_OFFSET`` in microseconds.
EARLIEST_OFFSET_US = EARLIEST_UTC_OFFSET // timedelta(microseconds=1)
LATEST_OFFSET_US = LATEST_UTC_OFFSET // timedelta(microseconds=1)


def epoch_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch of a timezone-aware ``moment`` (exact)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got {moment!r}")
    return (moment - EPOCH) // timedelta(microseconds=1)


def encode(values: Iterable[str | None], index: Mapping[str, int]) -> IntArray:
    """Codes of ``values`` in ``index`` as int32; unknown or None -> ``NO_INDEX``."""
    return np.fromiter((index.get(v, NO_INDEX) if v is not None else NO_INDEX for v in values), np.int32)
