"""One small module per rule.  Every ``add`` takes the CP-SAT model, a :class:`~solver.compile.Layout`
and the column variables ``x`` (one per column) and adds that rule's constraints."""

from solver.constraints import assignment, country_cap, escort, family, required, seats, slots

ALL = (assignment, family, required, seats, escort, slots, country_cap)

__all__ = ["ALL", "assignment", "country_cap", "escort", "family", "required", "seats", "slots"]
