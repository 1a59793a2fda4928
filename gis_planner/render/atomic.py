"""Replace a set of outputs in a folder as a whole: the old set or the new one, never a mix.

A run writes about ten files into its folder (``communities.geojson`` … ``map.html``), the
bureau export two entries (``bureau/`` and ``bureau.zip``). They are written into a staging
folder beside them and then *committed* as one set by :func:`staged_set`:

1. a journal ``.gis-planner-commit.json`` is written (atomically, by rename) naming the old
   entries, the new ones, the staging and a backup folder;
2. the old entries of the set are renamed into the backup folder, then the new ones from the
   staging folder into place;
3. the journal is removed — this is the commit point — and backup and staging are deleted.

An error or an interrupt during step 2 rolls the folder back to the old set at once; a process
killed during step 2 leaves the journal, and the next command that writes to (or reads from)
the folder rolls back first (:func:`recover`), then removes leftover staging folders. Only
entries of the set are touched: other files in the folder are never moved or deleted.

Written by hand because no maintained library commits a *set* of files (``os.replace`` is
atomic for one entry; ``atomicwrites``-style packages handle one file).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

JOURNAL = ".gis-planner-commit.json"
STAGE_PREFIX = ".staging-"
BACKUP_PREFIX = ".backup-"


class FolderBusyError(RuntimeError):
    """Another gis-planner process is writing to the same output folder."""


def _move(source: Path, destination: Path) -> None:
    """One rename; the single place where entries move (tests inject failures here)."""
    os.replace(source, destination)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _write_journal(folder: Path, journal: dict[str, Any]) -> None:
    tmp = folder / f"{JOURNAL}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(journal, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / JOURNAL)


def _rollback(folder: Path, journal: dict[str, Any]) -> None:
    """Undo a commit described by ``journal``; safe to repeat after an interrupt."""
    stage, backup = folder / journal["stage"], folder / journal["backup"]
    old = set(journal["old"])
    for name in journal["new"]:
        # the entry in place is the new one when it left the staging folder and either was
        # not in the old set or the old one is still in the backup
        moved_in = not _exists(stage / name) and (name not in old or _exists(backup / name))
        if moved_in and _exists(folder / name):
            _remove(folder / name)
    for name in journal["old"]:
        if _exists(backup / name) and not _exists(folder / name):
            _move(backup / name, folder / name)
    (folder / JOURNAL).unlink(missing_ok=True)
    for leftover in (stage, backup):
        if leftover.exists():
            shutil.rmtree(leftover, ignore_errors=True)


def recover(folder: str | Path) -> list[str]:
    """Roll back an interrupted commit in ``folder`` and remove leftover staging folders.

    Returns what was done, one line each (empty when the folder was clean). Call it only while
    holding the folder's lock (:func:`staged_set` does), so that no live staging is removed.
    """
    folder = Path(folder)
    done: list[str] = []
    journal_path = folder / JOURNAL
    if journal_path.is_file():
        try:
            journal = json.loads(journal_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            journal = None
        if isinstance(journal, dict) and {"stage", "backup", "old", "new"} <= set(journal):
            _rollback(folder, journal)
            done.append(f"rolled back an interrupted commit of {', '.join(journal['new'])}")
        else:  # a journal cut short by a crash while it was written: nothing had moved yet
            journal_path.unlink()
            done.append("removed an unfinished commit journal")
    (folder / f"{JOURNAL}.tmp").unlink(missing_ok=True)
    for leftover in sorted(folder.glob(f"{STAGE_PREFIX}*")) + sorted(
        folder.glob(f"{BACKUP_PREFIX}*")
    ):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
            done.append(f"removed {leftover.name}")
    for line in done:
        log.info("%s: %s", folder, line)
    return done


def settle(folder: str | Path) -> list[str]:
    """Before reading ``folder`` back (a run folder to export): roll back a commit that was
    interrupted there (:func:`recover`), holding the folder's lock while doing so.

    Nothing happens (and no lock is taken) when the folder holds no commit journal. Returns
    what was done, one line each.

    Raises
    ------
    FolderBusyError
        Another gis-planner process is writing to ``folder``.
    """
    folder = Path(folder)
    if not (folder / JOURNAL).exists():
        return []
    with locked(folder):
        return recover(folder)


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``folder`` itself (POSIX ``flock`` on the directory, so
    no lock file is left behind); elsewhere none."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock, commits are still rolled back
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            raise FolderBusyError(str(folder)) from err
        yield
    finally:
        os.close(fd)  # closing releases the lock


def commit(
    folder: Path,
    stage: Path,
    *,
    owned: Iterable[str],
    move: Callable[[Path, Path], None] | None = None,
) -> list[str]:
    """Replace the entries ``owned`` of ``folder`` by the entries of ``stage``, as one set.

    Every entry of ``stage`` must be one of ``owned``. Old entries of ``owned`` that the new set
    does not have are removed too (they would describe another run). Returns the new names.
    """
    owned = set(owned)
    new = sorted(p.name for p in stage.iterdir())
    unexpected = [n for n in new if n not in owned]
    if unexpected:
        raise ValueError(f"staged entries outside the set: {', '.join(unexpected)}")
    old = sorted(n for n in owned if _exists(folder / n))
    backup = Path(tempfile.mkdtemp(prefix=BACKUP_PREFIX, dir=folder))
    journal = {"stage": stage.name, "backup": backup.name, "old": old, "new": new}
    _write_journal(folder, journal)
    try:
        for name in old:
            _move(folder / name, backup / name)
        for name in new:
            _move(stage / name, folder / name)
    except BaseException:
        _rollback(folder, journal)
        raise
    (folder / JOURNAL).unlink()  # the commit point
    shutil.rmtree(backup, ignore_errors=True)
    return new


@contextlib.contextmanager
def staged_set(folder: str | Path, *, owned: Iterable[str]) -> Iterator[Path]:
    """Yield an empty staging folder inside ``folder``; on success commit it (:func:`commit`).

    ``folder`` is created if needed and locked for the duration; an earlier interrupted commit
    is rolled back first. On an exception nothing in ``folder`` changes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with staged_set(out, owned={"a.txt", "b.txt"}) as stage:
    ...     _ = (stage / "a.txt").write_text("new")
    >>> sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    ['a.txt']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    owned = tuple(owned)
    with locked(folder):
        recover(folder)
        stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=folder))
        try:
            yield stage
            commit(folder, stage, owned=owned)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
