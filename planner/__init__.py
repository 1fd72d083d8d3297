"""Charter Planner core: domain, persistence and services. Never imports Qt."""

__version__ = "0.1.0"
