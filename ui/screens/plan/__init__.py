"""The Plan screen (``PlanScreen``): run the planner and review stored runs. A package of small
parts: ``screen`` (the screen, its keys and actions), ``tabs`` (building the tab pages),
``running`` (a plan run), ``results`` (showing a stored run), ``advice`` (consolidation advice),
``widgets`` (table models and the explanation dialog) and ``base`` (what the parts share)."""

from ui.screens.plan.base import RUN_PLAN_KEYS
from ui.screens.plan.screen import PlanScreen
from ui.screens.plan.widgets import ExplanationDialog, LoadFactorDelegate

__all__ = ["RUN_PLAN_KEYS", "ExplanationDialog", "LoadFactorDelegate", "PlanScreen"]
