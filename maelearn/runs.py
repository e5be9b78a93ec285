"""The run folder (``--out``): nothing lost, nothing mixed.

A run folder holds one run (``checkpoint.pt``, ``history.json``, ``summary.json``, a
figure). :class:`RunFolder` refuses a folder holding a run unless it is resumed
(``--resume``) or replaced (``--overwrite``), and keeps other processes out with a
``.lock``. On resume :func:`check_resume` refuses any changed setting but
:data:`MAY_CHANGE`, naming the field; :func:`segments` records the changes.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maelearn.checkpoint import CHECKPOINT_NAME, atomic_write
from maelearn.cli import UsageError, require_writable_folder

LOCK_NAME = ".lock"
#: The files of a finished (or started) run; their presence means "this folder holds a run".
RUN_FILES = (CHECKPOINT_NAME, "history.json", "summary.json", "reconstructions.png")
#: Settings that may differ between a run and its resumption, and why.
MAY_CHANGE = {
    "epochs": "extends the schedule: the cosine is recomputed over the new length, so the lr rises again",
    "threads": "CPU threads change speed, not results",
    "device": "where the run computes (results match up to floating-point order)",
    "num_workers": "data-loading processes; each item's augmentation is seeded, so results do not change",
    "data_root": "where the same named set (cifar10, stl10) is read from",
    "download": "whether a missing named set may be fetched",
}
#: Temporary files of a checkpoint save (:func:`~maelearn.checkpoint.atomic_write`).
ORPHAN_GLOB = f".{CHECKPOINT_NAME}.*.tmp"


def _start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, Linux's /proc), or ``None``
    where that cannot be read: with the pid it tells a reused pid from the lock's owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat[stat.rindex(")") + 2:].split()[19])  # field 22, after "pid (comm) "
    except (OSError, ValueError, IndexError):
        return None


def _owner_alive(owner: dict) -> bool:
    """Whether the lock's owner still runs: its pid exists and, where both are known, it
    started when the lock says (a pid reused by an unrelated process is not the owner)."""
    pid = owner["pid"]
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:  # exists, owned by someone else
        pass
    except OSError:  # ProcessLookupError: no such process
        return False
    started, now = owner.get("started"), _start_time(pid)
    return started is None or now is None or started == now


def read_lock(path: Path) -> dict | None:
    """The lock's contents (``pid``, ``host``, ``started``), or ``None`` if unreadable/garbled."""
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None
    except (OSError, ValueError):
        return None


@dataclass
class RunFolder:
    """The folder ``path`` of a run about to write there, used as ``with RunFolder(out,
    resume=..., overwrite=...) as run:``. Entering proves the folder writable (with
    ``need_bytes`` free), takes the lock, refuses to reuse a run (``--overwrite`` deletes
    its files, listed in ``removed``) and removes the temporary files of an interrupted
    save (``orphans``); leaving releases the lock. ``flag`` names the option in messages."""

    path: Path
    resume: bool = False
    overwrite: bool = False
    flag: str = "--out"
    need_bytes: int = 0
    removed: list[str] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    _locked: bool = False

    def __post_init__(self):
        if isinstance(self.path, str) and not self.path.strip():
            raise UsageError(f"{self.flag} must name a folder, got ''")
        self.path = Path(self.path)
        self.lock_path = self.path / LOCK_NAME
        if self.resume and self.overwrite:
            raise UsageError("--resume and --overwrite contradict each other: resume continues the run in "
                             f"{self.path}, overwrite replaces it; pick one")

    def existing_run(self) -> list[str]:
        """The run files already in the folder (empty if none)."""
        return [name for name in RUN_FILES if (self.path / name).exists()]

    def check_writable(self) -> None:
        """Create the folder and prove it can be written, before any training: a file in the
        way, a read-only mount, missing permission and a full disk (less free space than
        ``need_bytes``) each raise an error naming the path."""
        p = self.path
        if p.exists() and not p.is_dir():
            raise UsageError(f"{self.flag} {p} is a file, not a folder; choose a folder for the run")
        base = next((parent for parent in p.parents if parent.exists()), None)
        if base is not None and not base.is_dir():
            raise UsageError(f"{self.flag} {p}: {base} is a file, not a folder")
        p.mkdir(parents=True, exist_ok=True)  # OSError (EROFS, EACCES, ENOSPC) names the path
        try:
            fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=p)
            try:
                os.write(fd, b"x" * 4096)
                os.fsync(fd)
            finally:
                os.close(fd)
                os.unlink(probe)
        except OSError as err:
            raise OSError(err.errno, err.strerror, str(p)) from None
        free = shutil.disk_usage(p).free
        if self.need_bytes and free < self.need_bytes:
            raise OSError(errno.ENOSPC, "disk full",
                          f"{p} (the run needs about {self.need_bytes / 2**20:.0f} MiB, {free / 2**20:.0f} MiB free)")

    def acquire(self) -> None:
        """Take the folder's lock or refuse: a live owner is an error naming its pid; a dead
        owner's lock (killed run) or a garbled one is stale and replaced."""
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": _start_time(os.getpid())}
        for _ in range(3):
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = read_lock(self.lock_path)
                if owner is not None and owner.get("host") != me["host"]:
                    raise UsageError(
                        f"{self.flag} {self.path} is locked by pid {owner['pid']} on host {owner.get('host')!r} "
                        f"({self.lock_path}); if that run is gone, delete the lock file"
                    ) from None
                if owner is not None and owner["pid"] != me["pid"] and _owner_alive(owner):
                    raise UsageError(
                        f"{self.flag} {self.path} is in use by another run (pid {owner['pid']}, lock {self.lock_path}); "
                        f"wait for it to finish or choose another {self.flag}"
                    ) from None
                stale = self.lock_path.with_name(f"{LOCK_NAME}.stale.{os.getpid()}")
                try:  # moved aside atomically: of two processes replacing it, one wins
                    os.replace(self.lock_path, stale)
                    stale.unlink()
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self._locked = True
            return
        raise UsageError(f"could not take the lock {self.lock_path}: other runs keep taking it")

    def release(self) -> None:
        owner = read_lock(self.lock_path) if self._locked else None
        if owner is not None and owner.get("pid") == os.getpid():
            self.lock_path.unlink(missing_ok=True)
        self._locked = False

    def __enter__(self) -> RunFolder:
        self.check_writable()
        self.acquire()
        try:
            found = self.existing_run()
            if found and not self.resume:
                if not self.overwrite:
                    raise UsageError(
                        f"{self.flag} {self.path} already holds a run ({', '.join(found)}); add --resume to continue "
                        f"it, --overwrite to replace it, or choose another {self.flag}")
                for name in found:  # nothing of the old run survives into the new one
                    (self.path / name).unlink()
                self.removed.extend(found)
            for tmp in self.path.glob(ORPHAN_GLOB):
                try:
                    tmp.unlink()
                    self.orphans.append(tmp)
                except OSError:
                    pass
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def check_resume(saved: dict, current: dict, where: str) -> dict[str, tuple[Any, Any]]:
    """Compare the settings a checkpoint was written with (``saved``) and those of the command
    resuming it (``current``). Any difference outside :data:`MAY_CHANGE` is refused with a
    ``UsageError`` naming every differing field (``mask_ratio: checkpoint 0.75, command
    line 0.5``). Returns the allowed changes ``{field: (checkpoint, now)}`` for the record.
    Fields absent from ``saved`` (older checkpoints) are not compared."""
    bad, allowed = [], {}
    for key in sorted(current.keys() & saved.keys()):
        a, b = saved[key], current[key]
        if a == b or (isinstance(a, float) and isinstance(b, (int, float)) and float(b) == a):
            continue
        if key in MAY_CHANGE:
            allowed[key] = (a, b)
        else:
            bad.append(f"{key}: checkpoint {a!r}, command line {b!r}")
    if bad:
        raise UsageError(
            f"cannot resume {where} with different settings ({'; '.join(bad)}); rerun with the checkpoint's "
            f"values, or start a new run (another --out, or --overwrite). Only {', '.join(MAY_CHANGE)} may change."
        )
    return allowed


def check_destination(path: str | Path, *, overwrite: bool = False, folder: bool = False, flag: str = "OUT",
                      what: str = "", example: str = CHECKPOINT_NAME) -> Path:
    """Before writing anything, refuse ``path`` as the destination of a file (``folder=True``:
    a folder, e.g. a Hugging Face model) with a ``UsageError`` naming ``flag``, the path and
    what was expected: something of the other type is there, a file (a non-empty folder) is
    there without ``overwrite``, or the nearest existing folder takes no new files. ``what``
    names the thing written; ``example`` is the file name suggested inside a folder given
    for a file. Creates nothing that stays."""
    path = Path(path)
    what = what or ("a folder" if folder else "a file")
    shown = f"{flag} {path}"
    if path.is_dir():
        if not folder:
            raise UsageError(f"{shown} is a folder; expected the path of {what} (e.g. {path / example})")
        found = sorted(p.name for p in path.iterdir())
        if found and not overwrite:
            listed = ", ".join(found[:4]) + (", ..." if len(found) > 4 else "")
            raise UsageError(f"{shown} already exists and holds {len(found)} file(s) ({listed}); add --overwrite "
                             "to write into it anyway, or choose another path")
    elif path.exists() or path.is_symlink():
        if folder:
            raise UsageError(f"{shown} is a file; expected a folder for {what} (a new path or an empty folder)")
        if not path.is_file():
            raise UsageError(f"{shown} exists and is not a regular file; expected the path of {what}")
        if not overwrite:
            raise UsageError(f"{shown} already exists; add --overwrite to replace it, or choose another path")
    base = next((parent for parent in path.parents if parent.exists()), Path("."))
    if not base.is_dir():
        raise UsageError(f"{shown}: {base} is a file, not a folder; expected a path inside a folder")
    require_writable_folder(base, shown)  # where the new file (or folder) will be made
    return path


def config_differences(saved: dict, current: dict) -> list[str]:
    """One ``"field: checkpoint A, now B"`` per field where two model configs differ (sorted),
    so a refusal names what changed instead of printing both dicts."""
    out = []
    for key in sorted(set(saved) | set(current)):
        a, b = saved.get(key, "<absent>"), current.get(key, "<absent>")
        if a != b:
            out.append(f"{key}: checkpoint {a!r}, now {b!r}")
    return out


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`~maelearn.checkpoint.atomic_write`):
    an interrupted write leaves the old file, never half of the new one."""
    return atomic_write(path, lambda f: f.write(text.encode()))


def segments(previous: list[dict] | None, start_epoch: int, epochs: int, changed: dict, **extra: Any) -> list[dict]:
    """The run's history of invocations for the summary: ``previous`` ones plus this one
    (``start_epoch``, the target ``epochs``, the ``changed`` settings and ``extra`` such as
    threads or device)."""
    entry = {"start_epoch": start_epoch, "epochs": epochs, **extra}
    if changed:
        entry["changed"] = {k: {"checkpoint": a, "now": b} for k, (a, b) in changed.items()}
    return [*(previous or []), entry]


__all__ = ["LOCK_NAME", "MAY_CHANGE", "RUN_FILES", "RunFolder", "check_destination", "check_resume", "config_differences",
           "read_lock", "segments", "write_text"]
