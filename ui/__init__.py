"""PySide6 windows, table models and workers. Calls planner services only."""
