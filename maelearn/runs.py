"""The run folder (``--out``): nothing lost, nothing mixed.

A run folder holds one run (``checkpoint.pt``, ``history.json``, ``summary.json``, a
figure). :class:`RunFolder` refuses a folder holding a run unless it is resumed
(``--resume``) or replaced (``--overwrite``, old files deleted first), keeps other processes
out with a ``.lock`` (a stale one is replaced), reports an unwritable folder before training
and removes a leftover ``.checkpoint.pt.*.tmp``. On resume :func:`check_resume` refuses any
changed setting but :data:`MAY_CHANGE`, naming the field; :func:`segments` records changes.
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

from maelearn.checkpoint import CHECKPOINT_NAME
from maelearn.cli import UsageError

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
ORPHAN_GLOB = f".{CHECKPOINT_NAME}.*.tmp"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def _start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, Linux's /proc), or ``None``
    where that cannot be read: with the pid it tells a reused pid from the lock's owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat[stat.rindex(")") + 2:].split()[19])  # field 22, after "pid (comm) "
    except (OSError, ValueError, IndexError):
        return None


def _owner_alive(owner: dict) -> bool:
    """Whether the lock's owner still runs: its pid is alive and, where both are known, it
    started when the lock says (a pid reused by an unrelated process is not the owner)."""
    if not _pid_alive(owner["pid"]):
        return False
    started, now = owner.get("started"), _start_time(owner["pid"])
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
    """The folder ``path`` of a run that is about to write there. Use as a context manager
    (``with RunFolder(out, resume=..., overwrite=...) as run:``): entering checks the path,
    takes the lock, refuses to reuse a finished run, removes orphan temporary files; leaving
    releases the lock. ``flag`` names the command-line option in messages."""

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
        if self.resume and self.overwrite:
            raise UsageError("--resume and --overwrite contradict each other: resume continues the run in "
                             f"{self.path}, overwrite replaces it; pick one")

    # -- checks ---------------------------------------------------------------------------

    def existing_run(self) -> list[str]:
        """The run files already in the folder (empty if none)."""
        return [name for name in RUN_FILES if (self.path / name).exists()]

    def check_writable(self) -> None:
        """Create the folder if needed and prove it can be written, before any training:
        a file in the way, a read-only mount, missing permission and a full disk (less free
        space than ``need_bytes``) each raise an error naming the path."""
        p = self.path
        if p.exists() and not p.is_dir():
            raise UsageError(f"{self.flag} {p} is a file, not a folder; choose a folder for the run")
        for parent in p.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise UsageError(f"{self.flag} {p}: {parent} is a file, not a folder")
                break
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

    def check_reuse(self) -> None:
        """Refuse a folder holding a run unless resuming or overwriting; on overwrite,
        delete the old run's files so nothing of it survives into the new one."""
        found = self.existing_run()
        if not found or self.resume:
            return
        if self.overwrite:
            for name in found:
                (self.path / name).unlink()
            self.removed.extend(found)
            return
        raise UsageError(
            f"{self.flag} {self.path} already holds a run ({', '.join(found)}); add --resume to continue it, "
            f"--overwrite to replace it, or choose another {self.flag}"
        )

    def clean_orphans(self) -> list[Path]:
        """Remove temporary checkpoint files left by an interrupted save; returns them."""
        gone = []
        for tmp in self.path.glob(ORPHAN_GLOB):
            try:
                tmp.unlink()
                gone.append(tmp)
            except OSError:
                pass
        return gone

    # -- the lock -------------------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK_NAME

    def acquire(self) -> None:
        """Take the folder's lock or refuse: a live owner is an error naming its pid; a dead
        owner's lock (killed run) is stale and replaced."""
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": _start_time(os.getpid())}
        for _ in range(3):
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = read_lock(self.lock_path)
                if owner is not None and owner.get("host") == me["host"] and _owner_alive(owner) \
                        and owner["pid"] != me["pid"]:
                    raise UsageError(
                        f"{self.flag} {self.path} is in use by another run (pid {owner['pid']}, lock {self.lock_path}); "
                        f"wait for it to finish or choose another {self.flag}"
                    ) from None
                if owner is not None and owner.get("host") != me["host"]:
                    raise UsageError(
                        f"{self.flag} {self.path} is locked by pid {owner['pid']} on host {owner.get('host')!r} "
                        f"({self.lock_path}); if that run is gone, delete the lock file"
                    ) from None
                # Stale (owner gone) or garbled: move it aside atomically, then retry.
                stale = self.lock_path.with_name(f"{LOCK_NAME}.stale.{os.getpid()}")
                try:
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
        if not self._locked:
            return
        owner = read_lock(self.lock_path)
        if owner is not None and owner.get("pid") == os.getpid():
            try:
                self.lock_path.unlink()
            except FileNotFoundError:
                pass
        self._locked = False

    def __enter__(self) -> "RunFolder":
        self.check_writable()
        self.acquire()
        try:
            self.check_reuse()
            self.orphans = self.clean_orphans()
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


# --- resume: the settings that define a run ----------------------------------------------------


def check_resume(saved: dict, current: dict, where: str) -> dict[str, tuple[Any, Any]]:
    """Compare the settings a checkpoint was written with (``saved``) and those of the command
    resuming it (``current``). Any difference outside :data:`MAY_CHANGE` is refused with a
    ``UsageError`` naming every differing field (``mask_ratio: checkpoint 0.75, command
    line 0.5``). Returns the allowed changes ``{field: (checkpoint, now)}`` for the record.
    Fields absent from ``saved`` (older checkpoints) are not compared."""
    bad, allowed = [], {}
    for key in sorted(current):
        if key not in saved:
            continue
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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file + rename): an interrupted write
    leaves the old file, never half of the new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide results from other users
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def segments(previous: list[dict] | None, start_epoch: int, epochs: int, changed: dict, **extra: Any) -> list[dict]:
    """The run's history of invocations for the summary: ``previous`` ones plus this one
    (``start_epoch``, the target ``epochs``, the ``changed`` settings and ``extra`` such as
    threads or device)."""
    entry = {"start_epoch": start_epoch, "epochs": epochs, **extra}
    if changed:
        entry["changed"] = {k: {"checkpoint": a, "now": b} for k, (a, b) in changed.items()}
    return [*(previous or []), entry]


__all__ = ["LOCK_NAME", "MAY_CHANGE", "RUN_FILES", "RunFolder", "check_resume", "read_lock", "segments", "write_text"]
