"""Domain errors. The CLI maps them to exit codes; the window shows their message.

``InvalidInput`` (exit 2) means nothing was written. Every other ``PlannerError`` is exit 1.
``StaleVersion`` is the ``Conflict`` of an edit based on an old version: the window offers to
reload the record; other conflicts (a lock held, a record that may not change) it only reports.
"""

from __future__ import annotations


class PlannerError(Exception):
    """Base class: a failure the user can understand from its one-line message."""

    exit_code = 1


class InvalidInput(PlannerError):
    """The request or file was invalid; nothing was written."""

    exit_code = 2

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details: list[str] = list(details or [])


class PermissionDenied(PlannerError):
    """The acting user's role does not allow the action (the refusal is audited)."""


class AuthenticationFailed(PlannerError):
    """Wrong user name or password, or the account is locked."""


class NotFound(PlannerError):
    """A named record does not exist."""


class Conflict(PlannerError):
    """The record changed since it was read, or a lock is held by someone else."""


class StaleVersion(Conflict):
    """An edit based on a version that is no longer current (optimistic locking): someone else
    saved the record since it was read. The message names who and when; reading the record
    again (its new version) and re-applying the change can succeed, unlike other ``Conflict``s."""
