"""Offline image data (shapes, digits, natural crops), ImageSet helpers and the torchvision
loaders on local files only."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from maelearn.data import (
    ImageSet,
    digits,
    load_offline,
    natural_crops,
    shapes,
    to_imageset,
    torchvision_dataset,
)
from maelearn.data.images import COLOURS, SHAPES


def test_shapes_deterministic_by_seed():
    a, b, c = shapes(64, 16, seed=3), shapes(64, 16, seed=3), shapes(64, 16, seed=4)
    assert a.images.shape == (64, 3, 16, 16) and a.images.dtype == torch.float32
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, c.images)
    assert a.images.min() >= 0 and a.images.max() <= 1
    assert a.classes == list(SHAPES)
    assert set(a.attributes) >= {"colour", "size", "x", "y"}
    assert shapes(5, 24).images.shape == (5, 3, 24, 24)


def test_shapes_labels_balanced():
    s = shapes(2000, 16, seed=0)
    counts = torch.bincount(s.labels, minlength=len(SHAPES)).float()
    # Uniform draws: each class ~500 with sd ~19; 400..600 is a 5-sigma band.
    assert counts.min() >= 400 and counts.max() <= 600, counts
    colours = torch.bincount(s.attributes["colour"], minlength=len(COLOURS))
    assert colours.min() >= 400


def test_shapes_are_distinguishable():
    # The label is recoverable from the silhouette alone: segment the shape from its
    # background (the corner colour), crop its bounding box, resize to 12x12, and classify
    # held-out images by the nearest class mean. Measured 0.995 for this seed; 0.9 leaves
    # margin and is far above the 0.25 chance of 4 classes.
    s = shapes(600, 32, seed=1)
    bg = s.images[:, :, :3, :3].mean((2, 3), keepdim=True)
    fg = ((s.images - bg).abs().amax(1) > 0.25).float()  # (N, H, W)
    crops = []
    for m in fg:
        ys, xs = torch.nonzero(m, as_tuple=True)
        box = m[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        crops.append(F.interpolate(box[None, None], size=(12, 12), mode="bilinear", align_corners=False)[0, 0])
    x = torch.stack(crops).flatten(1)
    tr, te = slice(0, 400), slice(400, None)
    means = torch.stack([x[tr][s.labels[tr] == c].mean(0) for c in range(len(SHAPES))])
    acc = (torch.cdist(x[te], means).argmin(1) == s.labels[te]).float().mean().item()
    assert acc > 0.9, acc


def test_digits_shape_and_range():
    d = digits(16)
    assert d.images.shape == (1797, 1, 16, 16)
    assert d.images.min() >= 0 and d.images.max() <= 1
    assert d.classes == [str(i) for i in range(10)]
    assert torch.bincount(d.labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert digits(8).images.shape == (1797, 1, 8, 8)


def test_natural_crops_offline():
    n = natural_crops(12, 16, seed=0)
    assert n.images.shape == (12, 3, 16, 16) and n.images.min() >= 0 and n.images.max() <= 1
    assert torch.equal(n.images, natural_crops(12, 16, seed=0).images)
    assert n.labels.max() < len(n.classes)
    assert n.images.std() > 0.05  # real photo content, not blank


def test_load_offline_by_name():
    assert load_offline("shapes", n=4, size=16).images.shape == (4, 3, 16, 16)
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_offline("imagenet")


def test_imageset_split_and_few_per_class():
    s = shapes(100, 8, seed=0)
    a, b = s.split(30, seed=1)
    assert len(a) == 30 and len(b) == 70
    a2, _ = s.split(30, seed=1)
    assert torch.equal(a.images, a2.images)
    # A partition: every image exactly once.
    both = torch.cat([a.attributes["x"], b.attributes["x"]])
    assert torch.equal(both.sort().values, s.attributes["x"].sort().values)
    few = s.few_per_class(3, seed=0)
    assert torch.bincount(few.labels, minlength=4).tolist() == [3, 3, 3, 3]
    with pytest.raises(ValueError, match="fewer than k=1000"):
        s.few_per_class(1000)
    with pytest.raises(ValueError, match="n_first must be an int between 1 and 99"):
        s.split(100)
    sub = s[s.labels == 2]
    assert (sub.labels == 2).all() and sub.attributes["colour"].shape[0] == len(sub)


def test_imagefolder_loader(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls, value in [("cats", 30), ("dogs", 220)]:
        (tmp_path / cls).mkdir()
        for i in range(3):
            arr = np.clip(value + rng.integers(-10, 10, (20, 24, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(arr).save(tmp_path / cls / f"{i}.png")
    ds = torchvision_dataset("imagefolder", tmp_path, size=16)
    s = to_imageset(ds, name="pets")
    assert isinstance(s, ImageSet) and s.name == "pets"
    assert s.images.shape == (6, 3, 16, 16) and s.images.dtype == torch.float32
    assert s.classes == ["cats", "dogs"] and s.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert s.images[:3].mean() < 0.2 and s.images[3:].mean() > 0.8  # pixel values survive, in [0, 1]
    assert len(to_imageset(ds, limit=2)) == 2


def test_missing_cifar_without_download_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar10 is not available under .*download=True.*shapes\\(\\)"):
        torchvision_dataset("cifar10", tmp_path / "nothing", download=False)
    with pytest.raises(ValueError, match="name must be 'cifar10', 'stl10' or 'imagefolder'"):
        torchvision_dataset("mnist", tmp_path)


# -- the shape-scenes benchmark ----------------------------------------------------------------

from maelearn.data.augment import augmentation, colour_jitter, random_resized_crop
from maelearn.data.scenes import (
    MAX_ANGLE,
    MAX_CLUTTER,
    SCENE_CLASSES,
    render_silhouettes,
    scene_benchmark,
    scenes,
    unlabelled_scenes,
)


def test_scenes_deterministic_in_range_and_balanced():
    a, b, c = scenes(300, seed=5), scenes(300, seed=5), scenes(300, seed=6)
    assert a.images.shape == (300, 3, 32, 32) and a.images.dtype == torch.float32
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, c.images)
    assert a.images.min() >= 0 and a.images.max() <= 1
    assert a.classes == list(SCENE_CLASSES) and len(SCENE_CLASSES) >= 10
    counts = torch.bincount(scenes(2000, seed=0).labels, minlength=10)
    assert counts.min() >= 150 and counts.max() <= 250, counts  # ~200 each, sd ~13
    # nuisances vary: position, size, angle, clutter and occluders all take several values
    assert a.attributes["x"].std() > 3 and a.attributes["radius"].std() > 0.8
    assert a.attributes["angle"].abs().max() <= MAX_ANGLE + 1e-6 and a.attributes["angle"].std() > 0.1
    assert set(a.attributes["clutter"].tolist()) == set(range(MAX_CLUTTER + 1))
    assert 0.15 < a.attributes["occluded"].float().mean() < 0.45  # OCCLUDER_P = 0.3
    full = scenes(300, seed=5, max_angle=3.1416, clutter=2, occluder_p=0.5)
    assert full.attributes["angle"].std() > 1 and set(full.attributes["clutter"].tolist()) == {0, 1, 2}
    with pytest.raises(ValueError, match="n must be a positive integer"):
        scenes(0)


def test_scene_split_is_fixed_and_disjoint():
    tr, te = scene_benchmark(100, 50, seed=0)
    _, te2 = scene_benchmark(200, 50, seed=0)
    assert torch.equal(te.images, te2.images)  # a larger training set never moves test images
    extra = unlabelled_scenes(100, seed=0)
    for other in (te.images, extra):
        assert not torch.equal(tr.images[:50], other[:50])


def test_silhouettes_differ_in_global_structure():
    # Rendered alone, centred, unrotated at radius 12, every pair of classes differs in
    # coverage by at least 10 pixels: the classes are told apart by shape, not by colour.
    k = torch.arange(len(SCENE_CLASSES))
    n = len(k)
    m = render_silhouettes(k, torch.full((n,), 16.0), torch.full((n,), 16.0), torch.full((n,), 12.0), torch.zeros(n), 32)
    d = (m.flatten(1)[:, None] - m.flatten(1)[None]).abs().sum(-1)
    off = d + 1e9 * torch.eye(n)
    assert off.min() > 10, off.min()


def test_augmentations_keep_shape_range_and_are_seeded():
    x = torch.rand(8, 3, 32, 32)
    for recipe in ("crop", "crop+colour"):
        f1 = augmentation(recipe, generator=torch.Generator().manual_seed(0))
        f2 = augmentation(recipe, generator=torch.Generator().manual_seed(0))
        y1, y2 = f1(x), f2(x)
        assert y1.shape == x.shape and torch.equal(y1, y2) and not torch.equal(y1, x)
        assert y1.min() >= 0 and y1.max() <= 1
    assert augmentation("none") is None
    full = random_resized_crop(x, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    torch.testing.assert_close(full, x, atol=1e-5, rtol=0)  # a full-size crop is the identity
    torch.testing.assert_close(colour_jitter(x, p=0.0, grey_p=0.0), x, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="augmentation recipe must be one of"):
        augmentation("mixup")
