"""Shared fixtures: initialised databases on SQLite and on PostgreSQL.

``ctx`` is parametrised over both backends, so every test that takes it runs twice: on an SQLite
file and on the PostgreSQL server on 127.0.0.1:5432 (``CHARTER_TEST_PG_URL`` to use another; its
role needs CREATEDB). Each PostgreSQL test gets a database of its own, cloned from a migrated
template made once per session, and dropped afterwards; each SQLite test gets a copy of a template
file. ``sqlite_ctx`` / ``pg_ctx`` pin one backend for tests about that backend only.

Without a server, PostgreSQL cases are skipped; under ``CI`` a missing server is an error.

Parallel runs (``pytest -n 2``): every test that reaches the server is marked ``postgres`` and all
of them run on one worker, since the program's PostgreSQL roles are cluster-wide
(``tests/parallel.py``); the other tests are shared by the workers.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy.engine import make_url

from planner.domain.enums import Role
from planner.persistence.context import AppContext, build_context
from planner.services import setup, users
from planner.services.auth import SYSTEM, Actor
from planner.settings import Settings
from tests import parallel
from tests.parallel import (  # noqa: F401 - xdist and pytest hooks, registered by being here
    pytest_configure,
    pytest_configure_node,
    pytest_runtest_setup,
    pytest_xdist_make_scheduler,
)

ADMIN_PASSWORD = "admin-password-1"
USER_PASSWORD = "user-password-1"
PG_URL = os.environ.get("CHARTER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: Copies of the PostgreSQL template made ahead, in as many background threads.
PG_SPARES = 2
#: The two backends, for ``@pytest.fixture(params=BACKENDS)`` and ``parametrize``.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(_libpq(PG_URL), connect_timeout=3):
            return True
    except Exception:
        return False


_PG_AVAILABLE: bool | None = None


def postgres_available() -> bool:
    global _PG_AVAILABLE
    if _PG_AVAILABLE is None:
        _PG_AVAILABLE = _postgres_available()
    return _PG_AVAILABLE


@pytest.hookimpl(tryfirst=True)  # before the -m selection, so that it sees the marks added here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    parallel.mark_postgres_tests(items)
    if os.environ.get("CI") and not postgres_available():
        raise pytest.UsageError(f"CI needs the PostgreSQL server at {PG_URL}, and none answers")
    if postgres_available():
        return
    skip = pytest.mark.skip(reason=f"no PostgreSQL server at {PG_URL}")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _libpq(url: str) -> str:
    """The SQLAlchemy URL ``url`` as a libpq connection string for psycopg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_database_url(name: str) -> str:
    """``PG_URL`` pointing at database ``name`` on the same server."""
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _pg_execute(statement: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(PG_URL), autocommit=True) as conn:
        conn.execute(statement)


def _new_pg_database(template: str | None) -> str:
    name = f"charter_t_{uuid.uuid4().hex[:12]}"
    _pg_execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name


#: Background threads for the server's slow work (a clone takes about 0.7 s, a drop 0.3 s), so that
#: it overlaps the tests: the next copies of a template are made while tests run, and a used
#: database is dropped after its test.
_pg_background = ThreadPoolExecutor(max_workers=PG_SPARES, thread_name_prefix="pg-databases")
_pg_spares: dict[str, deque[Future[str]]] = {}  # template -> its next copies, oldest first
_pg_drops: list[Future[None]] = []


def create_pg_database(template: str | None = None) -> str:
    """A new, uniquely named database on the test server (a copy of ``template`` if given);
    returns its SQLAlchemy URL. Drop it with ``drop_pg_database``."""
    if not postgres_available():
        pytest.skip(f"no PostgreSQL server at {PG_URL}")
    parallel.check_postgres_allowed()
    if template is None:
        return pg_database_url(_new_pg_database(None))
    spares = _pg_spares.setdefault(template, deque())
    name = spares.popleft().result() if spares else _new_pg_database(template)
    while len(spares) < PG_SPARES:
        spares.append(_pg_background.submit(_new_pg_database, template))
    return pg_database_url(name)


def drop_pg_database(url: str) -> None:
    """Drop the test database at ``url`` (in the background), closing whatever connections are
    still open to it."""
    name = make_url(url).database
    _pg_drops.append(_pg_background.submit(_pg_execute, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _drop_pg_template(url: str) -> None:
    """Drop the template at ``url`` and its spare copies once they are made; raise
    the first error of a background drop."""
    for spare in _pg_spares.pop(make_url(url).database or "", ()):
        drop_pg_database(pg_database_url(spare.result()))
    drop_pg_database(url)
    for dropped in _pg_drops:
        dropped.result()
    _pg_drops.clear()


def make_initialised_context(settings: Settings) -> AppContext:
    ctx = build_context(settings)
    setup.initialize(ctx, admin="admin", password=ADMIN_PASSWORD)
    return ctx


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the admin, checkpointed into one self-contained file."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    make_initialised_context(Settings(db=str(folder / "template.db"), data_dir=folder)).close()
    return folder / "template.db"


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The name of a migrated PostgreSQL database with the admin, cloned for every test."""
    url = create_pg_database()
    folder = tmp_path_factory.mktemp("pg-template")
    make_initialised_context(Settings(db=url, data_dir=folder)).close()
    try:
        yield make_url(url).database
    finally:
        _drop_pg_template(url)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings for a new, empty SQLite file."""
    return Settings(db=str(tmp_path / "charter.db"), data_dir=tmp_path)


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings for a new, empty PostgreSQL database (skipped where no server answers)."""
    url = create_pg_database()
    try:
        yield Settings(db=url, data_dir=tmp_path)
    finally:
        drop_pg_database(url)


class ContextMaker:
    """Makes initialised databases (copies of the session's templates) and closes and drops them
    at teardown. ``make(backend)`` is ``"sqlite"`` or ``"postgres"``."""

    def __init__(self, request: pytest.FixtureRequest, folder: Path) -> None:
        self.request = request
        self.folder = folder
        self.made: list[tuple[AppContext, str | None]] = []

    def make(self, backend: str) -> AppContext:
        if backend == "sqlite":
            template: Path = self.request.getfixturevalue("sqlite_template")
            db = self.folder / ("charter.db" if not self.made else f"charter-{len(self.made)}.db")
            shutil.copyfile(template, db)
            context, dropped = build_context(Settings(db=str(db), data_dir=self.folder)), None
        else:
            url = create_pg_database(template=self.request.getfixturevalue("pg_template"))
            context, dropped = build_context(Settings(db=url, data_dir=self.folder)), url
        self.made.append((context, dropped))
        return context

    def close(self) -> None:
        for context, url in reversed(self.made):
            context.close()
            if url is not None:
                drop_pg_database(url)


@pytest.fixture
def contexts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ContextMaker]:
    """``contexts.make(backend)``: more initialised databases for one test."""
    maker = ContextMaker(request, tmp_path)
    yield maker
    maker.close()


@pytest.fixture
def sqlite_ctx(contexts: ContextMaker) -> AppContext:
    """An initialised SQLite database with one admin (``admin`` / ``ADMIN_PASSWORD``)."""
    return contexts.make("sqlite")


@pytest.fixture
def pg_ctx(contexts: ContextMaker) -> AppContext:
    """The same on PostgreSQL (skipped where no server answers)."""
    return contexts.make("postgres")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``: the backend this run of the test is on."""
    return request.param


@pytest.fixture
def ctx(contexts: ContextMaker, backend: str) -> AppContext:
    """An initialised database with one admin, once on SQLite and once on PostgreSQL."""
    return contexts.make(backend)


def add_user(ctx: AppContext, username: str, role: Role) -> Actor:
    with ctx.uow() as uow:
        actor = users.create_user(
            uow, admin_actor(), username=username, role=role.value, password=USER_PASSWORD
        )
        uow.commit()
    return actor


def admin_actor() -> Actor:
    return Actor("admin", Role.ADMIN, "admin")


@pytest.fixture
def admin() -> Actor:
    return admin_actor()


@pytest.fixture
def officer(ctx: AppContext) -> Actor:
    return add_user(ctx, "olivia", Role.OFFICER)


@pytest.fixture
def supervisor(ctx: AppContext) -> Actor:
    return add_user(ctx, "sam", Role.SUPERVISOR)


@pytest.fixture
def signer(ctx: AppContext) -> Actor:
    """A second supervisor: four eyes (the office setting four_eyes_sign, on by default) lets
    nobody sign a manifest revision they approved."""
    return add_user(ctx, "sue", Role.SUPERVISOR)


__all__ = ["ADMIN_PASSWORD", "SYSTEM", "USER_PASSWORD", "add_user", "admin_actor"]
