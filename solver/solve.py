"""Top level: compile, lay out, decompose, solve each component, disaggregate into person → stop."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from solver import objective
from solver.callbacks import Progress, ShouldStop
from solver.compile import Instance, Layout, aggregated_layout, compile_problem, naive_layout
from solver.cpsat import AssignmentModel, ComponentResult
from solver.naive import NaiveAssignmentModel
from solver.pickups import choose_pickups
from solver.problem import Plan, Problem, SolveOptions, SolveStatus

log = logging.getLogger(__name__)


def disaggregate(layout: Layout, values: np.ndarray, stop_of: np.ndarray) -> None:
    """Write person → stop index into ``stop_of`` for the column ``values`` of ``layout``.

    Items of a unit are interchangeable (same eligibility, needs, priority and draft stop), so they are
    dealt out in their deterministic order (person index) to the unit's columns in column order
    (earliest departure first)."""
    cu = layout.c_unit
    if cu.size == 0:
        return
    bounds = np.flatnonzero(np.r_[True, cu[1:] != cu[:-1], True])
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        items = layout.u_items[int(cu[a])]
        k = 0
        for j in range(a, b):
            n = int(values[j])
            for item in items[k : k + n]:
                stop_of[list(item)] = layout.c_stop[j]
            k += n


def _status(results: list[ComponentResult], stopped: bool) -> SolveStatus:
    """``OPTIMAL`` when the primary objective is proven optimal in every component (nobody more could
    be placed, priority-weighted) and the run was not stopped; how far the tie-breakers (moves,
    earliness) got is reported separately (``Plan.stats``)."""
    if any(r.infeasible for r in results):
        return SolveStatus.INFEASIBLE
    if not all(r.feasible for r in results):
        return SolveStatus.UNKNOWN
    if all(r.primary_optimal for r in results) and not stopped:
        return SolveStatus.OPTIMAL
    return SolveStatus.FEASIBLE


#: Wall seconds per person kept from the time limit for writing out the plan after the searches.
FINISH_SECONDS_PER_PERSON = 5e-6

#: Share of the progress bar for the primary stage (the later stages fill the rest).
PRIMARY_PROGRESS = 0.9


def solve_layouts(
    inst: Instance,
    layouts: list[Layout],
    options: SolveOptions,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    started: float | None = None,
    seconds: dict[str, float] | None = None,
) -> tuple[np.ndarray, list[ComponentResult], bool]:
    """Solve independent layouts within ``options.time_limit`` (from ``started``), lexicographically
    across them: the LP relaxation of every layout, then the primary stage of every layout (each a share
    of the time left in proportion to its columns, time it does not use passes on), then stage 2 (moves)
    of every layout, then stage 3 (earliness), smallest layouts first, together within ``stage_share`` of
    the time left.  So no component's tie-breaker takes time another component needs to place people,
    nor its earliness time another's moves need.
    Returns (stop index per person or −1, results, stopped); ``seconds`` (if given) receives the wall
    seconds per phase summed over the layouts (``relax``, ``primary``, ``stages``)."""
    t0 = time.monotonic() if started is None else started
    # the searches end early enough for the plan to be written out within the time limit
    finish = min(FINISH_SECONDS_PER_PERSON * inst.person_id.size, 0.1 * options.time_limit)
    deadline = t0 + options.time_limit - finish
    stop_of = np.where(inst.frozen >= 0, inst.frozen, -1)
    frozen_weight = int(inst.weight[inst.frozen >= 0].sum())
    trivial = [lay.max_primary() for lay in layouts]
    sizes = [max(lay.n_columns, 1) for lay in layouts]
    remaining = sum(sizes)
    done_obj, done_bound, done_size = frozen_weight, frozen_weight, 0
    total = max(sum(sizes), 1)
    results: list[ComponentResult | None] = [None] * len(layouts)
    lock = threading.Lock()
    cancelled = False
    model_cls = AssignmentModel if options.aggregate else NaiveAssignmentModel
    models = [model_cls(lay, options) for lay in layouts]
    if options.aggregate:  # every component's LP first: the bounds and LP plans before any search
        for model in models:
            if should_stop is not None and should_stop():
                break
            model.relax(deadline)
    for i, lay in enumerate(layouts):
        if cancelled or (should_stop is not None and should_stop()):
            cancelled = True
            results[i] = _skipped(lay, trivial[i])
        else:
            now = time.monotonic()
            share = (deadline - now) * sizes[i] / remaining
            comp_deadline = now + max(share, min(0.5, deadline - now))
            rest_bound = sum(trivial[i + 1 :])
            state: dict[str, float] = {"obj": 0.0, "bound": float(trivial[i])}

            def report(
                stage: int,
                obj: float | None,
                bound: float | None,
                i: int = i,
                rest: int = rest_bound,
                base_obj: int = done_obj,
                base_bound: int = done_bound,
                base_size: int = done_size,
                state: dict[str, float] = state,
            ) -> None:
                if progress is None or stage != 1:
                    return
                with lock:
                    if obj is not None:
                        state["obj"] = obj
                    if bound is not None:
                        state["bound"] = bound
                    best = base_obj + state["obj"]
                    upper = base_bound + state["bound"] + rest
                    inner = state["obj"] / state["bound"] if state["bound"] > 0 else 1.0
                    frac = PRIMARY_PROGRESS * (base_size + sizes[i] * min(inner, 1.0)) / total
                progress(frac, f"component {i + 1}/{len(layouts)}: best {best:.0f}, bound {upper:.0f}")

            primary = models[i].solve_primary(comp_deadline, report, should_stop, lp_deadline=deadline)
            results[i] = primary
            cancelled = cancelled or primary.stopped
            log.debug(
                "component %d/%d (%d columns): primary %d / %d, moves %d in %.2fs",
                i + 1,
                len(layouts),
                lay.n_columns,
                primary.primary,
                primary.bound,
                primary.moves,
                time.monotonic() - t0,
            )
        res = results[i]
        assert res is not None
        remaining -= sizes[i]
        done_obj += res.primary
        done_bound += res.bound
        done_size += sizes[i]
        if progress is not None:
            progress(
                PRIMARY_PROGRESS * done_size / total,
                f"component {i + 1}/{len(layouts)} done: best {done_obj}, bound "
                f"{done_bound + sum(trivial[i + 1 :])}",
            )
    # stages 2 and 3 within stage_share of the time left: every component's moves before any component's
    # earliness, smallest components first (quick to settle); each step is bounded by its own work, so a
    # run whose stages end before that deadline gives the same plan every time
    now = time.monotonic()
    stage_deadline = now + options.stage_share * max(deadline - now, 0.0)
    by_size = sorted(range(len(models)), key=lambda i: (sizes[i], i))
    work = [(stage, i) for stage in (2, 3) for i in by_size if stage in models[i].stages]
    for k, (stage, i) in enumerate(work):
        if cancelled or (should_stop is not None and should_stop()):
            cancelled = True
            break
        models[i].solve_stage(stage, stage_deadline, None, should_stop)
        res = results[i] = models[i].result()
        cancelled = cancelled or res.stopped
        log.debug(
            "component %d/%d stage %d: moves %d (≥ %d), earliness %d (≥ %d), settled %s",
            i + 1,
            len(layouts),
            stage,
            res.moves,
            res.moves_bound,
            res.earliness,
            res.earliness_bound,
            res.all_optimal,
        )
        if progress is not None:
            progress(
                PRIMARY_PROGRESS + (1 - PRIMARY_PROGRESS) * (k + 1) / len(work),
                f"{'fewest moves' if stage == 2 else 'earliest flights'}: component {i + 1}/{len(layouts)}",
            )
    final: list[ComponentResult] = []
    for lay, res in zip(layouts, results, strict=True):
        assert res is not None
        final.append(res)
        if res.feasible:
            disaggregate(lay, res.values, stop_of)
    if seconds is not None:
        for model in models:
            for key, value in getattr(model, "seconds", {}).items():
                seconds[key] = seconds.get(key, 0.0) + value
    return stop_of, final, cancelled


def _skipped(lay: Layout, trivial: int) -> ComponentResult:
    zeros = np.zeros(lay.n_columns, dtype=np.int64)
    p, m, e = objective.evaluate(lay, zeros)
    return ComponentResult(zeros, p, trivial, m, e, False, False, not lay.u_required.any(), True)


def solve(
    problem: Problem,
    options: SolveOptions | None = None,
    *,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> Plan:
    """Place people on stops (see :mod:`solver.problem` for the rules and objectives).

    ``progress(fraction, message)`` is called as the search improves, the message giving the best primary
    objective and bound so far; ``should_stop()`` is polled (every 50 ms) and, once true, the search
    stops and the best plan found so far is returned with ``stopped=True`` and its proven gap.  The
    aggregated model is decomposed into independent components (connected through shared flights);
    the naive model (``aggregate=False``) is solved as one model.

    Contract: the returned plan satisfies :func:`solver.validate.validate` unless ``status`` is
    ``INFEASIBLE`` / ``UNKNOWN`` (required family members that cannot join their frozen members), in which
    case only frozen people are placed. ``Plan.pickup`` is filled by
    :func:`solver.pickups.choose_pickups` (rule 7 holds when every eligible stop's flight has a
    pickup the person's facility reaches, as the planner's eligibility ensures)."""
    options = options or SolveOptions()
    t0 = time.monotonic()
    inst = compile_problem(problem)
    layout = aggregated_layout(inst) if options.aggregate else naive_layout(inst)
    layouts = layout.components() if options.aggregate else [layout]
    build = time.monotonic() - t0
    log.info(
        "built %d units, %d columns, %d component(s) in %.2fs",
        layout.n_units,
        layout.n_columns,
        len(layouts),
        build,
    )
    phase: dict[str, float] = {}
    stop_of, results, stopped = solve_layouts(inst, layouts, options, progress, should_stop, t0, phase)
    status = _status(results, stopped)
    if status in (SolveStatus.INFEASIBLE, SolveStatus.UNKNOWN):
        stop_of = np.where(inst.frozen >= 0, inst.frozen, -1)
    prim, mv, early = objective.plan_metrics(inst, stop_of)
    bound = int(inst.weight[inst.frozen >= 0].sum()) + sum(r.bound for r in results)
    bound = max(bound, prim)
    placed = np.flatnonzero(stop_of >= 0)
    assignment = dict(
        zip(inst.person_id[placed].tolist(), inst.stop_id[stop_of[placed]].tolist(), strict=True)
    )
    seconds = time.monotonic() - t0
    # the tie-breakers' proven bounds (moves outside every component, e.g. of people no longer eligible
    # anywhere, are the same in every plan); earliness in model units (see solver.objective), relative
    moves_bound, early_gap = 0, 1.0  # nothing proven (only frozen people are placed)
    if status not in (SolveStatus.INFEASIBLE, SolveStatus.UNKNOWN):
        moves_bound = max(mv - sum(r.moves - r.moves_bound for r in results), 0)
        early_model = sum(r.earliness for r in results)
        early_gap = sum(r.earliness - r.earliness_bound for r in results) / max(early_model, 1)
    plan = Plan(
        assignment=assignment,
        status=status,
        objective=prim,
        bound=bound,
        gap=(bound - prim) / max(bound, 1),
        moves=mv,
        earliness=early,
        seconds=seconds,
        stopped=stopped,
        messages=list(inst.messages),
        stats={
            "build_seconds": build,
            "solve_seconds": seconds - build,
            "units": layout.n_units,
            "columns": layout.n_columns,
            "components": len(layouts),
            "relax_seconds": phase.get("relax", 0.0),
            "primary_seconds": phase.get("primary", 0.0),
            "stages_seconds": phase.get("stages", 0.0),
            "moves_bound": moves_bound,
            "earliness_gap": early_gap,
        },
        pickup=choose_pickups(problem, assignment),
    )
    log.info(
        "plan %s: objective %d, bound %d, gap %.4f%%, moves %d (≥ %d), earliness gap %.3f%% in %.2fs",
        status,
        prim,
        bound,
        100 * plan.gap,
        mv,
        moves_bound,
        100 * early_gap,
        seconds,
    )
    return plan
