"""Files written whole or not at all: a reader (a person, a carrier's upload, a printer queue)
never sees a half-written PDF, PAXLST or export, and a failed write leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_whole(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block succeeds it replaces ``path`` in one
    rename, when it fails the temporary file is removed and ``path`` is untouched."""
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        yield partial
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def write_whole(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all."""
    with replaced_whole(path) as partial:
        partial.write_bytes(data)
