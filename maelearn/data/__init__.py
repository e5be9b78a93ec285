"""Datasets, all offline by default: images (``images``); further modalities live in
sibling modules (video, audio, text)."""

from maelearn.data.images import (
    ImageSet,
    digits,
    load_offline,
    natural_crops,
    shapes,
    to_imageset,
    torchvision_dataset,
)

__all__ = ["ImageSet", "digits", "load_offline", "natural_crops", "shapes", "to_imageset", "torchvision_dataset"]
