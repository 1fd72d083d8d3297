"""The mission scheduler: a greedy schedule, column generation for the LP bound, then an integer
schedule.

1. The greedy (``greedy``) over every candidate mission (or, on large instances, those with the
   fewest pickups), guided by the seat relaxation's duals, gives a complete schedule quickly; its
   missions seed the master.
2. Candidate routes (``routes``) x aircraft x day are the columns; the master LP (``master``)
   starts from the greedy's and the one-pickup one-stop columns and the vectorised pricing
   (``pricing``) adds the most negative columns each round. Every round gives a Lagrangian
   (Farley) bound over *all* candidate columns, valid even when the generation stops early. The
   seat relaxation (``bound.seat_relaxation``, a transportation LP over groups, aircraft and weeks)
   is a second valid bound, and the whole-missions relaxation (``mission_bound``: integer missions
   per aircraft type, alone country or region, and week, solved by SCIP) a third; the largest is
   reported.
3. The integer schedule: the cheapest of the LP rounded and loaded optimally (a MIP with the
   missions fixed), the greedy's schedule as it is and loaded optimally, and a MIP over the
   generated columns started from the best so far, for the time left. The gap is measured against
   the bound above (a MIP's own bound over a subset of the columns is no bound for the whole
   problem).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

import numpy as np
from ortools.linear_solver import pywraplp  # type: ignore[import-untyped,attr-defined,unused-ignore]  # untyped SWIG

from solver.callbacks import Progress, ShouldStop, StopWatcher
from solver.schedule import cost
from solver.schedule.bound import SeatRelaxation, seat_relaxation
from solver.schedule.explain import loading_notes
from solver.schedule.greedy import Picked, WeekUse, greedy_schedule
from solver.schedule.master import Column, DemandClasses, Master, demand_classes, split_to_groups
from solver.schedule.mission_bound import mission_bound
from solver.schedule.pricing import FloatArray, Pricer, lagrangian_bound
from solver.schedule.problem import MAX_PICKUPS, Mission, ScheduleProblem, ScheduleSolution
from solver.schedule.routes import (
    RouteSet,
    airport_country,
    arrival_accepted,
    candidate_routes,
    flying_order_for,
    route_subset,
)

log = logging.getLogger(__name__)

#: Columns added per pricing round, at most.
COLUMNS_PER_ROUND = 1500
#: Stop the generation when the bound is this close to the LP value (relative).
BOUND_TOLERANCE = 0.001
#: Share of the time limit the greedy may use, and the greedy and the column generation together.
GREEDY_SHARE = 0.3
#: Share of the time limit the whole-missions bound may use (SCIP's proven bound when it stops).
BOUND_SHARE = 0.15
#: Most candidate missions (aircraft x days x routes) the greedy prices at once.
GREEDY_COLUMNS = 400_000
GENERATION_SHARE = 0.6
OPTIMAL_GAP = 1e-6


def solve_schedule(
    problem: ScheduleProblem,
    *,
    time_limit: float,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    workers: int = 2,
) -> ScheduleSolution:
    """The least-cost schedule found within ``time_limit`` seconds, with its proven lower bound
    (see the module docstring). ``should_stop`` ends the search early (status ``CANCELLED``, the
    best schedule found so far is still returned)."""
    started = time.monotonic()
    report = progress or (lambda fraction, text: None)
    stop = should_stop or (lambda: False)
    deadline = started + max(time_limit - min(2.0, 0.05 * time_limit), 0.5)
    notes: list[str] = []
    report(0.0, "candidate routes")
    routes = candidate_routes(problem)
    classes = demand_classes(problem)
    if not routes.routes or not problem.aircraft or problem.days <= 0:
        notes.append("nothing to schedule: no demand that a route and an aircraft can carry")
        return _solution(problem, [], classes.constant, started, "OPTIMAL", notes)
    log.info(
        "schedule: %d routes, %d demand classes, %d days", len(routes.routes), classes.count, problem.days
    )

    report(0.02, "lower bound (seat relaxation)")
    relaxation = seat_relaxation(problem, routes)
    relaxed = None if relaxation is None else relaxation.value
    generation = _Generation(problem, routes, classes)
    report(0.04, "greedy schedule over the candidate missions")
    # Its share of the time limit, or a quarter of what is left when the set-up took longer.
    now = time.monotonic()
    until = max(started + GREEDY_SHARE * (deadline - started), now + 0.25 * max(0.0, deadline - now))
    greedy = _greedy_schedule(
        generation,
        _greedy_routes(problem, routes),
        prices=relaxation,
        per_person=True,
        until=until,
        stop=stop,
    )
    report(0.2, "lower bound (whole missions)")
    missions_bound = mission_bound(
        problem,
        routes,
        time_limit=max(0.5, min(BOUND_SHARE * (deadline - started), deadline - time.monotonic())),
        workers=workers,
        should_stop=stop,
    )
    cancelled = generation.run(started + GENERATION_SHARE * (deadline - started), stop, report)
    bound = max(
        generation.bound,
        -math.inf if relaxed is None else relaxed,
        -math.inf if missions_bound is None else missions_bound,
    )
    log.info(
        "schedule: LP %.0f bound %.0f, %d columns, %.1fs",
        generation.lp_value,
        bound,
        len(generation.master.columns),
        time.monotonic() - started,
    )
    if cancelled:
        notes.append("stopped on request: the schedule is the best found so far")
    report(0.55, "integer schedule")
    missions = _integer_schedule(generation, greedy, deadline, stop, workers, report)
    if not missions and generation.lp_value < classes.constant - 1e-6:
        notes.append("time limit reached before an integer schedule was found")
    status = "CANCELLED" if cancelled or stop() else "FEASIBLE"
    solution = _solution(problem, missions, bound, started, status, notes)
    if time.monotonic() >= deadline - 0.05:
        notes.append(f"time limit of {time_limit:g} s reached")
    return _solution(
        problem, missions, bound, started, status, notes + loading_notes(problem, list(solution.missions))
    )


def _greedy_schedule(
    generation: _Generation,
    keep: list[int],
    *,
    prices: SeatRelaxation | None,
    per_person: bool,
    until: float,
    stop: ShouldStop,
) -> tuple[dict[int, int], list[Mission]]:
    """The greedy over the routes ``keep`` (until ``until``), its missions seeding the master: its
    column counts and missions."""
    problem, routes, classes = generation.problem, generation.routes, generation.classes
    picked = greedy_schedule(
        problem,
        classes,
        Pricer(problem, route_subset(routes, keep), classes),
        lambda a, day, r: generation.column(a, day, keep[r]),
        prices=prices,
        per_person=per_person,
        deadline=until,
        should_stop=stop,
    )
    log.info(
        "schedule: greedy (%s) over %d routes: %d missions",
        "per person" if per_person else "per mission",
        len(keep),
        len(picked),
    )
    return generation.seed_schedule(picked)


def _greedy_routes(problem: ScheduleProblem, routes: RouteSet) -> list[int]:
    """The routes the greedy tries: all of them while (aircraft x days x routes) stays within
    ``GREEDY_COLUMNS``, else those with the fewest pickups that do (at least the one-pickup routes):
    its first pricing runs over every candidate at once."""
    per_route = max(1, len(problem.aircraft) * problem.days)
    keep: list[int] = []
    for pickups in range(1, MAX_PICKUPS + 1):
        more = [r for r, route in enumerate(routes.routes) if len(route.pickups) == pickups]
        if keep and (len(keep) + len(more)) * per_route > GREEDY_COLUMNS:
            break
        keep.extend(more)
    return keep


class _Generation:
    """Column generation state: the LP master over loading patterns, the pricing, the best bound."""

    def __init__(self, problem: ScheduleProblem, routes: RouteSet, classes: DemandClasses) -> None:
        self.problem = problem
        self.routes = routes
        self.classes = classes
        self.master = Master(problem, classes, disposal=True)
        self.master.solver.SetSolverSpecificParametersAsString("use_dual_simplex: true")
        self.pricer = Pricer(problem, routes, classes)
        self.bound = -math.inf
        self.lp_value = classes.constant
        self.orders: dict[tuple[int, int, int], Column | None] = {}
        self.seen: set[tuple[int, int, int, tuple[tuple[int, float], ...]]] = set()
        self.by_airport = airport_country(problem)
        self.c_index = {c: i for i, c in enumerate(routes.countries)}
        self.rounds = 0
        #: whether the master's last solve was optimal (its values mean something)
        self.lp_optimal = False

    def duals(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        problem, master = self.problem, self.master
        weeks = problem.weeks
        flow = _monotone(master.flow_duals(), self.classes.supply) if master.flow else np.zeros(0)
        aircraft_week = np.zeros((len(problem.aircraft), weeks))
        for (a, w), row in master.aircraft_week.items():
            aircraft_week[a, w] = min(0.0, row.dual_value())
        country_week = np.zeros((len(self.routes.countries), weeks))
        for (c, w), row in master.country_week.items():
            if c in self.c_index:
                country_week[self.c_index[c], w] = min(0.0, row.dual_value())
        return flow, aircraft_week, country_week

    def _bound(
        self, rc: FloatArray, flow: FloatArray, country_week: FloatArray, available: list[int]
    ) -> float:
        """The Lagrangian bound at these duals (see ``pricing.lagrangian_bound``)."""
        supply = np.array([u for units in self.classes.supply for u in units], dtype=np.float64)
        limits = np.zeros_like(country_week)
        for c, i in self.c_index.items():
            limit = self.problem.countries[c].max_missions_per_week
            if limit is not None:
                limits[i, :] = limit
        return lagrangian_bound(
            self.classes.constant,
            float(flow @ supply) if flow.size else 0.0,
            float((country_week * limits).sum()),
            rc,
            available,
            self.problem.days,
        )

    def run(self, until: float, stop: ShouldStop, report: Progress) -> bool:
        """Generate until no column prices out, the bound meets the LP, or ``until``; True when
        ``stop`` fired."""
        problem = self.problem
        available = [a.available_per_week for a in problem.aircraft]
        flow = np.zeros(len(self.master.flow))
        aircraft_week = np.zeros((len(problem.aircraft), problem.weeks))
        country_week = np.zeros((len(self.routes.countries), problem.weeks))
        lp_value = self.classes.constant
        seeded = self._seed()
        self.lp_optimal = (
            bool(seeded) and self.master.solve(until - time.monotonic() + 5.0) == pywraplp.Solver.OPTIMAL
        )
        if self.lp_optimal:
            lp_value = self.master.value()
            flow, aircraft_week, country_week = self.duals()
        round_seconds = 0.0
        while True:
            began = time.monotonic()
            if self.rounds and began + round_seconds > until:
                self.lp_value = lp_value
                return False  # another round would overrun: keep the bound of the last one priced
            self.rounds += 1
            rc = self.pricer.price(flow, country_week)
            self.bound = max(self.bound, self._bound(rc, flow, country_week, available))
            self.lp_value = lp_value
            gap = (lp_value - self.bound) / max(abs(lp_value), 1.0)
            log.debug("round %d: LP %.0f bound %.0f gap %.4f", self.rounds, lp_value, self.bound, gap)
            report(
                min(0.5, 0.05 + 0.45 * self.rounds / 30),
                f"column generation: round {self.rounds}, gap {gap:.2%}",
            )
            if gap <= BOUND_TOLERANCE or time.monotonic() >= until:
                return False
            if stop():
                return True
            added = self._add_columns(rc, flow, aircraft_week)
            if added == 0:
                return False
            status = self.master.solve(max(1.0, until - time.monotonic() + 5.0))
            self.lp_optimal = status == pywraplp.Solver.OPTIMAL
            if not self.lp_optimal:
                log.warning("schedule: master LP status %d", status)
                return False
            lp_value = self.master.value()
            flow, aircraft_week, country_week = self.duals()
            round_seconds = time.monotonic() - began

    def seed_schedule(self, picked: Sequence[Picked]) -> tuple[dict[int, int], list[Mission]]:
        """Add the greedy's missions to the master, each with its load as its pattern; the column
        index -> missions, and the greedy's schedule itself."""
        problem, classes = self.problem, self.classes
        index: dict[Column, int] = {}
        counts: dict[int, int] = {}
        for mission in picked:
            if mission.column not in index:
                pattern = {k: float(n) for k, n in mission.load.items()}
                index[mission.column] = self.master.add_pattern(mission.column, pattern)
            i = index[mission.column]
            counts[i] = counts.get(i, 0) + 1
        loads = split_to_groups(problem, classes, [(m.column.day, m.load) for m in picked])
        missions = [
            Mission(
                m.column.day, problem.aircraft[m.column.aircraft].name, m.column.pickups, m.column.stops, load
            )
            for m, load in zip(picked, loads, strict=True)
        ]
        return counts, missions

    def _seed(self) -> int:
        """Start the master from every one-pickup one-stop route on every day it may fly, on the
        aircraft type with the lowest cost per seat, loaded with everything ready (the generation
        then mostly refines instead of building a schedule from nothing)."""
        problem, routes = self.problem, self.routes
        a = min(
            range(len(problem.aircraft)),
            key=lambda i: problem.aircraft[i].cost_per_block_hour / max(problem.aircraft[i].seats, 1),
        )
        values = self.pricer.values(np.zeros(len(self.master.flow)))
        added = 0
        for r, route in enumerate(routes.routes):
            if route.legs != 2:
                continue
            for d in np.flatnonzero(self.pricer.feasible[a, :, r]):
                pattern = self.pricer.pattern(values, a, int(d), r)
                column = self.column(a, int(d), r) if pattern else None
                if column is not None:
                    self.master.add_pattern(column, pattern)
                    added += 1
        return added

    def _add_columns(self, rc_without_week: FloatArray, flow: FloatArray, aircraft_week: FloatArray) -> int:
        problem = self.problem
        rc = rc_without_week - aircraft_week[:, np.arange(problem.days) // 7][:, :, None]
        n_a, n_d, n_r = rc.shape
        best_r = rc.argmin(axis=2)  # best route per (a, d)
        best_rc = np.take_along_axis(rc, best_r[:, :, None], axis=2)[:, :, 0]
        flat = rc.reshape(-1)
        candidates = np.flatnonzero(flat < -1e-6)
        if candidates.size > COLUMNS_PER_ROUND:
            part = np.argpartition(flat[candidates], COLUMNS_PER_ROUND)[:COLUMNS_PER_ROUND]
            candidates = candidates[part]
        chosen = {int(i) for i in candidates}
        for a in range(n_a):
            for d in range(n_d):
                if best_rc[a, d] < -1e-6:
                    chosen.add((a * n_d + d) * n_r + int(best_r[a, d]))
        del best_r, best_rc
        values = self.pricer.values(flow)
        added = 0
        for index in sorted(chosen, key=lambda i: flat[i]):
            a, rest = divmod(index, n_d * n_r)
            d, r = divmod(rest, n_r)
            column = self.column(a, d, r)
            if column is None:
                self.pricer.feasible[a, d, r] = False
                continue
            pattern = self.pricer.pattern(values, a, d, r)
            key = (a, d, r, tuple(sorted((k, round(u, 6)) for k, u in pattern.items())))
            if key in self.seen:
                continue
            self.seen.add(key)
            self.master.add_pattern(column, pattern)
            added += 1
        return added

    def column(self, a: int, day: int, r: int) -> Column | None:
        """The column (aircraft ``a``, ``day``, route ``r``) in its shortest flying order whose
        arrival weekdays are accepted, exactly; None when no order is."""
        key = (a, day, r)
        if key in self.orders:
            return self.orders[key]
        problem, route = self.problem, self.routes.routes[r]
        aircraft = problem.aircraft[a]
        found: Column | None = None
        if arrival_accepted(problem, aircraft, route.pickups, route.stops, day, self.by_airport):
            pickups, stops = route.pickups, route.stops
            flight_cost = float(self.routes.cost[a, r])
            found = Column(a, day, pickups, stops, route.countries, flight_cost, aircraft.seats, r)
        else:
            order = flying_order_for(problem, aircraft, route.pickups, route.stops, day)
            if order is not None:
                pickups, stops = order
                flight_cost = cost.mission_cost(problem.places, aircraft, pickups, stops)
                countries = tuple(self.by_airport[s] for s in stops)
                found = Column(a, day, pickups, stops, countries, flight_cost, aircraft.seats, r)
        self.orders[key] = found
        return found


def _monotone(flow: FloatArray, supply: list[list[int]]) -> FloatArray:
    """Inventory duals (<= 0) made dual-feasible for the carry-over of every class: a unit ready
    earlier is worth at least one ready later (running minimum from each class's last row)."""
    out = flow.copy()
    start = 0
    for units in supply:
        end = start + len(units)
        out[start:end] = np.minimum.accumulate(out[start:end][::-1])[::-1]
        start = end
    return out


def _integer_schedule(
    generation: _Generation,
    greedy: tuple[dict[int, int], list[Mission]],
    deadline: float,
    stop: ShouldStop,
    workers: int,
    report: Progress,
) -> list[Mission]:
    """The cheapest of: the LP rounded at one half and loaded optimally (``_loaded``); the cheaper
    greedy schedule — ``greedy`` (column index -> missions, and its missions), or whole missions
    ranked by their saving over the generated routes — as it is and loaded optimally; a MIP over
    the generated columns started from the best so far (while time is left)."""
    problem, classes, master = generation.problem, generation.classes, generation.master
    columns = master.columns
    if not columns:
        return []
    y_lp = [y.solution_value() if generation.lp_optimal else 0.0 for y in master.y]
    # Read the LP's reduced costs now: the greedy below adds columns, after which the LP's solution
    # is stale (OR-Tools then logs an error per value read).
    lp_pool = _mip_pool(master, y_lp) if generation.lp_optimal else []
    report(0.55, "integer schedule: rounding the LP")
    best_counts = _rounded(problem, columns, y_lp)
    best, best_cost = _loaded(problem, classes, columns, best_counts, _share(deadline, 0.3))
    log.info("schedule: rounding and loading: %.0f (%d missions)", best_cost, len(best))
    if not stop():
        # Whole missions ranked by their saving, over the routes the generation found worth
        # pricing: where the weekly limits bind, every slot should carry the most.
        report(0.6, "integer schedule: greedy over the generated routes")
        generated = sorted({c.route for c in columns if c.route >= 0})
        second = _greedy_schedule(
            generation,
            generated,
            prices=None,
            per_person=False,
            until=max(_share(deadline, 0.3), time.monotonic() + 3.0),  # a few seconds even when late
            stop=stop,
        )
        if cost.totals(problem, second[1]).cost < cost.totals(problem, greedy[1]).cost:
            greedy = second
    counts, greedy_missions = greedy
    if greedy_missions:
        greedy_missions = _downsized(problem, greedy_missions)
        greedy_cost = cost.totals(problem, greedy_missions).cost
        log.info("schedule: greedy: %.0f (%d missions)", greedy_cost, len(greedy_missions))
        if greedy_cost < best_cost - 1e-6:
            best, best_cost, best_counts = greedy_missions, greedy_cost, counts
        if not stop():
            report(0.65, "integer schedule: loading the greedy's missions")
            found, found_cost = _loaded(problem, classes, columns, counts, _share(deadline, 0.3))
            log.info("schedule: greedy and loading: %.0f (%d missions)", found_cost, len(found))
            if found_cost < best_cost - 1e-6:
                best, best_cost, best_counts = found, found_cost, counts
    if deadline - time.monotonic() > 3.0 and not stop():
        report(0.8, "integer schedule: MIP over the generated columns")
        pool = sorted(set(lp_pool) | set(best_counts))
        mip = Master(problem, classes, backend="SCIP", integer=True, disposal=True)
        for i in pool:
            mip.add_pattern(columns[i], master.patterns[i])
        mip.hint([float(best_counts.get(i, 0)) for i in pool], [[] for _ in pool])
        with StopWatcher(stop, mip.solver.InterruptSolve):
            status = mip.solve(0.7 * (deadline - time.monotonic()), workers)
        if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            counts = {
                pool[j]: round(y.solution_value())
                for j, y in enumerate(mip.y)
                if round(y.solution_value()) > 0
            }
            if counts != best_counts:
                found, found_cost = _loaded(problem, classes, columns, counts, deadline)
                log.info("schedule: MIP and loading: %.0f (%d missions)", found_cost, len(found))
                if found_cost < best_cost - 1e-6:
                    best, best_cost = found, found_cost
    return best


def _share(deadline: float, share: float) -> float:
    """The moment ``share`` of the time left from now is used."""
    now = time.monotonic()
    return now + share * max(0.0, deadline - now)


def _rounded(problem: ScheduleProblem, columns: Sequence[Column], y: Sequence[float]) -> dict[int, int]:
    """Whole missions of each column the LP uses, plus one more where it used at least half of
    one and the week rows leave room. Column index -> missions."""
    counts = {i: math.floor(v + 1e-6) for i, v in enumerate(y) if v > 1e-6}
    use = WeekUse()
    for i, n in counts.items():
        use.count(columns[i], n)
    for i in sorted(counts, key=lambda i: -(y[i] - counts[i])):
        if y[i] - counts[i] >= 0.5 and use.room(problem, columns[i]):
            counts[i] += 1
            use.count(columns[i])
    return {i: n for i, n in counts.items() if n > 0}


def _loaded(
    problem: ScheduleProblem,
    classes: DemandClasses,
    columns: Sequence[Column],
    counts: dict[int, int],
    deadline: float,
) -> tuple[list[Mission], float]:
    """The missions ``counts`` (column index -> copies) loaded optimally, without the missions that
    cost more to fly than they save, and their total cost."""
    chosen = [columns[i] for i, n in sorted(counts.items()) for _ in range(n)]
    for _ in range(3):
        loaded = _load_columns(problem, classes, chosen, deadline)
        if loaded is None:
            return [], cost.totals(problem, []).cost
        paying = [
            column
            for column, y, loads in zip(loaded.columns, loaded.y, loaded.loads, strict=True)
            if sum(classes.save(k, column.day, problem) * round(z.solution_value()) for k, z in loads)
            > column.cost * max(1, round(y.solution_value()))
        ]
        if len(paying) == len(chosen):
            break
        chosen = paying
    missions = (
        _downsized(problem, _drop_empty(missions_of(problem, classes, loaded))) if loaded is not None else []
    )
    return missions, cost.totals(problem, missions).cost


def _downsized(problem: ScheduleProblem, missions: list[Mission]) -> list[Mission]:
    """Each mission on the cheapest aircraft type that seats its people, has a mission left that
    week and still arrives on accepted weekdays (its load unchanged)."""
    used: dict[tuple[str, int], int] = {}
    for m in missions:
        used[m.aircraft, m.day // 7] = used.get((m.aircraft, m.day // 7), 0) + 1
    by_airport = airport_country(problem)
    out = []
    for m in missions:
        people, week = m.people(problem), m.day // 7
        current = cost.mission_cost(problem.places, problem.aircraft_named(m.aircraft), m.pickups, m.stops)
        best = m
        for aircraft in problem.aircraft:
            if aircraft.seats < people or used.get((aircraft.name, week), 0) >= aircraft.available_per_week:
                continue
            price = cost.mission_cost(problem.places, aircraft, m.pickups, m.stops)
            if price < current - 1e-6 and arrival_accepted(
                problem, aircraft, m.pickups, m.stops, m.day, by_airport
            ):
                best, current = Mission(m.day, aircraft.name, m.pickups, m.stops, m.load), price
        if best is not m:
            used[m.aircraft, week] -= 1
            used[best.aircraft, week] = used.get((best.aircraft, week), 0) + 1
        out.append(best)
    return out


def _mip_pool(master: Master, y_lp: Sequence[float]) -> list[int]:
    """The columns the MIP chooses among: every column the LP used and the best-priced rest, at
    most twice as many more."""
    used = [i for i, v in enumerate(y_lp) if v > 1e-6]
    rc = [y.reduced_cost() if used else 0.0 for y in master.y]
    rest = sorted((i for i, v in enumerate(y_lp) if v <= 1e-6), key=lambda i: rc[i])
    return sorted(used + rest[: 2 * len(used) + 50])


def _load_columns(
    problem: ScheduleProblem, classes: DemandClasses, columns: Sequence[Column], deadline: float
) -> Master | None:
    """The solved model flying ``columns`` exactly once each, loaded optimally (MIP), or None."""
    model = Master(problem, classes, backend="SCIP", integer=True, mission_rules=False, fixed=True)
    for column in columns:
        model.add(column)
    if not columns:
        return model
    status = model.solve(max(1.0, deadline - time.monotonic()))
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    return model


def missions_of(
    problem: ScheduleProblem, classes: DemandClasses, model: Master, *, keep_empty: bool = False
) -> list[Mission]:
    """The missions of a solved integer model, loads split into demand groups (``keep_empty``:
    also the columns flown empty, in column order)."""
    flights: list[tuple[Column, dict[int, int]]] = []
    for column, y, loads in zip(model.columns, model.y, model.loads, strict=True):
        copies = max(round(y.solution_value()), 1 if keep_empty else 0)
        if copies <= 0:
            continue
        per_class = {k: round(z.solution_value()) for k, z in loads if round(z.solution_value()) > 0}
        flights.extend((column, part) for part in _split_copies(problem, classes, column, per_class, copies))
    by_group = split_to_groups(problem, classes, [(c.day, load) for c, load in flights])
    aircraft = problem.aircraft
    return [
        Mission(c.day, aircraft[c.aircraft].name, c.pickups, c.stops, load)
        for (c, _), load in zip(flights, by_group, strict=True)
    ]


def _split_copies(
    problem: ScheduleProblem, classes: DemandClasses, column: Column, per_class: dict[int, int], copies: int
) -> list[dict[int, int]]:
    """Share the class loads of ``copies`` identical missions among them (largest families first,
    each unit to the first copy with room for it)."""
    if copies == 1:
        return [per_class]
    parts: list[dict[int, int]] = [{} for _ in range(copies)]
    seats = [column.seats] * copies
    per_country = [dict.fromkeys(column.countries, 0) for _ in range(copies)]
    for k in sorted(per_class, key=lambda k: -classes.size[k]):
        size, country = classes.size[k], classes.country[k]
        cap = problem.countries[country].max_per_mission
        for _ in range(per_class[k]):
            for i in range(copies):
                if seats[i] >= size and (cap is None or per_country[i][country] + size <= cap):
                    parts[i][k] = parts[i].get(k, 0) + 1
                    seats[i] -= size
                    per_country[i][country] += size
                    break
    return parts


def _drop_empty(missions: list[Mission]) -> list[Mission]:
    return [m for m in missions if sum(m.load.values()) > 0]


def _solution(
    problem: ScheduleProblem,
    missions: Sequence[Mission],
    bound: float,
    started: float,
    status: str,
    notes: list[str],
) -> ScheduleSolution:
    ordered = tuple(sorted(missions, key=lambda m: (m.day, m.stops, m.pickups, m.aircraft)))
    totals = cost.totals(problem, ordered)
    bound = min(bound, totals.cost)
    gap = (totals.cost - bound) / totals.cost if totals.cost > 0 else 0.0
    if status == "FEASIBLE" and gap <= OPTIMAL_GAP:
        status = "OPTIMAL"
    return ScheduleSolution(ordered, totals, bound, gap, status, time.monotonic() - started, tuple(notes))
