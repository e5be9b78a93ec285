"""Datasets, all offline by default: images (``images``, ``scenes``); further modalities live in
sibling modules (video, audio, text). :func:`load_offline` picks an offline image set by name."""

from maelearn.data.images import ImageSet, digits, natural_crops, shapes, to_imageset, torchvision_dataset
from maelearn.data.scenes import scenes


def load_offline(name: str, n: int = 2048, size: int = 32, seed: int = 0) -> ImageSet:
    """One of the offline sets by name: ``"scenes"`` (the benchmark with headroom,
    :func:`maelearn.data.scenes.scenes`), ``"shapes"``, ``"digits"`` or ``"natural"``."""
    if name == "scenes":
        return scenes(n, size, seed)
    if name == "shapes":
        return shapes(n, size, seed)
    if name == "digits":
        return digits(size)
    if name == "natural":
        return natural_crops(n, size, seed)
    raise ValueError(f"dataset must be one of 'scenes', 'shapes', 'digits', 'natural', got {name!r}")


__all__ = ["ImageSet", "digits", "load_offline", "natural_crops", "shapes", "to_imageset", "torchvision_dataset"]
