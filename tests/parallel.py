"""Parallel test runs (``pytest -n 2``, pytest-xdist) with every PostgreSQL test on one worker.

The program makes cluster-wide PostgreSQL roles (the ``charter_*`` groups, and a login role per app
user, with the same names in every test: ``olivia``, ``sam``), so two PostgreSQL tests at once race
on them ("tuple concurrently updated") and disturb each other (one deactivates ``olivia`` while
the other signs in as her). So:

- every test that reaches the server is marked ``postgres`` at collection (``mark_postgres_tests``:
  the marker, a ``pg_*`` fixture, or a ``postgres`` parameter such as ``ctx``'s ``backend``);
- each worker writes the ids of those tests to a folder the controller chose, and the controller's
  scheduler (``pytest_xdist_make_scheduler``: xdist's ``loadgroup`` distribution with the
  PostgreSQL tests as one group) sends them all to one worker, in collection order, and shares
  every other test between the workers. (xdist's own ``xdist_group`` mark is not used: under
  pytest 9.2 the group suffix it puts on node ids no longer takes effect, pytest-xdist #1386.)
- as a safety net, ``check_postgres_allowed`` (called by ``create_pg_database``) fails a test that
  reaches the server without the marker, and a PostgreSQL test on a second worker of the same run.

Without ``-n`` none of this changes anything: the tests run in one process, one after another.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

#: Fixtures that reach the PostgreSQL server: a test using one, directly or through another fixture,
#: is a PostgreSQL test. ``ctx`` and ``contexts.make(backend)`` reach it through the ``backend``
#: parameter, whose ``postgres`` value carries the marker (``BACKENDS``).
PG_FIXTURES = frozenset({"pg_ctx", "pg_settings", "pg_template"})
#: The work unit of every PostgreSQL test (no node id looks like this).
POSTGRES_UNIT = "<postgres>"
#: ``workerinput`` key: the folder where workers list their PostgreSQL tests and claim the server.
FOLDER_KEY = "charter_postgres_folder"
#: Distributions the scheduler below replaces (``-n`` alone means ``load``).
SHARED_DISTRIBUTIONS = ("no", "load", "loadgroup")

_folder: Path | None = None  # on a worker: the controller's folder
_running: pytest.Item | None = None


def reaches_postgres(item: pytest.Item) -> bool:
    """Whether ``item`` uses the PostgreSQL server (by its marker, fixtures or parameters)."""
    if item.get_closest_marker("postgres") is not None:
        return True
    if PG_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any(
        isinstance(value, str) and (value == "postgres" or value in PG_FIXTURES) for value in params.values()
    )


def mark_postgres_tests(items: list[pytest.Item]) -> None:
    """Mark every test that reaches the server ``postgres``; on a worker, list their ids for the
    controller's scheduler."""
    postgres = [item for item in items if reaches_postgres(item)]
    for item in postgres:
        if item.get_closest_marker("postgres") is None:
            item.add_marker(pytest.mark.postgres)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if _folder is not None and worker is not None:
        part = _folder / f"{worker}.ids.part"
        part.write_text("".join(f"{item.nodeid}\n" for item in postgres), encoding="utf-8")
        part.replace(_folder / f"{worker}.ids")


def check_postgres_allowed() -> None:
    """Fail the running test if it may not reach the server: it is not marked ``postgres`` (so it
    would not be on the PostgreSQL worker), or another worker of this run already runs them."""
    if _running is not None and _running.get_closest_marker("postgres") is None:
        pytest.fail(
            f"{_running.nodeid} reaches PostgreSQL but is not marked postgres: mark it (or use a"
            " pg_* fixture or the backend parameter) so that it runs on the PostgreSQL worker"
        )
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if _folder is None or worker is None:
        return
    claim = _folder / "postgres-worker"
    with contextlib.suppress(FileExistsError), claim.open("x", encoding="utf-8") as first:
        first.write(worker)
    holder = claim.read_text(encoding="utf-8")
    if holder != worker:
        pytest.fail(
            f"PostgreSQL tests run on {holder} and {worker} at once: the scheduler did not group them"
        )


def pytest_configure(config: pytest.Config) -> None:
    global _folder
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        _folder = Path(workerinput[FOLDER_KEY]) if FOLDER_KEY in workerinput else None
        return
    dist = config.getoption("dist", "no")
    if dist not in SHARED_DISTRIBUTIONS:
        raise pytest.UsageError(
            f"--dist {dist} is not supported: the PostgreSQL tests share the server's roles and must"
            " run on one worker; use -n N alone"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Remember the running test, for ``check_postgres_allowed``."""
    global _running
    _running = item


def _controller_folder(config: pytest.Config) -> Path:
    folder: Path | None = getattr(config, "_charter_postgres_folder", None)
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="charter-pytest-"))
        config._charter_postgres_folder = folder  # type: ignore[attr-defined]
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    return folder


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, on the controller: tell each worker where to list its PostgreSQL tests."""
    node.workerinput[FOLDER_KEY] = str(_controller_folder(node.config))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist, on the controller: the ``loadgroup`` distribution with the PostgreSQL tests as one
    unit (the largest, so it starts first on one worker) and every other test as a unit of its own."""
    from xdist.scheduler import LoadScopeScheduling

    folder = _controller_folder(config)

    class PostgresOnOneWorker(LoadScopeScheduling):
        postgres: frozenset[str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.postgres is None:  # first called once every worker has collected
                lists = sorted(folder.glob("*.ids"))
                if not lists:
                    raise RuntimeError(f"no worker listed its PostgreSQL tests in {folder}")
                self.postgres = frozenset(
                    line for path in lists for line in path.read_text(encoding="utf-8").splitlines()
                )
            return POSTGRES_UNIT if nodeid in self.postgres else nodeid

    return PostgresOnOneWorker(config, log)
