"""Every setting, declared once with its type and default.

Values come from (highest first): explicit arguments, ``CHARTER_*`` environment variables,
the defaults below. Nothing is read at import time; ``main.py`` calls ``load_settings``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def default_data_dir() -> Path:
    """The per-user data folder (XDG on Linux, Application Support on macOS, AppData on Windows)."""
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif os.uname().sysname == "Darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "charter-planner"


@dataclass(frozen=True)
class Settings:
    #: SQLite path or SQLAlchemy URL; empty means ``<data_dir>/charter.db``.  Env: CHARTER_DB
    db: str = ""
    #: Folder for the default database, logs and exports.  Env: CHARTER_DATA_DIR
    data_dir: Path = field(default_factory=default_data_dir)
    #: Escort officers needed per returnee, by risk level.  Env: CHARTER_ESCORT_LOW, …
    escort_low: float = 1.0
    escort_medium: float = 1.5
    escort_high: float = 2.0
    #: Solver wall-clock limit in seconds.  Env: CHARTER_TIME_LIMIT
    time_limit: float = 30.0
    #: Solver random seed (same input and seed -> same plan).  Env: CHARTER_SEED
    seed: int = 0
    #: Operating cost of one flight hour, for consolidation advice.  Env: CHARTER_COST_PER_HOUR
    cost_per_flight_hour: float = 8_500.0
    #: ISO 4217 code of the currency money is shown in (e.g. the cost per flight hour).  Env: CHARTER_CURRENCY
    currency: str = "EUR"
    #: Days after release/removal before a person's record may be anonymised.  Env: CHARTER_RETENTION_DAYS
    retention_days: int = 365 * 3
    #: Log level for the application log.  Env: CHARTER_LOG_LEVEL
    log_level: str = "INFO"
    #: Seconds a plan-run lock outlives the solver time limit (covers loading and storing); after
    #: time limit + margin a crashed run's lock expires by itself.  Env: CHARTER_PLAN_LOCK_MARGIN
    plan_lock_margin: float = 300.0
    #: The office's party id in PAXLST interchanges (UNB/UNG sender, NAD+MS reporting party; the
    #: carrier or border agency assigns it).  Env: CHARTER_PAXLST_SENDER
    paxlst_sender: str = "CHARTER PLANNER"
    #: Minutes before the scheduled departure from which ``depart`` is accepted.  Env: CHARTER_DEPART_MARGIN_MINUTES
    depart_margin_minutes: int = 60
    #: SQLCipher key of an encrypted SQLite file (never logged or shown).  Env: CHARTER_DB_KEY
    db_key: str = field(default="", repr=False)
    #: Reserves per flight as a share of its seats (ceil(fraction x seats) people, whole families;
    #: recorded with each plan run).  Env: CHARTER_RESERVE_FRACTION
    reserve_fraction: float = 0.10
    #: Telephone of the reporting party in PAXLST (``COM …:TE``; empty: not sent), e.g.
    #: ``+1 202 555 0100``.  Env: CHARTER_REPORTING_PHONE
    reporting_phone: str = ""
    #: E-mail of the reporting party in PAXLST (``COM …:EM``; empty: not sent).  Env: CHARTER_REPORTING_EMAIL
    reporting_email: str = ""

    @property
    def database(self) -> str:
        return self.db or str(self.data_dir / "charter.db")

    def escort_load(self) -> dict[str, float]:
        return {"LOW": self.escort_low, "MEDIUM": self.escort_medium, "HIGH": self.escort_high}


_ENV_NAMES = {
    "db": "CHARTER_DB",
    "data_dir": "CHARTER_DATA_DIR",
    "escort_low": "CHARTER_ESCORT_LOW",
    "escort_medium": "CHARTER_ESCORT_MEDIUM",
    "escort_high": "CHARTER_ESCORT_HIGH",
    "time_limit": "CHARTER_TIME_LIMIT",
    "seed": "CHARTER_SEED",
    "cost_per_flight_hour": "CHARTER_COST_PER_HOUR",
    "currency": "CHARTER_CURRENCY",
    "retention_days": "CHARTER_RETENTION_DAYS",
    "log_level": "CHARTER_LOG_LEVEL",
    "plan_lock_margin": "CHARTER_PLAN_LOCK_MARGIN",
    "paxlst_sender": "CHARTER_PAXLST_SENDER",
    "depart_margin_minutes": "CHARTER_DEPART_MARGIN_MINUTES",
    "db_key": "CHARTER_DB_KEY",
    "reserve_fraction": "CHARTER_RESERVE_FRACTION",
    "reporting_phone": "CHARTER_REPORTING_PHONE",
    "reporting_email": "CHARTER_REPORTING_EMAIL",
}


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment and explicit overrides (``None`` means 'not given')."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = environ.get(_ENV_NAMES[f.name])
        if raw not in (None, ""):
            values[f.name] = _convert(f.name, raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def _convert(name: str, raw: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "Path":
            return Path(raw).expanduser()
        if kind == "float":
            return float(raw)
        if kind == "int":
            return int(raw)
    except ValueError as exc:
        from planner.domain.errors import InvalidInput

        raise InvalidInput(f"{_ENV_NAMES[name]}={raw!r}: {exc}") from exc
    return raw
