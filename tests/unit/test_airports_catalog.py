"""The airport catalog without a database: searching, checking a new airport's fields, and that
the world table is never read at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from planner.domain import fields as f
from planner.services import airports
from planner.services.airports import AirportCatalog, AirportInfo, NewAirport, check_new_airport, search_in

ROOT = Path(__file__).resolve().parents[2]


def test_the_dataset_has_the_world_with_alpha3_countries_and_zones() -> None:
    world = airports.dataset_airports()
    assert len(world) > 7000
    pap = world["PAP"]
    assert (pap.city, pap.country, pap.timezone) == ("Port-au-Prince", "HTI", "America/Port-au-Prince")
    assert all(len(a.country) == 3 and a.timezone for a in world.values())


def test_search_ranks_code_then_prefix_then_city_then_words() -> None:
    world = list(airports.dataset_airports().values())
    assert search_in(world, "pap", 3)[0].iata == "PAP"
    assert all(a.iata.startswith("PA") for a in search_in(world, "pa", 5))
    assert search_in(world, "port-au-prince")[0].iata == "PAP"
    assert search_in(world, "SAO PAULO", 50) and all(
        "paulo" in airports._fold(a.city + a.name) for a in search_in(world, "SAO PAULO", 50)
    )
    haiti = search_in(world, "HTI")
    assert haiti[0].iata == "HTI" and {a.country for a in haiti[1:4]} == {"HTI"}  # the code, then the country
    assert search_in(world, "louverture toussaint")[0].iata == "PAP"  # every word, any order
    assert search_in(world, "zzzzzz") == []
    assert len(search_in(world, "")) == len(world)
    private = AirportInfo(
        "QXP", "Camp Ridge Airstrip", "Ridge", "USA", "America/Chicago", None, None, "admin"
    )
    assert search_in([*world, private], "camp ridge")[0] == private


def test_a_search_over_the_world_table_is_fast() -> None:
    import time

    world = list(airports.dataset_airports().values())
    search_in(world, "warm up")
    started = time.perf_counter()
    for text in ("p", "port", "san jose", "HTI", "intl"):
        search_in(world, text, 50)
    assert (time.perf_counter() - started) / 5 < 0.25  # generous: a loaded machine


GOOD = NewAirport("qxp", "Camp Ridge", "Ridge", "usa", "America/Chicago", "30.5", "-97.25")


def test_check_new_airport_accepts_and_normalises() -> None:
    info, problems = check_new_airport(GOOD)
    assert problems == {}
    assert info == AirportInfo("QXP", "Camp Ridge", "Ridge", "USA", "America/Chicago", 30.5, -97.25, "admin")
    info, problems = check_new_airport(NewAirport("QXP", "Camp", "Ridge", "USA", "UTC", None, None))
    assert problems == {} and info is not None and info.latitude is None


def test_check_new_airport_names_every_bad_field() -> None:
    _info, problems = check_new_airport(NewAirport("Q1", "", "x" * 101, "XKX", "Nowhere", "95", "abc"))
    assert set(problems) == {"iata", "name", "city", "country", "timezone", "latitude", "longitude"}
    _info, problems = check_new_airport(NewAirport("QXP", "A", "B", "USA", "UTC", "10", None))
    assert problems == {"longitude": "give the longitude too (or neither)"}
    _info, problems = check_new_airport(NewAirport("QXP", "A\tB", "B", "USA", "../etc/passwd"))
    assert set(problems) == {"name", "timezone"}


def test_parse_names_the_closest_codes() -> None:
    catalog = AirportCatalog({})
    assert catalog.parse(" pap ") == "PAP"
    with pytest.raises(f.FieldError, match=r"airport QQQ is not known; closest known: QAQ, QIQ, SQQ"):
        catalog.parse("QQQ")
    with pytest.raises(f.FieldError, match="not a three-letter IATA airport code"):
        catalog.parse("PA1")


@pytest.mark.parametrize("argv", [["main.py", "--help"], ["main.py", "airports", "--help"]])
def test_start_up_never_reads_the_world_table(argv: list[str]) -> None:
    """``charter-planner --help`` imports neither the dataset package nor ``iso3166``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "airportsdata" not in imported and "iso3166" not in imported


def test_the_window_modules_do_not_read_the_world_table() -> None:
    """Importing the window (what runs before its first paint) leaves the dataset unread."""
    code = (
        "import sys, ui.app, ui.main_window\n"
        "assert 'airportsdata' not in sys.modules, 'airportsdata imported'\n"
        "from planner.services import airports\n"
        "assert airports.dataset_airports.cache_info().currsize == 0\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_closest_ranks_one_edit_first_the_offices_airports_ahead() -> None:
    """One letter or one swap of neighbours away comes first: the office's own airports, then codes
    keeping the first letter, then international airports; ``difflib`` fills up."""
    world = airports.dataset_airports()
    assert AirportCatalog({}).closest("IHA")[0] == "IAH"
    assert AirportCatalog({}).closest("PAX") == ["PAC", "PAE", "PAP"]
    office = AirportCatalog({code: world[code] for code in ("IAH", "SAT", "MIA", "PAP", "GUA", "SAL")})
    assert office.closest("PAX")[0] == "PAP"
    assert office.closest("MIX")[0] == "MIA"
    assert office.closest("SAK")[:2] == ["SAL", "SAT"]
    assert office.closest("GAU")[0] == "GUA"
    private = AirportInfo("QXP", "Camp", "Ridge", "USA", "UTC", None, None, "admin")
    assert AirportCatalog({"QXP": private}).closest("QXQ")[0] == "QXP"  # an office's own code too


def test_closest_finds_what_difflib_finds_when_nothing_is_one_edit_away() -> None:
    """The letter-pair shortcut loses nothing: without a near code the hints are ``difflib``'s."""
    import difflib
    import random

    catalog = AirportCatalog({})
    codes = sorted(airports.dataset_airports())
    rng = random.Random(15)
    for _ in range(150):
        code = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))
        expected = difflib.get_close_matches(code, codes, n=3, cutoff=0.6)
        got = catalog.closest(code)
        assert set(expected) <= set(got) or any(airports._one_edit_apart(code, c) for c in got), code
