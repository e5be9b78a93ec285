"""Checkpoint files: a plain dict written atomically, read safely, refused clearly.

A checkpoint is one ``torch.save`` dict (``format`` :data:`FORMAT`): weights, optimizer and
RNG states, history, training config and a plain-dict ``model_config`` naming the model to
rebuild. It is loaded with ``weights_only=True`` (never pickled code); a bad file, or a
model too large for memory, is one short error.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import numbers
import os
import pickle
import re
import secrets
import struct
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

import torch
from torch import nn

from maelearn.config import available_memory
from maelearn.models import mae_from_config

CHECKPOINT_NAME = "checkpoint.pt"
FORMAT = "maelearn.train/1"

#: Bytes per parameter assumed when checking that a model fits: fp32 weights, plus as much
#: again for the copy being loaded (the state dict) while the fresh model exists.
BYTES_PER_PARAMETER = 8


@dataclass
class History:
    """What a run measured, JSON-serializable: per optimizer step ``loss`` (mean over its
    micro-batches and processes) and ``lr``; per epoch the sample-weighted mean
    ``epoch_loss``, ``epoch_time`` (s) and ``metrics`` (what ``on_epoch_end`` returned, or
    ``{}``); total ``wall_time`` (s, summed over resumed runs). ``model`` is set by loops
    that build their model themselves (:func:`maelearn.classic.words.train_skipgram`) and is
    not serialized."""

    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    metrics: list[dict] = field(default_factory=list)
    wall_time: float = 0.0
    model: nn.Module | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self) if f.name != "model"}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        names = {f.name for f in fields(cls)} - {"model"}
        return cls(**{k: v for k, v in d.items() if k in names})

    def save_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1))
        return path

    @property
    def final_loss(self) -> float:
        """Mean loss of the last epoch (``nan`` before the first)."""
        return self.epoch_loss[-1] if self.epoch_loss else float("nan")


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(f)`` on a new temporary file beside ``path`` (its folder created if
    missing), fsync, then ``os.replace`` it onto ``path``: a reader (or a crash) sees either
    the old file or the complete new one, never half. An ``OSError`` names ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies (mkstemp's is 0600)
    except OSError as err:
        raise OSError(err.errno, err.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err.__context__, KeyboardInterrupt) and not isinstance(err, KeyboardInterrupt):
            # Ctrl-C inside torch.save surfaces as its zip writer's clean-up error ("[enforce
            # fail at inline_container.cc] unexpected pos", torch 2.5 to 2.14 at least): it is
            # still the interrupt, which the command line turns into "interrupted; resume with".
            raise err.__context__ from None
        if isinstance(err, OSError) and err.filename is None:  # say where (e.g. "disk full: <path>")
            raise OSError(err.errno, err.strerror, str(path)) from err
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX; not every platform)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def atomic_save(obj: Any, path: str | Path) -> Path:
    """``torch.save(obj)`` to ``path`` atomically (:func:`atomic_write`)."""
    return atomic_write(path, lambda f: torch.save(obj, f))


def model_config(model: nn.Module) -> dict | None:
    """The plain-dict config (with its ``kind``) a checkpoint stores to rebuild ``model``:
    ``model.config_dict()`` for every MAE of the library, ``None`` for other models."""
    return dict(model.config_dict()) if hasattr(model, "config_dict") else None


def _positive_int(cfg: dict, key: str, default: int) -> int:
    v = cfg.get(key, default)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
        raise ValueError(f"model_config field {key} must be an integer >= 0, got {v!r}")
    return int(v)


def estimate_parameters(cfg: dict) -> int:
    """The parameters (and position tables) of the model a :func:`model_config` dict
    describes, from its sizes alone: ``depth * (4 + 2 * mlp_ratio) * dim**2`` per stack of
    blocks, plus patch embedding, prediction head and position tables. Within a few percent
    for every kind; nothing is allocated, so a config too large for memory can be refused."""
    if not isinstance(cfg, dict):
        raise ValueError(f"model_config must be a dict, got {type(cfg).__name__}")
    dim, depth = _positive_int(cfg, "dim", 768), _positive_int(cfg, "depth", 12)
    ddim, ddepth = _positive_int(cfg, "decoder_dim", 512), _positive_int(cfg, "decoder_depth", 8)
    mlp = cfg.get("mlp_ratio", 4.0)
    if isinstance(mlp, bool) or not isinstance(mlp, numbers.Real) or not math.isfinite(mlp) or mlp < 0:
        raise ValueError(f"model_config field mlp_ratio must be a finite number >= 0, got {mlp!r}")
    p = max(1, _positive_int(cfg, "patch_size", 16))
    kind = cfg.get("kind", "mae")
    if kind == "videomae":
        t = max(1, _positive_int(cfg, "tubelet", 2))
        tokens = (_positive_int(cfg, "frames", 16) // t) * (_positive_int(cfg, "img_size", 224) // p) ** 2
        patch = t * p * p * _positive_int(cfg, "in_chans", 3)
    elif kind == "spectrogram_mae":
        tokens = (_positive_int(cfg, "n_mels", 32) // p) * (_positive_int(cfg, "frames", 64) // p)
        patch = p * p
    elif kind == "timeseries_mae":
        tokens = _positive_int(cfg, "length", 128) // p
        patch = p * _positive_int(cfg, "channels", 3)
    else:
        tokens = (_positive_int(cfg, "img_size", 224) // p) ** 2
        patch = p * p * _positive_int(cfg, "in_chans", 3)
    blocks = int(depth * (4 + 2 * mlp) * dim * dim + ddepth * (4 + 2 * mlp) * ddim * ddim)
    return blocks + (tokens + 1) * (dim + ddim) + patch * (dim + ddim) + dim * ddim


def human_bytes(n: float) -> str:
    """``n`` bytes as a short string: ``512 B``, ``3.4 MiB``, ``1.2e+03 TiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024:
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} TiB"


def check_model_fits(cfg: dict, where: str = "the checkpoint", available: int | None = None) -> int:
    """Before allocating anything: a ``ValueError`` when the model ``cfg`` describes needs
    more than ``available`` bytes (default :func:`maelearn.config.available_memory`).
    Returns the parameter estimate."""
    n = estimate_parameters(cfg)
    need = n * BYTES_PER_PARAMETER
    have = available_memory() if available is None else available
    if need > have:
        raise ValueError(
            f"{where} asks for a model of about {n:.3g} parameters "
            f"({human_bytes(need)} to load), more than the {human_bytes(have)} of memory available; "
            f"refusing to build it (model_config: dim={cfg.get('dim')}, depth={cfg.get('depth')}, "
            f"decoder_dim={cfg.get('decoder_dim')}, decoder_depth={cfg.get('decoder_depth')})"
        )
    return n


def checkpoint_path(path: str | Path) -> Path:
    """The checkpoint file ``path`` names: the file itself, or ``checkpoint.pt`` inside a
    run folder. A missing file is a ``FileNotFoundError``; a folder named like a file
    (``runs/x/checkpoint.pt/``) a ``ValueError``."""
    path = Path(path)
    if path.is_dir():
        inner = path / CHECKPOINT_NAME
        if inner.is_file():
            return inner
        if inner.is_dir():  # runs/x/ holding a folder called checkpoint.pt
            raise ValueError(f"not a readable checkpoint: {inner} (a folder, not a file)")
        if path.suffix in (".pt", ".pth") or path.name == CHECKPOINT_NAME:
            raise ValueError(f"not a readable checkpoint: {path} (a folder, not a file)")
    if path.is_dir() or not path.exists():
        missing = path / CHECKPOINT_NAME if path.is_dir() else path
        raise FileNotFoundError(f"no checkpoint at {missing}; pretrain one first (python -m maelearn pretrain, "
                                "or TrainConfig(checkpoint_dir=...))")
    return path


#: What ``torch.load`` raises for a file it cannot read (truncated, foreign, code-carrying).
LOAD_ERRORS = (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, struct.error, ValueError, KeyError,
               AttributeError, IndexError, TypeError, UnicodeDecodeError)


def unreadable_reason(path: str | Path, err: BaseException) -> str:
    """A few words on why ``torch.load`` failed on ``path`` with ``err`` (``empty file``,
    ``truncated or corrupt zip``, ``refused unsafe pickle content: posix.system``...).
    torch's own messages are paragraphs and advise ``weights_only=False``, the unsafe way."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as read_err:
        return f"cannot be read: {read_err.strerror or type(read_err).__name__}"
    if not head:
        return "empty file"
    if isinstance(err, pickle.UnpicklingError) and (found := re.search(r"\bGLOBAL ([\w.]+)", str(err))):
        return f"refused unsafe pickle content: {found.group(1)}"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                if not any(n.endswith("data.pkl") for n in archive.namelist()):
                    return "a zip archive, not a torch file"
        except (OSError, zipfile.BadZipFile, ValueError):
            pass
        return "truncated or corrupt zip"
    if head[:1] == b"\x80" and isinstance(err, (EOFError, struct.error)):
        return "truncated or corrupt file, old torch format"
    return "not a torch file"


def load_weights_only(path: str | Path, map_location: str | torch.device = "cpu", allowed: tuple = ()) -> Any:
    """``torch.load(path, weights_only=True)``: tensors and plain containers, plus the
    classes in ``allowed``; no pickled code runs. A file torch cannot read raises
    ``ValueError("not a readable checkpoint: <path> (<reason>)")`` (:func:`unreadable_reason`)."""
    path = Path(path)
    try:
        with warnings.catch_warnings():  # a pickle of another protocol: refused below if it matters
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            with torch.serialization.safe_globals(list(allowed)):
                return torch.load(path, map_location=map_location, weights_only=True)
    except LOAD_ERRORS as err:
        raise ValueError(f"not a readable checkpoint: {path} ({unreadable_reason(path, err)})") from None


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """The contents of the checkpoint at ``path`` (a file or a run folder), loaded safely
    (:func:`load_weights_only`); anything but a maelearn training checkpoint raises
    ``ValueError("not a readable checkpoint: <path> (<short reason>)")``."""
    path = checkpoint_path(path)
    state = load_weights_only(path, map_location)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"not a readable checkpoint: {path} (not a maelearn training checkpoint, format {FORMAT!r})")
    return state


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild the model saved at ``path`` (a file or a run folder), its size checked against
    free memory first, and load its weights. Returns ``(model, state)``; ``state`` holds
    ``epoch``, ``step``, ``history`` (a :class:`History`), ``train_config`` and the raw
    optimizer/RNG states."""
    state = read_checkpoint(path, map_location)
    cfg = state.get("model_config")
    if not cfg:
        raise ValueError(
            f"the checkpoint at {path} does not say which model it holds (no model_config); build the model "
            "yourself and load state['model'] into it"
        )
    if not isinstance(cfg, dict):
        raise ValueError(f"not a readable checkpoint: {path} (model_config is a {type(cfg).__name__}, not a dict)")
    check_model_fits(cfg, f"the checkpoint at {path}")
    try:
        model = mae_from_config(cfg)
    except TypeError as err:  # unknown or missing config fields
        raise ValueError(f"the checkpoint at {path} has a model_config this version cannot build: {err}") from None
    try:
        model.load_state_dict(state["model"])
    except (RuntimeError, KeyError, TypeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"not a readable checkpoint: {path} (its weights do not fit its model_config: {first[:200]})") from None
    return model, dict(state, history=History.from_dict(state.get("history") or {}))


__all__ = ["CHECKPOINT_NAME", "FORMAT", "LOAD_ERRORS", "History", "atomic_save", "atomic_write", "check_model_fits",
           "checkpoint_path", "estimate_parameters", "load_checkpoint", "load_weights_only", "model_config",
           "read_checkpoint", "unreadable_reason"]
