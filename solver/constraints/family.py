"""Families travel whole on one stop or not at all.

In the aggregated layout a family is a single item, so this holds by construction; in the naive
layout the members' columns at each stop are ``links`` that must be equal (together with
:mod:`solver.constraints.assignment` this puts all members on the same stop or none)."""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from solver.compile import Layout


def add(model: cp_model.CpModel, layout: Layout, x: Sequence[cp_model.IntVar]) -> None:
    """``x[link[0]] == x[link[i]]`` for every link."""
    for link in layout.links:
        lead = x[int(link[0])]
        for j in link[1:].tolist():
            model.add(x[j] == lead)
