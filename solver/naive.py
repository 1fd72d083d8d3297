"""The naive model: one Boolean per (person, eligible stop) pair, families linked member by member.

Same constraints and objectives as the aggregated model (it reuses every constraint module on the
:func:`~solver.compile.naive_layout`); it exists for comparison (benchmark) and as an independent-ish
exact reference in property tests.  Use it through ``solve(problem, SolveOptions(aggregate=False))``.
"""

from __future__ import annotations

from solver.cpsat import AssignmentModel


class NaiveAssignmentModel(AssignmentModel):
    """:class:`AssignmentModel` with Boolean variables (the naive layout has ``c_ub ≤ 1``)."""

    def _add_variables(self) -> None:
        new = self.model.new_bool_var
        self.x = [new("") for _ in range(self.layout.n_columns)]
