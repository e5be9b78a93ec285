"""``python -m maelearn.interop import|export``: the command line over :mod:`maelearn.interop`
(the tool layer: the library never imports it)."""

from __future__ import annotations

import argparse
import re
import warnings
from pathlib import Path

from torch import nn

from maelearn import cli
from maelearn.checkpoint import CHECKPOINT_NAME, FORMAT, atomic_save, load_checkpoint, model_config
from maelearn.interop import (INSTALL_HINT, MissingSettingError, _transformers, detect_format, from_hf, from_official,
                              from_pretrained_hf, read_state_dict, save_official, to_hf_model)
from maelearn.runs import RUN_FILES, check_destination

PROG = "python -m maelearn.interop"


def save_checkpoint(model: nn.Module, path: str | Path, source: str = "") -> Path:
    """Write ``model`` as a maelearn checkpoint (epoch 0, no optimizer state) that
    ``load_checkpoint`` and ``python -m maelearn probe`` read. Seed 0: the one ``probe``
    gives its random-init baseline."""
    state = {"format": FORMAT, "model": model.state_dict(), "model_config": model_config(model), "epoch": 0,
             "step": 0, "history": {}, "train_config": {"seed": 0},
             "meta": {"source": source, "converted_by": "maelearn.interop"}}
    return atomic_save(state, path)


def load_any(source: str, *, heads: int | None = None, decoder_heads: int | None = None, frames: int | None = None,
             img_size: int | None = None, **overrides) -> nn.Module:
    """Our model from what the command line takes: an official or Hugging Face file or
    folder (the layout is detected), or a Hub name such as ``facebook/vit-mae-base``."""
    given = {k: v for k, v in dict(heads=heads, decoder_heads=decoder_heads, frames=frames, img_size=img_size,
                                      **overrides).items() if v is not None}
    path = Path(source)
    if not path.exists():
        if re.fullmatch(r"[\w.-]+/[\w.-]+", source):
            return from_pretrained_hf(source, **given)
        raise FileNotFoundError(f"no checkpoint file or folder at {source}")
    if path.is_dir() or detect_format(read_state_dict(path)).startswith("hf_"):
        return from_hf(path, **given)
    return from_official(path, **given)


def _parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog=PROG, description=main.__doc__)
    overwrite = dict(action="store_true", help="replace an existing OUT (without it, an existing file, or a non-empty "
                                               "folder for --to hf, is refused and left as it is)")
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="official / Hugging Face checkpoint -> maelearn checkpoint")
    imp.add_argument("source", help="a .pth/.bin/.safetensors file, a Hugging Face folder, or a Hub name")
    imp.add_argument("out", metavar="OUT", type=cli.nonempty_path,
                     help="the maelearn checkpoint file to write (e.g. runs/vit-mae-base/checkpoint.pt)")
    imp.add_argument("--overwrite", **overwrite)
    imp.add_argument("--heads", type=cli.integer(minimum=1), help="encoder heads (default: the released models')")
    imp.add_argument("--decoder-heads", type=cli.integer(minimum=1), help="decoder heads")
    imp.add_argument("--frames", type=cli.integer(minimum=1), help="VideoMAE clip length (default 16)")
    imp.add_argument("--img-size", type=cli.integer(minimum=1),
                     help="image size (default: from the position table) or VideoMAE frame size (default 224)")
    imp.add_argument("--norm-pix-loss", action=argparse.BooleanOptionalAction, default=None,
                     help="targets normalized per patch (default: on; HF: its config; "
                          "--no-norm-pix-loss for the mae_visualize_* files)")
    exp = sub.add_parser("export", help="maelearn checkpoint -> official file or Hugging Face folder")
    exp.add_argument("checkpoint", help="a maelearn checkpoint file or run folder")
    exp.add_argument("out", metavar="OUT", type=cli.nonempty_path, help="the .pth file (official) or the folder (hf) to write")
    exp.add_argument("--to", required=True, choices=("official", "official-encoder", "hf"))
    exp.add_argument("--overwrite", **overwrite)
    return p


def _import(args: argparse.Namespace) -> None:
    out = Path(args.out)
    run_files: list[str] = []  # when OUT is a pretrain run's checkpoint: the run's other files, which describe it
    if out.name == CHECKPOINT_NAME and out.is_file():
        run_files = [n for n in RUN_FILES if n != out.name and (out.parent / n).exists()]
    if run_files and not args.overwrite:
        raise cli.UsageError(f"OUT {args.out} is the checkpoint of the run in {out.parent} (its files "
                             f"{', '.join(run_files)} were written for it); add --overwrite to replace it, or "
                             "choose another path")
    out = check_destination(args.out, overwrite=args.overwrite, what="a maelearn checkpoint file")
    try:
        model = load_any(args.source, heads=args.heads, decoder_heads=args.decoder_heads, frames=args.frames,
                         img_size=args.img_size, norm_pix_loss=args.norm_pix_loss)
    except MissingSettingError as err:  # on the command line, name the flag
        raise cli.UsageError(err.naming(f"--{err.setting.replace('_', '-')} N")) from None
    if run_files:
        warnings.warn(f"OUT {out} replaces the checkpoint of the run in {out.parent}; its files "
                      f"{', '.join(run_files)} were written for the model that was there", stacklevel=2)
    out = save_checkpoint(model, out, source=args.source)
    cfg = model.config
    print(f"wrote {out}: {cfg.kind} dim={cfg.dim} depth={cfg.depth} heads={cfg.heads}, decoder "
          f"{cfg.decoder_dim}x{cfg.decoder_depth}, norm_pix_loss={cfg.norm_pix_loss}")


def _export_file(args: argparse.Namespace) -> None:
    hf = args.to == "hf"
    if hf:
        _transformers()  # before anything else: is it installed?
    out = check_destination(args.out, overwrite=args.overwrite, folder=hf,
                            what="the Hugging Face model" if hf else "the official .pth file", example="mae.pth")
    model, _ = load_checkpoint(args.checkpoint)
    if hf:
        to_hf_model(model).save_pretrained(out)
        if not (out / "config.json").is_file():  # save_pretrained logs, and returns, on some failures
            raise OSError(f"OUT {out}: the Hugging Face model was not written (no config.json there)")
        print(f"wrote the Hugging Face model folder {out}")
    else:
        encoder_only = args.to == "official-encoder"
        out = save_official(model, out, encoder_only=encoder_only)
        print(f"wrote {out} ({'encoder only, ' if encoder_only else ''}the reference layout, {{'model': state_dict}})")


@cli.guarded(PROG)
def main(argv: list[str] | None = None) -> int:
    """``import SRC OUT``: an official / Hugging Face checkpoint (file, folder or Hub name)
    -> a maelearn checkpoint. ``export CKPT OUT --to official|official-encoder|hf``: a
    maelearn checkpoint -> the reference ``{"model": ...}`` file, or a Hugging Face model
    folder (``save_pretrained``; needs transformers). OUT is checked before anything is
    converted, and an existing OUT (a file, or a folder that is not empty) is refused
    unless ``--overwrite`` is given."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "import":
            _import(args)
        else:
            _export_file(args)
    except ImportError as err:  # an optional package is missing: say what to install, no traceback
        if INSTALL_HINT not in str(err):
            raise
        raise cli.UsageError(str(err)) from None
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
