"""Pricing of the column generation, vectorised over every (aircraft, day, route).

A column is a mission with a loading *pattern* (units per demand class). For the master's duals
(inventory rows ``u``, country-week rows ``mu``) the best pattern of a mission is a fractional
knapsack: the classes of its countries at its pickups ready by its day, each worth
``(save + u) / size`` per person and available up to the units ready by then, taken by value,
largest first, within each country's cap and the seats. Its reduced cost without the aircraft-week
dual is ``cost - sum(mu of its countries that week) - fill``. Every real loading is a point of that
knapsack, so the pricing is a relaxation and the Lagrangian bound over it is valid.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from solver.schedule.master import DemandClasses
from solver.schedule.problem import ScheduleProblem
from solver.schedule.routes import RouteSet

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Pricer:
    """Precomputed arrays of a problem for :meth:`price` and :meth:`pattern`."""

    def __init__(self, problem: ScheduleProblem, routes: RouteSet, classes: DemandClasses) -> None:
        self.problem = problem
        self.routes = routes
        self.classes = classes
        days = problem.days
        n_routes = len(routes.routes)
        size = np.array(classes.size, dtype=np.float64)
        cpd = np.array(classes.cost_per_day, dtype=np.float64)
        day = np.arange(days, dtype=np.float64)
        self.size = size
        #: save per person [k, d]
        self.save_pp = (
            cpd[:, None] * (days - day)[None, :] + problem.unserved_penalty * size[:, None]
        ) / np.maximum(size[:, None], 1.0)
        self.rows = classes.row[:, :days]
        self.ready = self.rows >= 0
        #: units ready by day d [k, d]
        ready_units = np.zeros((classes.count, days))
        for k in range(classes.count):
            for ready_day, units in zip(classes.ready[k], classes.supply[k], strict=True):
                if ready_day < days:
                    ready_units[k, ready_day] += units
        self.ready_units = np.cumsum(ready_units, axis=1)
        # The items of each route: (class, stop slot), padded with class -1.
        by_pair = classes.by_country_hub
        items: list[list[tuple[int, int]]] = []
        for route in routes.routes:
            items.append(
                [
                    (k, slot)
                    for slot, c in enumerate(route.countries)
                    for h in route.pickups
                    for k in by_pair.get((c, h), ())
                ]
            )
        width = max((len(i) for i in items), default=0)
        self.item_class = np.full((n_routes, max(width, 1)), -1, dtype=np.int64)
        self.item_slot = np.zeros((n_routes, max(width, 1)), dtype=np.int64)
        for r, route_items in enumerate(items):
            for j, (k, slot) in enumerate(route_items):
                self.item_class[r, j] = k
                self.item_slot[r, j] = slot
        cap = [_cap(problem.countries[c].max_per_mission) for c in routes.countries]
        self.route_cap = np.array([*cap, 0.0])[routes.stop_country]  # [r, slot]
        weekday = (problem.start.weekday() + np.arange(days)) % 7
        self.week = np.arange(days) // 7
        feasible = np.zeros((len(problem.aircraft), days, n_routes), dtype=np.bool_)
        for a, aircraft in enumerate(problem.aircraft):
            bits = (routes.weekday_mask[a][None, :] >> weekday[:, None]) & 1
            ok = (bits == 1) & (np.arange(days)[:, None] >= routes.first_day[None, :])
            feasible[a] = ok & (aircraft.available_per_week > 0)
        #: may fly (relaxed weekday check); cleared where every flying order failed the exact check
        self.feasible = feasible

    def values(self, flow_duals: FloatArray) -> FloatArray:
        """Per-person value [k, d] of carrying class k on day d (``-inf`` before it is ready)."""
        if not self.classes.count:
            return np.zeros((0, self.problem.days))
        u = np.where(self.ready, flow_duals[np.maximum(self.rows, 0)], 0.0) if flow_duals.size else 0.0
        return np.where(self.ready, self.save_pp + u / self.size[:, None], -np.inf)

    def price(self, flow_duals: FloatArray, country_week_duals: FloatArray) -> FloatArray:
        """``rc[a, d, r]`` without the aircraft-week dual (``inf`` where the column may not fly).
        ``country_week_duals[c, w]`` is indexed like ``routes.countries``."""
        return self.price_and_people(flow_duals, country_week_duals)[0]

    def price_and_people(
        self, flow_duals: FloatArray, country_week_duals: FloatArray, ready_units: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`price`, and the people of each column's best pattern ``[a, d, r]``; ``ready_units``
        ``[k, d]`` replaces the units ready by each day (the greedy's units still waiting)."""
        problem, routes = self.problem, self.routes
        days, n_routes = problem.days, len(routes.routes)
        rc = np.full((len(problem.aircraft), days, n_routes), np.inf)
        people = np.zeros((len(problem.aircraft), days, n_routes))
        mu = np.vstack([country_week_duals, np.zeros((1, country_week_duals.shape[1]))])
        mu_route = mu[:, self.week][routes.stop_country].sum(axis=1).T  # [d, r]
        fills = self._fills(self.values(flow_duals), self.ready_units if ready_units is None else ready_units)
        for a, (fill, carried) in enumerate(fills):
            rc[a] = routes.cost[a][None, :] - mu_route - fill
            people[a] = carried
        rc[~self.feasible] = np.inf
        return rc, people

    def _fills(self, values: FloatArray, ready_units: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
        """Per aircraft type, the knapsack fill and the people it takes [d, r]."""
        problem = self.problem
        days, n_routes = problem.days, len(self.routes.routes)
        if not self.classes.count:
            return [(np.zeros((days, n_routes)), np.zeros((days, n_routes))) for _ in problem.aircraft]
        padded_values = np.vstack([values, np.full((1, days), -np.inf)])
        padded_people = np.vstack([ready_units * self.size[:, None], np.zeros((1, days))])
        item = self.item_class  # [r, j] with -1 -> padding row
        v = padded_values[item].transpose(2, 0, 1)  # [d, r, j]
        people = padded_people[item].transpose(2, 0, 1)
        order = np.argsort(-v, axis=2, kind="stable")
        v = np.take_along_axis(v, order, axis=2)
        people = np.take_along_axis(people, order, axis=2)
        slot = np.take_along_axis(np.broadcast_to(self.item_slot[None], v.shape), order, axis=2)
        positive = v > 0
        useful = int(positive.any(axis=(0, 1)).sum()) if v.size else 0
        gain = np.where(positive, v, 0.0)[:, :, :useful]
        taken = _capped_takes(
            self.route_cap, people[:, :, :useful], positive[:, :, :useful], slot[:, :, :useful]
        )
        return [_fill(float(aircraft.seats), taken, gain) for aircraft in problem.aircraft]

    def pattern(self, values: FloatArray, a: int, day: int, r: int) -> dict[int, float]:
        """The best (fractional) loading of one column (``values`` from :meth:`values`): class ->
        units."""
        values = values[:, day] if self.classes.count else np.zeros(0)
        seats_left = float(self.problem.aircraft[a].seats)
        cap_left = list(self.route_cap[r])
        items = [
            (float(values[k]), int(k), int(s))
            for k, s in zip(self.item_class[r], self.item_slot[r], strict=True)
            if k >= 0
        ]
        out: dict[int, float] = {}
        for value, k, s in sorted(items, key=lambda i: -i[0]):
            if value <= 0 or seats_left <= 0:
                break
            people = min(self.ready_units[k, day] * self.size[k], cap_left[s], seats_left)
            if people <= 0:
                continue
            out[k] = people / self.size[k]
            seats_left -= people
            cap_left[s] -= people
        return out


def _capped_takes(
    route_cap: FloatArray, people: FloatArray, positive: npt.NDArray[np.bool_], slot: IntArray
) -> FloatArray:
    """The people each item takes, by value, within its country's cap left, before any seat limit
    (``[d, r, j]`` arrays, items sorted by value; ``slot`` the item's stop, ``route_cap[r, slot]``)."""
    taken = np.where(positive, people, 0.0)
    if np.isinf(route_cap).all() or not taken.size:
        return taken
    days, n_routes, width = taken.shape
    cap_left = np.broadcast_to(route_cap[None, :, :], (days, n_routes, route_cap.shape[1])).copy()
    for j in range(width):
        room = np.take_along_axis(cap_left, slot[:, :, j : j + 1], axis=2)[:, :, 0]
        take = np.minimum(taken[:, :, j], room)
        taken[:, :, j] = take
        np.put_along_axis(cap_left, slot[:, :, j : j + 1], (room - take)[:, :, None], axis=2)
    return taken


def _fill(seats: float, taken: FloatArray, gain: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The fractional knapsack of ``seats`` over items sorted by value (``taken`` people each within
    the caps, ``gain`` per person; ``[d, r, j]``): the caps do not depend on the seats and the
    seats bind once, so the items are taken whole up to the first that does not fit, which is
    taken in part. Its value and the people taken ``[d, r]``."""
    days, n_routes, width = taken.shape
    if width == 0:
        return np.zeros((days, n_routes)), np.zeros((days, n_routes))
    reach = np.cumsum(taken, axis=2)  # people aboard after each item
    value = np.cumsum(taken * gain, axis=2)
    whole = (reach <= seats).sum(axis=2)  # items taken whole
    before = np.maximum(whole - 1, 0)[:, :, None]
    aboard = np.where(whole > 0, np.take_along_axis(reach, before, axis=2)[:, :, 0], 0.0)
    fill = np.where(whole > 0, np.take_along_axis(value, before, axis=2)[:, :, 0], 0.0)
    partial = np.minimum(whole, width - 1)[:, :, None]
    part_gain = np.where(whole < width, np.take_along_axis(gain, partial, axis=2)[:, :, 0], 0.0)
    fill = fill + part_gain * np.maximum(seats - aboard, 0.0)
    return fill, np.minimum(reach[:, :, -1], seats)


def _cap(limit: int | None) -> float:
    return float(limit) if limit is not None else float(np.inf)


def lagrangian_bound(
    constant: float,
    flow_term: float,
    country_week_term: float,
    rc: FloatArray,
    available: list[int],
    days: int,
) -> float:
    """The Lagrangian bound ``constant + sum u_i supply_i + sum mu_cw limit_cw + sum_aw avail_a
    min(0, min rc'_aw)`` (duals ``u``, ``mu`` <= 0; ``rc'`` the reduced costs without the
    aircraft-week duals over *all* candidate columns): valid for every schedule, since the
    aircraft-week rows stay in the subproblem, every other row is priced by its dual, and the carry
    of units to later days is priced non-negatively (``u`` of a class non-increasing in the ready
    day)."""
    bound = constant + flow_term + country_week_term
    for a, avail in enumerate(available):
        for w in range(-(-days // 7)):
            block = rc[a, w * 7 : min(days, (w + 1) * 7)]
            best = float(block.min()) if block.size else 0.0
            bound += avail * min(0.0, best)
    return bound
