"""The receiving states' mission limits as stored in ``country_rule`` (issue 17), parsed and
checked: arrival weekdays (``MON;WED``; empty = every day), arrival airports (``GUA;SAP``; empty =
every airport of the country), region, missions per week. Pure functions: the importer, the
editor and the scheduler read the text the same way."""

from __future__ import annotations


def parse_weekdays(text: str | None) -> frozenset[int]:
    """``"MON;WED"`` (``;`` or ``,`` between, any case) as weekday numbers (0 = Monday); empty:
    every day (an empty set). ``ValueError`` naming the bad part."""
    from solver.schedule.problem import WEEKDAY_NAMES  # here: ``solver`` loads OR-Tools and pandas

    days: set[int] = set()
    for part in (text or "").replace(",", ";").split(";"):
        name = part.strip().upper()[:3]
        if not part.strip():
            continue
        if name not in WEEKDAY_NAMES:
            raise ValueError(f"{part.strip()!r} is not a weekday (MON, TUE, WED, THU, FRI, SAT, SUN)")
        days.add(WEEKDAY_NAMES.index(name))
    return frozenset(days)


def format_weekdays(days: frozenset[int] | set[int]) -> str:
    """Weekday numbers as stored: ``MON;WED`` in week order; every day (or none) as ``""``."""
    from solver.schedule.problem import WEEKDAY_NAMES  # here: ``solver`` loads OR-Tools and pandas

    if not days or len(days) == 7:
        return ""
    return ";".join(WEEKDAY_NAMES[d] for d in sorted(days))


def parse_airports(text: str | None) -> tuple[str, ...]:
    """``"GUA;SAP"`` as IATA codes in the order given, duplicates dropped; ``ValueError`` for a
    code that is not three letters."""
    out: list[str] = []
    for part in (text or "").replace(",", ";").split(";"):
        code = part.strip().upper()
        if not code:
            continue
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"{part.strip()!r} is not an IATA airport code (three letters)")
        if code not in out:
            out.append(code)
    return tuple(out)


def format_airports(codes: tuple[str, ...] | list[str]) -> str:
    return ";".join(codes)


def check_region(text: str | None) -> str:
    """A region name as stored (trimmed; at most 40 characters; ``ValueError`` otherwise)."""
    value = (text or "").strip()
    if len(value) > 40:
        raise ValueError(f"region {value[:20]!r}…: at most 40 characters")
    return value


def check_missions_per_week(value: int | None) -> int | None:
    """None (no limit) or a whole number of 1 or more (``ValueError`` otherwise)."""
    if value is not None and value < 1:
        raise ValueError(f"max_missions_per_week must be 1 or more (or empty: no limit), not {value}")
    return value
