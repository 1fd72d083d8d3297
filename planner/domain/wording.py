"""Small, pure helpers that word values the way a logistics officer reads them: counts with the
right plural, local times with their UTC offset (never an ambiguous abbreviation such as "CST"),
money with its currency, audit values without internal spellings (``None`` → "empty"), codes as
words, and repeated lines grouped as ``"303 × …"``.

Every screen, command and PDF that words one of these uses this module, so they agree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Words whose plural is not the word + "s".
_IRREGULAR = {"person": "people", "family": "families", "country": "countries", "facility": "facilities"}
#: Shown for a value that was not set (instead of ``None``).
EMPTY = "empty"
#: Currency used when none is configured (ISO 4217).
DEFAULT_CURRENCY = "EUR"
#: The typographic minus, as in "UTC−05:00".
MINUS = "\u2212"


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """``"1 row"``, ``"2 rows"``, ``"1,250 people"``: the count (with thousands separators) and
    the word in the number that fits it. ``plural_form`` overrides the regular plural."""
    if count == 1:
        return f"1 {word}"
    many = plural_form or _IRREGULAR.get(word) or _regular_plural(word)
    return f"{count:,} {many}"


def _regular_plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def code_words(code: str | None) -> str:
    """An enum value as words: ``"MEDICAL_ESCORT"`` → ``"medical escort"`` (empty for None)."""
    return "" if not code else code.replace("_", " ").lower()


def utc_offset_text(moment: datetime) -> str:
    """``"UTC+08:00"`` / ``"UTC−05:00"`` / ``"UTC±00:00"`` for an aware ``moment``."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC±00:00"
    sign = "+" if minutes > 0 else MINUS
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_of(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``; UTC when it is unknown or empty."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time_text(moment: datetime, zone: str | None, *, with_zone_name: bool = False) -> str:
    """``moment`` (aware) in the IANA ``zone`` with its UTC offset, e.g.
    ``"2027-03-01 20:00 UTC−05:00"``; ``with_zone_name`` adds ``" (America/Chicago)"``. A naive
    ``moment`` is taken as UTC; an unknown zone shows UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone_of(zone))
    text = f"{local:%Y-%m-%d %H:%M} {utc_offset_text(local)}"
    return f"{text} ({zone})" if with_zone_name and zone else text


def local_date(moment: datetime, zone: str | None) -> date:
    """The calendar date of ``moment`` in ``zone`` (UTC when naive or unknown)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone_of(zone)).date()


def utc_text(moment: datetime) -> str:
    """``"2027-03-01 20:00 UTC"`` (a naive ``moment`` is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def money_text(amount: float | None, currency: str = DEFAULT_CURRENCY) -> str:
    """``"EUR 8,500"``: whole units with the ISO currency code first (empty for None)."""
    if amount is None:
        return ""
    return f"{currency} {amount:,.0f}"


def hours_text(hours: float) -> str:
    """``"6 h"``, ``"2.5 h"``."""
    return f"{hours:g} h" if hours == round(hours, 1) else f"{hours:.1f} h"


def value_text(value: object) -> str:
    """A stored value as words: None → "empty", booleans → yes/no, lists joined with commas,
    everything else as text (never ``None`` or JSON)."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value == int(value):
        return f"{int(value)}"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return "; ".join(f"{field_words(str(k))} {value_text(v)}" for k, v in value.items()) or EMPTY
    return str(value)


def field_words(name: str) -> str:
    """A field name as words: ``"hold_until"`` → ``"hold until"``."""
    return name.replace("_", " ")


def change_text(field: str, old: object, new: object) -> str:
    """``"priority 5 → 2"``, ``"legal hold reason empty → court stay"``."""
    return f"{field_words(field)} {value_text(old)} → {value_text(new)}"


def was_text(old: object) -> str:
    """``"(was empty)"`` / ``"(was 5)"``."""
    return f"(was {value_text(old)})"


def grouped_lines(lines: Iterable[str]) -> list[str]:
    """``lines`` in first-seen order with repeats folded into one ``"303 × text"`` line."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    return [text if n == 1 else f"{n:,} × {text}" for text, n in counts.items()]


def join_words(items: Iterable[str], conjunction: str = "and") -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    words = [item for item in items if item]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


__all__ = [
    "DEFAULT_CURRENCY",
    "EMPTY",
    "change_text",
    "code_words",
    "field_words",
    "grouped_lines",
    "hours_text",
    "join_words",
    "local_date",
    "local_time_text",
    "money_text",
    "plural",
    "utc_offset_text",
    "utc_text",
    "value_text",
    "was_text",
    "zone_of",
]
