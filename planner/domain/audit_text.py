"""Audit event details in words: the one formatter of an event's ``changes_json`` for the Audit
screen, the person detail's audit trail and the command line's ``audit list``.

``{"priority": [5, 2]}`` reads "priority 5 → 2"; ``{"legal_hold_reason": [null, "court stay"]}``
reads "legal hold reason empty → court stay"; a plain detail ``{"documents": 1}`` reads
"documents: 1". Never ``None``, never raw JSON. Pure; never raises."""

from __future__ import annotations

import json
from dataclasses import dataclass

from planner.domain.wording import change_text, code_words, field_words, value_text

#: Cut a one-line summary at this many characters.
SUMMARY_LIMIT = 160


@dataclass(frozen=True)
class ChangeLine:
    """One field of an event's changes: ``old`` -> ``new`` when the event recorded a change
    (``is_change``), otherwise ``new`` holds a plain detail value."""

    field: str
    old: object
    new: object
    is_change: bool

    @property
    def text(self) -> str:
        """``"priority 5 → 2"`` or ``"documents: 1"``."""
        if self.is_change:
            return change_text(self.field, self.old, self.new)
        return f"{field_words(self.field)}: {value_text(self.new)}"


def change_lines(changes_json: str | None) -> list[ChangeLine]:
    """Read an event's ``changes_json``: ``{field: [old, new]}`` pairs become changes, anything
    else a detail. Unreadable text becomes one detail line."""
    try:
        changes = json.loads(changes_json or "{}")
    except ValueError:
        return [ChangeLine("details", None, changes_json, False)]
    if not isinstance(changes, dict):
        return [ChangeLine("details", None, changes, False)]
    lines = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            lines.append(ChangeLine(str(key), value[0], value[1], True))
        else:
            lines.append(ChangeLine(str(key), None, value, False))
    return lines


def summarize_changes(changes_json: str | None, *, limit: int = SUMMARY_LIMIT) -> str:
    """One line: ``"priority 5 → 2; documents: 1"``, cut at ``limit`` characters."""
    text = "; ".join(line.text for line in change_lines(changes_json))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pretty_changes(changes_json: str | None) -> str:
    """One line per field (``"priority 5 → 2"``); "(no details recorded)" when there are none."""
    lines = change_lines(changes_json)
    if not lines:
        return "(no details recorded)"
    return "\n".join(line.text for line in lines)


def action_words(action: str) -> str:
    """``"person.update"`` → ``"person update"``; ``"login.success"`` → ``"login success"``."""
    return code_words(action.replace(".", " "))


__all__ = ["ChangeLine", "action_words", "change_lines", "pretty_changes", "summarize_changes"]
