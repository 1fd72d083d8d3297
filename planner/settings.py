"""Every setting, declared once with its type and default.

Values come from (highest first): explicit arguments, ``CHARTER_*`` environment variables,
the defaults below. Nothing is read at import time; ``main.py`` calls ``load_settings``.

Only display, path, connection and tuning settings live here. The safety settings (escort load per
risk level, solver time limit, reserve fraction, departure margin, four eyes) live in the database
(:mod:`planner.services.office_settings`, ``settings show`` / ``settings set``); their old
environment variables (``IGNORED_ENV``) are ignored with a warning.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


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
    #: SQLCipher key of an encrypted SQLite file (never logged or shown).  Env: CHARTER_DB_KEY
    db_key: str = field(default="", repr=False)
    #: Telephone of the reporting party in PAXLST (``COM …:TE``; empty: not sent), e.g.
    #: ``+1 202 555 0100``.  Env: CHARTER_REPORTING_PHONE
    reporting_phone: str = ""
    #: E-mail of the reporting party in PAXLST (``COM …:EM``; empty: not sent).  Env: CHARTER_REPORTING_EMAIL
    reporting_email: str = ""

    @property
    def database(self) -> str:
        return self.db or str(self.data_dir / "charter.db")


_ENV_NAMES = {
    "db": "CHARTER_DB",
    "data_dir": "CHARTER_DATA_DIR",
    "seed": "CHARTER_SEED",
    "cost_per_flight_hour": "CHARTER_COST_PER_HOUR",
    "currency": "CHARTER_CURRENCY",
    "retention_days": "CHARTER_RETENTION_DAYS",
    "log_level": "CHARTER_LOG_LEVEL",
    "plan_lock_margin": "CHARTER_PLAN_LOCK_MARGIN",
    "paxlst_sender": "CHARTER_PAXLST_SENDER",
    "db_key": "CHARTER_DB_KEY",
    "reporting_phone": "CHARTER_REPORTING_PHONE",
    "reporting_email": "CHARTER_REPORTING_EMAIL",
}


#: Environment variables that once set safety settings, now kept in the database: ignored.
IGNORED_ENV = (
    "CHARTER_ESCORT_LOW",
    "CHARTER_ESCORT_MEDIUM",
    "CHARTER_ESCORT_HIGH",
    "CHARTER_TIME_LIMIT",
    "CHARTER_RESERVE_FRACTION",
    "CHARTER_DEPART_MARGIN_MINUTES",
)


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment and explicit overrides (``None`` means 'not given').
    A set ``IGNORED_ENV`` variable is logged as a warning (it no longer changes anything)."""
    environ = dict(os.environ if environ is None else environ)
    for name in IGNORED_ENV:
        if environ.get(name, "") != "":
            log.warning(
                "%s is set but ignored: safety settings live in the database for every desk; "
                "an admin changes them with the 'settings' command (settings show / settings set)",
                name,
            )
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
