"""Linear probe, k-NN and (partial) fine-tuning: they measure what they claim, train only
what they should, and leave the caller's encoder alone."""

import pytest
import torch

from maelearn.data import ImageSet, digits
from maelearn.evaluate import (
    FINE_TUNE_RECIPE,
    ProbeResult,
    accuracy,
    extract_features,
    fine_tune,
    freeze_for_partial_fine_tune,
    knn_accuracy,
    knn_features,
    layer_decay_groups,
    linear_probe,
    linear_probe_features,
    partial_fine_tune,
    train_classifier,
)
from maelearn.vit import Block, ViTClassifier, ViTEncoder, init_vit, set_drop_path


def blobs(n_per_class=100, classes=3, dim=16, spread=1.0, seed=0):
    """Gaussian clusters around random centres at distance ~4 sd: (N, dim), (N,)."""
    g = torch.Generator().manual_seed(seed)
    centres = 4 * torch.randn(classes, dim, generator=g) / dim**0.5 * 2
    y = torch.arange(classes).repeat_interleave(n_per_class)
    x = centres[y] + spread * torch.randn(len(y), dim, generator=g)
    perm = torch.randperm(len(y), generator=g)
    return x[perm], y[perm]


def small_encoder(seed=0) -> ViTEncoder:
    torch.manual_seed(seed)
    enc = ViTEncoder(img_size=16, patch_size=4, in_chans=1, dim=32, depth=2, heads=2)
    init_vit(enc)
    return enc


@pytest.fixture(scope="module")
def digit_split():
    d = digits(16)
    return d[:600], d[600:900]


def test_linear_probe_on_separable_features():
    x, y = blobs(seed=0)
    xtr, ytr, xte, yte = x[:200], y[:200], x[200:], y[200:]
    r = linear_probe_features(xtr, ytr, xte, yte)
    assert isinstance(r, ProbeResult)
    # Clusters 4 sd apart in 16-D are nearly separable; chance is 1/3.
    assert r.test_acc > 0.9 and r.train_acc > 0.9, r
    # Deterministic: same numbers twice.
    assert linear_probe_features(xtr, ytr, xte, yte) == r
    # Labels shuffled: nothing to learn, the test accuracy drops to about chance.
    perm = torch.randperm(200, generator=torch.Generator().manual_seed(1))
    shuffled = linear_probe_features(xtr, ytr[perm], xte, yte)
    assert shuffled.test_acc < 0.6, shuffled


def test_linear_probe_minibatch_path_is_seeded():
    x, y = blobs(n_per_class=200, seed=2)
    a = linear_probe_features(x[:400], y[:400], x[400:], y[400:], batch_size=64, steps=100, seed=0)
    b = linear_probe_features(x[:400], y[:400], x[400:], y[400:], batch_size=64, steps=100, seed=0)
    assert a == b and a.test_acc > 0.9


def test_linear_probe_on_encoder_beats_chance(digit_split):
    train, test = digit_split
    enc = small_encoder()
    acc = linear_probe(enc, train, test)
    # Even a random ViT's standardized [CLS] features separate digits linearly well above the
    # 0.10 chance (this set-up measured ~0.8); 0.5 is a wide margin for platform noise.
    assert acc > 0.5, acc
    assert linear_probe(enc, (train.images, train.labels), (test.images, test.labels), pool="mean") > 0.5


def test_extract_features_shapes_modes_batches(digit_split):
    train, _ = digit_split
    enc = small_encoder()
    enc.train()
    f = extract_features(enc, train.images[:50], pool="cls", batch_size=16)
    assert f.shape == (50, 32) and f.dtype == torch.float32 and not f.requires_grad
    assert enc.training  # mode restored
    with torch.no_grad():
        ref = enc.features(train.images[:50], "cls")
    torch.testing.assert_close(f, ref, atol=1e-5, rtol=1e-5)  # batched vs one batch
    g = extract_features(enc, train[:50], pool="mean")  # an ImageSet works too
    assert g.shape == (50, 32) and not torch.allclose(f, g)
    with pytest.raises(ValueError, match="pool must be one of"):
        extract_features(enc, train.images[:4], pool="max")
    with pytest.raises(ValueError, match="has 3 channels .* but the model expects 1"):
        extract_features(enc, torch.rand(2, 3, 16, 16))


def test_knn_on_features_and_encoder(digit_split):
    x, y = blobs(seed=3)
    acc = knn_features(x[:200], y[:200], x[200:], y[200:], k=5)
    assert acc > 0.9, acc
    # k larger than the training set is clipped, not an error.
    assert 0 <= knn_features(x[:10], y[:10], x[200:], y[200:], k=50) <= 1
    # One training point per class, k=1: exact nearest-centre classification.
    xs = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert knn_features(xs, torch.tensor([0, 1]), torch.tensor([[2.0, 0.1], [0.1, 3.0]]), torch.tensor([0, 1]), k=1) == 1.0
    train, test = digit_split
    acc_enc = knn_accuracy(small_encoder(), train, test, k=10)
    assert acc_enc > 0.3, acc_enc  # chance 0.1
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        knn_features(x, y, x, y, k=0)


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _changed(before, module, prefix=""):
    return {k for k, v in module.state_dict().items() if not torch.equal(before[prefix + k] if prefix else before[k], v)}


def test_head_only_fine_tune_trains_only_the_head(digit_split):
    train, test = digit_split
    enc = small_encoder()
    before = _snapshot(enc)
    model = train_classifier(enc, train[:128], epochs=1, lr=1e-2, last_k_blocks=0, batch_size=32, progress=False)
    assert isinstance(model, ViTClassifier)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"head.1.weight", "head.1.bias"}  # BatchNorm (no affine) + linear head
    # The copied encoder's weights are exactly the originals: frozen.
    assert not _changed(before, model.encoder)
    assert 0 <= accuracy(model, test) <= 1
    assert _snapshot(enc).keys() == before.keys() and not _changed(before, enc)


def test_partial_fine_tune_trains_last_blocks_norm_and_head(digit_split):
    train, _ = digit_split
    enc = small_encoder()
    before = _snapshot(enc)
    model = train_classifier(enc, train[:128], epochs=1, lr=1e-3, last_k_blocks=1, batch_size=32, progress=False)
    changed = _changed(before, model.encoder)
    assert changed and all(k.startswith(("blocks.1.", "norm.")) for k in changed), changed
    assert any(k.startswith("blocks.1.") for k in changed) and {"norm.weight", "norm.bias"} <= changed
    head = {n for n, p in model.named_parameters() if p.requires_grad and n.startswith("head.")}  # head.1.* behind the BatchNorm
    assert {n.rsplit(".", 1)[-1] for n in head} == {"weight", "bias"}
    full = train_classifier(enc, train[:128], epochs=1, lr=1e-3, batch_size=32, progress=False)
    changed_full = _changed(before, full.encoder)
    assert "patch_embed.proj.weight" in changed_full and "cls_token" in changed_full and "blocks.0.attn.qkv.weight" in changed_full
    assert "pos_embed" not in changed_full  # fixed sin-cos positions never train


def test_fine_tune_leaves_caller_encoder_untouched(digit_split):
    train, test = digit_split
    enc = small_encoder()
    enc.train()
    before = _snapshot(enc)
    flags = {n: p.requires_grad for n, p in enc.named_parameters()}
    acc = fine_tune(enc, train[:256], test, epochs=4, lr=2e-2, last_k_blocks=0, batch_size=32, progress=False)
    assert not _changed(before, enc)
    assert {n: p.requires_grad for n, p in enc.named_parameters()} == flags
    assert enc.training
    # A head-only fine-tune is a linear probe trained end to end: above the 0.1 chance
    # (measured 0.44 with these 32 steps; 0.25 leaves margin for platform differences).
    assert acc > 0.25, acc


def test_fine_tune_is_deterministic_given_seed(digit_split):
    train, _ = digit_split
    enc = small_encoder()
    a = train_classifier(enc, train[:64], epochs=1, lr=1e-3, batch_size=16, seed=3, progress=False)
    b = train_classifier(enc, train[:64], epochs=1, lr=1e-3, batch_size=16, seed=3, progress=False)
    c = train_classifier(enc, train[:64], epochs=1, lr=1e-3, batch_size=16, seed=4, progress=False)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_fine_tune_rejects_bad_arguments(digit_split):
    train, test = digit_split
    enc = small_encoder()
    with pytest.raises(ValueError, match=r"last_k_blocks must be an integer in \[0, 2\], got 3"):
        fine_tune(enc, train[:8], test[:8], epochs=1, last_k_blocks=3, progress=False)
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        fine_tune(enc, train[:8], test[:8], epochs=0, progress=False)
    with pytest.raises(TypeError, match="train must be a maelearn.data.ImageSet or an \\(images, labels\\) pair"):
        fine_tune(enc, train.images, test, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"train labels must have shape \(N,\) = \(8,\)"):
        linear_probe(enc, (train.images[:8], train.labels[:7]), test)
    with pytest.raises(TypeError, match="labels must be integer class indices"):
        linear_probe_features(torch.rand(4, 2), torch.rand(4), torch.rand(4, 2), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="train_x has non-finite values \\(nan/inf\\) in 1 of 4 rows"):
        linear_probe_features(torch.tensor([[0.0], [1.0], [float("nan")], [2.0]]), torch.zeros(4, dtype=torch.long), torch.rand(2, 1), torch.zeros(2, dtype=torch.long))
    clf = ViTClassifier(small_encoder(), 10)
    with pytest.raises(ValueError, match="last_k_blocks must be None"):
        freeze_for_partial_fine_tune(clf, -1)
    assert isinstance(train, ImageSet)


def test_partial_fine_tune_k0_is_exactly_the_linear_probe(digit_split):
    # Figure 9 starts at the linear-probe number: k = 0 runs the very same protocol.
    train, test = digit_split
    enc = small_encoder()
    for pool in ("cls", "mean"):
        lp = linear_probe(enc, train[:200], test[:100], pool=pool, steps=50, seed=1)
        k0 = partial_fine_tune(enc, train[:200], test[:100], 0, epochs=1, pool=pool, probe_steps=50, seed=1)
        assert k0 == lp
    via_fine_tune = fine_tune(enc, train[:200], test[:100], epochs=1, last_k_blocks=0, probe_steps=50, seed=1)
    assert via_fine_tune == linear_probe(enc, train[:200], test[:100], steps=50, seed=1)


def test_global_pool_classifier_replaces_the_final_norm_by_fc_norm():
    enc = small_encoder()
    clf = ViTClassifier(enc, 5, pool="global")
    assert isinstance(clf.encoder.norm, torch.nn.Identity) and clf.fc_norm is not None
    x = torch.rand(3, 1, 16, 16)
    tokens = enc.forward(x)  # un-normalized tokens now
    expected = clf.head(clf.fc_norm(tokens[:, 1:].mean(1)))
    assert torch.allclose(clf(x), expected, atol=1e-6)
    with pytest.raises(ValueError, match="pool must be one of"):
        ViTClassifier(small_encoder(), 5, pool="avg")


def test_layer_decay_scales_learning_rates_by_depth():
    clf = ViTClassifier(small_encoder(), 4, pool="global")
    groups = layer_decay_groups(clf, lr=1.0, weight_decay=0.05, layer_decay=0.5)
    depth = 2
    scale = {n: g["lr"] for g in groups for n in g["names"]}
    decay = {n: g["weight_decay"] for g in groups for n in g["names"]}
    assert scale["head.weight"] == 1.0 and scale["fc_norm.weight"] == 1.0
    assert scale["encoder.blocks.1.attn.qkv.weight"] == 0.5
    assert scale["encoder.blocks.0.attn.qkv.weight"] == 0.25
    assert scale["encoder.patch_embed.proj.weight"] == 0.5 ** (depth + 1)
    assert decay["head.weight"] == 0.05 and decay["head.bias"] == 0.0 and decay["encoder.cls_token"] == 0.0
    assert "encoder.pos_embed" not in scale  # fixed positions never train
    with pytest.raises(ValueError, match="layer_decay must be in"):
        layer_decay_groups(clf, 1.0, layer_decay=0.0)


def test_drop_path_is_identity_in_eval_and_unbiased_in_training():
    torch.manual_seed(0)
    blk = Block(8, 2, drop_path=0.5)
    x = torch.randn(4000, 3, 8)
    blk.eval()
    ref = Block(8, 2)
    ref.load_state_dict(blk.state_dict())
    ref.eval()
    assert torch.equal(blk(x), ref(x))
    blk.train()
    branch = blk(x) - x
    # About half the samples keep their branch (scaled x2), half drop it entirely.
    dropped = (branch.abs().amax((1, 2)) == 0).float().mean().item()
    assert 0.1 < dropped < 0.6, dropped
    enc = small_encoder()
    set_drop_path(enc.blocks, 0.2)
    assert [b.drop_path for b in enc.blocks] == [0.0, 0.2]
    with pytest.raises(ValueError, match="drop_path must be in"):
        Block(8, 2, drop_path=1.0)


def test_full_fine_tune_uses_the_mae_recipe(digit_split):
    train, test = digit_split
    enc = small_encoder()
    model = train_classifier(enc, train[:64], epochs=1, batch_size=32, pool="global", head_batchnorm=False,
                             layer_decay=0.75, drop_path=0.1, label_smoothing=0.1, progress=False)
    assert model.fc_norm is not None and isinstance(model.head, torch.nn.Linear)
    assert all(b.drop_path == 0.0 for b in model.encoder.blocks)  # reset after training
    # the same recipe as a ClassifierRecipe, with keyword overrides on top, trains the same model
    same = train_classifier(enc, train[:64], epochs=1, recipe=FINE_TUNE_RECIPE, batch_size=32, progress=False)
    assert all(torch.equal(v, same.state_dict()[k]) for k, v in model.state_dict().items())
    with pytest.raises(TypeError, match="batch_sise"):
        train_classifier(enc, train[:8], epochs=1, batch_sise=4, progress=False)
    acc = fine_tune(enc, train[:256], test[:200], epochs=3, lr=3e-3, batch_size=32, progress=False)
    assert 0.0 <= acc <= 1.0
