"""Official checkpoints in and out: facebookresearch/mae, MCG-NJU/VideoMAE and Hugging Face.

Our models compute the reference functions, so this module only renames weights (``_LAYOUTS``)
and a round trip is exact. Three differences are not names: VideoMAE has no key bias (no
effect); ``VideoMAEForPreTraining``'s last decoder LayerNorm has eps 1e-5 (:func:`to_hf_model`
sets 1e-6); it builds its targets from un-normalized frames (:func:`imagenet_unnormalize`).
Only :func:`from_pretrained_hf` downloads, and only a Hub name not yet cached.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import socket
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from maelearn.checkpoint import atomic_save, load_weights_only
from maelearn.data.folders import IMAGENET_MEAN, IMAGENET_STD  # the normalization HF's VideoMAE assumes
from maelearn.models import mae_from_config
from maelearn.posembed import sincos_1d

#: Attention heads of the released encoders and decoders by width (a state dict does not hold them).
OFFICIAL_HEADS = {"mae": ({768: 12, 1024: 16, 1280: 16}, {512: 16}),
                  "videomae": ({384: 6, 768: 12, 1024: 16, 1280: 16}, {192: 3, 384: 6, 512: 8, 640: 8})}
INSTALL_HINT = 'pip install -e ".[interop]"  (or: pip install transformers safetensors)'
StateDict = dict[str, torch.Tensor]


class MissingSettingError(ValueError):
    """A setting (``heads``, ``decoder_heads``, ``img_size``) the weights cannot tell; :meth:`naming`: ``--heads N``."""

    def __init__(self, setting: str, what: str, note: str = ""):
        self.setting, self.what, self.note = setting, what, note
        super().__init__(self.naming(f"{setting}="))

    def naming(self, how: str) -> str:
        return f"{self.what}; pass {how}{self.note}"


class WeightsUnavailableError(OSError):
    """Pretrained weights asked for by name are neither on disk nor downloadable now. Taught in lesson 08."""


def read_state_dict(source: str | Path | Mapping[str, Any]) -> StateDict:
    """The weights in ``source``: a state dict (maybe under ``"model"``, ``"module"`` or ``"state_dict"``), a
    ``.pth``/``.pt``/``.bin`` file (no pickled code runs), a ``.safetensors`` file or a Hugging Face model folder."""
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
            import safetensors.torch
        except ImportError:
            raise ImportError(f"reading {path} needs the safetensors package: {INSTALL_HINT}") from None
        try:
            return safetensors.torch.load_file(str(path))
        except safetensors.SafetensorError:  # a bad header, a cut file
            why = "empty file" if path.stat().st_size == 0 else "truncated or not a safetensors file"
            raise ValueError(f"not a readable checkpoint: {path} ({why})") from None
    obj = load_weights_only(path, allowed=(argparse.Namespace,))  # the releases' options: allowed, nothing else
    if not isinstance(obj, dict):
        raise ValueError(f"not a readable checkpoint: {path} (holds a {type(obj).__name__}, not a dict)")
    return _unwrap(obj, str(path))


def _unwrap(obj: dict, where: str) -> StateDict:
    key = next((k for k in ("model", "module", "state_dict") if isinstance(obj.get(k), Mapping)), None)
    obj = dict(obj[key]) if key else obj
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if not obj or bad:
        raise ValueError(f"{where} is not a state dict (expected tensors by name, or one under 'model'); "
                         f"non-tensor entries: {sorted(map(str, bad))[:5]}")
    return obj


class _Layout(NamedTuple):
    """One family's names, tables {ours: theirs}; a module name renames its weight and bias. Blocks name ``attn.qkv``
    or its split ``attn.q/k/v``, as the family stores it; what no table names is not exported (VideoMAE's key bias)."""

    top: dict[str, str]  # outside the blocks
    blocks: dict[str, str]  # the prefixes of the encoder's and the decoder's numbered blocks
    block: dict[str, str]  # inside one block

    def reversed(self) -> _Layout:
        return _Layout(*({theirs: ours for ours, theirs in table.items()} for table in self))

    def block_params(self) -> list[str]:
        """Their parameter names inside one block."""
        names = []
        for ours, theirs in self.block.items():
            names += [theirs] if ours.endswith((".weight", ".bias")) else [f"{theirs}.weight", f"{theirs}.bias"]
        return names


_MLP = {"mlp.0": "mlp.fc1", "mlp.2": "mlp.fc2"}
_HF_NORMS = {"norm1": "layernorm_before", "norm2": "layernorm_after"}
_VIDEO_DECODER = {"decoder_embed": "encoder_to_decoder", "mask_token": "mask_token", "decoder_norm": "decoder.norm",
                  "decoder_pred": "decoder.head"}  # both VideoMAE families

#: :func:`detect_format`'s names -> their layout.
_LAYOUTS: dict[str, _Layout] = {
    "official_mae": _Layout(
        top={"encoder.patch_embed.proj": "patch_embed.proj", "encoder.cls_token": "cls_token",
             "encoder.pos_embed": "pos_embed", "encoder.norm": "norm", "decoder_embed": "decoder_embed",
             "mask_token": "mask_token", "decoder_pos_embed": "decoder_pos_embed",
             "decoder_norm": "decoder_norm", "decoder_pred": "decoder_pred"},
        blocks={"encoder.blocks.": "blocks.", "decoder_blocks.": "decoder_blocks."},
        block={"norm1": "norm1", "attn.qkv": "attn.qkv", "attn.proj": "attn.proj", "norm2": "norm2", **_MLP},
    ),
    "official_videomae": _Layout(  # no positions: they are the fixed sin-cos table
        top={"encoder.patch_embed.proj": "encoder.patch_embed.proj", "encoder.norm": "encoder.norm", **_VIDEO_DECODER},
        blocks={"encoder.blocks.": "encoder.blocks.", "decoder_blocks.": "decoder.blocks."},
        block={"norm1": "norm1", "attn.qkv.weight": "attn.qkv.weight", "attn.q.bias": "attn.q_bias",
               "attn.v.bias": "attn.v_bias", "attn.proj": "attn.proj", "norm2": "norm2", **_MLP},
    ),
    "hf_mae": _Layout(  # ViTMAEForPreTraining, transformers 5 names
        top={"encoder.patch_embed.proj": "vit.embeddings.patch_embeddings.projection",
             "encoder.cls_token": "vit.embeddings.cls_token", "encoder.pos_embed": "vit.embeddings.position_embeddings",
             "encoder.norm": "vit.layernorm", "decoder_embed": "decoder.decoder_embed",
             "mask_token": "decoder.mask_token", "decoder_pos_embed": "decoder.decoder_pos_embed",
             "decoder_norm": "decoder.decoder_norm", "decoder_pred": "decoder.decoder_pred"},
        blocks={"encoder.blocks.": "vit.layers.", "decoder_blocks.": "decoder.decoder_layers."},
        block={**_HF_NORMS, "attn.q": "attention.q_proj", "attn.k": "attention.k_proj", "attn.v": "attention.v_proj",
               "attn.proj": "attention.o_proj", **_MLP},
    ),
    "hf_videomae": _Layout(  # VideoMAEForPreTraining
        top={"encoder.patch_embed.proj": "videomae.embeddings.patch_embeddings.projection",
             "encoder.norm": "videomae.layernorm", **_VIDEO_DECODER},
        blocks={"encoder.blocks.": "videomae.encoder.layer.", "decoder_blocks.": "decoder.decoder_layers."},
        block={**_HF_NORMS, "attn.q": "attention.attention.query", "attn.k.weight": "attention.attention.key.weight",
               "attn.v": "attention.attention.value", "attn.proj": "attention.output.dense",
               "mlp.0": "intermediate.dense", "mlp.2": "output.dense"},
    ),
}

#: (old, current) parts of transformers 4.x names (the Hub's files), replaced in order; backwards: :func:`_names_like`.
_HF_OLD_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "hf_mae": (("vit.encoder.layer.", "vit.layers."), ("attention.attention.query.", "attention.q_proj."),
               ("attention.attention.key.", "attention.k_proj."), ("attention.attention.value.", "attention.v_proj."),
               ("attention.output.dense.", "attention.o_proj."),  # before the MLP's output.dense
               ("intermediate.dense.", "mlp.fc1."), ("output.dense.", "mlp.fc2.")),
    "hf_videomae": (("attention.attention.q_bias", "attention.attention.query.bias"),
                    ("attention.attention.v_bias", "attention.attention.value.bias")),
}


def _rename_key(key: str, layout: _Layout) -> str | None:
    """``key`` renamed by ``layout``; None when the layout has no such name."""
    table, prefix, name = layout.top, "", key
    for ours, theirs in layout.blocks.items():
        if m := re.fullmatch(re.escape(ours) + r"(\d+)\.(.+)", key):
            table, prefix, name = layout.block, f"{theirs}{m[1]}.", m[2]
            break
    module, _, param = name.rpartition(".")
    if name in table:
        return prefix + table[name]
    return f"{prefix}{table[module]}.{param}" if module in table else None


def _replace_parts(sd: StateDict, pairs: tuple[tuple[str, str], ...], backwards: bool = False) -> StateDict:
    """``sd`` with each (old, new) part of its keys replaced in turn (``backwards``: new -> old)."""
    if backwards:
        pairs = tuple((new, old) for old, new in reversed(pairs))
    out = {}
    for key, t in sd.items():
        for old, new in pairs:
            key = key.replace(old, new)
        out[key] = t
    return out


def _split_qkv(sd: StateDict) -> StateDict:
    """``sd`` plus each block's ``attn.qkv`` split in ``attn.q``, ``attn.k``, ``attn.v``."""
    out = dict(sd)
    for key, t in sd.items():
        if ".attn.qkv." in key:
            block, param = key.split(".attn.qkv.")
            out.update(zip((f"{block}.attn.{x}.{param}" for x in "qkv"), t.chunk(3, dim=0)))
    return out


def _merge_qkv(sd: StateDict) -> StateDict:
    """Inverse of :func:`_split_qkv`; a key bias the file does not store is zero."""
    for q in [k for k in sd if re.search(r"\.attn\.q\.(weight|bias)$", k)]:
        block, param = q.split(".attn.q.")
        parts = [sd.pop(f"{block}.attn.{x}.{param}", None) for x in "qkv"]
        if parts[1] is None:  # VideoMAE: a key bias adds the same to every score of a query: no effect
            parts[1] = torch.zeros_like(parts[0])
        sd[f"{block}.attn.qkv.{param}"] = torch.cat(parts)
    return sd


def _block_indices(keys, prefix: str) -> list[int]:
    pat = re.compile(re.escape(prefix) + r"(\d+)\.")
    found = {int(m.group(1)) for k in keys if (m := pat.match(k))}
    if found and found != set(range(len(found))):
        raise ValueError(f"blocks under {prefix!r} are not numbered 0..{len(found) - 1}: {sorted(found)}")
    return sorted(found)


def _canonical(sd: Mapping[str, torch.Tensor]) -> StateDict:
    """``sd`` as a dict, checked to be one of ours."""
    if "encoder.patch_embed.proj.weight" not in sd:
        raise ValueError("not a maelearn MAE/VideoMAE state dict: it has no encoder.patch_embed.proj.weight "
                         f"(first keys: {list(sd)[:4]})")
    return dict(sd)


def _kind_of(sd: Mapping[str, torch.Tensor]) -> str:
    """'mae' (Conv2d patches) or 'videomae' (Conv3d cubes)."""
    return "videomae" if sd["encoder.patch_embed.proj.weight"].ndim == 5 else "mae"


def _export(model_or_sd: nn.Module | Mapping[str, torch.Tensor], fmt: str, encoder_only: bool = False) -> StateDict:
    if isinstance(model_or_sd, nn.Module):
        cfg = getattr(model_or_sd, "config", None)
        kind = getattr(cfg, "kind", None)
        if kind not in ("mae", "videomae"):
            what = kind or type(model_or_sd).__name__
            raise ValueError(f"the official layouts hold image MAEs and VideoMAEs; this is a {what!r} model")
        if getattr(cfg, "encoder_mask_tokens", False):
            raise ValueError("MAEWithEncoderMaskTokens (the BEiT-style ablation) has no counterpart in the official "
                             "code; export a plain maelearn.mae.MAE")
        model_or_sd = model_or_sd.state_dict()
    sd = {k: v.detach() for k, v in _canonical(model_or_sd).items()}
    kind = _kind_of(sd)
    for name in ("encoder.pos_embed", "decoder_pos_embed"):  # VideoMAE's files do not store them
        pos = sd.get(name) if kind == "videomae" else None
        if pos is not None and not torch.allclose(pos.float(), videomae_positions(*pos.shape[1:]), atol=1e-5):
            raise ValueError(f"our VideoMAE's {name} is not VideoMAE's 1-D sin-cos table, and the official files do "
                             "not store positions: the exported model would see different positions. Export a model "
                             "built with pos_embed='1d' (or loaded from an official checkpoint)")
    layout = _LAYOUTS[f"{fmt}_{kind}"]
    out: StateDict = {}
    for key, t in _split_qkv(sd).items():
        theirs = _rename_key(key, layout)
        if theirs is not None and (key.startswith("encoder.") or not encoder_only):
            out[theirs] = t.cpu().clone()  # a file for any machine, never a view of the model
    return out


def to_official(model: nn.Module | Mapping[str, torch.Tensor], encoder_only: bool = False) -> StateDict:
    """Our MAE -> a facebookresearch/mae ``MaskedAutoencoderViT`` state dict; our VideoMAE -> an MCG-NJU
    ``PretrainVisionTransformer`` one. ``encoder_only``: the encoder alone, as in ``mae_pretrain_vit_*.pth``."""
    return _export(model, "official", encoder_only)


def to_hf(model: nn.Module | Mapping[str, torch.Tensor]) -> StateDict:
    """Our MAE / VideoMAE -> a ``ViTMAEForPreTraining`` / ``VideoMAEForPreTraining`` state dict (no install needed)."""
    return _export(model, "hf")


def save_official(model: nn.Module, path: str | Path, encoder_only: bool = False) -> Path:
    """Write ``{"model": to_official(model)}``, the file the reference code reads, atomically (replacing any)."""
    return atomic_save({"model": to_official(model, encoder_only)}, path)


def detect_format(sd: Mapping[str, torch.Tensor]) -> str:
    """``sd``'s layout: ``maelearn``, ``official_mae``, ``official_videomae``, ``hf_mae`` or ``hf_videomae``."""
    keys = set(sd)
    ours = "encoder.patch_embed.proj.weight" in keys
    decoder = "decoder_embed.weight" in keys or "decoder_pred.weight" in keys
    if ours and any(k.startswith("encoder.blocks.") for k in keys) and decoder:
        return "maelearn"
    if "patch_embed.proj.weight" in keys and "cls_token" in keys:
        return "official_mae"
    if ours and ("encoder_to_decoder.weight" in keys or any(k.endswith("attn.q_bias") for k in keys)):
        return "official_videomae"
    if "vit.embeddings.patch_embeddings.projection.weight" in keys:
        return "hf_mae"
    if "videomae.embeddings.patch_embeddings.projection.weight" in keys:
        return "hf_videomae"
    raise ValueError("unrecognized checkpoint layout; expected facebookresearch/mae (patch_embed.proj, cls_token, "
                     "blocks.*), MCG-NJU VideoMAE (encoder.patch_embed.proj, encoder_to_decoder), Hugging Face ViTMAE "
                     f"(vit.embeddings.*) or VideoMAE (videomae.embeddings.*); first keys: {list(sd)[:5]}")


def convert_to_ours(source: str | Path | Mapping[str, Any], fmt: str | None = None) -> StateDict:
    """Any supported pretraining checkpoint (``fmt``: :func:`detect_format`'s) -> a state dict with our names. Unknown
    keys (a classifier's ``head.weight``) raise a ``ValueError`` naming them; the decoder may be missing."""
    sd = read_state_dict(source)
    fmt = fmt or detect_format(sd)
    if fmt == "maelearn":
        return _canonical(sd)
    if fmt not in _LAYOUTS:
        raise ValueError(f"fmt must be one of {sorted(_LAYOUTS)} or 'maelearn', got {fmt!r}")
    sd = _replace_parts(sd, _HF_OLD_NAMES.get(fmt, ()))
    layout = _LAYOUTS[fmt]
    for prefix in layout.blocks.values():
        for i in _block_indices(sd, prefix):
            missing = [f"{prefix}{i}.{p}" for p in layout.block_params() if f"{prefix}{i}.{p}" not in sd]
            if missing:
                raise ValueError(f"the {fmt} checkpoint lacks {missing[0]!r}; is it complete?")
    back, out, unknown = layout.reversed(), {}, []
    for key, t in sd.items():
        ours = _rename_key(key, back)
        if key.endswith(".bias") and key.removesuffix("bias") + "weight" not in sd:
            ours = None  # a bias without its weight: no module of ours
        if ours is not None:
            out[ours] = t
        elif not (fmt == "official_videomae" and key in ("pos_embed", "encoder.pos_embed", "decoder.pos_embed")):
            unknown.append(key)  # (some VideoMAE files carry their fixed position tables: not parameters)
    if unknown:
        raise ValueError(f"the {fmt} checkpoint has {len(unknown)} key(s) that a pretraining model does not: "
                         f"{sorted(unknown)[:6]} (a fine-tuned classifier? convert its pretraining checkpoint instead)")
    if "encoder.patch_embed.proj.weight" not in out:
        raise ValueError(f"the {fmt} checkpoint has no patch embedding; is it complete?")
    return _merge_qkv(out)


def _heads(dim: int, given: int | None, table: dict[int, int], name: str) -> int:
    if given is None and dim not in table:
        part = "decoder" if name.startswith("decoder") else "encoder"
        what = f"cannot tell the number of attention heads of a {dim}-d {part} from its weights"
        raise MissingSettingError(name, what, f" (the released models by width: {table})")
    return table[dim] if given is None else given


def infer_config(sd: Mapping[str, torch.Tensor], *, heads: int | None = None, decoder_heads: int | None = None,
                 frames: int | None = None, img_size: int | None = None, **overrides) -> dict:
    """Our model config (a dict with ``kind``) for our state dict ``sd``, sizes from the shapes; not from them: heads
    (default: the released models' by width), VideoMAE's ``frames`` and ``img_size`` (16, 224) and ``overrides``."""
    sd = _canonical(sd)
    kind = _kind_of(sd)
    w = sd["encoder.patch_embed.proj.weight"]
    dim, in_chans, patch = w.shape[0], w.shape[1], w.shape[-1]
    depth = len(_block_indices(sd, "encoder.blocks."))
    if depth == 0:
        raise ValueError("the checkpoint has no encoder blocks")
    mlp_ratio = sd["encoder.blocks.0.mlp.0.weight"].shape[0] / dim
    cfg: dict[str, Any] = dict(patch_size=patch, in_chans=in_chans, dim=dim, depth=depth, mlp_ratio=mlp_ratio)
    has_decoder = "decoder_embed.weight" in sd  # without one: the paper's default decoder
    if has_decoder:
        cfg.update(decoder_dim=sd["decoder_embed.weight"].shape[0],
                   decoder_depth=len(_block_indices(sd, "decoder_blocks.")))
    if kind == "mae":
        n = sd["encoder.pos_embed"].shape[1] - 1 if "encoder.pos_embed" in sd else None
        side = round(math.sqrt(n)) if n else 0
        if (n is None or side * side != n) and img_size is None:
            raise MissingSettingError("img_size",
                                      "cannot tell the image size from the checkpoint (no square pos_embed)")
        cfg["img_size"] = img_size if img_size is not None else side * patch
    else:
        cfg.update(tubelet=w.shape[2], frames=16 if frames is None else frames,
                   img_size=224 if img_size is None else img_size, pos_embed="1d")
    cfg["heads"] = _heads(dim, heads, OFFICIAL_HEADS[kind][0], "heads")
    if has_decoder:
        cfg["decoder_heads"] = _heads(cfg["decoder_dim"], decoder_heads, OFFICIAL_HEADS[kind][1], "decoder_heads")
    elif decoder_heads is not None:
        cfg["decoder_heads"] = decoder_heads
    return {"kind": kind, **cfg, **overrides}


def _from(sd: StateDict, *, model: nn.Module | None = None, **settings) -> nn.Module:
    """Our state dict ``sd`` loaded into ``model`` (default: built by :func:`infer_config`); every encoder weight must
    be there, a missing decoder one stays initialized (with a warning). VideoMAE's positions get the reference table."""
    model = model if model is not None else mae_from_config(infer_config(sd, **settings))
    own = _canonical(model.state_dict())
    if _kind_of(own) == "videomae" and ("encoder.pos_embed" not in sd or "decoder_pos_embed" not in sd):
        pos_kind = getattr(getattr(model, "config", None), "pos_embed", "1d")
        if pos_kind != "1d":
            raise ValueError(f"VideoMAE checkpoints were trained with the 1-D sin-cos table, but this model was "
                             f"built with pos_embed={pos_kind!r}; build it with pos_embed='1d'")
        for name in ("encoder.pos_embed", "decoder_pos_embed"):
            sd.setdefault(name, videomae_positions(*own[name].shape[1:]))
    wrong = [f"{k}: checkpoint {tuple(v.shape)}, model {tuple(own[k].shape)}"
             for k, v in sd.items() if k in own and own[k].shape != v.shape]
    if wrong:
        raise ValueError(f"the checkpoint does not fit the model ({len(wrong)} shape(s) differ): {wrong[:4]}")
    unexpected = sorted(set(sd) - set(own))
    if unexpected:
        raise ValueError(f"the checkpoint has weights the model lacks: {unexpected[:6]}")
    missing = sorted(set(own) - set(sd))
    if any(k.startswith("encoder.") for k in missing):
        raise ValueError(f"the checkpoint lacks {len(missing)} weight(s) of the model: {missing[:6]}")
    model.load_state_dict(sd, strict=False)
    if missing:
        warnings.warn(f"the checkpoint has no decoder ({len(missing)} weights, e.g. {missing[0]}): the encoder is "
                      "loaded, the decoder is freshly initialized (fine for probing/fine-tuning, not for "
                      "reconstructions)", stacklevel=3)
    return model


def from_official(source: str | Path | Mapping[str, Any], *, model: nn.Module | None = None,
                  heads: int | None = None, decoder_heads: int | None = None, frames: int | None = None,
                  img_size: int | None = None, **overrides) -> nn.Module:
    """A facebookresearch/mae (image) or MCG-NJU (video) pretraining checkpoint or its dict -> our MAE or VideoMAE (an
    encoder-only file leaves the decoder initialized, with a warning), configured by :func:`infer_config` or loaded
    into ``model``. The ``mae_visualize_*`` releases were trained on raw pixels: pass ``norm_pix_loss=False``."""
    return _from(convert_to_ours(source), model=model, heads=heads, decoder_heads=decoder_heads, frames=frames,
                 img_size=img_size, **overrides)


def from_hf(source: str | Path | Mapping[str, Any] | nn.Module, config: Any = None, *, model: nn.Module | None = None,
            **overrides) -> nn.Module:
    """A Hugging Face ``ViTMAEForPreTraining`` / ``VideoMAEForPreTraining`` (model, state dict, file or folder;
    transformers 4.x or 5.x names) -> our MAE / VideoMAE, set up by ``config`` (default: the model's or the folder's)
    and ``overrides``. Its ``layer_norm_eps`` (1e-12) is not kept: ours, 1e-6, moves outputs ~1e-5 relative."""
    if isinstance(source, nn.Module):
        config = config if config is not None else getattr(source, "config", None)
        source = source.state_dict()
    elif config is None and isinstance(source, (str, Path)) and (Path(source) / "config.json").is_file():
        config = json.loads((Path(source) / "config.json").read_text())
    sd = convert_to_ours(source)
    return _from(sd, model=model, **{**_settings_from_hf(config, _kind_of(sd)), **overrides})


def _settings_from_hf(config: Any, kind: str) -> dict:
    """Our settings from a transformers config, its object or its dict (None: none)."""
    if config is not None and not isinstance(config, Mapping):
        if not hasattr(config, "to_dict"):
            raise TypeError(f"config must be a transformers config or a dict, got {type(config).__name__}")
        config = config.to_dict()
    if not config:
        return {}
    act = config.get("hidden_act", "gelu")
    if act != "gelu":
        raise ValueError(f"the Hugging Face config has hidden_act={act!r}; our blocks use the exact GELU ('gelu')")
    size = config.get("image_size", 224)
    out = dict(heads=config.get("num_attention_heads"), decoder_heads=config.get("decoder_num_attention_heads"),
               img_size=size[0] if isinstance(size, (list, tuple)) else size,
               norm_pix_loss=bool(config.get("norm_pix_loss", kind == "videomae")),
               frames=config.get("num_frames", 16) if kind == "videomae" else None)
    return {k: v for k, v in out.items() if v is not None}


def videomae_positions(n: int, dim: int) -> torch.Tensor:
    """The reference VideoMAE positions (1, n, dim): :func:`maelearn.posembed.sincos_1d`, interleaved (``"1d"``)."""
    return sincos_1d(dim, torch.arange(n), interleaved=True)[None]


def _imagenet_stats(x: torch.Tensor, channel_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """ImageNet's RGB mean and std shaped to broadcast along ``channel_dim`` of ``x``."""
    if x.shape[channel_dim] != 3:
        raise ValueError(f"x must have 3 (RGB) channels along dim {channel_dim}, got shape {tuple(x.shape)}")
    shape = [3 if d == channel_dim % x.ndim else 1 for d in range(x.ndim)]
    return tuple(torch.tensor(v, dtype=x.dtype, device=x.device).view(shape) for v in (IMAGENET_MEAN, IMAGENET_STD))


def imagenet_unnormalize(x: torch.Tensor, channel_dim: int = 1) -> torch.Tensor:
    """``x * std + mean`` with ImageNet's RGB statistics along ``channel_dim`` (HF VideoMAE's targets start so)."""
    mean, std = _imagenet_stats(x, channel_dim)
    return x * std + mean


def imagenet_normalize(x: torch.Tensor, channel_dim: int = 1) -> torch.Tensor:
    """``(x - mean) / std`` with ImageNet's RGB statistics: the released models' input."""
    mean, std = _imagenet_stats(x, channel_dim)
    return (x - mean) / std


def photo_batch(photos, size: int = 224) -> torch.Tensor:
    """Photos, (H, W, 3) uint8 arrays (``skimage.data.astronaut()``) or (3, H, W) floats -> (B, 3, size, size) in
    [0, 1] by the released models' eval transform: shorter side to ``size`` (bicubic, antialiased), centre crop."""
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
        scale = size / min(t.shape[1:])
        nh, nw = (max(size, round(n * scale)) for n in t.shape[1:])
        t = nn.functional.interpolate(t[None], size=(nh, nw), mode="bicubic", antialias=True, align_corners=False)[0]
        top, left = (nh - size) // 2, (nw - size) // 2
        out.append(t[:, top : top + size, left : left + size].clamp(0, 1))
    return torch.stack(out)


@torch.no_grad()
def reconstruct_photos(model: nn.Module, photos, mask_ratio: float = 0.75, seed: int = 0) -> dict:
    """:meth:`maelearn.mae.MAE.reconstruct` on photos (:func:`photo_batch`) for a model trained on ImageNet-normalized
    input, masked with noise from ``seed``; every image of the result mapped back to [0, 1] pixels, ready for
    :func:`maelearn.viz.figure2`. Taught in lesson 08."""
    x = photo_batch(photos, model.config.img_size)
    dev = next(model.parameters()).device
    noise = torch.rand(x.shape[0], model.num_patches, generator=torch.Generator().manual_seed(seed))
    model.eval()
    recon = model.reconstruct(imagenet_normalize(x).to(dev), mask_ratio, noise.to(dev))
    for key in ("masked", "reconstruction", "pasted", "original"):
        recon[key] = imagenet_unnormalize(recon[key].float().cpu()).clamp(0, 1)
    recon["mask"] = recon["mask"].cpu()
    return recon


def _transformers():
    try:
        import transformers
    except ImportError:
        raise ImportError(f"Hugging Face models need the transformers package: {INSTALL_HINT}") from None
    return transformers


def to_hf_model(model: nn.Module, mask_ratio: float = 0.75):
    """A ``transformers`` ``ViTMAEForPreTraining`` / ``VideoMAEForPreTraining`` computing what ``model`` does, in eval
    mode, on the CPU (every LayerNorm eps 1e-6); ViTMAE masks at ``mask_ratio``, VideoMAE takes a mask."""
    tf = _transformers()
    cfg = model.config
    if cfg.kind not in ("mae", "videomae"):
        raise ValueError(f"Hugging Face has MAE and VideoMAE pretraining models; this is a {cfg.kind!r} model")
    common = dict(image_size=cfg.img_size, patch_size=cfg.patch_size, num_channels=cfg.in_chans, hidden_size=cfg.dim,
                  num_hidden_layers=cfg.depth, num_attention_heads=cfg.heads,
                  intermediate_size=int(cfg.dim * cfg.mlp_ratio), decoder_hidden_size=cfg.decoder_dim,
                  decoder_num_hidden_layers=cfg.decoder_depth, decoder_num_attention_heads=cfg.decoder_heads,
                  decoder_intermediate_size=int(cfg.decoder_dim * cfg.mlp_ratio), layer_norm_eps=1e-6,
                  hidden_act="gelu", norm_pix_loss=cfg.norm_pix_loss)
    if cfg.kind == "mae":
        hf = tf.ViTMAEForPreTraining(tf.ViTMAEConfig(**common, qkv_bias=True, mask_ratio=mask_ratio))
    else:
        hf = tf.VideoMAEForPreTraining(tf.VideoMAEConfig(**common, num_frames=cfg.frames, tubelet_size=cfg.tubelet,
                                                         qv_bias=True, use_mean_pooling=False))
        hf.decoder.norm.eps = 1e-6  # transformers builds it with 1e-5
    hf.load_state_dict(_names_like(to_hf(model), set(hf.state_dict())), strict=True)
    return hf.eval()


def _names_like(sd: StateDict, want: set[str]) -> StateDict:
    """``sd`` (current transformers names) in the names of ``want`` (an older install's keys), else unchanged."""
    for pairs in ((), *_HF_OLD_NAMES.values()):
        renamed = _replace_parts(sd, pairs, backwards=True)
        if set(renamed) == want:
            return renamed
    return sd


def _hub_reachable(timeout: float = 3.0) -> bool:
    """One quick TCP connection to the Hub (or ``HF_ENDPOINT``): offline, fail in seconds, not after retries."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    host = re.sub(r"^https?://", "", os.environ.get("HF_ENDPOINT", "https://huggingface.co")).split("/")[0]
    host, _, port = host.partition(":")
    try:
        with socket.create_connection((host, int(port or 443)), timeout=timeout):
            return True
    except OSError:
        return False


def from_pretrained_hf(name_or_path: str | Path = "facebook/vit-mae-base", *, local_files_only: bool = False,
                       revision: str | None = None, **overrides) -> nn.Module:
    """Our MAE / VideoMAE with the weights of a Hugging Face pretraining model, e.g. ``"facebook/vit-mae-base"``
    (ViT-B/16, 224 px, ImageNet-normalized input, raw-pixel targets), ``"MCG-NJU/videomae-base"`` or a
    ``save_pretrained`` folder. Downloads only when the name is not cached, ``local_files_only`` is False and the
    Hub answers; else raises :class:`WeightsUnavailableError` saying how to get the weights. Taught in lesson 08."""
    tf = _transformers()
    name = str(name_or_path)
    try:
        return _load_hf(tf, name, True, revision, overrides)
    except OSError:
        if Path(name).is_dir():
            raise
    if local_files_only or not _hub_reachable():
        why = ("downloading was not allowed (local_files_only=True; online, pass local_files_only=False)"
               if local_files_only else "the Hugging Face Hub cannot be reached")
        raise WeightsUnavailableError(
            f"the weights of {name!r} are not on this machine and {why}. To get them, on a machine with internet run: "
            f"hf download {name} --local-dir {name.rsplit('/', 1)[-1]} (or in Python: transformers."
            f"AutoModelForPreTraining.from_pretrained({name!r}).save_pretrained(DIR)), copy the folder here and pass "
            "its path: from_pretrained_hf(DIR). facebookresearch/mae's own .pth files load with "
            "maelearn.interop.from_official(PATH).")
    try:
        return _load_hf(tf, name, False, revision, overrides)
    except OSError as err:
        raise WeightsUnavailableError(f"could not load {name!r} from the Hugging Face Hub: {err}") from None


def _load_hf(tf, name: str, local_only: bool, revision: str | None, overrides: dict) -> nn.Module:
    config = tf.AutoConfig.from_pretrained(name, local_files_only=local_only, revision=revision)
    classes = {"vit_mae": tf.ViTMAEForPreTraining, "videomae": tf.VideoMAEForPreTraining}
    if config.model_type not in classes:
        raise ValueError(f"{name!r} is a {config.model_type!r} model; expected 'vit_mae' or 'videomae'")
    hf = classes[config.model_type].from_pretrained(name, local_files_only=local_only, revision=revision)
    return from_hf(hf, **overrides)


__all__ = [
    "IMAGENET_MEAN", "IMAGENET_STD", "MissingSettingError", "WeightsUnavailableError", "convert_to_ours",
    "detect_format", "from_hf", "from_official", "from_pretrained_hf", "imagenet_normalize",
    "imagenet_unnormalize", "infer_config", "photo_batch", "read_state_dict", "reconstruct_photos", "save_official",
    "to_hf", "to_hf_model", "to_official", "videomae_positions",
]
