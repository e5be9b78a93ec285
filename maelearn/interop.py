"""Official checkpoints in and out: facebookresearch/mae, MCG-NJU/VideoMAE and Hugging Face.

Our MAE and VideoMAE compute the same functions as the reference code, so this module only
renames weights (``_LAYOUTS``; q, k and v split or merged) and a round trip is exact. Three
differences are not names: VideoMAE has no key bias (dropping ours changes no output);
``VideoMAEForPreTraining``'s final decoder LayerNorm has eps 1e-5 (:func:`to_hf_model` sets
1e-6, ``from_pretrained`` restores 1e-5); it builds its targets from un-normalized frames
(compare with :func:`imagenet_unnormalize`). Hugging Face needs ``transformers``
(``pip install -e ".[interop]"``); nothing downloads unless :func:`from_pretrained_hf` is
asked for a Hub name that is not cached.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import socket
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from maelearn import cli
from maelearn.checkpoint import (
    CHECKPOINT_NAME,
    FORMAT,
    atomic_save,
    check_destination,
    load_checkpoint,
    load_weights_only,
    model_config,
)
from maelearn.data.folders import IMAGENET_MEAN, IMAGENET_STD  # the normalization HF's VideoMAE assumes
from maelearn.models import mae_from_config
from maelearn.posembed import sincos_1d
from maelearn.runs import RUN_FILES

#: Attention heads of the released models, by width (the number is not in a state dict).
#: Image MAE: ViT-B/L/H encoders and the 512-d decoder; VideoMAE: ViT-S/B/L/H and decoders.
OFFICIAL_HEADS_MAE = {768: 12, 1024: 16, 1280: 16}
OFFICIAL_DECODER_HEADS_MAE = {512: 16}
OFFICIAL_HEADS_VIDEOMAE = {384: 6, 768: 12, 1024: 16, 1280: 16}
OFFICIAL_DECODER_HEADS_VIDEOMAE = {192: 3, 384: 6, 512: 8, 640: 8}

INSTALL_HINT = 'pip install -e ".[interop]"  (or: pip install transformers safetensors)'

StateDict = dict[str, torch.Tensor]


class MissingSettingError(ValueError):
    """A setting the weights cannot tell (``setting``: ``heads``, ``decoder_heads``,
    ``img_size``) that the caller must give. The message names the keyword argument;
    :meth:`naming` rewords it for another way of passing it (the command line's
    ``--heads``)."""

    def __init__(self, setting: str, what: str, note: str = ""):
        self.setting, self.what, self.note = setting, what, note
        super().__init__(self.naming(f"{setting}="))

    def naming(self, how: str) -> str:
        return f"{self.what}; pass {how}{self.note}"


class WeightsUnavailableError(OSError):
    """Pretrained weights asked for by name are neither on disk nor downloadable now (an
    ``OSError``, like a missing file).
    Taught in lesson 08."""


# ---------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------


def read_state_dict(source: str | Path | Mapping[str, Any]) -> StateDict:
    """The weights in ``source``: a state dict, a checkpoint dict that wraps one (under
    ``"model"``, ``"module"`` or ``"state_dict"``, as the facebookresearch/mae and MCG-NJU
    releases do), a ``.pth``/``.pt``/``.bin`` file (read with ``weights_only=True``: no
    pickled code runs), a ``.safetensors`` file, or a folder with ``model.safetensors`` or
    ``pytorch_model.bin`` (a Hugging Face model folder)."""
    if isinstance(source, Mapping):
        return _unwrap(dict(source), "the dict given")
    path = Path(source)
    if path.is_dir():
        for name in ("model.safetensors", "pytorch_model.bin"):
            if (path / name).is_file():
                return read_state_dict(path / name)
        raise FileNotFoundError(f"{path} is a folder without model.safetensors or pytorch_model.bin")
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {path}")
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise ImportError(f"reading {path} needs the safetensors package: {INSTALL_HINT}") from None
        try:
            return load_file(str(path))
        except Exception as err:  # safetensors' own SafetensorError: a bad header, a cut file
            if type(err).__name__ != "SafetensorError":
                raise
            why = "empty file" if path.stat().st_size == 0 else "truncated or not a safetensors file"
            raise ValueError(f"not a readable checkpoint: {path} ({why})") from None

    # The training scripts of both releases also store their argparse.Namespace: a plain
    # record of options, allowed; any other pickled object is refused.
    obj = load_weights_only(path, allowed=(argparse.Namespace,))
    if not isinstance(obj, dict):
        raise ValueError(f"not a readable checkpoint: {path} (holds a {type(obj).__name__}, not a dict)")
    return _unwrap(obj, str(path))


def _unwrap(obj: dict, where: str) -> StateDict:
    for key in ("model", "module", "state_dict"):
        if isinstance(obj.get(key), Mapping):
            obj = dict(obj[key])
            break
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if not obj or bad:
        raise ValueError(
            f"{where} is not a state dict (expected tensors by name, or one under 'model'); "
            f"non-tensor entries: {sorted(map(str, bad))[:5]}"
        )
    return obj


# ---------------------------------------------------------------------------------------
# One transformer block in each layout
# ---------------------------------------------------------------------------------------
# Ours: norm1, attn.qkv (fused, with bias), attn.proj, norm2, mlp.0, mlp.2.


def _block_out(sd: Mapping[str, torch.Tensor], ours: str, theirs: str, layout: str, out: StateDict) -> None:
    """Write the block at prefix ``ours`` of ``sd`` into ``out`` at prefix ``theirs``."""
    def g(name: str) -> torch.Tensor:
        return sd[ours + name]

    wq, wk, wv = g("attn.qkv.weight").chunk(3, dim=0)
    bq, bk, bv = g("attn.qkv.bias").chunk(3, dim=0)
    if layout == "mae":
        for name in ("norm1", "attn.qkv", "attn.proj", "norm2"):
            out[f"{theirs}{name}.weight"], out[f"{theirs}{name}.bias"] = g(f"{name}.weight"), g(f"{name}.bias")
        for a, b in (("mlp.0", "mlp.fc1"), ("mlp.2", "mlp.fc2")):
            out[f"{theirs}{b}.weight"], out[f"{theirs}{b}.bias"] = g(f"{a}.weight"), g(f"{a}.bias")
    elif layout == "videomae":
        for name in ("norm1", "attn.proj", "norm2"):
            out[f"{theirs}{name}.weight"], out[f"{theirs}{name}.bias"] = g(f"{name}.weight"), g(f"{name}.bias")
        out[f"{theirs}attn.qkv.weight"] = g("attn.qkv.weight")
        out[f"{theirs}attn.q_bias"], out[f"{theirs}attn.v_bias"] = bq, bv  # the key bias is dropped (see 1.)
        for a, b in (("mlp.0", "mlp.fc1"), ("mlp.2", "mlp.fc2")):
            out[f"{theirs}{b}.weight"], out[f"{theirs}{b}.bias"] = g(f"{a}.weight"), g(f"{a}.bias")
    elif layout == "hf_vitmae":
        names = {"norm1": "layernorm_before", "norm2": "layernorm_after", "attn.proj": "attention.o_proj",
                 "mlp.0": "mlp.fc1", "mlp.2": "mlp.fc2"}
        for a, b in names.items():
            out[f"{theirs}{b}.weight"], out[f"{theirs}{b}.bias"] = g(f"{a}.weight"), g(f"{a}.bias")
        for part, w, bias in (("q", wq, bq), ("k", wk, bk), ("v", wv, bv)):
            out[f"{theirs}attention.{part}_proj.weight"], out[f"{theirs}attention.{part}_proj.bias"] = w, bias
    elif layout == "hf_videomae":
        names = {"norm1": "layernorm_before", "norm2": "layernorm_after", "attn.proj": "attention.output.dense",
                 "mlp.0": "intermediate.dense", "mlp.2": "output.dense"}
        for a, b in names.items():
            out[f"{theirs}{b}.weight"], out[f"{theirs}{b}.bias"] = g(f"{a}.weight"), g(f"{a}.bias")
        att = f"{theirs}attention.attention."
        out[att + "query.weight"], out[att + "query.bias"] = wq, bq
        out[att + "key.weight"] = wk  # no key bias (see 1.)
        out[att + "value.weight"], out[att + "value.bias"] = wv, bv
    else:  # pragma: no cover - internal
        raise ValueError(layout)


def _block_in(sd: dict[str, torch.Tensor], theirs: str, ours: str, layout: str, out: StateDict) -> None:
    """Inverse of :func:`_block_out`: pops the block's keys at prefix ``theirs`` from ``sd``."""
    def p(name: str) -> torch.Tensor:
        return _pop(sd, theirs + name)

    if layout == "mae":
        for name in ("norm1", "attn.qkv", "attn.proj", "norm2"):
            out[f"{ours}{name}.weight"], out[f"{ours}{name}.bias"] = p(f"{name}.weight"), p(f"{name}.bias")
        for a, b in (("mlp.0", "mlp.fc1"), ("mlp.2", "mlp.fc2")):
            out[f"{ours}{a}.weight"], out[f"{ours}{a}.bias"] = p(f"{b}.weight"), p(f"{b}.bias")
        return
    if layout == "videomae":
        for name in ("norm1", "attn.proj", "norm2"):
            out[f"{ours}{name}.weight"], out[f"{ours}{name}.bias"] = p(f"{name}.weight"), p(f"{name}.bias")
        w = p("attn.qkv.weight")
        q_bias, v_bias = p("attn.q_bias"), p("attn.v_bias")
        out[f"{ours}attn.qkv.weight"] = w
        out[f"{ours}attn.qkv.bias"] = torch.cat([q_bias, torch.zeros_like(q_bias), v_bias])
        for a, b in (("mlp.0", "mlp.fc1"), ("mlp.2", "mlp.fc2")):
            out[f"{ours}{a}.weight"], out[f"{ours}{a}.bias"] = p(f"{b}.weight"), p(f"{b}.bias")
        return
    if layout == "hf_vitmae":
        names = {"norm1": "layernorm_before", "norm2": "layernorm_after", "attn.proj": "attention.o_proj",
                 "mlp.0": "mlp.fc1", "mlp.2": "mlp.fc2"}
        parts = [(p(f"attention.{x}_proj.weight"), p(f"attention.{x}_proj.bias")) for x in "qkv"]
    elif layout == "hf_videomae":
        names = {"norm1": "layernorm_before", "norm2": "layernorm_after", "attn.proj": "attention.output.dense",
                 "mlp.0": "intermediate.dense", "mlp.2": "output.dense"}
        att = "attention.attention."
        wq, wk, wv = p(att + "query.weight"), p(att + "key.weight"), p(att + "value.weight")
        parts = [(wq, p(att + "query.bias")), (wk, torch.zeros(wk.shape[0], dtype=wk.dtype)), (wv, p(att + "value.bias"))]
    else:  # pragma: no cover - internal
        raise ValueError(layout)
    for a, b in names.items():
        out[f"{ours}{a}.weight"], out[f"{ours}{a}.bias"] = p(f"{b}.weight"), p(f"{b}.bias")
    out[f"{ours}attn.qkv.weight"] = torch.cat([w for w, _ in parts])
    out[f"{ours}attn.qkv.bias"] = torch.cat([b for _, b in parts])


def _pop(sd: dict, key: str) -> torch.Tensor:
    if key not in sd:
        raise KeyError(key)
    return sd.pop(key)


def _block_indices(keys, prefix: str) -> list[int]:
    pat = re.compile(re.escape(prefix) + r"(\d+)\.")
    found = {int(m.group(1)) for k in keys if (m := pat.match(k))}
    if found and found != set(range(len(found))):
        raise ValueError(f"blocks under {prefix!r} are not numbered 0..{len(found) - 1}: {sorted(found)}")
    return sorted(found)


# ---------------------------------------------------------------------------------------
# The tables: (our name, their name) for everything outside the blocks
# ---------------------------------------------------------------------------------------

#: format -> (their encoder-blocks prefix, their decoder-blocks prefix, block layout,
#: {our top-level name: their top-level name}); parameter names are given without
#: ``.weight``/``.bias`` when they are modules.
_LAYOUTS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "official_mae": ("blocks.", "decoder_blocks.", "mae", {
        "encoder.patch_embed.proj": "patch_embed.proj", "encoder.cls_token": "cls_token",
        "encoder.pos_embed": "pos_embed", "encoder.norm": "norm", "decoder_embed": "decoder_embed",
        "mask_token": "mask_token", "decoder_pos_embed": "decoder_pos_embed",
        "decoder_norm": "decoder_norm", "decoder_pred": "decoder_pred",
    }),
    "hf_mae": ("vit.layers.", "decoder.decoder_layers.", "hf_vitmae", {
        "encoder.patch_embed.proj": "vit.embeddings.patch_embeddings.projection",
        "encoder.cls_token": "vit.embeddings.cls_token", "encoder.pos_embed": "vit.embeddings.position_embeddings",
        "encoder.norm": "vit.layernorm", "decoder_embed": "decoder.decoder_embed", "mask_token": "decoder.mask_token",
        "decoder_pos_embed": "decoder.decoder_pos_embed", "decoder_norm": "decoder.decoder_norm",
        "decoder_pred": "decoder.decoder_pred",
    }),
    "official_videomae": ("encoder.blocks.", "decoder.blocks.", "videomae", {
        "encoder.patch_embed.proj": "encoder.patch_embed.proj", "encoder.norm": "encoder.norm",
        "decoder_embed": "encoder_to_decoder", "mask_token": "mask_token", "decoder_norm": "decoder.norm",
        "decoder_pred": "decoder.head",
    }),
    "hf_videomae": ("videomae.encoder.layer.", "decoder.decoder_layers.", "hf_videomae", {
        "encoder.patch_embed.proj": "videomae.embeddings.patch_embeddings.projection",
        "encoder.norm": "videomae.layernorm", "decoder_embed": "encoder_to_decoder", "mask_token": "mask_token",
        "decoder_norm": "decoder.norm", "decoder_pred": "decoder.head",
    }),
}

#: Our names that are parameters themselves (the rest are modules with weight [and bias]).
_TENSORS = ("encoder.cls_token", "encoder.pos_embed", "mask_token", "decoder_pos_embed")

#: transformers 4.x names of ViTMAE -> the current ones (as transformers' own loader renames).
_HF_VITMAE_LEGACY = (
    (r"^vit\.encoder\.layer\.", "vit.layers."),
    (r"attention\.attention\.query\.", "attention.q_proj."),
    (r"attention\.attention\.key\.", "attention.k_proj."),
    (r"attention\.attention\.value\.", "attention.v_proj."),
    (r"attention\.output\.dense\.", "attention.o_proj."),
    (r"intermediate\.dense\.", "mlp.fc1."),
    (r"\.output\.dense\.", ".mlp.fc2."),
)
#: The current ViTMAE names -> transformers 4.x's (to load into an older install).
_HF_VITMAE_TO_LEGACY = (
    (r"^vit\.layers\.", "vit.encoder.layer."),
    (r"attention\.q_proj\.", "attention.attention.query."),
    (r"attention\.k_proj\.", "attention.attention.key."),
    (r"attention\.v_proj\.", "attention.attention.value."),
    (r"attention\.o_proj\.", "attention.output.dense."),
    (r"mlp\.fc1\.", "intermediate.dense."),
    (r"mlp\.fc2\.", "output.dense."),
)
#: older transformers names of VideoMAE's q/v biases.
_HF_VIDEOMAE_LEGACY = (
    (r"attention\.attention\.q_bias$", "attention.attention.query.bias"),
    (r"attention\.attention\.v_bias$", "attention.attention.value.bias"),
)
_HF_VIDEOMAE_TO_LEGACY = (
    (r"attention\.attention\.query\.bias$", "attention.attention.q_bias"),
    (r"attention\.attention\.value\.bias$", "attention.attention.v_bias"),
)


# ---------------------------------------------------------------------------------------
# Our side: which of our models a state dict or module is
# ---------------------------------------------------------------------------------------


def _canonical(sd: Mapping[str, torch.Tensor]) -> StateDict:
    """Our state dict, in the current names (``encoder.*``, ``decoder_*``)."""
    if "encoder.patch_embed.proj.weight" not in sd:
        raise ValueError(
            "not a maelearn MAE/VideoMAE state dict: it has no encoder.patch_embed.proj.weight "
            f"(first keys: {list(sd)[:4]})"
        )
    return dict(sd)


def _kind_of(sd: Mapping[str, torch.Tensor]) -> str:
    """'mae' (Conv2d patches) or 'videomae' (Conv3d cubes), from our canonical names."""
    w = sd["encoder.patch_embed.proj.weight"]
    return "videomae" if w.ndim == 5 else "mae"


def _model_state(model_or_sd: nn.Module | Mapping[str, torch.Tensor]) -> StateDict:
    if isinstance(model_or_sd, nn.Module):
        kind = getattr(getattr(model_or_sd, "config", None), "kind", None)
        if kind not in ("mae", "videomae"):
            raise ValueError(f"the official layouts hold image MAEs and VideoMAEs; this is a {kind or type(model_or_sd).__name__!r} model")
        if getattr(getattr(model_or_sd, "config", None), "encoder_mask_tokens", False):
            raise ValueError(
                "MAEWithEncoderMaskTokens (the BEiT-style ablation) has no counterpart in the official code; "
                "export a plain maelearn.mae.MAE"
            )
        sd = model_or_sd.state_dict()
    else:
        sd = dict(model_or_sd)
    return {k: v.detach() for k, v in _canonical(sd).items()}


# ---------------------------------------------------------------------------------------
# Export: ours -> theirs
# ---------------------------------------------------------------------------------------


def _export(model_or_sd, fmt: str, encoder_only: bool = False) -> StateDict:
    sd = _model_state(model_or_sd)
    kind = _kind_of(sd)
    fmt_key = f"{fmt}_{kind}"
    enc_prefix, dec_prefix, layout, table = _LAYOUTS[fmt_key]
    if kind == "videomae":
        _check_video_positions(sd)
    out: StateDict = {}
    for ours, theirs in table.items():
        if encoder_only and not ours.startswith("encoder."):
            continue
        if ours in _TENSORS:
            out[theirs] = sd[ours]
            continue
        out[f"{theirs}.weight"] = sd[f"{ours}.weight"]
        if f"{ours}.bias" in sd:
            out[f"{theirs}.bias"] = sd[f"{ours}.bias"]
    for i in _block_indices(sd, "encoder.blocks."):
        _block_out(sd, f"encoder.blocks.{i}.", f"{enc_prefix}{i}.", layout, out)
    if not encoder_only:
        for i in _block_indices(sd, "decoder_blocks."):
            _block_out(sd, f"decoder_blocks.{i}.", f"{dec_prefix}{i}.", layout, out)
    return {k: v.cpu().clone() for k, v in out.items()}  # a file for any machine, never a view of the model


def to_official(model: nn.Module | Mapping[str, torch.Tensor], encoder_only: bool = False) -> StateDict:
    """Our MAE -> a facebookresearch/mae ``MaskedAutoencoderViT`` state dict; our VideoMAE ->
    an MCG-NJU ``PretrainVisionTransformer`` state dict. ``encoder_only=True`` keeps the
    encoder alone, like the released ``mae_pretrain_vit_*.pth`` files. Save it as the
    releases are: ``torch.save({"model": sd}, path)`` (:func:`save_official`)."""
    return _export(model, "official", encoder_only)


def to_hf(model: nn.Module | Mapping[str, torch.Tensor]) -> StateDict:
    """Our MAE -> a ``transformers.ViTMAEForPreTraining`` state dict (current names); our
    VideoMAE -> a ``VideoMAEForPreTraining`` state dict. Needs no transformers install;
    :func:`to_hf_model` builds the model around it."""
    return _export(model, "hf")


def save_official(model: nn.Module, path: str | Path, encoder_only: bool = False) -> Path:
    """Write ``{"model": to_official(model)}`` to ``path``: the file layout the reference
    code's ``load_state_dict(checkpoint["model"])`` reads. Written atomically (a crash
    leaves the old file or none, never half of one); an existing file is replaced."""

    return atomic_save({"model": to_official(model, encoder_only)}, path)


# ---------------------------------------------------------------------------------------
# Import: theirs -> ours
# ---------------------------------------------------------------------------------------


def detect_format(sd: Mapping[str, torch.Tensor]) -> str:
    """Which layout a state dict is in: ``"maelearn"``, ``"official_mae"``,
    ``"official_videomae"``, ``"hf_mae"`` or ``"hf_videomae"`` (current or 4.x names)."""
    keys = set(sd)
    if "encoder.patch_embed.proj.weight" in keys and any(k.startswith("encoder.blocks.") for k in keys) and (
        "decoder_embed.weight" in keys or "decoder_pred.weight" in keys
    ):
        return "maelearn"
    if "patch_embed.proj.weight" in keys and "cls_token" in keys:
        return "official_mae"
    if "encoder.patch_embed.proj.weight" in keys and (
        "encoder_to_decoder.weight" in keys or any(k.endswith("attn.q_bias") for k in keys)
    ):
        return "official_videomae"
    if "vit.embeddings.patch_embeddings.projection.weight" in keys:
        return "hf_mae"
    if "videomae.embeddings.patch_embeddings.projection.weight" in keys:
        return "hf_videomae"
    raise ValueError(
        "unrecognized checkpoint layout; expected facebookresearch/mae (patch_embed.proj, cls_token, blocks.*), "
        "MCG-NJU VideoMAE (encoder.patch_embed.proj, encoder_to_decoder), Hugging Face ViTMAE (vit.embeddings.*) "
        f"or VideoMAE (videomae.embeddings.*); first keys: {list(sd)[:5]}"
    )


def _rename(sd: StateDict, rules) -> StateDict:
    out = {}
    for key, t in sd.items():
        for pat, rep in rules:
            key = re.sub(pat, rep, key)
        out[key] = t
    return out


def convert_to_ours(source: str | Path | Mapping[str, Any], fmt: str | None = None) -> StateDict:
    """Any supported checkpoint -> a state dict with our (canonical) names. ``fmt`` defaults
    to :func:`detect_format`. Keys the layout does not know raise a ``ValueError`` naming
    them (e.g. a fine-tuned classifier's ``head.weight``): this converts pretraining
    checkpoints. Missing decoder keys are allowed (encoder-only releases)."""
    sd = read_state_dict(source)
    fmt = fmt or detect_format(sd)
    if fmt == "maelearn":
        return _canonical(sd)
    if fmt not in _LAYOUTS:
        raise ValueError(f"fmt must be one of {sorted(_LAYOUTS)} or 'maelearn', got {fmt!r}")
    if fmt == "hf_mae":
        sd = _rename(sd, _HF_VITMAE_LEGACY)
    elif fmt == "hf_videomae":
        sd = _rename(sd, _HF_VIDEOMAE_LEGACY)
    sd = dict(sd)
    enc_prefix, dec_prefix, layout, table = _LAYOUTS[fmt]
    out: StateDict = {}
    try:
        for ours, theirs in table.items():
            if ours in _TENSORS:
                if theirs in sd:
                    out[ours] = sd.pop(theirs)
                continue
            if f"{theirs}.weight" in sd:
                out[f"{ours}.weight"] = sd.pop(f"{theirs}.weight")
                if f"{theirs}.bias" in sd:
                    out[f"{ours}.bias"] = sd.pop(f"{theirs}.bias")
        for prefix, ours_prefix in ((enc_prefix, "encoder.blocks."), (dec_prefix, "decoder_blocks.")):
            for i in _block_indices(list(sd), prefix):
                _block_in(sd, f"{prefix}{i}.", f"{ours_prefix}{i}.", layout, out)
    except KeyError as err:
        raise ValueError(f"the {fmt} checkpoint lacks {err.args[0]!r}; is it complete?") from None
    # Fixed tables that some files carry although they are not parameters.
    for extra in ("pos_embed", "encoder.pos_embed", "decoder.pos_embed"):
        if fmt == "official_videomae" and extra in sd:
            sd.pop(extra)
    if sd:
        raise ValueError(
            f"the {fmt} checkpoint has {len(sd)} key(s) that a pretraining model does not: {sorted(sd)[:6]}"
            " (a fine-tuned classifier? convert its pretraining checkpoint instead)"
        )
    if "encoder.patch_embed.proj.weight" not in out:
        raise ValueError(f"the {fmt} checkpoint has no patch embedding; is it complete?")
    return out


def _heads(dim: int, given: int | None, table: dict[int, int], name: str) -> int:
    if given is not None:
        return given
    if dim in table:
        return table[dim]
    part = "decoder" if name.startswith("decoder") else "encoder"
    raise MissingSettingError(name, f"cannot tell the number of attention heads of a {dim}-d {part} from its weights",
                              f" (the released models by width: {table})")


def infer_config(sd: Mapping[str, torch.Tensor], *, heads: int | None = None, decoder_heads: int | None = None,
                 frames: int | None = None, img_size: int | None = None, **overrides) -> dict:
    """Our model config (a plain dict with ``kind``) that fits the canonical state dict
    ``sd``: widths, depths, patch and MLP sizes are read from the shapes. What shapes
    cannot tell: ``heads``/``decoder_heads`` (default: the released models' by width),
    VideoMAE's ``frames`` and ``img_size`` (no position table in its files; default 16 and
    224, the released models'), and switches such as ``norm_pix_loss`` (``overrides``).
    A checkpoint without a decoder gets the paper's default decoder."""
    sd = _canonical(sd)
    kind = _kind_of(sd)
    w = sd["encoder.patch_embed.proj.weight"]
    dim, in_chans, patch = w.shape[0], w.shape[1], w.shape[-1]
    depth = len(_block_indices(sd, "encoder.blocks."))
    if depth == 0:
        raise ValueError("the checkpoint has no encoder blocks")
    mlp_ratio = sd["encoder.blocks.0.mlp.0.weight"].shape[0] / dim
    cfg: dict[str, Any] = dict(patch_size=patch, in_chans=in_chans, dim=dim, depth=depth, mlp_ratio=mlp_ratio)
    has_decoder = "decoder_embed.weight" in sd
    if has_decoder:
        ddim = sd["decoder_embed.weight"].shape[0]
        cfg.update(decoder_dim=ddim, decoder_depth=len(_block_indices(sd, "decoder_blocks.")))
    if kind == "mae":
        n = sd["encoder.pos_embed"].shape[1] - 1 if "encoder.pos_embed" in sd else None
        side = round(math.sqrt(n)) if n else 0
        if (n is None or side * side != n) and img_size is None:
            raise MissingSettingError("img_size", "cannot tell the image size from the checkpoint (no square pos_embed)")
        cfg["img_size"] = img_size if img_size is not None else side * patch
        cfg["heads"] = _heads(dim, heads, OFFICIAL_HEADS_MAE, "heads")
        if has_decoder:
            cfg["decoder_heads"] = _heads(cfg["decoder_dim"], decoder_heads, OFFICIAL_DECODER_HEADS_MAE, "decoder_heads")
        elif decoder_heads is not None:
            cfg["decoder_heads"] = decoder_heads
    else:
        cfg.update(tubelet=w.shape[2], frames=16 if frames is None else frames,
                   img_size=224 if img_size is None else img_size, pos_embed="1d")
        cfg["heads"] = _heads(dim, heads, OFFICIAL_HEADS_VIDEOMAE, "heads")
        if has_decoder:
            cfg["decoder_heads"] = _heads(cfg["decoder_dim"], decoder_heads, OFFICIAL_DECODER_HEADS_VIDEOMAE, "decoder_heads")
        elif decoder_heads is not None:
            cfg["decoder_heads"] = decoder_heads
    cfg.update(overrides)
    return {"kind": kind, **cfg}


def build_model(cfg: Mapping[str, Any]) -> nn.Module:
    """A fresh maelearn model for an :func:`infer_config` dict."""

    return mae_from_config(dict(cfg))


def load_into(model: nn.Module, sd: Mapping[str, torch.Tensor], strict_decoder: bool = True) -> list[str]:
    """Load a canonical state dict into ``model``. Every encoder weight must be there; with
    ``strict_decoder=False`` missing decoder weights stay as initialized and their names are
    returned (an encoder-only release). VideoMAE's fixed positions, which the files do not
    store, are set to the reference table."""
    sd = dict(sd)
    own = _canonical(model.state_dict())
    if _kind_of(own) == "videomae" and ("encoder.pos_embed" not in sd or "decoder_pos_embed" not in sd):
        pos_kind = getattr(getattr(model, "config", None), "pos_embed", "1d")
        if pos_kind != "1d":
            raise ValueError(
                f"VideoMAE checkpoints were trained with the 1-D sin-cos table, but this model was built with "
                f"pos_embed={pos_kind!r}; build it with pos_embed='1d'"
            )
        for name in ("encoder.pos_embed", "decoder_pos_embed"):
            sd.setdefault(name, videomae_positions(own[name].shape[1], own[name].shape[2]))
    wrong = [f"{k}: checkpoint {tuple(v.shape)}, model {tuple(own[k].shape)}"
             for k, v in sd.items() if k in own and own[k].shape != v.shape]
    if wrong:
        raise ValueError(f"the checkpoint does not fit the model ({len(wrong)} shape(s) differ): {wrong[:4]}")
    unexpected = sorted(set(sd) - set(own))
    if unexpected:
        raise ValueError(f"the checkpoint has weights the model lacks: {unexpected[:6]}")
    missing = sorted(set(own) - set(sd))
    enc_missing = [k for k in missing if k.startswith("encoder.")]
    if enc_missing or (missing and strict_decoder):
        raise ValueError(f"the checkpoint lacks {len(missing)} weight(s) of the model: {missing[:6]}")
    result = model.load_state_dict(sd, strict=False)
    assert not result.unexpected_keys, result.unexpected_keys
    return missing


def _from(source, fmt: str | None, *, model: nn.Module | None = None, heads=None, decoder_heads=None,
          frames=None, img_size=None, **overrides) -> nn.Module:
    sd = convert_to_ours(source, fmt)
    if model is None:
        cfg = infer_config(sd, heads=heads, decoder_heads=decoder_heads, frames=frames, img_size=img_size, **overrides)
        model = build_model(cfg)
    missing = load_into(model, sd, strict_decoder=False)
    if missing:
        warnings.warn(
            f"the checkpoint has no decoder ({len(missing)} weights, e.g. {missing[0]}): the encoder is loaded, "
            "the decoder is freshly initialized (fine for probing/fine-tuning, not for reconstructions)",
            stacklevel=3,
        )
    return model


def from_official(source: str | Path | Mapping[str, Any], *, model: nn.Module | None = None,
                  heads: int | None = None, decoder_heads: int | None = None, frames: int | None = None,
                  img_size: int | None = None, **overrides) -> nn.Module:
    """A facebookresearch/mae (image) or MCG-NJU (video) pretraining checkpoint -> our MAE or
    VideoMAE. ``source``: a file such as ``mae_visualize_vit_large.pth`` (with the decoder)
    or ``mae_pretrain_vit_base.pth`` (encoder only: the decoder is left at its
    initialization, with a warning), or the dict inside. The config is read from the
    shapes (:func:`infer_config`; pass ``heads``/``frames``/``img_size``/``norm_pix_loss``...
    where the shapes cannot tell), or pass ``model=`` to load into one you built.

    The released ``mae_visualize_*`` models were trained on raw pixels: pass
    ``norm_pix_loss=False`` to get their loss and pixel-space predictions."""
    return _from(source, None, model=model, heads=heads, decoder_heads=decoder_heads, frames=frames,
                 img_size=img_size, **overrides)


def from_hf(source: str | Path | Mapping[str, Any] | nn.Module, config: Any = None, *, model: nn.Module | None = None,
            **overrides) -> nn.Module:
    """A Hugging Face ``ViTMAEForPreTraining`` / ``VideoMAEForPreTraining`` (the model
    itself, its state dict, a file or a model folder) -> our MAE / VideoMAE. ``config`` (the
    HF config object or its dict; taken from the model or the folder's ``config.json``
    when there is one) supplies heads, frames, image size and ``norm_pix_loss``;
    ``overrides`` win over it. transformers 4.x and 5.x names are both read. The config's
    ``layer_norm_eps`` is not carried over: our LayerNorms use the reference's 1e-6 (the
    released HF configs say 1e-12), which moves outputs by about 1e-5 relative."""
    if isinstance(source, nn.Module):
        config = config if config is not None else getattr(source, "config", None)
        source = source.state_dict()
    elif config is None and isinstance(source, (str, Path)) and (Path(source) / "config.json").is_file():
        import json

        config = json.loads((Path(source) / "config.json").read_text())
    hf = _hf_config_dict(config)
    if hf:
        sd = convert_to_ours(source)
        kind = _kind_of(sd)
        overrides = {**_config_from_hf(hf, kind), **overrides}
        return _from(sd, "maelearn", model=model, **overrides)
    return _from(source, None, model=model, **overrides)


def _hf_config_dict(config: Any) -> dict:
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    if hasattr(config, "to_dict"):
        return config.to_dict()
    raise TypeError(f"config must be a transformers config or a dict, got {type(config).__name__}")


def _config_from_hf(hf: dict, kind: str) -> dict:
    act = hf.get("hidden_act", "gelu")
    if act != "gelu":
        raise ValueError(f"the Hugging Face config has hidden_act={act!r}; our blocks use the exact GELU ('gelu')")
    size = hf.get("image_size", 224)
    size = size[0] if isinstance(size, (list, tuple)) else size
    out = dict(heads=hf.get("num_attention_heads"), decoder_heads=hf.get("decoder_num_attention_heads"),
               img_size=size, norm_pix_loss=bool(hf.get("norm_pix_loss", kind == "videomae")))
    if kind == "videomae":
        out["frames"] = hf.get("num_frames", 16)
    return {k: v for k, v in out.items() if v is not None}


# ---------------------------------------------------------------------------------------
# VideoMAE's position table
# ---------------------------------------------------------------------------------------


def videomae_positions(n: int, dim: int) -> torch.Tensor:
    """The reference VideoMAE position table (1, n, dim): the 1-D sin-cos embedding of the
    token index with frequencies ``1/10000^(2i/dim)``, sin in even and cos in odd
    dimensions (:func:`maelearn.posembed.sincos_1d` with ``interleaved=True``); what our
    VideoMAE with ``pos_embed="1d"`` uses."""
    return sincos_1d(dim, torch.arange(n), interleaved=True)[None]


def _check_video_positions(sd: Mapping[str, torch.Tensor]) -> None:
    for name in ("encoder.pos_embed", "decoder_pos_embed"):
        pos = sd.get(name)
        if pos is None:
            continue
        ref = videomae_positions(pos.shape[1], pos.shape[2])
        if not torch.allclose(pos.float(), ref, atol=1e-5):
            raise ValueError(
                f"our VideoMAE's {name} is not VideoMAE's 1-D sin-cos table, and the official files do not store "
                "positions: the exported model would see different positions. Export a model built with "
                "pos_embed='1d' (or loaded from an official checkpoint)"
            )


def _imagenet_stats(x: torch.Tensor, channel_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """ImageNet's RGB mean and std shaped to broadcast along ``channel_dim`` of ``x``."""
    if x.shape[channel_dim] != 3:
        raise ValueError(f"x must have 3 (RGB) channels along dim {channel_dim}, got shape {tuple(x.shape)}")
    shape = [1] * x.ndim
    shape[channel_dim] = 3
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype, device=x.device).view(shape)
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype, device=x.device).view(shape)
    return mean, std


def imagenet_unnormalize(x: torch.Tensor, channel_dim: int = 1) -> torch.Tensor:
    """``x * std + mean`` with ImageNet's RGB statistics along ``channel_dim``: what Hugging
    Face's ``VideoMAEForPreTraining`` does to its input before it builds the targets."""
    mean, std = _imagenet_stats(x, channel_dim)
    return x * std + mean


def imagenet_normalize(x: torch.Tensor, channel_dim: int = 1) -> torch.Tensor:
    """``(x - mean) / std`` with ImageNet's RGB statistics: the input the released models
    were trained on (pixels in [0, 1] first)."""
    mean, std = _imagenet_stats(x, channel_dim)
    return (x - mean) / std


# ---------------------------------------------------------------------------------------
# Photos through a pretrained model
# ---------------------------------------------------------------------------------------


def photo_batch(photos, size: int = 224) -> torch.Tensor:
    """Photos -> (B, 3, size, size) float in [0, 1]: each one's shorter side resized to
    ``size`` (bicubic, antialiased), then the centre ``size`` x ``size`` crop: the released
    models' evaluation transform. ``photos``: a list of (H, W, 3) uint8 arrays (as
    ``skimage.data.astronaut()``) or (3, H, W) float tensors in [0, 1], sizes may differ."""
    if isinstance(photos, torch.Tensor) and photos.ndim == 4:
        photos = list(photos)
    if not isinstance(photos, (list, tuple)) or not photos:
        raise ValueError(f"photos must be a non-empty list of images, got {type(photos).__name__}")
    out = []
    for i, img in enumerate(photos):
        t = torch.as_tensor(img)
        if t.ndim == 3 and t.shape[-1] == 3 and t.shape[0] != 3:
            t = t.permute(2, 0, 1)  # (H, W, 3) -> (3, H, W)
        if t.ndim != 3 or t.shape[0] != 3:
            raise ValueError(f"photos[{i}] must be an RGB image (H, W, 3) or (3, H, W), got shape {tuple(t.shape)}")
        t = t.float() / 255 if t.dtype == torch.uint8 else t.float()
        h, w = t.shape[1:]
        scale = size / min(h, w)
        nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
        t = F.interpolate(t[None], size=(nh, nw), mode="bicubic", antialias=True, align_corners=False)[0]
        top, left = (nh - size) // 2, (nw - size) // 2
        out.append(t[:, top : top + size, left : left + size].clamp(0, 1))
    return torch.stack(out)


@torch.no_grad()
def reconstruct_photos(model: nn.Module, photos, mask_ratio: float = 0.75, seed: int = 0) -> dict:
    """:meth:`maelearn.mae.MAE.reconstruct` on photos for a model trained on
    ImageNet-normalized input (the released ones): resize and crop (:func:`photo_batch`),
    normalize, mask with noise from ``seed``, reconstruct, and map every image of the result
    back to [0, 1] pixels, ready for :func:`maelearn.viz.figure2`.
    Taught in lesson 08."""
    x = photo_batch(photos, model.config.img_size)
    dev = next(model.parameters()).device
    noise = torch.rand(x.shape[0], model.num_patches, generator=torch.Generator().manual_seed(seed))
    model.eval()
    recon = model.reconstruct(imagenet_normalize(x).to(dev), mask_ratio, noise.to(dev))
    for key in ("masked", "reconstruction", "pasted", "original"):
        recon[key] = imagenet_unnormalize(recon[key].float().cpu()).clamp(0, 1)
    recon["mask"] = recon["mask"].cpu()
    return recon


# ---------------------------------------------------------------------------------------
# Hugging Face models (needs transformers)
# ---------------------------------------------------------------------------------------


def _transformers():
    try:
        import transformers
    except ImportError:
        raise ImportError(f"Hugging Face models need the transformers package: {INSTALL_HINT}") from None
    return transformers


def hf_config(model: nn.Module, mask_ratio: float = 0.75):
    """The ``transformers`` config (``ViTMAEConfig`` or ``VideoMAEConfig``) of the HF model
    that computes what ``model`` computes (LayerNorm eps 1e-6 as the reference).
    ``ViTMAEForPreTraining`` masks at its config's ``mask_ratio`` (ours takes the ratio per
    call); VideoMAE takes its mask as an argument."""
    tf = _transformers()
    cfg = model.config
    kind = cfg.kind
    if kind not in ("mae", "videomae"):
        raise ValueError(f"Hugging Face has MAE and VideoMAE pretraining models; this is a {kind!r} model")
    common = dict(
        image_size=cfg.img_size, patch_size=cfg.patch_size, num_channels=cfg.in_chans,
        hidden_size=cfg.dim, num_hidden_layers=cfg.depth, num_attention_heads=cfg.heads,
        intermediate_size=int(cfg.dim * cfg.mlp_ratio), decoder_hidden_size=cfg.decoder_dim,
        decoder_num_hidden_layers=cfg.decoder_depth, decoder_num_attention_heads=cfg.decoder_heads,
        decoder_intermediate_size=int(cfg.decoder_dim * cfg.mlp_ratio), layer_norm_eps=1e-6,
        hidden_act="gelu", norm_pix_loss=cfg.norm_pix_loss,
    )
    if kind == "mae":
        return tf.ViTMAEConfig(**common, qkv_bias=True, mask_ratio=mask_ratio)
    return tf.VideoMAEConfig(**common, num_frames=cfg.frames, tubelet_size=cfg.tubelet, qv_bias=True,
                             use_mean_pooling=False)


def to_hf_model(model: nn.Module, mask_ratio: float = 0.75):
    """A ``transformers`` ``ViTMAEForPreTraining`` / ``VideoMAEForPreTraining`` holding our
    model's weights, in eval mode, on the CPU (:func:`hf_config` for ``mask_ratio``). For
    VideoMAE the final decoder LayerNorm's eps is set to the reference's 1e-6
    (transformers builds it with 1e-5)."""
    tf = _transformers()
    config = hf_config(model, mask_ratio)
    kind = "mae" if isinstance(config, tf.ViTMAEConfig) else "videomae"
    hf = (tf.ViTMAEForPreTraining if kind == "mae" else tf.VideoMAEForPreTraining)(config)
    hf.load_state_dict(_names_like(to_hf(model), set(hf.state_dict())), strict=True)
    if kind == "videomae":
        hf.decoder.norm.eps = 1e-6
    return hf.eval()


def _names_like(sd: StateDict, want: set[str]) -> StateDict:
    """``sd`` (current transformers names) renamed to an older install's names when that is
    what ``want`` (the HF model's own keys) uses."""
    if set(sd) == want:
        return sd
    for rules in (_HF_VITMAE_TO_LEGACY, _HF_VIDEOMAE_TO_LEGACY):
        renamed = _rename(sd, rules)
        if set(renamed) == want:
            return renamed
    return sd  # load_state_dict names what differs


def _hub_reachable(timeout: float = 3.0) -> bool:
    """One quick TCP connection to the Hub (or ``HF_ENDPOINT``), so offline machines fail
    in seconds instead of after transformers' retries."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    host = re.sub(r"^https?://", "", endpoint).split("/")[0]
    host, _, port = host.partition(":")
    try:
        with socket.create_connection((host, int(port or 443)), timeout=timeout):
            return True
    except OSError:
        return False


def from_pretrained_hf(name_or_path: str | Path = "facebook/vit-mae-base", *, local_files_only: bool = False,
                       revision: str | None = None, **overrides) -> nn.Module:
    """Our MAE / VideoMAE with the weights of a Hugging Face pretraining model, e.g.
    ``"facebook/vit-mae-base"`` (ViT-B/16, 224 px, ImageNet-normalized RGB input; the
    ``mae_visualize_vit_base.pth`` release converted by transformers, raw-pixel targets) or
    ``"MCG-NJU/videomae-base"``, or a local folder saved with ``save_pretrained``.

    Looks in the local Hugging Face cache first; downloads only when the name is not cached,
    ``local_files_only`` is False and the Hub answers. Otherwise raises
    :class:`WeightsUnavailableError` saying how to get the weights.
    Taught in lesson 08."""
    tf = _transformers()
    path = Path(name_or_path)
    if path.is_dir():
        return _load_hf(tf, str(path), True, revision, overrides)
    try:
        return _load_hf(tf, str(name_or_path), True, revision, overrides)
    except OSError:
        pass
    if local_files_only or not _hub_reachable():
        name = str(name_or_path)
        why = ("downloading was not allowed (local_files_only=True; online, pass local_files_only=False)"
               if local_files_only else "the Hugging Face Hub cannot be reached")
        raise WeightsUnavailableError(
            f"the weights of {name!r} are not on this machine and {why}. To get them, on a machine with internet "
            f"run: hf download {name} --local-dir {name.rsplit('/', 1)[-1]} (or in Python: transformers."
            f"AutoModelForPreTraining.from_pretrained({name!r}).save_pretrained(DIR)), copy the folder here and "
            "pass its path: from_pretrained_hf(DIR). facebookresearch/mae's own .pth files load with "
            "maelearn.interop.from_official(PATH)."
        )
    try:
        return _load_hf(tf, str(name_or_path), False, revision, overrides)
    except OSError as err:
        raise WeightsUnavailableError(f"could not load {str(name_or_path)!r} from the Hugging Face Hub: {err}") from None


def _load_hf(tf, name: str, local_only: bool, revision: str | None, overrides: dict) -> nn.Module:
    config = tf.AutoConfig.from_pretrained(name, local_files_only=local_only, revision=revision)
    classes = {"vit_mae": tf.ViTMAEForPreTraining, "videomae": tf.VideoMAEForPreTraining}
    if config.model_type not in classes:
        raise ValueError(f"{name!r} is a {config.model_type!r} model; expected 'vit_mae' or 'videomae'")
    hf = classes[config.model_type].from_pretrained(name, local_files_only=local_only, revision=revision)
    return from_hf(hf, **overrides)


# ---------------------------------------------------------------------------------------
# Command line: python -m maelearn.interop import|export
# ---------------------------------------------------------------------------------------

PROG = "python -m maelearn.interop"


def save_checkpoint(model: nn.Module, path: str | Path, source: str = "") -> Path:
    """Write ``model`` as a maelearn checkpoint (the format of :mod:`maelearn.checkpoint`,
    epoch 0, no optimizer state): ``load_checkpoint(path)`` and ``python -m maelearn probe
    PATH`` read it."""

    # train_config: no training happened here; the seed is the one `probe` gives its
    # random-init baseline.
    state = {"format": FORMAT, "model": model.state_dict(), "model_config": model_config(model), "epoch": 0,
             "step": 0, "history": {}, "train_config": {"seed": 0},
             "meta": {"source": source, "converted_by": "maelearn.interop"}}
    return atomic_save(state, path)


def load_any(source: str, *, heads: int | None = None, decoder_heads: int | None = None, frames: int | None = None,
             img_size: int | None = None, **overrides) -> nn.Module:
    """Our model from any source the command line takes: an official or Hugging Face file
    or folder (the layout is detected), or a Hugging Face Hub name such as
    ``facebook/vit-mae-base`` (:func:`from_pretrained_hf`)."""
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


def _run_files_beside(out: Path) -> list[str]:
    """The other files of a pretrain run folder beside ``out`` when ``out`` is that run's
    checkpoint (they describe the model in it)."""

    if out.name != CHECKPOINT_NAME or not out.is_file():
        return []
    return [n for n in RUN_FILES if n != out.name and (out.parent / n).exists()]


def main(argv: list[str] | None = None) -> int:
    """``import SRC OUT``: an official / Hugging Face checkpoint (file, folder or Hub name)
    -> a maelearn checkpoint. ``export CKPT OUT --to official|official-encoder|hf``: a
    maelearn checkpoint -> the reference ``{"model": ...}`` file, or a Hugging Face model
    folder (``save_pretrained``; needs transformers). OUT is checked before anything is
    converted, and an existing OUT (a file, or a folder that is not empty) is refused
    unless ``--overwrite`` is given."""

    overwrite_help = ("replace an existing OUT (without it, an existing file, or a non-empty folder for --to hf, "
                      "is refused and left as it is)")

    def commands(argv: list[str]) -> int:
        p = cli.ArgumentParser(prog=PROG, description=main.__doc__)
        sub = p.add_subparsers(dest="command", required=True)
        imp = sub.add_parser("import", help="official / Hugging Face checkpoint -> maelearn checkpoint")
        imp.add_argument("source", help="a .pth/.bin/.safetensors file, a Hugging Face folder, or a Hub name")
        imp.add_argument("out", metavar="OUT", type=cli.nonempty_path,
                         help="the maelearn checkpoint file to write (e.g. runs/vit-mae-base/checkpoint.pt)")
        imp.add_argument("--overwrite", action="store_true", help=overwrite_help)
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
        exp.add_argument("out", metavar="OUT", type=cli.nonempty_path,
                         help="the .pth file (official) or the folder (hf) to write")
        exp.add_argument("--to", required=True, choices=("official", "official-encoder", "hf"))
        exp.add_argument("--overwrite", action="store_true", help=overwrite_help)
        args = p.parse_args(argv)
        if args.command == "import":
            run_files = _run_files_beside(Path(args.out))
            if run_files and not args.overwrite:
                raise cli.UsageError(
                    f"OUT {args.out} is the checkpoint of the run in {Path(args.out).parent} (its files "
                    f"{', '.join(run_files)} were written for it); add --overwrite to replace it, or choose another path"
                )
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
            return 0

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
            out = save_official(model, out, encoder_only=args.to == "official-encoder")
            print(f"wrote {out} ({'encoder only, ' if args.to == 'official-encoder' else ''}"
                  "the reference layout, {'model': state_dict})")
        return 0

    @cli.guarded(PROG)
    def run(argv: list[str]) -> int:
        try:
            return commands(argv)
        except ImportError as err:  # an optional package is missing: say what to install, no traceback
            if INSTALL_HINT not in str(err):
                raise
            raise cli.UsageError(str(err)) from None

    return run(argv)


__all__ = [
    "IMAGENET_MEAN", "IMAGENET_STD", "MissingSettingError", "WeightsUnavailableError", "build_model",
    "convert_to_ours", "detect_format", "from_hf", "from_official", "from_pretrained_hf", "hf_config", "imagenet_normalize", "imagenet_unnormalize",
    "infer_config", "load_any", "load_into", "main", "photo_batch", "read_state_dict", "reconstruct_photos",
    "save_checkpoint", "save_official", "to_hf", "to_hf_model", "to_official", "videomae_positions",
]


if __name__ == "__main__":
    import sys

    sys.exit(main())
