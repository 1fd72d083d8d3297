"""The pure rules of planner.domain.credentials: passwords, user names, name characters, delays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.domain.credentials import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    USERNAME_PATTERN,
    name_problem,
    password_problem,
    refused_character,
    throttle_delay,
)
from planner.domain.fields import Column, parse_fields
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD


@pytest.mark.parametrize(
    "password",
    [ADMIN_PASSWORD, USER_PASSWORD, "charter-demo", "brand-new-password-9", "correct horse battery"],
)
def test_the_passwords_the_program_and_tests_use_pass(password: str) -> None:
    assert password_problem(password, ["admin"]) is None


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short-pass1", "at least 12 characters"),
        ("x" * (MAX_PASSWORD_LENGTH + 1), f"at most {MAX_PASSWORD_LENGTH} characters"),
        ("password1234", "on the list of common passwords"),
        ("QWERTYUIOP123", "on the list of common passwords"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("iloveyou1234", "too easy to guess"),
        ("Password123!", "too easy to guess"),
        ("olivia.smith2024", "too easy to guess"),  # the user name and a year
    ],
)
def test_weak_passwords_are_refused_naming_the_rule_not_the_password(password: str, rule: str) -> None:
    problem = password_problem(password, ["olivia.smith"])
    assert problem is not None and problem.startswith("password: ") and rule in problem
    assert password not in problem and "\n" not in problem
    assert MIN_PASSWORD_LENGTH == 12


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("ab", True),
        ("olivia.smith-2", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("a", False),
        ("Olivia", False),
    ],
)
def test_user_names_fit_a_postgresql_role_name(name: str, ok: bool) -> None:
    assert bool(USERNAME_PATTERN.match(name)) is ok


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("Ali\u202eedoc", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Li\u200bWei", "U+200B ZERO WIDTH SPACE"),
        ("Ana\u2028Maria", "U+2028 LINE SEPARATOR"),
        ("Ana\u2029Maria", "U+2029 PARAGRAPH SEPARATOR"),
        ("Omar\u2067x\u2069", "U+2067 RIGHT-TO-LEFT ISOLATE"),
        ("Omar\u200f", "U+200F RIGHT-TO-LEFT MARK"),
        ("Tab\there", "U+0009 CONTROL CHARACTER"),
        ("soft\u00adhyphen", "U+00AD SOFT HYPHEN"),
        ("bom\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ],
)
def test_invisible_and_direction_characters_are_refused_by_code_point(text: str, described: str) -> None:
    assert refused_character(text) == described
    assert name_problem("family_name", text) == f"family_name: {described} is not allowed"


@pytest.mark.parametrize(
    "text",
    ["Müller", "محمد", "Мария", "张伟", "Moham\u200cmad", "क्\u200dष", "Jean\u00a0Paul", "O'Neil-Smith"],
)
def test_names_in_every_script_pass(text: str) -> None:
    assert refused_character(text) is None


def test_the_shared_field_parser_refuses_them_for_importers_and_editors() -> None:
    _values, problems = parse_fields({"family_name": "Ali\u202eedoc"}, [Column("family_name")])
    assert problems == ["family_name: U+202E RIGHT-TO-LEFT OVERRIDE is not allowed"]


@given(failures=st.integers(min_value=0, max_value=10_000))
def test_the_delay_grows_by_doubling_and_never_passes_the_cap(failures: int) -> None:
    first, cap = timedelta(seconds=2), timedelta(minutes=5)
    delay = throttle_delay(failures, free_failures=5, first=first, longest=cap)
    following = throttle_delay(failures + 1, free_failures=5, first=first, longest=cap)
    assert timedelta(0) <= delay <= following <= cap
    assert (delay == timedelta(0)) is (failures < 5)
    if delay:
        assert following == min(2 * delay, cap)
