"""Pure rules for sign-in credentials and names: user names, passwords, the characters a name may
hold, and the growing delay of the sign-in throttle.

- A user name is also a PostgreSQL role name, so it is at most 63 characters (``USERNAME_PATTERN``).
- A new password has at least ``MIN_PASSWORD_LENGTH`` characters and is neither on the list of
  common passwords shipped with ``zxcvbn`` (its ranked password frequency list) nor easy to guess
  by ``zxcvbn``'s estimate (score below ``MIN_PASSWORD_SCORE``). Stored passwords are never
  re-checked; the rule applies when a password is set. Messages name the rule, never the password.
- Names (people, escorts, user display names) refuse invisible characters that can disguise
  text: Unicode control (Cc), format (Cf: zero-width space, bidi embeddings, overrides and
  isolates, …), line and paragraph separators (Zl, Zp). The zero-width joiner and non-joiner
  (U+200C, U+200D) stay allowed: Persian and Indic names need them to be spelled correctly.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from datetime import timedelta

#: PostgreSQL's NAMEDATALEN - 1: a user name is also the person's database login role.
MAX_USERNAME_LENGTH = 63
USERNAME_PATTERN = re.compile(rf"^[a-z][a-z0-9._-]{{1,{MAX_USERNAME_LENGTH - 1}}}$")
USERNAME_RULE = (
    f"2-{MAX_USERNAME_LENGTH} characters, lower-case letters, digits, '.', '_' or '-', starting with a letter"
)

MIN_PASSWORD_LENGTH = 12
#: Far above what anyone types; bounds the strength estimate's work (it grows with the length).
MAX_PASSWORD_LENGTH = 256
#: zxcvbn's 0-4 scale: 3 means "safely unguessable: moderate protection from offline attacks".
MIN_PASSWORD_SCORE = 3

#: Format characters names need (Persian, Indic scripts); every other Cf character is refused.
_ALLOWED_FORMAT_CHARS = frozenset("\u200c\u200d")
_REFUSED_CATEGORIES = {
    "Cc": "CONTROL CHARACTER",
    "Cf": "FORMAT CHARACTER",
    "Zl": "LINE SEPARATOR",
    "Zp": "PARAGRAPH SEPARATOR",
}


def refused_character(text: str) -> str | None:
    """The first character of ``text`` a name may not hold, described as ``"U+202E RIGHT-TO-LEFT
    OVERRIDE"``, or ``None`` when there is none."""
    if text.isprintable():  # C speed; false for every refused character (and for some allowed ones)
        return None
    for char in text:
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES and char not in _ALLOWED_FORMAT_CHARS:
            return f"U+{ord(char):04X} {unicodedata.name(char, _REFUSED_CATEGORIES[category])}"
    return None


def name_problem(field: str, text: str) -> str | None:
    """``"FIELD: U+202E RIGHT-TO-LEFT OVERRIDE is not allowed"`` when ``text`` holds a refused
    character, else ``None``."""
    bad = refused_character(text)
    return f"{field}: {bad} is not allowed" if bad else None


@functools.cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # 30 000 passwords; loaded on first use

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, related: Iterable[str] = ()) -> str | None:
    """Why ``password`` may not be set (one line naming the rule, never the password), or ``None``.
    ``related``: words an attacker would try first (the user name, the display name)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password: at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"password: at most {MAX_PASSWORD_LENGTH} characters"
    if password.lower() in _common_passwords():
        return "password: on the list of common passwords; choose another"
    from zxcvbn import zxcvbn  # imports its lists on first use

    # zxcvbn estimates at most 72 characters; a longer password is scored by its beginning.
    estimate = zxcvbn(password[:72], user_inputs=[word for word in related if word], max_length=72)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        return (
            "password: too easy to guess (a common word, name, date, sequence or repetition, or "
            "the user name); use a longer phrase of unrelated words"
        )
    return None


def throttle_delay(failures: int, *, free_failures: int, first: timedelta, longest: timedelta) -> timedelta:
    """How long the next attempt must wait after ``failures`` consecutive failures: nothing for the
    first ``free_failures``, then ``first`` doubling with each further failure, never above
    ``longest``."""
    if failures < free_failures:
        return timedelta(0)
    doublings = min(failures - free_failures, 32)  # 2**32 times any first delay is far past a cap
    return min(first * 2**doublings, longest)
