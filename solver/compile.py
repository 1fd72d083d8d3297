"""Compile a :class:`~solver.problem.Problem` into arrays, and lay it out as *units* and *columns*.

A **unit** is a bag of ``mult`` interchangeable *items*; an item is one person or one whole family.
A **column** ``j`` is a (unit, stop) pair; the models own one integer variable ``x[j] ∈ [0, ub[j]]``
counting the unit's items placed at that stop.  Coefficients are per item: a family of three needs
three seats, the sum of its members' escort tenths, and so on.

Two layouts share this representation:

* :func:`aggregated_layout` – people with the same eligible stops, escort load, medical / wheelchair
  needs and draft stop form one unit whatever their priority (a *split* unit: ``u_levels`` counts its
  people per weight; the model places the highest priorities first, which is optimal by exchange), and
  identical families form one unit; this is what makes the model small (thousands of integer variables
  instead of millions of Booleans).
* :func:`naive_layout` – one unit per person with a 0/1 column per eligible stop; family members are
  tied together by ``links`` (equal columns).  Used for comparison and in property tests.

Frozen people are not in any unit: they are placed at their frozen stop and their needs are taken off
the capacities (:class:`Instance` ``res_*`` arrays).  Members of a family with frozen members form a
*required* unit that may only go to the frozen stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from solver.problem import ESCORT_SCALE, Problem

BIG = 1 << 40


@dataclass(slots=True)
class Instance:
    """Index-based arrays of a problem (people ``p``, flights ``f``, stops ``s``, country groups ``g``)."""

    problem: Problem
    person_id: np.ndarray
    weight: np.ndarray
    load: np.ndarray
    medical: np.ndarray
    wheelchair: np.ndarray
    family: np.ndarray  # family index or -1
    draft: np.ndarray  # stop index or -1
    frozen: np.ndarray  # stop index or -1
    eligible: list[np.ndarray]  # stop indices per person (sorted; people with equal sets share one array)
    elig_class: np.ndarray  # index into elig_sets per person (equal eligible sets, same class)
    elig_sets: list[np.ndarray]  # distinct eligible stop index sets
    families: list[np.ndarray]  # person indices per family
    flight_id: np.ndarray
    rank: np.ndarray  # dense departure rank per flight
    stop_id: np.ndarray
    stop_flight: np.ndarray
    stop_group: np.ndarray
    res_seats: np.ndarray  # residual capacities after frozen people (clamped at 0)
    res_escort: np.ndarray
    res_medical: np.ndarray
    res_wheelchair: np.ndarray
    res_cap: np.ndarray  # per (flight, country) group; BIG when uncapped
    stop_index: dict[int, int]
    messages: list[str] = field(default_factory=list)


def compile_problem(problem: Problem) -> Instance:
    """Turn ``problem`` into index arrays.  Unknown stop ids in a person's eligible list are ignored;
    an unknown frozen stop raises ``ValueError``."""
    flights = problem.flights
    f_index = {f.id: i for i, f in enumerate(flights)}
    stop_index = {s.id: i for i, s in enumerate(problem.stops)}
    n_f = len(flights)
    order = sorted(range(n_f), key=lambda i: (flights[i].departure, flights[i].id))
    rank = np.empty(n_f, dtype=np.int64)
    r, prev = -1, None
    for i in order:
        if flights[i].departure != prev:
            r, prev = r + 1, flights[i].departure
        rank[i] = r
    stop_flight = np.array([f_index[s.flight] for s in problem.stops], dtype=np.int64)
    groups: dict[tuple[int, str], int] = {}
    caps: list[int] = []
    stop_group = np.empty(len(problem.stops), dtype=np.int64)
    for k, s in enumerate(problem.stops):
        g = groups.setdefault((int(stop_flight[k]), s.country), len(groups))
        if g == len(caps):
            caps.append(BIG)
        if s.country_cap is not None:
            caps[g] = min(caps[g], int(s.country_cap))
        stop_group[k] = g

    people = problem.people
    n_p = len(people)
    fam_index: dict[str, int] = {}
    fam_members: list[list[int]] = []
    family = np.full(n_p, -1, dtype=np.int64)
    for i, p in enumerate(people):
        if p.family is not None:
            k = fam_index.setdefault(p.family, len(fam_members))
            if k == len(fam_members):
                fam_members.append([])
            fam_members[k].append(i)
            family[i] = k

    def idx(stop: int | None) -> int:
        return -1 if stop is None else stop_index.get(stop, -1)

    frozen = np.array([idx(p.frozen_stop) for p in people], dtype=np.int64)
    for i in np.flatnonzero(frozen < 0).tolist():
        if people[i].frozen_stop is not None:
            raise ValueError(f"person {people[i].id}: frozen stop {people[i].frozen_stop} does not exist")
    # eligible stop sets: people built from the same rows share tuples, so convert each distinct tuple once
    by_tuple: dict[tuple[int, ...], int] = {}
    by_bytes: dict[bytes, int] = {}
    elig_sets: list[np.ndarray] = []
    tuple_class: list[int] = []
    elig_class = np.empty(n_p, dtype=np.int64)
    for i, p in enumerate(people):
        known = by_tuple.get(p.eligible_stops)
        if known is None:
            arr = np.unique(
                np.array([stop_index[s] for s in p.eligible_stops if s in stop_index], dtype=np.int64)
            )
            c = by_bytes.setdefault(arr.tobytes(), len(elig_sets))
            if c == len(elig_sets):
                elig_sets.append(arr)
            known = by_tuple[p.eligible_stops] = len(tuple_class)
            tuple_class.append(c)
        elig_class[i] = tuple_class[known]
    loads = np.array([p.escort_load for p in people], dtype=np.float64)
    inst = Instance(
        problem=problem,
        person_id=np.array([p.id for p in people], dtype=np.int64),
        weight=6 - np.array([p.priority for p in people], dtype=np.int64),
        load=np.rint(loads * ESCORT_SCALE).astype(np.int64),
        medical=np.array([p.needs_medical for p in people], dtype=np.int64),
        wheelchair=np.array([p.needs_wheelchair for p in people], dtype=np.int64),
        family=family,
        draft=np.array([idx(p.draft_stop) for p in people], dtype=np.int64),
        frozen=frozen,
        eligible=[elig_sets[c] for c in elig_class.tolist()],
        elig_class=elig_class,
        elig_sets=elig_sets,
        families=[np.array(m, dtype=np.int64) for m in fam_members],
        flight_id=np.array([f.id for f in flights], dtype=np.int64),
        rank=rank,
        stop_id=np.array([s.id for s in problem.stops], dtype=np.int64),
        stop_flight=stop_flight,
        stop_group=stop_group,
        res_seats=np.array([f.seats for f in flights], dtype=np.int64),
        res_escort=np.array([f.escort_officers * ESCORT_SCALE for f in flights], dtype=np.int64),
        res_medical=np.array([f.medical_slots for f in flights], dtype=np.int64),
        res_wheelchair=np.array([f.wheelchair_slots for f in flights], dtype=np.int64),
        res_cap=np.array(caps, dtype=np.int64),
        stop_index=stop_index,
    )
    fz = np.flatnonzero(frozen >= 0)
    if fz.size:
        fl = stop_flight[frozen[fz]]
        for arr, need in (
            (inst.res_seats, np.ones(fz.size, dtype=np.int64)),
            (inst.res_escort, inst.load[fz]),
            (inst.res_medical, inst.medical[fz]),
            (inst.res_wheelchair, inst.wheelchair[fz]),
        ):
            np.subtract.at(arr, fl, need)
        np.subtract.at(inst.res_cap, stop_group[frozen[fz]], 1)
    for name in ("res_seats", "res_escort", "res_medical", "res_wheelchair", "res_cap"):
        arr = getattr(inst, name)
        if (arr < 0).any():
            inst.messages.append(
                f"frozen people exceed {name[4:]} capacity on {int((arr < 0).sum())} flight(s)"
            )
            np.maximum(arr, 0, out=arr)
    return inst


@dataclass(slots=True)
class Layout:
    """Units and columns (see module docstring).  Arrays ``u_*`` are per unit, ``c_*`` per column;
    columns of a unit are contiguous and ordered by (departure rank, stop index)."""

    inst: Instance
    u_mult: np.ndarray
    u_seats: np.ndarray
    u_escort: np.ndarray
    u_medical: np.ndarray
    u_wheelchair: np.ndarray
    u_weight: np.ndarray
    u_drop: np.ndarray  # moves counted per item not placed
    u_required: np.ndarray  # bool: every item must be placed
    u_items: list[list[tuple[int, ...]]]  # person indices per item, deterministic order
    u_levels: np.ndarray  # (units, 6): people per weight 1..5 of priority-split units, else zeros
    c_unit: np.ndarray
    c_stop: np.ndarray
    c_flight: np.ndarray
    c_group: np.ndarray
    c_moves: np.ndarray  # moves per item placed here
    c_early: np.ndarray  # 10 × weight × departure rank per item placed here (mean weight if split)
    c_ub: np.ndarray
    links: list[np.ndarray] = field(default_factory=list)  # columns that must take equal values

    @property
    def n_units(self) -> int:
        return int(self.u_mult.size)

    @property
    def n_columns(self) -> int:
        return int(self.c_unit.size)

    @property
    def u_split(self) -> np.ndarray:
        """Units whose items differ only by priority (weight in ``u_levels``, ``u_weight`` is 0)."""
        split: np.ndarray = self.u_levels.sum(axis=1) > 0
        return split

    def max_primary(self) -> int:
        """Trivial upper bound of the primary objective: everybody placed."""
        levels = int((self.u_levels * np.arange(6)).sum())
        return int((self.u_weight * self.u_mult).sum()) + levels

    def subset(self, units: np.ndarray) -> Layout:
        """The layout restricted to ``units`` (sorted unit indices) and their columns."""
        remap = np.full(self.n_units, -1, dtype=np.int64)
        remap[units] = np.arange(units.size)
        cols = np.flatnonzero(remap[self.c_unit] >= 0)
        cremap = np.full(self.n_columns, -1, dtype=np.int64)
        cremap[cols] = np.arange(cols.size)
        links = [cremap[link] for link in self.links if remap[self.c_unit[link[0]]] >= 0]
        return Layout(
            inst=self.inst,
            u_mult=self.u_mult[units],
            u_seats=self.u_seats[units],
            u_escort=self.u_escort[units],
            u_medical=self.u_medical[units],
            u_wheelchair=self.u_wheelchair[units],
            u_weight=self.u_weight[units],
            u_drop=self.u_drop[units],
            u_required=self.u_required[units],
            u_items=[self.u_items[u] for u in units],
            u_levels=self.u_levels[units],
            c_unit=remap[self.c_unit[cols]],
            c_stop=self.c_stop[cols],
            c_flight=self.c_flight[cols],
            c_group=self.c_group[cols],
            c_moves=self.c_moves[cols],
            c_early=self.c_early[cols],
            c_ub=self.c_ub[cols],
            links=links,
        )

    def restricted(self, free: np.ndarray, fixed: np.ndarray) -> tuple[Layout, np.ndarray]:
        """The sub-layout of the columns ``free`` (bool mask) with every other column fixed at ``fixed``
        (integer values, feasible, zero on free columns): capacities and unit multiplicities are reduced
        by the fixed part and a split unit keeps only its priority levels below the fixed items (so the
        sub-layout's primary plus the fixed part's is the whole primary).  Returns (layout, indices of
        the free columns)."""
        inst = self.inst
        cu = self.c_unit
        res = {}
        for name, need, key in (
            ("res_seats", self.u_seats, self.c_flight),
            ("res_escort", self.u_escort, self.c_flight),
            ("res_medical", self.u_medical, self.c_flight),
            ("res_wheelchair", self.u_wheelchair, self.c_flight),
            ("res_cap", self.u_seats, self.c_group),
        ):
            arr = getattr(inst, name).copy()
            np.subtract.at(arr, key, need[cu] * fixed)
            res[name] = arr
        sub_inst = replace(inst, messages=[], **res)
        placed = np.bincount(cu, weights=fixed, minlength=self.n_units).astype(np.int64)
        cols = np.flatnonzero(free)
        units = np.unique(cu[cols])
        levels = self.u_levels.copy()
        for u in np.flatnonzero(self.u_split & (placed > 0)).tolist():
            k = int(placed[u])
            for w in range(5, 0, -1):
                take = min(k, int(levels[u, w]))
                levels[u, w] -= take
                k -= take
        sub = self.subset(units)
        remap = np.full(self.n_units, -1, dtype=np.int64)
        remap[units] = np.arange(units.size)
        sub.inst = sub_inst
        sub.u_mult = self.u_mult[units] - placed[units]
        sub.u_levels = levels[units]
        keep = np.isin(np.flatnonzero(remap[cu] >= 0), cols)
        for name in ("c_unit", "c_stop", "c_flight", "c_group", "c_moves", "c_early", "c_ub"):
            setattr(sub, name, getattr(sub, name)[keep])
        sub.c_ub = np.minimum(sub.c_ub, sub.u_mult[sub.c_unit])
        sub.links = []
        return sub, cols

    def fitted(self) -> tuple[Layout, np.ndarray]:
        """The layout with every column's bound tightened to what the residual capacities of its flight
        and country group admit for the unit alone, and columns left with bound 0 removed (with units
        left without columns).  Returns (layout, indices of the kept columns).  Not for layouts with links."""
        inst = self.inst
        cu, cf = self.c_unit, self.c_flight
        ub = self.c_ub.copy()
        for need, cap in (
            (self.u_seats[cu], inst.res_seats[cf]),
            (self.u_escort[cu], inst.res_escort[cf]),
            (self.u_medical[cu], inst.res_medical[cf]),
            (self.u_wheelchair[cu], inst.res_wheelchair[cf]),
            (self.u_seats[cu], inst.res_cap[self.c_group]),
        ):
            ub = np.minimum(ub, np.where(need > 0, cap // np.maximum(need, 1), BIG))
        keep = np.flatnonzero(ub > 0)
        out = Layout(**{k: getattr(self, k) for k in self.__slots__})
        for name in ("c_unit", "c_stop", "c_flight", "c_group", "c_moves", "c_early"):
            setattr(out, name, getattr(self, name)[keep])
        out.c_ub = ub[keep]
        out.links = []
        return out.subset(np.unique(out.c_unit)), keep

    def without_flights(self, flights: np.ndarray) -> Layout:
        """The layout with every column on ``flights`` removed (units are kept)."""
        keep = ~np.isin(self.c_flight, flights)
        cremap = np.full(self.n_columns, -1, dtype=np.int64)
        cremap[keep] = np.arange(int(keep.sum()))
        out = Layout(**{k: getattr(self, k) for k in self.__slots__})
        for name in ("c_unit", "c_stop", "c_flight", "c_group", "c_moves", "c_early", "c_ub"):
            setattr(out, name, getattr(self, name)[keep])
        out.links = [cremap[link[keep[link]]] for link in self.links]
        return out

    def components(self) -> list[Layout]:
        """Independent sub-layouts: connected components of the unit–flight graph (a unit joins
        every flight it has a column on), ordered by their smallest flight index.  Labels (smallest
        flight index of the component) are propagated over the edges until they settle."""
        n_f = self.inst.flight_id.size
        cu, cf = self.c_unit, self.c_flight
        roots = np.full(self.n_units, -1, dtype=np.int64)
        if self.n_columns:
            edge = np.unique(cu * n_f + cf)
            eu, ef = edge // n_f, edge % n_f
            starts = np.flatnonzero(np.r_[True, eu[1:] != eu[:-1]])
            units = eu[starts]
            flight_label = np.arange(n_f, dtype=np.int64)
            while True:
                unit_label = np.minimum.reduceat(flight_label[ef], starts)
                new = flight_label.copy()
                np.minimum.at(new, ef, np.repeat(unit_label, np.diff(np.r_[starts, ef.size])))
                if np.array_equal(new, flight_label):
                    break
                flight_label = new
            roots[units] = unit_label
        out = []
        no_columns = np.flatnonzero(roots < 0)
        for root in np.unique(roots[roots >= 0]):
            out.append(self.subset(np.flatnonzero(roots == root)))
        if no_columns.size:
            out.append(self.subset(no_columns))
        return out


def _unit_arrays(inst: Instance, members: list[list[tuple[int, ...]]]) -> dict[str, np.ndarray]:
    first = [items[0] for items in members]

    def total(arr: np.ndarray) -> np.ndarray:
        return np.array([int(arr[list(item)].sum()) for item in first], dtype=np.int64)

    return {
        "u_mult": np.array([len(items) for items in members], dtype=np.int64),
        "u_seats": np.array([len(item) for item in first], dtype=np.int64),
        "u_escort": total(inst.load),
        "u_medical": total(inst.medical),
        "u_wheelchair": total(inst.wheelchair),
        "u_weight": total(inst.weight),
        "u_drop": total((inst.draft >= 0).astype(np.int64)),
    }


def _columns(
    inst: Instance,
    u: dict[str, np.ndarray],
    allowed: list[np.ndarray],
    items: list[list[tuple[int, ...]]],
    fit: dict[str, np.ndarray] | None = None,
    early10: np.ndarray | None = None,
    single_draft: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Columns for every unit and allowed stop where one item fits the residual capacities.
    ``single_draft`` (per unit) is the draft stop of units whose items are single people, ``-2`` for
    units of families (their members' drafts are looked up per column)."""
    fit = fit or u
    lengths = np.array([a.size for a in allowed], dtype=np.int64)
    c_unit = np.repeat(np.arange(len(allowed), dtype=np.int64), lengths)
    c_stop = np.concatenate(allowed) if allowed else np.zeros(0, dtype=np.int64)
    c_flight = inst.stop_flight[c_stop]
    c_group = inst.stop_group[c_stop]
    ub = u["u_mult"][c_unit].copy()
    for need, cap in (
        (fit["u_seats"], inst.res_seats[c_flight]),
        (fit["u_escort"], inst.res_escort[c_flight]),
        (fit["u_medical"], inst.res_medical[c_flight]),
        (fit["u_wheelchair"], inst.res_wheelchair[c_flight]),
        (fit["u_seats"], inst.res_cap[c_group]),
    ):
        n = need[c_unit]
        ub = np.minimum(ub, np.where(n > 0, cap // np.maximum(n, 1), BIG))
    keep = ub > 0
    c_unit, c_stop, c_flight, c_group, ub = (
        c_unit[keep],
        c_stop[keep],
        c_flight[keep],
        c_group[keep],
        ub[keep],
    )
    order = np.lexsort((c_stop, inst.rank[c_flight], c_unit))
    c_unit, c_stop, c_flight, c_group, ub = (a[order] for a in (c_unit, c_stop, c_flight, c_group, ub))
    # moves per item placed at the column's stop: members with a draft stop elsewhere
    if single_draft is None:
        single_draft = np.full(len(items), -2, dtype=np.int64)
    d = single_draft[c_unit]
    same = ((d >= 0) & (d == c_stop)).astype(np.int64)
    multi = np.flatnonzero(single_draft == -2)
    if (
        multi.size
    ):  # family units: count the members of the unit's first item whose draft is the column's stop
        members = [np.asarray(items[u][0], dtype=np.int64) for u in multi.tolist()]
        sizes = np.array([m.size for m in members], dtype=np.int64)
        m_unit = np.repeat(multi, sizes)
        m_draft = inst.draft[np.concatenate(members)]
        base = inst.stop_id.size + 1
        pair, count = np.unique(m_unit[m_draft >= 0] * base + m_draft[m_draft >= 0], return_counts=True)
        if pair.size:
            js = np.flatnonzero(d == -2)
            key = c_unit[js] * base + c_stop[js]
            at = np.minimum(np.searchsorted(pair, key), pair.size - 1)
            same[js] = np.where(pair[at] == key, count[at], 0)
    return {
        "c_unit": c_unit,
        "c_stop": c_stop,
        "c_flight": c_flight,
        "c_group": c_group,
        "c_moves": u["u_drop"][c_unit] - same,
        "c_early": (10 * u["u_weight"] if early10 is None else early10)[c_unit] * inst.rank[c_flight],
        "c_ub": ub,
    }


def _intersect(arrays: list[np.ndarray]) -> np.ndarray:
    out = arrays[0]
    for a in arrays[1:]:
        out = np.intersect1d(out, a, assume_unique=True)
    return out


def _family_parts(inst: Instance) -> tuple[list[np.ndarray], list[np.ndarray], list[bool]]:
    """Per family with unfrozen members: (unfrozen members, allowed stops, required)."""
    members, allowed, required = [], [], []
    for fam in inst.families:
        free = fam[inst.frozen[fam] < 0]
        if free.size == 0:
            continue
        stops = _intersect([inst.eligible[p] for p in free.tolist()])
        pinned = np.unique(inst.frozen[fam[inst.frozen[fam] >= 0]])
        if pinned.size:
            stops = np.intersect1d(stops, pinned)
            if pinned.size > 1 or stops.size == 0:
                pid = inst.person_id[free].tolist()
                inst.messages.append(f"family of people {pid} cannot join its frozen members")
        members.append(free)
        allowed.append(stops)
        required.append(bool(pinned.size))
    return members, allowed, required


def aggregated_layout(inst: Instance) -> Layout:
    """Units of interchangeable people and of identical families (see module docstring).  Single people
    are grouped with ``np.unique`` over (eligible set, escort tenths, medical, wheelchair, draft stop);
    units are numbered by their first person, family units follow."""
    set_size = np.array([a.size for a in inst.elig_sets], dtype=np.int64)
    single = np.flatnonzero((inst.family < 0) & (inst.frozen < 0))
    if single.size:
        single = single[set_size[inst.elig_class[single]] > 0]
    keys = np.stack(
        [
            inst.elig_class[single],
            inst.load[single],
            inst.medical[single],
            inst.wheelchair[single],
            inst.draft[single],
        ],
        axis=1,
    )
    if single.size:
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        by_first = np.argsort(first, kind="stable")
        renum = np.empty_like(by_first)
        renum[by_first] = np.arange(by_first.size)
        s_unit = renum[inverse.reshape(-1)]
        rep = single[first[by_first]]
    else:
        s_unit = rep = np.zeros(0, dtype=np.int64)
    n_s = rep.size
    wt = inst.weight
    # items of a split unit: highest priority first, then person index
    order = np.lexsort((single, -wt[single], s_unit))
    persons = single[order]
    cuts = np.flatnonzero(np.diff(s_unit[order])) + 1
    items: list[list[tuple[int, ...]]] = (
        [[(p,) for p in chunk] for chunk in np.split(persons, cuts)] if n_s else []
    )
    allowed: list[np.ndarray] = [inst.elig_sets[c] for c in inst.elig_class[rep].tolist()]
    required: list[bool] = [False] * n_s
    levels = np.zeros((n_s, 6), dtype=np.int64)
    np.add.at(levels, (s_unit, wt[single]), 1)
    u = {
        "u_mult": np.bincount(s_unit, minlength=n_s).astype(np.int64),
        "u_seats": np.ones(n_s, dtype=np.int64),
        "u_escort": inst.load[rep],
        "u_medical": inst.medical[rep],
        "u_wheelchair": inst.wheelchair[rep],
        "u_weight": np.zeros(n_s, dtype=np.int64),
        "u_drop": (inst.draft[rep] >= 0).astype(np.int64),
    }
    single_draft = inst.draft[rep]
    # families: identical when their totals (and members' draft stops) agree
    load, med, wc, dr = (a.tolist() for a in (inst.load, inst.medical, inst.wheelchair, inst.draft))
    wl = wt.tolist()
    keys_f: dict[tuple[bytes, tuple[int, int, int, int, int, tuple[int, ...]], bool], int] = {}
    fam_items: list[list[tuple[int, ...]]] = []
    for free, stops, req in zip(*_family_parts(inst), strict=True):
        if not (stops.size or req):
            continue
        free_l = sorted(free.tolist(), key=lambda p: (wl[p], load[p], med[p], wc[p], dr[p], p))
        sig = (
            len(free_l),
            sum(wl[p] for p in free_l),
            sum(load[p] for p in free_l),
            sum(med[p] for p in free_l),
            sum(wc[p] for p in free_l),
            tuple(sorted(dr[p] for p in free_l)),
        )
        k = keys_f.setdefault((stops.tobytes(), sig, req), len(fam_items))
        if k == len(fam_items):
            fam_items.append([])
            allowed.append(stops)
            required.append(req)
        fam_items[k].append(tuple(free_l))
    for lst in fam_items:
        lst.sort()
    if fam_items:
        fu = _unit_arrays(inst, fam_items)
        u = {k: np.concatenate([u[k], fu[k]]) for k in u}
        levels = np.concatenate([levels, np.zeros((len(fam_items), 6), dtype=np.int64)])
        single_draft = np.concatenate([single_draft, np.full(len(fam_items), -2, dtype=np.int64)])
    items.extend(fam_items)
    split = np.arange(len(items)) < n_s
    # early coefficient in tenths of weight: split units use their mean weight
    mean10 = np.where(split, (10 * (levels * np.arange(6)).sum(axis=1)) // np.maximum(u["u_mult"], 1), 0)
    cols = _columns(
        inst,
        u,
        allowed,
        items,
        early10=np.where(split, mean10, 10 * u["u_weight"]),
        single_draft=single_draft,
    )
    return Layout(
        inst=inst,
        u_required=np.array(required, dtype=bool),
        u_items=items,
        u_levels=levels,
        links=[],
        **u,
        **cols,
    )


def naive_layout(inst: Instance) -> Layout:
    """One unit per unfrozen person, 0/1 columns, family members linked stop by stop."""
    fam_members, fam_allowed, fam_required = _family_parts(inst)
    allowed: dict[int, np.ndarray] = {}
    req: dict[int, bool] = {}
    fam_of: dict[int, int] = {}
    for k, (free, stops, r) in enumerate(zip(fam_members, fam_allowed, fam_required, strict=True)):
        for p in free.tolist():
            allowed[p], req[p], fam_of[p] = stops, r, k
    people = [
        p for p in range(inst.person_id.size) if inst.frozen[p] < 0 and (p in allowed or inst.family[p] < 0)
    ]
    items: list[list[tuple[int, ...]]] = [[(p,)] for p in people]
    u = _unit_arrays(inst, items) if items else _empty_units()
    # a member's column must fit the whole family, else the family could not go there
    fit = dict(u)
    for name, arr in (
        ("u_seats", None),
        ("u_escort", inst.load),
        ("u_medical", inst.medical),
        ("u_wheelchair", inst.wheelchair),
    ):
        vals = fit[name].copy()
        for i, p in enumerate(people):
            if p in fam_of:
                free = fam_members[fam_of[p]]
                vals[i] = free.size if arr is None else int(arr[free].sum())
        fit[name] = vals
    stops_per = [allowed.get(p, inst.eligible[p]) for p in people]
    cols = _columns(inst, u, stops_per, items, fit, single_draft=inst.draft[np.array(people, dtype=np.int64)])
    cols["c_ub"] = np.minimum(cols["c_ub"], 1)
    links: list[np.ndarray] = []
    unit_of = {p: i for i, p in enumerate(people)}
    by_unit_stop = {
        (int(a), int(b)): j for j, (a, b) in enumerate(zip(cols["c_unit"], cols["c_stop"], strict=True))
    }
    for free in fam_members:
        if free.size < 2:
            continue
        lead = unit_of[int(free[0])]
        for j in np.flatnonzero(cols["c_unit"] == lead).tolist():
            s = int(cols["c_stop"][j])
            links.append(
                np.array([by_unit_stop[(unit_of[int(p)], s)] for p in free.tolist()], dtype=np.int64)
            )
    return Layout(
        inst=inst,
        u_required=np.array([req.get(p, False) for p in people], dtype=bool),
        u_items=items,
        u_levels=np.zeros((len(items), 6), dtype=np.int64),
        links=links,
        **u,
        **cols,
    )


def _empty_units() -> dict[str, np.ndarray]:
    z = np.zeros(0, dtype=np.int64)
    return {
        k: z for k in ("u_mult", "u_seats", "u_escort", "u_medical", "u_wheelchair", "u_weight", "u_drop")
    }
