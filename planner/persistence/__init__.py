"""Persistence: tables, engine, unit of work, bulk writes, locks, migrations, the audit chain."""
