"""Checkpoint files: one ``torch.save`` dict (``format`` :data:`FORMAT`: weights, optimizer and RNG states, history,
training config, ``model_config``) written atomically, loaded ``weights_only=True``, refused in one short error."""

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


@dataclass
class History:
    """What a run measured, JSON-serializable: per optimizer step ``loss`` (mean over micro-batches and processes)
    and ``lr``; per epoch the mean ``epoch_loss``, ``epoch_time`` (s) and ``metrics`` (``on_epoch_end``'s, or ``{}``);
    ``wall_time`` (s, over resumed runs). ``model``, set by loops that build theirs, is not saved."""

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
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))
        return Path(path)

    @property
    def final_loss(self) -> float:
        """Mean loss of the last epoch (``nan`` before the first)."""
        return self.epoch_loss[-1] if self.epoch_loss else float("nan")


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(f)`` on a new temporary file beside ``path`` (its folder made if missing), fsync, ``os.replace``
    it onto ``path``: a reader (or a crash) sees the old file or the whole new one. An ``OSError`` names ``path``."""
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
            # Ctrl-C in torch.save surfaces as its zip writer's clean-up error ("unexpected pos"): still the interrupt
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
    """The plain-dict config (with its ``kind``) a checkpoint stores to rebuild an MAE of the library, else ``None``."""
    return dict(model.config_dict()) if hasattr(model, "config_dict") else None


def _positive_int(cfg: dict, key: str, default: int) -> int:
    v = cfg.get(key, default)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
        raise ValueError(f"model_config field {key} must be an integer >= 0, got {v!r}")
    return int(v)


def estimate_parameters(cfg: dict) -> int:
    """The parameters of the model a :func:`model_config` dict describes, within a few percent and allocating nothing:
    ``depth * (4 + 2 * mlp_ratio) * dim**2`` per stack of blocks, plus embeddings, prediction head and positions."""
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
        tokens, patch = (_positive_int(cfg, "n_mels", 32) // p) * (_positive_int(cfg, "frames", 64) // p), p * p
    elif kind == "timeseries_mae":
        tokens, patch = _positive_int(cfg, "length", 128) // p, p * _positive_int(cfg, "channels", 3)
    else:
        tokens, patch = (_positive_int(cfg, "img_size", 224) // p) ** 2, p * p * _positive_int(cfg, "in_chans", 3)
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
    """Before allocating anything: a ``ValueError`` when the model ``cfg`` describes needs more than
    ``available`` bytes (default :func:`maelearn.config.available_memory`). Returns the parameter estimate."""
    n = estimate_parameters(cfg)
    need = n * 8  # bytes per parameter: fp32 weights, plus the state dict being loaded
    have = available_memory() if available is None else available
    if need > have:
        raise ValueError(f"{where} asks for a model of about {n:.3g} parameters ({human_bytes(need)} to load), more "
                         f"than the {human_bytes(have)} of memory available; refusing to build it (model_config: "
                         f"dim={cfg.get('dim')}, depth={cfg.get('depth')}, decoder_dim={cfg.get('decoder_dim')}, "
                         f"decoder_depth={cfg.get('decoder_depth')})")
    return n


def unreadable_reason(path: str | Path, err: BaseException) -> str:
    """Why ``torch.load`` failed on ``path`` with ``err``, in a few words: torch's messages advise the unsafe way."""
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
        with contextlib.suppress(OSError, zipfile.BadZipFile, ValueError), zipfile.ZipFile(path) as archive:
            if not any(n.endswith("data.pkl") for n in archive.namelist()):
                return "a zip archive, not a torch file"
        return "truncated or corrupt zip"
    if head[:1] == b"\x80" and isinstance(err, (EOFError, struct.error)):
        return "truncated or corrupt file, old torch format"
    return "not a torch file"


def load_weights_only(path: str | Path, map_location: str | torch.device = "cpu", allowed: tuple = ()) -> Any:
    """``torch.load(path, weights_only=True)``: tensors, plain containers and the classes in ``allowed``, no pickled
    code. A file torch cannot read raises ``ValueError("not a readable checkpoint: <path> (<reason>)")``."""
    path = Path(path)
    try:
        with warnings.catch_warnings(), torch.serialization.safe_globals(list(allowed)):
            warnings.filterwarnings("ignore", message="Detected pickle protocol")  # refused below if it matters
            return torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, struct.error, ValueError, KeyError,
            AttributeError, IndexError, TypeError, UnicodeDecodeError) as err:  # torch.load on a bad file
        raise ValueError(f"not a readable checkpoint: {path} ({unreadable_reason(path, err)})") from None


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """The checkpoint at ``path`` (a file, or a run folder holding ``checkpoint.pt``), loaded safely. A missing file
    is a ``FileNotFoundError``; a folder named like a file, or not a maelearn training checkpoint, a ``ValueError``."""
    path, inner = Path(path), Path(path) / CHECKPOINT_NAME
    if path.is_dir() and inner.is_file():
        path = inner
    elif inner.is_dir() or (path.is_dir() and (path.suffix in (".pt", ".pth") or path.name == CHECKPOINT_NAME)):
        raise ValueError(f"not a readable checkpoint: {inner if inner.is_dir() else path} (a folder, not a file)")
    elif path.is_dir() or not path.exists():
        raise FileNotFoundError(f"no checkpoint at {inner if path.is_dir() else path}; pretrain one first "
                                "(python -m maelearn pretrain, or TrainConfig(checkpoint_dir=...))")
    state = load_weights_only(path, map_location)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"not a readable checkpoint: {path} (not a maelearn training checkpoint, format {FORMAT!r})")
    return state


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild the model saved at ``path`` (a file or a run folder), its size checked against free memory first, and
    load its weights. Returns ``(model, state)``; ``state["history"]`` is a :class:`History`, the rest as saved."""
    state = read_checkpoint(path, map_location)
    cfg = state.get("model_config")
    if not cfg:
        raise ValueError(f"the checkpoint at {path} does not say which model it holds (no model_config); build the "
                         "model yourself and load state['model'] into it")
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


__all__ = ["CHECKPOINT_NAME", "FORMAT", "History", "atomic_save", "atomic_write", "check_model_fits",
           "estimate_parameters", "load_checkpoint", "load_weights_only", "model_config", "read_checkpoint",
           "unreadable_reason"]
