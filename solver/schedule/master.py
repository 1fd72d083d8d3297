"""The scheduler's linear model over a set of mission columns (LP for column generation, MIP for the
integer schedule, and the loading of fixed missions).

Demand is aggregated into *classes* (country, hub, family size, cost per day): the units of a class
are interchangeable except for their ready day, so the demand rows are inventory rows per class
and ready day (units carried on missions departing before the next ready day + carried over <=
arrived + carried in). Integer class loads are split back into demand groups earliest-ready first
(:func:`split_to_groups`), which always succeeds because the inventory rows hold.

Rows (all ``<=``): per column seats and per-country caps (linking its loads to its ``y``), the
inventory rows, aircraft type missions per week, country missions per week. Objective:
``sum cost_m y_m - sum save z`` with ``save = cost_per_day x (days - day) + penalty x size`` per
unit, plus the constant :attr:`DemandClasses.constant` (everybody unserved).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import pywraplp  # type: ignore[import-untyped,attr-defined,unused-ignore]  # untyped SWIG

from solver.schedule.problem import ScheduleProblem, week_of

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class DemandClasses:
    """Demand groups aggregated by (country, hub, size, cost per day). ``ready[k]`` its distinct
    ready days ascending, ``supply[k][i]`` units ready on ``ready[k][i]``, ``groups[k]`` its group
    indices by ready day; ``row[k, d]``: the global inventory row index of a departure on day
    ``d`` (-1 before the first ready day)."""

    country: list[str]
    hub: list[str]
    size: list[int]
    cost_per_day: list[float]
    ready: list[list[int]]
    supply: list[list[int]]
    groups: list[list[int]]
    row: IntArray
    row_class: list[int]
    constant: float
    by_country_hub: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.country)

    def save(self, k: int, day: int, problem: ScheduleProblem) -> float:
        return self.cost_per_day[k] * (problem.days - day) + problem.unserved_penalty * self.size[k]


def demand_classes(problem: ScheduleProblem) -> DemandClasses:
    """Aggregate ``problem.demand`` (groups with no units are left out)."""
    keys: dict[tuple[str, str, int, float], int] = {}
    members: list[list[int]] = []
    constant = 0.0
    for g, group in enumerate(problem.demand):
        constant += group.units * (group.cost_per_day * problem.days + problem.unserved_penalty * group.size)
        if group.units <= 0:
            continue
        key = (group.country, group.hub, group.size, group.cost_per_day)
        if key not in keys:
            keys[key] = len(members)
            members.append([])
        members[keys[key]].append(g)
    classes = DemandClasses(
        [], [], [], [], [], [], [], np.full((0, problem.days), -1, dtype=np.int64), [], constant
    )
    rows = np.full((len(members), max(problem.days, 1)), -1, dtype=np.int64)
    next_row = 0
    for (country, hub, size, cpd), k in keys.items():
        groups = sorted(members[k], key=lambda g: problem.demand[g].ready_day)
        ready: list[int] = []
        supply: list[int] = []
        for g in groups:
            day = max(0, problem.demand[g].ready_day)
            if ready and ready[-1] == day:
                supply[-1] += problem.demand[g].units
            else:
                ready.append(day)
                supply.append(problem.demand[g].units)
        for i, day in enumerate(ready):
            end = ready[i + 1] if i + 1 < len(ready) else problem.days
            if day < problem.days:
                rows[k, day:end] = next_row + i
        classes.row_class.extend([k] * len(ready))
        next_row += len(ready)
        classes.country.append(country)
        classes.hub.append(hub)
        classes.size.append(size)
        classes.cost_per_day.append(cpd)
        classes.ready.append(ready)
        classes.supply.append(supply)
        classes.groups.append(groups)
        classes.by_country_hub.setdefault((country, hub), []).append(k)
    classes.row = rows
    return classes


@dataclass(frozen=True)
class Column:
    """A mission candidate: aircraft index, departure day, pickups and stops in flying order, the
    countries of the stops, its flight cost and seats (``route``: its candidate route's index,
    -1 for a mission given from outside)."""

    aircraft: int
    day: int
    pickups: tuple[str, ...]
    stops: tuple[str, ...]
    countries: tuple[str, ...]
    cost: float
    seats: int
    route: int = -1


class Master:
    """The model over the columns added so far. ``integer``: y and loads integer (MIP, solved by
    ``backend``); ``mission_rules``: the aircraft / country per-week rows (off for the loading of
    fixed missions); ``fixed``: every added column flies exactly once."""

    def __init__(
        self,
        problem: ScheduleProblem,
        classes: DemandClasses,
        *,
        backend: str = "GLOP",
        integer: bool = False,
        mission_rules: bool = True,
        fixed: bool = False,
        disposal: bool = False,
    ) -> None:
        self.problem = problem
        self.classes = classes
        self.integer = integer
        self.fixed = fixed
        solver = pywraplp.Solver.CreateSolver(backend)
        if solver is None:
            raise RuntimeError(f"OR-Tools backend {backend} is not available")
        self.solver: pywraplp.Solver = solver
        self.objective = solver.Objective()
        self.objective.SetMinimization()
        inf = solver.infinity()
        self.flow: list[pywraplp.Constraint] = []
        for k in range(classes.count):
            previous = None
            for i, units in enumerate(classes.supply[k]):
                row = solver.Constraint(-inf, float(units))
                if disposal:
                    # Patterns may carry fewer units than they name, giving back the saving.
                    back = solver.NumVar(0.0, inf, "")
                    row.SetCoefficient(back, -1.0)
                    self.objective.SetCoefficient(back, classes.save(k, classes.ready[k][i], problem))
                if previous is not None:
                    row.SetCoefficient(previous, -1.0)
                if i + 1 < len(classes.supply[k]):
                    carry = solver.NumVar(0.0, inf, "")
                    row.SetCoefficient(carry, 1.0)
                    previous = carry
                self.flow.append(row)
        weeks = problem.weeks
        self.aircraft_week: dict[tuple[int, int], pywraplp.Constraint] = {}
        self.country_week: dict[tuple[str, int], pywraplp.Constraint] = {}
        if mission_rules:
            for a, aircraft in enumerate(problem.aircraft):
                for w in range(weeks):
                    self.aircraft_week[a, w] = solver.Constraint(-inf, float(aircraft.available_per_week))
            for c, limits in problem.countries.items():
                if limits.max_missions_per_week is not None:
                    for w in range(weeks):
                        self.country_week[c, w] = solver.Constraint(-inf, float(limits.max_missions_per_week))
        self.columns: list[Column] = []
        self.y: list[pywraplp.Variable] = []
        self.loads: list[list[tuple[int, pywraplp.Variable]]] = []
        self.patterns: list[dict[int, float]] = []

    def add(self, column: Column) -> int:
        """Add a column with a load variable for every class it can carry; its index."""
        solver, problem, classes = self.solver, self.problem, self.classes
        inf = solver.infinity()
        low = 1.0 if self.fixed else 0.0
        high = 1.0 if self.fixed else inf
        y = solver.IntVar(low, high, "") if self.integer else solver.NumVar(low, high, "")
        self.objective.SetCoefficient(y, column.cost)
        seats = solver.Constraint(-inf, 0.0)
        seats.SetCoefficient(y, -float(column.seats))
        caps: dict[str, pywraplp.Constraint] = {}
        for c in column.countries:
            cap = problem.countries[c].max_per_mission
            if cap is not None and cap < column.seats:
                caps[c] = solver.Constraint(-inf, 0.0)
                caps[c].SetCoefficient(y, -float(cap))
        self._count_in_week_rows(column, y)
        loads: list[tuple[int, pywraplp.Variable]] = []
        for c in dict.fromkeys(column.countries):
            for h in dict.fromkeys(column.pickups):
                for k in classes.by_country_hub.get((c, h), ()):
                    if column.day >= problem.days or column.day < 0:
                        continue
                    flow_row = int(classes.row[k, column.day])
                    if flow_row < 0:
                        continue
                    z = solver.IntVar(0.0, inf, "") if self.integer else solver.NumVar(0.0, inf, "")
                    size = float(classes.size[k])
                    self.objective.SetCoefficient(z, -classes.save(k, column.day, problem))
                    seats.SetCoefficient(z, size)
                    if c in caps:
                        caps[c].SetCoefficient(z, size)
                    self.flow[flow_row].SetCoefficient(z, 1.0)
                    loads.append((k, z))
        self.columns.append(column)
        self.y.append(y)
        self.loads.append(loads)
        self.patterns.append({})
        return len(self.columns) - 1

    def _count_in_week_rows(self, column: Column, y: pywraplp.Variable) -> None:
        """Count mission variable ``y`` in its aircraft's and its countries' rows of its week."""
        week = week_of(column.day)
        row = self.aircraft_week.get((column.aircraft, week))
        if row is not None:
            row.SetCoefficient(y, 1.0)
        for c in set(column.countries):
            row = self.country_week.get((c, week))
            if row is not None:
                row.SetCoefficient(y, 1.0)

    def add_pattern(self, column: Column, pattern: dict[int, float]) -> int:
        """Add a column with a fixed loading (class -> units): one variable, no rows; its index."""
        solver, problem, classes = self.solver, self.problem, self.classes
        y = (
            solver.IntVar(0.0, solver.infinity(), "")
            if self.integer
            else solver.NumVar(0.0, solver.infinity(), "")
        )
        saved = sum(classes.save(k, column.day, problem) * units for k, units in pattern.items())
        self.objective.SetCoefficient(y, column.cost - saved)
        for k, units in pattern.items():
            self.flow[int(classes.row[k, column.day])].SetCoefficient(y, float(units))
        self._count_in_week_rows(column, y)
        self.columns.append(column)
        self.y.append(y)
        self.loads.append([])
        self.patterns.append(pattern)
        return len(self.columns) - 1

    def solve(self, time_limit: float, workers: int = 1) -> int:
        self.solver.SetTimeLimit(max(1, int(time_limit * 1000)))
        if self.integer:
            self.solver.SetNumThreads(workers)
        return int(self.solver.Solve())

    def value(self) -> float:
        """Total cost of the current solution (constant included)."""
        return float(self.objective.Value()) + self.classes.constant

    def flow_duals(self) -> FloatArray:
        return np.minimum(np.array([row.dual_value() for row in self.flow], dtype=np.float64), 0.0)

    def hint(self, y_values: Sequence[float], load_values: Sequence[Sequence[float]]) -> None:
        variables: list[pywraplp.Variable] = []
        values: list[float] = []
        for y, v, loads, lv in zip(self.y, y_values, self.loads, load_values, strict=True):
            variables.append(y)
            values.append(float(v))
            for (_, z), value in zip(loads, lv, strict=True):
                variables.append(z)
                values.append(float(value))
        self.solver.SetHint(variables, values)


def split_to_groups(
    problem: ScheduleProblem, classes: DemandClasses, missions: Sequence[tuple[int, dict[int, int]]]
) -> list[dict[int, int]]:
    """Per mission (departure day, class -> units), the demand group -> units, earliest-ready
    groups first on the earliest missions; units that no ready group has left are dropped."""
    left = {k: [problem.demand[g].units for g in classes.groups[k]] for k in range(classes.count)}
    out: list[dict[int, int]] = [{} for _ in missions]
    for index in sorted(range(len(missions)), key=lambda i: missions[i][0]):
        day, per_class = missions[index]
        for k, wanted in per_class.items():
            units = wanted
            groups = classes.groups[k]
            ready_count = bisect.bisect_right([problem.demand[g].ready_day for g in groups], day)
            for pos in range(ready_count):
                if units <= 0:
                    break
                take = min(units, left[k][pos])
                if take > 0:
                    g = groups[pos]
                    out[index][g] = out[index].get(g, 0) + take
                    left[k][pos] -= take
                    units -= take
    return out
