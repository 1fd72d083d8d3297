"""A greedy schedule over every candidate mission (aircraft, day, route), not only the generated ones.

Missions are picked one at a time, the one saving the most net of its flight cost first. A
mission's saving is the waiting it ends — each person's ``cost_per_day`` from its departure to the
horizon's end, plus the ``unserved_penalty`` — loaded by value from the units still waiting and
ready by its day, within its seats and its countries' caps. Taking units only lowers the savings
of the other missions, so the heap is lazy: a popped mission is re-valued and flown only while it
still beats the next one. The aircraft-type and country missions-per-week rows are kept; a
mission whose arrival weekdays fail the exact check in every flying order is skipped.

This does not wait for the column generation to converge: on instances where most people are
ready from day one and the aircraft or the receiving states' weekly limits bind, it is the
schedule that uses every week's capacity from the first allowed day.
"""

from __future__ import annotations

import bisect
import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from solver.schedule.bound import SeatRelaxation
from solver.schedule.master import Column, DemandClasses
from solver.schedule.pricing import FloatArray, Pricer
from solver.schedule.problem import ScheduleProblem
from solver.schedule.routes import RouteSet

#: (aircraft, day, route) -> the exact column (flying order that meets the arrival weekdays) or None.
#: A re-valued mission is flown when it is within this much (per person, or per mission when
#: ranking whole missions) of the best waiting one: fewer re-valuations, the same schedule up to
#: near-ties.
TOLERANCE = 25.0
#: Re-price the whole heap at once after this many single re-valuations (at least; or an eighth of
#: the candidates, whichever is more: re-pricing costs about as much as valuing that many singly).
REPRICE_AFTER = 20000

ColumnOf = Callable[[int, int, int], Column | None]


@dataclass
class WeekUse:
    """Missions per (aircraft type, week) and per (country, week) so far."""

    aircraft: dict[tuple[int, int], int] = field(default_factory=dict)
    country: dict[tuple[str, int], int] = field(default_factory=dict)

    def room(self, problem: ScheduleProblem, column: Column) -> bool:
        """True when ``column`` may fly once more within the weekly rows."""
        return self.room_for(problem, column.aircraft, column.day, column.countries)

    def room_for(self, problem: ScheduleProblem, aircraft: int, day: int, countries: Sequence[str]) -> bool:
        """True when aircraft type ``aircraft`` may fly to ``countries`` once more in ``day``'s week."""
        week = day // 7
        if self.aircraft.get((aircraft, week), 0) >= problem.aircraft[aircraft].available_per_week:
            return False
        for c in set(countries):
            limit = problem.countries[c].max_missions_per_week
            if limit is not None and self.country.get((c, week), 0) >= limit:
                return False
        return True

    def count(self, column: Column, n: int = 1) -> None:
        week = column.day // 7
        self.aircraft[column.aircraft, week] = self.aircraft.get((column.aircraft, week), 0) + n
        for c in set(column.countries):
            self.country[c, week] = self.country.get((c, week), 0) + n


@dataclass(frozen=True)
class Picked:
    """A mission the greedy flies: its column and the units of each class it carries."""

    column: Column
    load: dict[int, int]


def greedy_schedule(
    problem: ScheduleProblem,
    classes: DemandClasses,
    pricer: Pricer,
    column_of: ColumnOf,
    *,
    prices: SeatRelaxation | None = None,
    per_person: bool = True,
    deadline: float = float("inf"),
    should_stop: Callable[[], bool] | None = None,
) -> list[Picked]:
    """The greedy schedule (module docstring), in the order picked; stops early (with the missions
    picked so far) at ``deadline`` or when ``should_stop`` says so.

    Missions are ranked by net saving *per person* (``per_person``): ranking by the whole mission's
    saving flies the largest aircraft late before smaller ones early, which is right only where
    the weekly limits bind hard. ``prices`` (the seat relaxation's duals)
    charge each mission for the scarce capacity it takes — a receiving state's mission slot that
    week, its aircraft's seats — in the ranking only, so that where the weekly limits bind the
    slots go to the fullest missions; a mission is flown whenever it saves more than it costs to
    fly. Keys start exact (the pricing's fractional knapsack with nobody taken yet) and are
    re-valued when popped."""
    if not classes.count or not pricer.routes.routes:
        return []
    greedy = _Greedy(problem, classes, pricer, column_of, prices, per_person)
    return greedy.run(deadline, should_stop or (lambda: False))


class _Greedy:
    """The state of one greedy run: the heap of candidates ``(-key, flat index of (a, d, r))``, the
    units still waiting per class and ready day, the weekly rows used."""

    def __init__(
        self,
        problem: ScheduleProblem,
        classes: DemandClasses,
        pricer: Pricer,
        column_of: ColumnOf,
        prices: SeatRelaxation | None,
        per_person: bool,
    ) -> None:
        self.per_person = per_person
        self.problem, self.classes, self.pricer, self.column_of = problem, classes, pricer, column_of
        routes = pricer.routes
        self.routes = routes
        self.zero_flow = np.zeros(int(classes.row.max(initial=-1)) + 1)
        self.zero_country_week = np.zeros((len(routes.countries), problem.weeks))
        rc, people = pricer.price_and_people(self.zero_flow, self.zero_country_week)
        self.possible = (rc < -1e-6) & (people > 0)
        self.worth_trying = _earliest_days(self.possible, pricer).reshape(-1)
        self.n_d, self.n_r = rc.shape[1], rc.shape[2]
        self.scarce = _scarce_capacity(problem, routes, prices, self.n_d)
        self.heap = self.fresh_heap(rc, people)
        self.route_classes = [sorted({int(k) for k in row if k >= 0}) for row in pricer.item_class]
        self.seats_of = [a.seats for a in problem.aircraft]
        self.caps = {c: problem.countries[c].max_per_mission for c in problem.countries}
        self.left = [list(units) for units in classes.supply]
        self.save_pp: list[list[float]] = pricer.save_pp.tolist()  # [k][d] saving per person
        self.ready_by_day = [
            _ready_by_day(self.left[k], classes.ready[k], self.n_d) for k in range(classes.count)
        ]
        self.version = [0] * classes.count
        self.sorted_items: dict[tuple[int, int], tuple[tuple[int, ...], list[tuple[float, int, int]]]] = {}
        self.exact: dict[int, Column | None] = {}
        self.use = WeekUse()

    def fresh_heap(self, rc: FloatArray, people: FloatArray) -> list[tuple[float, int]]:
        """The candidates still saving something, keyed by their saving per person net of the
        scarce capacity they take."""
        flat_rc, flat_people = rc.reshape(-1), people.reshape(-1)
        live = np.flatnonzero(self.worth_trying & (flat_rc < -1e-6) & (flat_people > 0))
        keys = -flat_rc[live] - self.scarce.reshape(-1)[live]
        if self.per_person:
            keys = keys / flat_people[live]
        heap = [(-float(key), int(i)) for key, i in zip(keys, live, strict=True)]
        heapq.heapify(heap)
        return heap

    def items_of(self, day: int, r: int) -> list[tuple[float, int, int]]:
        """(saving per person, class, units ready and waiting) of the route's classes, best first."""
        stamp = tuple(self.version[k] for k in self.route_classes[r])
        cached = self.sorted_items.get((day, r))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        ready, save = self.ready_by_day, self.save_pp
        items = sorted(
            ((save[k][day], k, ready[k][day]) for k in self.route_classes[r] if ready[k][day] > 0),
            reverse=True,
        )
        self.sorted_items[day, r] = (stamp, items)
        return items

    def value(self, day: int, r: int, seats: int, flight_cost: float) -> tuple[float, int, dict[int, int]]:
        """Net saving of a mission on route ``r`` on ``day``, its people and load (class -> units)."""
        classes = self.classes
        taken: dict[str, int] = {}
        load: dict[int, int] = {}
        saved, room_left = 0.0, seats
        for per_person, k, units in self.items_of(day, r):
            country, size = classes.country[k], classes.size[k]
            cap = self.caps.get(country)
            room = room_left if cap is None else min(room_left, cap - taken.get(country, 0))
            n = min(units, room // size)
            if n <= 0:
                continue
            load[k] = n
            room_left -= n * size
            taken[country] = taken.get(country, 0) + n * size
            saved += n * size * per_person
            if room_left <= 0:
                break
        return saved - flight_cost, seats - room_left, load

    def take(self, column: Column, load: dict[int, int]) -> None:
        """Fly ``column`` with ``load``: the latest-ready units first, keeping the earlier ones for
        earlier missions."""
        classes = self.classes
        self.use.count(column)
        for k, units in load.items():
            wanted = units
            for pos in range(bisect.bisect_right(classes.ready[k], column.day) - 1, -1, -1):
                took = min(wanted, self.left[k][pos])
                self.left[k][pos] -= took
                wanted -= took
                if wanted == 0:
                    break
            self.ready_by_day[k] = _ready_by_day(self.left[k], classes.ready[k], self.n_d)
            self.version[k] += 1

    def run(self, deadline: float, stop: Callable[[], bool]) -> list[Picked]:
        picked: list[Picked] = []
        valued = 0
        heap, n_d, n_r = self.heap, self.n_d, self.n_r
        while heap and time.monotonic() < deadline and not (len(picked) % 16 == 0 and stop()):
            if valued > max(REPRICE_AFTER, len(heap) // 8):
                # Re-price every candidate at once from the units still waiting: most of the heap
                # is stale by now, and popping it one by one would re-value each of them.
                waiting = np.array(self.ready_by_day, dtype=np.float64)
                heap = self.fresh_heap(
                    *self.pricer.price_and_people(self.zero_flow, self.zero_country_week, waiting)
                )
                valued = 0
                continue
            _, index = heapq.heappop(heap)
            a, rest = divmod(index, n_d * n_r)
            d, r = divmod(rest, n_r)
            if not self.use.room_for(self.problem, a, d, self.routes.routes[r].countries):
                continue  # the weekly rows only fill up: it never comes back
            column = self.exact.get(index)
            flight_cost = column.cost if column is not None else float(self.routes.cost[a, r])
            net, carried, load = self.value(d, r, self.seats_of[a], flight_cost)
            valued += 1
            if net <= 1e-6 or carried <= 0:
                continue  # savings only fall: it never comes back
            key = (net - float(self.scarce[a, d, r])) / (carried if self.per_person else 1.0)
            if heap and -heap[0][0] > key + TOLERANCE:
                heapq.heappush(heap, (-key, index))
                continue
            if index not in self.exact:
                column = self.exact[index] = self.column_of(a, d, r)
                if column is not None and column.cost > flight_cost + 1e-6:
                    heapq.heappush(heap, (-key, index))  # another flying order: re-value at its cost
                    continue
            if column is None:
                later = [x for x in range(d + 1, min(n_d, 7 * (d // 7 + 1))) if self.possible[a, x, r]]
                if later:  # the same mission later that week, which the earlier day hid
                    heapq.heappush(heap, (-key, (a * n_d + later[0]) * n_r + r))
                continue
            picked.append(Picked(column, load))
            self.take(column, load)
            heapq.heappush(heap, (-key, index))
        return picked


def _scarce_capacity(
    problem: ScheduleProblem, routes: RouteSet, prices: SeatRelaxation | None, days: int
) -> FloatArray:
    """What a mission's scarce capacity is worth ``[a, d, r]`` at ``prices``: its countries'
    mission slots that week and its aircraft's seats (zero without prices)."""
    slot = np.zeros((len(routes.countries) + 1, problem.weeks))  # the padding country costs nothing
    seat_price = np.zeros(problem.weeks)
    if prices is not None:
        index = {c: i for i, c in enumerate(routes.countries)}
        for (c, w), price in prices.slot_price.items():
            if c in index:
                slot[index[c], w] = price
        for w, price in prices.seat_price.items():
            seat_price[w] = price
    week = np.arange(days) // 7
    seats = np.array([a.seats for a in problem.aircraft], dtype=np.float64)
    by_route = slot[:, week][routes.stop_country].sum(axis=1).T  # [d, r]
    scarce: FloatArray = by_route[None, :, :] + (seats[:, None] * seat_price[week][None, :])[:, :, None]
    return scarce


def _earliest_days(possible: npt.NDArray[np.bool_], pricer: Pricer) -> npt.NDArray[np.bool_]:
    """``possible[a, d, r]`` thinned to the days worth trying first: in each week, the first possible
    day of each (aircraft, route), and a later one only where more of the route's people are ready
    than on the previous possible day. A later day of the same week saves less waiting on the same
    weekly quota; it is tried when the earlier one fails the exact arrival check."""
    ready = pricer.ready_units * pricer.size[:, None]  # people ready by day [k, d]
    padded = np.vstack([ready, np.zeros((1, ready.shape[1]))])
    by_route = padded[pricer.item_class].sum(axis=1).T  # [d, r] (a class twice counts twice: only grows)
    keep = np.zeros_like(possible)
    n_a, n_d, n_r = possible.shape
    last = np.full((n_a, n_r), -1.0)
    for d in range(n_d):
        if d % 7 == 0:
            last[:] = -1.0
        now = possible[:, d, :]
        keep[:, d, :] = now & (by_route[d][None, :] > last)
        last = np.where(now, by_route[d][None, :], last)
    return keep


def _ready_by_day(left: list[int], ready: list[int], days: int) -> list[int]:
    """Units still waiting and ready by each day, from the units left per ready day."""
    out = [0] * days
    total, i = 0, 0
    for d in range(days):
        while i < len(ready) and ready[i] <= d:
            total += left[i]
            i += 1
        out[d] = total
    return out
