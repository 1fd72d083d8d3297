"""The office's safety settings, kept in the database (table ``office_settings``, one row).

Every desk plans, reserves and departs with the same values, set by an admin and audited, instead
of each desk's environment: escort officers needed per returnee by risk level, the solver's time
limit, the reserve fraction, the margin before departure from which ``depart`` is accepted, and
whether approve and sign must be done by different people (the preparer may never approve).

- :func:`load` (no role check: every service that plans reads it) returns :class:`OfficeSettings`;
  the defaults when the row is missing (a database created without the migrations).
- :func:`update` (admin) validates every change, refuses a stale ``expected_version`` and audits
  ``office_settings.update`` with ``[old, new]`` per changed key; commits.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from planner.domain.enums import RiskLevel, Role
from planner.domain.errors import InvalidInput, StaleVersion
from planner.persistence import audit
from planner.persistence.models import OfficeSettingsRow, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize

log = logging.getLogger(__name__)

#: The audit action of a change.
UPDATE_ACTION = "office_settings.update"


@dataclass(frozen=True)
class OfficeSettings:
    """The safety settings one plan run, reserve list or departure uses (plain data)."""

    #: Escort officers needed per returnee, by risk level (HIGH >= MEDIUM >= LOW > 0).
    escort_low: float = 1.0
    escort_medium: float = 1.5
    escort_high: float = 2.0
    #: Solver wall-clock limit in seconds of a plan run (> 0).
    time_limit: float = 30.0
    #: Reserves per flight as a share of its seats, in [0, 1).
    reserve_fraction: float = 0.10
    #: Minutes before the scheduled departure from which ``depart`` is accepted (> 0).
    depart_margin_minutes: int = 60
    #: Approve and sign a manifest revision by different people (the preparer never approves).
    four_eyes_sign: bool = True
    #: Mission scheduling: detention cost per day of a single adult and of a whole family (>= 0).
    detention_cost_person: float = 122.0
    detention_cost_family: float = 300.0
    #: Cost counted for each person the schedule leaves unserved within the horizon (>= 0).
    unserved_penalty: float = 5000.0
    #: The scheduler's default horizon in weeks (1 to 52).
    schedule_weeks: int = 8
    #: Pickup airports missions may start from, ``AEX;SAT`` (empty: every airport a facility
    #: transfers to).
    pickup_airports: str = ""
    #: The row's version (optimistic locking; 0: defaults, no row stored).
    version: int = 0
    updated_by: str = ""
    updated_at: datetime | None = None

    def escort_load(self) -> dict[str, float]:
        """Escort officers per returnee by risk level name (``LOW``/``MEDIUM``/``HIGH``)."""
        return {
            RiskLevel.LOW.value: self.escort_low,
            RiskLevel.MEDIUM.value: self.escort_medium,
            RiskLevel.HIGH.value: self.escort_high,
        }

    def values(self) -> dict[str, Any]:
        """The settable values by key (what ``settings show`` prints and a plan run records)."""
        return {key: getattr(self, key) for key in KEYS}

    def summary(self) -> str:
        """One line for a plan run: the safety settings it used."""
        return (
            f"escort officers per returnee LOW {self.escort_low:g} / MEDIUM {self.escort_medium:g} / "
            f"HIGH {self.escort_high:g}; solver limit {self.time_limit:g} s; reserves "
            f"{100 * self.reserve_fraction:g} % of seats; depart from {self.depart_margin_minutes} min "
            f"before; approve and sign by different people: {'yes' if self.four_eyes_sign else 'no'}"
        )


def recorded_summary(used: Mapping[str, Any]) -> str:
    """:meth:`OfficeSettings.summary` of the settings a plan run recorded (``PlanRun.settings_json``);
    for a run stored before they were recorded in full, what it did record ("" when nothing)."""
    if used.get("office_settings"):
        known = {k: v for k, v in used["office_settings"].items() if k in KEYS}
        return dataclasses.replace(DEFAULTS, **known).summary()
    parts = []
    if used.get("escort_load"):
        load = used["escort_load"]
        parts.append(
            "escort officers per returnee "
            + " / ".join(
                f"{level} {float(load[level]):g}" for level in ("LOW", "MEDIUM", "HIGH") if level in load
            )
        )
    if used.get("time_limit"):
        parts.append(f"solver limit {float(used['time_limit']):g} s")
    if used.get("reserve_fraction") is not None:
        parts.append(f"reserves {100 * float(used['reserve_fraction']):g} % of seats")
    return "; ".join(parts)


#: The keys ``update`` and ``settings set`` accept, in display order.
KEYS: tuple[str, ...] = tuple(
    f.name for f in fields(OfficeSettings) if f.name not in ("version", "updated_by", "updated_at")
)
#: What each key means (``settings show``, the dialog).
DESCRIPTIONS: dict[str, str] = {
    "escort_low": "escort officers per LOW-risk returnee",
    "escort_medium": "escort officers per MEDIUM-risk returnee",
    "escort_high": "escort officers per HIGH-risk returnee",
    "time_limit": "solver time limit of a plan run, seconds",
    "reserve_fraction": "reserves per flight as a share of its seats (0 to below 1)",
    "depart_margin_minutes": "minutes before departure from which a flight may be marked departed",
    "four_eyes_sign": "approve and sign a manifest by different people (yes/no)",
    "detention_cost_person": "mission scheduling: detention cost per single adult per day",
    "detention_cost_family": "mission scheduling: detention cost per family per day",
    "unserved_penalty": "mission scheduling: cost of leaving a person unserved within the horizon",
    "schedule_weeks": "mission scheduling: default horizon in weeks (1 to 52)",
    "pickup_airports": "mission scheduling: pickup airports, e.g. AEX;SAT (empty: every airport facilities reach)",
}
DEFAULTS = OfficeSettings()


def _from_row(row: OfficeSettingsRow) -> OfficeSettings:
    return OfficeSettings(
        **{key: getattr(row, key) for key in KEYS},
        version=row.version,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def load(uow: UnitOfWork) -> OfficeSettings:
    """The office's settings as stored (the defaults, version 0, when there is no row). No role
    check: planning, reserves and departure read them for every user."""
    row = uow.session.get(OfficeSettingsRow, 1)
    return DEFAULTS if row is None else _from_row(row)


def parse_value(key: str, raw: Any) -> Any:
    """``raw`` (typed, or text as typed on the command line) converted to ``key``'s type;
    ``InvalidInput`` naming the key for an unknown key or a value of the wrong kind."""
    if key not in KEYS:
        raise InvalidInput(f"unknown setting {key!r}: one of {', '.join(KEYS)}")
    kind = type(getattr(DEFAULTS, key))
    if kind is str:
        return ";".join(
            code.strip().upper() for code in str(raw).replace(",", ";").split(";") if code.strip()
        )
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("yes", "true", "on", "1"):
            return True
        if text in ("no", "false", "off", "0"):
            return False
        raise InvalidInput(f"{key}: {raw!r} is not yes or no")
    try:
        if kind is int:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(str(raw).strip()) if not isinstance(raw, int | float) else int(raw)
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{key}: {raw!r} is not {'a whole number' if kind is int else 'a number'}"
        ) from None
    if not math.isfinite(value):
        raise InvalidInput(f"{key}: {raw!r} is not a finite number")
    return value


def validate(settings: OfficeSettings) -> list[str]:
    """One message per rule ``settings`` breaks ([] = valid)."""
    problems: list[str] = []
    for level in RiskLevel:
        if settings.escort_load()[level.value] <= 0:
            problems.append(
                f"escort_{level.value.lower()} must be more than 0 (escort officers per returnee)"
            )
    if not problems and not settings.escort_high >= settings.escort_medium >= settings.escort_low:
        problems.append(
            "escort loads must not fall with the risk: escort_high >= escort_medium >= escort_low "
            f"(now {settings.escort_high:g}, {settings.escort_medium:g}, {settings.escort_low:g})"
        )
    if not 0 <= settings.reserve_fraction < 1:
        problems.append(f"reserve_fraction must be at least 0 and below 1, not {settings.reserve_fraction:g}")
    if settings.time_limit <= 0:
        problems.append(f"time_limit must be more than 0 seconds, not {settings.time_limit:g}")
    if settings.depart_margin_minutes <= 0:
        problems.append(f"depart_margin_minutes must be more than 0, not {settings.depart_margin_minutes}")
    for key in ("detention_cost_person", "detention_cost_family", "unserved_penalty"):
        if getattr(settings, key) < 0:
            problems.append(f"{key} must be 0 or more, not {getattr(settings, key):g}")
    if not 1 <= settings.schedule_weeks <= 52:
        problems.append(f"schedule_weeks must be 1 to 52, not {settings.schedule_weeks}")
    bad = [c for c in pickup_airport_codes(settings) if not (len(c) == 3 and c.isalpha() and c.isupper())]
    if bad:
        problems.append(f"pickup_airports: {', '.join(bad)} not IATA codes (three letters, ';' between)")
    if len(settings.pickup_airports) > 200:
        problems.append("pickup_airports: at most 200 characters")
    return problems


def pickup_airport_codes(settings: OfficeSettings) -> tuple[str, ...]:
    """The pickup airports setting as codes, in the order given (empty: not restricted)."""
    return tuple(code for code in settings.pickup_airports.split(";") if code)


def update(
    uow: UnitOfWork,
    actor: Actor,
    changes: Mapping[str, Any],
    expected_version: int,
    *,
    now: datetime | None = None,
) -> OfficeSettings:
    """Admin: change some settings (``KEYS``; values typed or as text) of the version the caller
    read; commits and returns the new settings (unchanged, nothing written, when every value equals
    the stored one). ``InvalidInput`` (one line naming every problem; nothing written, nothing
    audited) for an unknown key, a bad value or a combination that breaks a rule (escort load 0 or
    less, HIGH < MEDIUM < LOW, a fraction outside [0, 1), a limit of 0 or less); ``StaleVersion``
    when the settings changed since ``expected_version``. Audited as ``office_settings.update``
    with ``[old, new]`` per changed key."""
    authorize(uow, actor, Role.ADMIN, "change the office settings")
    if not changes:
        raise InvalidInput("no setting to change: give KEY VALUE pairs")
    current = load(uow)
    if current.version != expected_version:
        who = (
            f" by {current.updated_by} at {current.updated_at:%Y-%m-%d %H:%M} UTC"
            if current.updated_at
            else ""
        )
        raise StaleVersion(
            f"the office settings were changed{who} since you read them (version {current.version}, "
            f"yours {expected_version}): read them again"
        )
    parsed = {key: parse_value(key, raw) for key, raw in changes.items()}
    proposed = dataclasses.replace(current, **parsed)
    problems = validate(proposed)
    if problems:
        raise InvalidInput("; ".join(problems))  # one line naming every problem
    changed = {
        key: [getattr(current, key), value] for key, value in parsed.items() if getattr(current, key) != value
    }
    if not changed:
        return current
    when = now or utc_now()
    row = uow.session.get(OfficeSettingsRow, 1)
    if row is None:
        row = OfficeSettingsRow(id=1, version=0, **DEFAULTS.values())
        uow.session.add(row)
        uow.session.flush()
    table = OfficeSettingsRow.__table__
    result: sa.CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]  # DML: a CursorResult
        sa.update(table)
        .where(table.c.id == 1, table.c.version == row.version)
        .values(version=row.version + 1, updated_at=when, updated_by=actor.username, **parsed)
    )
    if result.rowcount != 1:
        raise StaleVersion("the office settings were changed meanwhile: read them again")
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action=UPDATE_ACTION,
            entity="office_settings",
            entity_id="1",
            changes={**changed, "version": [row.version, row.version + 1]},
        ),
    )
    uow.commit()
    log.info("office settings changed by %s: %s", actor.username, sorted(changed))
    uow.session.expire_all()
    return load(uow)
