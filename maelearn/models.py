"""Every MAE of the library by name, and the model a checkpoint's config describes.

A checkpoint stores its model as a plain dict (:meth:`maelearn.mae.BaseMAEConfig.to_dict`) whose
``kind`` names the model class, as the reference code picks ``mae_vit_base_patch16_dec512d8b`` by
name. This module imports the model kinds; none of them imports it. Taught in lesson 08.
"""

from __future__ import annotations

from dataclasses import fields

from maelearn.audio import SpectrogramMAE
from maelearn.mae import MAE, BaseMAEConfig
from maelearn.timeseries import TimeSeriesMAE
from maelearn.video import VideoMAE

#: ``kind`` -> model class; ``cls(config)`` builds it from its ``cls.config_class`` config.
MODELS: dict[str, type[MAE]] = {cls.config_class.kind: cls for cls in (MAE, VideoMAE, SpectrogramMAE, TimeSeriesMAE)}


def config_from_dict(cfg: dict) -> BaseMAEConfig:
    """Inverse of :meth:`BaseMAEConfig.to_dict`: the config of the model class its ``kind``
    names, or a clear error naming an unknown kind or field."""
    cfg = dict(cfg)
    kind = cfg.pop("kind", None)
    if kind not in MODELS:
        raise ValueError(f"unknown MAE kind {kind!r} in the config; expected one of {sorted(MODELS)}")
    cls = MODELS[kind].config_class
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(cfg) - names)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {unknown}; this checkpoint was written by another version")
    return cls(**cfg)


def mae_from_config(cfg: dict) -> MAE:
    """Rebuild any MAE (image, video, spectrogram, time series) from its stored config, fresh weights."""
    config = config_from_dict(cfg)
    return MODELS[config.kind](config)


__all__ = ["MODELS", "config_from_dict", "mae_from_config"]
