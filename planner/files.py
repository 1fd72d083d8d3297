"""Files written whole or not at all, private to the account that runs the program.

``write_output`` is the only way the program writes an output file (PDF, PAXLST, CSV, export,
anchors): a reader (a person, a carrier's upload, a printer queue) never sees a half-written file,
a failed write leaves nothing behind, and the file is readable by its owner only (0600). The data
goes to a *fresh* temporary name in the target folder (``mkstemp``: created exclusively, never
following a symlink someone planted), is fsynced and renamed over the target. A target that exists
and is not a regular file (``/dev/null``, a FIFO, ``/dev/stdout``) is written into directly and
never replaced; a folder is refused (``InvalidInput``).

Backups and restores use ``locked_temporary`` for their temporary database copies: a recognisable
name (``.charter-backup-…`` / ``.charter-restore-…``) held under an exclusive lock while in use, so
``remove_stale_temporaries`` can delete what a killed run left behind without touching a copy
another run is still writing.

``restrict_new_files`` (umask 077) and ``tighten_modes`` keep the data folder 0700 and the
database, its ``-wal``/``-shm`` and the logs 0600; the entry points call them at start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from planner.domain.errors import InvalidInput

log = logging.getLogger(__name__)

#: Prefix of every temporary file the program creates beside a target.
TEMP_PREFIX = ".charter-"
#: Prefixes of the temporary database copies of backups and restores (cleaned up at start).
BACKUP_TEMP_PREFIX = f"{TEMP_PREFIX}backup-"
RESTORE_TEMP_PREFIX = f"{TEMP_PREFIX}restore-"
TEMP_SUFFIX = ".tmp"
#: Files beside an SQLite database file that hold part of its content.
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600

try:  # POSIX: advisory locks tell a running backup's temporary file from a killed one's
    import fcntl
except ImportError:  # pragma: no cover - Windows: an open file cannot be deleted anyway
    fcntl = None  # type: ignore[assignment]


# ---------------------------------------------------------------- output files


def output_target(path: str | Path) -> Path:
    """``path`` as an output target; ``InvalidInput`` (one line) when it is a folder or its
    folder does not exist."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise InvalidInput(f"{target} is a folder: give a file name to write")
    if not target.parent.is_dir():
        raise InvalidInput(f"{target.parent} is not a folder")
    return target


def _is_special(target: Path) -> bool:
    """True when ``target`` exists and is not a regular file (a device, FIFO, socket)."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def fsync_folder(folder: Path) -> None:
    """Make a rename or new file in ``folder`` durable (a no-op on Windows)."""
    if os.name == "nt":  # pragma: no cover - folders cannot be fsynced on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_output(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all, mode 0600, through a fresh temporary name
    in the target folder (see the module docstring); returns the target. A device or FIFO at
    ``path`` is written into directly; a folder raises ``InvalidInput``."""
    target = output_target(path)
    if _is_special(target):
        with target.open("wb") as stream:
            stream.write(data)
        return target
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    fsync_folder(target.parent)
    return target


# ---------------------------------------------------------------- backup / restore temporaries


def _lock(fd: int, *, wait: bool) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def remove_with_sidecars(path: Path) -> None:
    """Delete an SQLite file and its ``-wal``/``-shm``/``-journal`` (missing ones are fine)."""
    for p in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_SIDECARS)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


@contextmanager
def locked_temporary(folder: Path, prefix: str) -> Iterator[Path]:
    """A new empty file ``folder/<prefix>XXXX.tmp`` (0600), locked while the block runs; removed
    with its SQLite sidecars when the block fails. The caller renames it into place on success."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=TEMP_SUFFIX)
    temporary = Path(name)
    try:
        _lock(fd, wait=True)
        try:
            yield temporary
        except BaseException:
            remove_with_sidecars(temporary)
            raise
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: Path, prefixes: Iterable[str]) -> list[Path]:
    """Delete the temporary copies (and sidecars) a killed backup/restore left in ``folder``:
    regular files named ``<prefix>…`` that no running program holds locked. Returns them."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not any(entry.name.startswith(p) for p in prefixes) or not entry.name.endswith(TEMP_SUFFIX):
            continue
        try:
            if not stat.S_ISREG(entry.lstat().st_mode):
                continue
            fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if not _lock(fd, wait=False):
                continue  # another program is writing it right now
            remove_with_sidecars(entry)
            removed.append(entry)
        finally:
            os.close(fd)
    if removed:
        log.warning(
            "removed %d temporary copies left by an interrupted backup or restore in %s", len(removed), folder
        )
    return removed


# ---------------------------------------------------------------- modes


def restrict_new_files() -> None:
    """Files and folders the program creates from now on are its owner's only (umask 077)."""
    if os.name != "nt":
        os.umask(0o077)


def _tighten(path: Path, mode: int) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode) or stat.S_IMODE(st.st_mode) & ~mode & 0o777 == 0:
        return False
    try:
        path.chmod(stat.S_IMODE(st.st_mode) & mode)
    except OSError as exc:
        log.warning("could not make %s private: %s", path, exc)
        return False
    return True


def tighten_modes(data_dir: Path, database: Path | None) -> list[Path]:
    """Make an existing data folder 0700 and the database (with its sidecars) and the logs in the
    data folder 0600; logs one line when it changed anything. Returns what it changed."""
    if os.name == "nt":  # pragma: no cover - Windows uses ACLs, not modes
        return []
    changed: list[Path] = []
    if data_dir.is_dir():
        if _tighten(data_dir, PRIVATE_FOLDER):
            changed.append(data_dir)
        changed += [p for p in sorted(data_dir.glob("*.log*")) if _tighten(p, PRIVATE_FILE)]
    if database is not None:
        for p in (database, *(Path(f"{database}{suffix}") for suffix in SQLITE_SIDECARS)):
            if _tighten(p, PRIVATE_FILE):
                changed.append(p)
    if changed:
        log.warning(
            "made private (owner only): %s",
            ", ".join(str(p) for p in changed[:5])
            + (f" and {len(changed) - 5} more" if len(changed) > 5 else ""),
        )
    return changed


__all__ = [
    "BACKUP_TEMP_PREFIX",
    "RESTORE_TEMP_PREFIX",
    "TEMP_PREFIX",
    "locked_temporary",
    "output_target",
    "remove_stale_temporaries",
    "remove_with_sidecars",
    "restrict_new_files",
    "tighten_modes",
    "write_output",
]
