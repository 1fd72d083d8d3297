"""CSV readers and validators for rosters, verification lists, flight schedules and facilities."""
