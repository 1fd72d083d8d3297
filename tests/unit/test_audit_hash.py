"""The audit chain's text and hash of an event are fixed: a stored chain (and the PostgreSQL append
function, which hashes the same way) must keep verifying after any speed-up of the appender."""

from __future__ import annotations

from datetime import UTC, date, datetime

from planner.persistence.audit import canonical_json, event_hash

CHANGES = {
    "b": [None, date(2024, 2, 29)],
    "a": [datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "é 张"],
    "s": {3, 1, 2},
    "t": (1, "x"),
    "o": 1.5,
}
#: Written by the appender before issue 18 (json.dumps with these options, fields hashed one by one).
JSON = '{"a":["2025-01-02T03:04:05.000006+00:00","é 张"],"b":[null,"2024-02-29"],"o":1.5,"s":[1,2,3],"t":[1,"x"]}'
HASH = "ad6219f1e87622d79ab86a6c17f2dd11318b2c1356bf2ddd4c3eafbd74dafc18"


def test_canonical_json_is_unchanged() -> None:
    assert canonical_json(CHANGES) == JSON


def test_event_hash_is_unchanged() -> None:
    digest = event_hash(
        event_id=42,
        occurred_at=datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),
        actor="admin",
        action="person.create",
        entity="person",
        entity_id="A300000001",
        changes_json=JSON,
        prev_hash="0" * 64,
    )
    assert digest == HASH
