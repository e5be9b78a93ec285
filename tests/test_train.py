"""The pretraining engine: learning-rate schedule, parameter groups, exact resume, NaN
handling, atomic and safe checkpoints."""

from __future__ import annotations

import math
import os

import pytest
import torch

from maelearn.data import shapes
from maelearn.checkpoint import CHECKPOINT_NAME, History, atomic_save, load_checkpoint, read_checkpoint
from maelearn.mae import build_mae
from maelearn.models import mae_from_config
from maelearn.train import (
    TrainConfig,
    fit,
    lr_at,
    make_optimizer,
    param_groups,
    pretrain,
)


pytestmark = pytest.mark.usefixtures("one_thread")


def micro_mae(seed: int = 0):
    """A 16 px MAE small enough to train a few steps in well under a second."""
    torch.manual_seed(seed)
    return build_mae("tiny", img_size=16, dim=32, depth=1, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2)


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return shapes(96, 16, seed=0).images  # (96, 3, 16, 16)


def config(tmp_path, **kw) -> TrainConfig:
    base = dict(epochs=4, batch_size=32, lr=1e-3, warmup_epochs=1, checkpoint_dir=str(tmp_path), device="cpu")
    return TrainConfig(**{**base, **kw})


# --- learning rate -------------------------------------------------------------------------


def test_lr_schedule_values():
    # Exact values of the formula (float arithmetic on simple fractions: 1e-12 slack).
    assert lr_at(0, 100, 10, 1.0) == 0.0  # warmup starts from 0
    assert lr_at(5, 100, 10, 1.0) == pytest.approx(0.5, abs=1e-12)
    assert lr_at(10, 100, 10, 1.0) == pytest.approx(1.0, abs=1e-12)  # peak at the end of warmup
    assert lr_at(55, 100, 10, 1.0, 0.2) == pytest.approx(0.6, abs=1e-12)  # half-way down the cosine
    assert lr_at(100, 100, 10, 1.0, 0.2) == pytest.approx(0.2, abs=1e-12)
    assert lr_at(150, 100, 10, 1.0, 0.2) == 0.2
    assert lr_at(0, 10, 0, 3e-4) == pytest.approx(3e-4)  # no warmup: start at the peak
    # A quarter into the cosine: min + (max - min) * (1 + cos(pi/4)) / 2.
    assert lr_at(32.5, 100, 10, 1.0) == pytest.approx((1 + math.cos(math.pi / 4)) / 2, abs=1e-12)
    values = [lr_at(s, 100, 10, 1.0) for s in range(101)]
    assert all(a <= b for a, b in zip(values[:11], values[1:11]))  # rising warmup
    assert all(a >= b for a, b in zip(values[10:], values[11:]))  # falling cosine


@pytest.mark.parametrize(
    "args, match",
    [((0, 0, 0, 1.0), "total_steps"), ((0, 10, 11, 1.0), "warmup_steps"), ((-1, 10, 1, 1.0), "step"), ((0, 10, 1, 1.0, 2.0), "min_lr")],
)
def test_lr_schedule_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        lr_at(*args)


def test_lr_scaling_rule_and_schedule_applied(tmp_path, images):
    assert TrainConfig(batch_size=256).peak_lr() == pytest.approx(1.5e-4)
    assert TrainConfig(batch_size=64).peak_lr(world_size=2) == pytest.approx(1.5e-4 * 128 / 256)
    assert TrainConfig(lr=1e-3, batch_size=64).peak_lr() == 1e-3
    cfg = config(tmp_path, epochs=2, lr=None, base_lr=1e-3, min_lr=1e-5, checkpoint_dir=None)
    hist = pretrain(micro_mae(), images, cfg, progress=False)
    peak = 1e-3 * 32 / 256
    expected = [lr_at(s, 6, 3, peak, 1e-5) for s in range(6)]  # 3 steps per epoch, 1 warmup epoch
    assert hist.lr == pytest.approx(expected, rel=1e-12)
    assert len(hist.loss) == 6 and len(hist.epoch_loss) == 2


def test_train_config_validation():
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="mask_ratio"):
        TrainConfig(mask_ratio=1.0)
    with pytest.raises(ValueError, match="precision"):
        TrainConfig(precision="fp8")
    with pytest.raises(ValueError, match="warmup_epochs"):
        TrainConfig(epochs=2, warmup_epochs=3)
    with pytest.raises(ValueError, match="clip_grad"):
        TrainConfig(clip_grad=0)


# --- parameter groups ----------------------------------------------------------------------


def test_param_groups_follow_the_reference_rule():
    """The official MAE code decays everything but biases and 1-D tensors: the (1, 1, D)
    [CLS] and mask tokens are decayed; fixed positions are in no group (not trained)."""
    model = build_mae("tiny", encoder_mask_tokens=True)
    decay, no_decay = param_groups(model, 0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    no = set(no_decay["names"])
    yes = set(decay["names"])
    for name in ("encoder.norm.weight", "encoder.norm.bias", "encoder.blocks.0.norm1.weight",
                 "encoder.blocks.0.attn.qkv.bias", "decoder_pred.bias", "encoder.patch_embed.proj.bias"):
        assert name in no, name
    for name in ("encoder.cls_token", "mask_token", "encoder_mask_token", "encoder.patch_embed.proj.weight",
                 "encoder.blocks.0.attn.qkv.weight", "encoder.blocks.0.mlp.0.weight", "decoder_embed.weight",
                 "decoder_pred.weight"):
        assert name in yes, name
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert "encoder.pos_embed" not in yes | no and "decoder_pos_embed" not in yes | no
    assert yes | no == trainable and not yes & no
    # The documented switch: learned tokens exempt as well.
    decay2, no_decay2 = param_groups(model, 0.05, rule="no_tokens")
    assert {"encoder.cls_token", "mask_token", "encoder_mask_token"} <= set(no_decay2["names"])
    assert set(decay2["names"]) == yes - {"encoder.cls_token", "mask_token", "encoder_mask_token"}
    opt = make_optimizer(model, lr=1e-3)
    assert opt.defaults["betas"] == (0.9, 0.95)
    with pytest.raises(ValueError, match="weight_decay"):
        param_groups(model, -1.0)
    with pytest.raises(ValueError, match="rule"):
        param_groups(model, 0.05, rule="paper")


def test_one_adamw_construction_site():
    """No module of the library but train.py builds an AdamW (or Adam) itself."""
    import pathlib
    import re

    import maelearn

    root = pathlib.Path(maelearn.__file__).parent
    sites = [str(p.relative_to(root)) for p in root.rglob("*.py")
             if re.search(r"optim\.Adam(W)?\(", p.read_text()) and p.name != "train.py"]
    assert sites == [], sites


# --- checkpoints and exact resume ----------------------------------------------------------


def test_resume_is_bit_identical(tmp_path, images):
    whole = micro_mae()
    h_whole = pretrain(whole, images, config(tmp_path / "whole"), progress=False)

    first = micro_mae()
    h_first = pretrain(first, images, config(tmp_path / "split"), progress=False, stop_after_epoch=2)
    assert len(h_first.epoch_loss) == 2
    assert read_checkpoint(tmp_path / "split")["epoch"] == 2

    second = micro_mae(seed=123)  # different init: everything must come from the checkpoint
    torch.manual_seed(999)  # and so must the RNG state
    h_resumed = pretrain(second, images, config(tmp_path / "split"), resume=True, progress=False)

    assert h_resumed.loss == h_whole.loss  # exact equality, not approx: same ops in the same order on CPU
    assert h_resumed.lr == h_whole.lr
    assert h_resumed.epoch_loss == h_whole.epoch_loss
    for (name, a), b in zip(whole.state_dict().items(), second.state_dict().values()):
        assert torch.equal(a, b), name


def test_checkpoint_loads_weights_only_and_rebuilds(tmp_path, images):
    model = micro_mae()
    hist = pretrain(model, images, config(tmp_path, epochs=1), progress=False)
    path = tmp_path / CHECKPOINT_NAME
    raw = torch.load(path, weights_only=True)  # no pickled code in the file
    assert raw["epoch"] == 1 and raw["step"] == 3
    assert set(raw["rng"][0]) >= {"torch", "noise"}
    assert mae_from_config(raw["model_config"]).config == model.config
    with pytest.raises(ValueError, match="unknown MAE kind None"):  # a config names its kind
        mae_from_config({k: v for k, v in raw["model_config"].items() if k != "kind"})
    loaded, state = load_checkpoint(path)
    assert isinstance(state["history"], History) and state["history"].loss == hist.loss
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), name
    # the history round-trips through JSON
    hist.save_json(tmp_path / "h.json")
    assert History.from_dict(__import__("json").loads((tmp_path / "h.json").read_text())) == hist


class NaNAfter(torch.nn.Module):
    """A model following the engine's protocol whose loss turns NaN from call ``k`` on
    (no ``make_noise``: masks come from torch's global RNG)."""

    def __init__(self, k: int):
        super().__init__()
        self.mae, self.k, self.calls = micro_mae(), k, 0

    def forward(self, x, mask_ratio, noise=None):
        out = self.mae(x, mask_ratio, noise)
        self.calls += 1
        return out._replace(loss=out.loss * float("nan")) if self.calls > self.k else out


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, images):
    model = NaNAfter(k=4)  # 3 steps per epoch: the NaN comes at step 4, in epoch 2
    with pytest.raises(FloatingPointError, match=r"step 4 \(epoch 2 of 4") as err:
        pretrain(model, images, config(tmp_path), progress=False)
    assert "last good checkpoint" in str(err.value) and "is kept" in str(err.value)
    state = read_checkpoint(tmp_path)
    assert state["epoch"] == 1 and state["step"] == 3
    assert all(torch.isfinite(v).all() for v in state["model"].values())
    assert all(math.isfinite(v) for v in state["history"]["loss"])


def test_nan_input_is_named_as_the_cause():
    """(The MAE scans its own input on a CPU; the loop's check is for models that do not,
    and for the GPU path, where the MAE skips the scan to avoid a host sync per step.)"""
    bad = torch.randn(64, 4)
    bad[40, 2] = float("nan")  # in the second epoch's order somewhere: the loop must name it whenever it comes
    with pytest.raises(FloatingPointError, match="input batch contains NaN or inf"):
        fit(torch.nn.Linear(4, 4), bad, lambda net, x, g: net(x).pow(2).mean(),
            TrainConfig(epochs=2, batch_size=16, lr=1e-3, device="cpu"), progress=False)


def test_config_refuses_non_finite_numbers_and_huge_seeds():
    for kw, match in ((dict(lr=float("inf")), "lr"), (dict(weight_decay=float("inf")), "weight_decay"),
                      (dict(base_lr=float("nan")), "base_lr"), (dict(seed=2**40), "seed"), (dict(seed=-1), "seed")):
        with pytest.raises(ValueError, match=match):
            TrainConfig(**kw)


def test_nan_without_checkpoint_says_so(images):
    with pytest.raises(FloatingPointError, match="no checkpoint was written"):
        pretrain(NaNAfter(k=0), images, TrainConfig(epochs=1, batch_size=32, device="cpu"), progress=False)


def test_atomic_save_never_leaves_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    atomic_save({"w": torch.ones(3)}, path)
    good = path.read_bytes()

    real_save = torch.save

    def crash_midway(obj, f, *a, **k):
        f.write(b"partial garbage")  # some bytes reach the temporary file, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        atomic_save({"w": torch.zeros(3)}, path)
    monkeypatch.setattr(torch, "save", real_save)
    assert path.read_bytes() == good  # the old checkpoint is intact
    assert sorted(os.listdir(tmp_path)) == ["ck.pt"]  # and no temporary file is left behind
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.ones(3))


def test_pretrain_rejects_bad_input(tmp_path, images):
    with pytest.raises(ValueError, match="batch_size"):
        pretrain(micro_mae(), images[:10], config(tmp_path), progress=False)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        pretrain(micro_mae(), images, config(tmp_path / "empty"), resume=True, progress=False)
    with pytest.raises(TypeError, match="floating point"):
        pretrain(micro_mae(), (images * 255).to(torch.uint8), config(tmp_path), progress=False)
    with pytest.raises(TypeError, match="TrainConfig"):
        pretrain(micro_mae(), images, {"epochs": 1}, progress=False)
    with pytest.raises(TypeError, match="map-style torch Dataset or a DataLoader, got ImageSet"):
        pretrain(micro_mae(), shapes(40, 16, seed=0), config(tmp_path), progress=False)
    with pytest.raises(ValueError, match="no visible patch"):
        pretrain(micro_mae(), images, config(tmp_path, mask_ratio=0.99), progress=False)
    with pytest.raises(ValueError, match="accum_iter"):
        pretrain(micro_mae(), images, config(tmp_path, accum_iter=4), progress=False)
    # resume="auto" starts afresh when there is nothing to resume
    hist = pretrain(micro_mae(), images, config(tmp_path / "auto", epochs=1), resume="auto", progress=False)
    assert len(hist.epoch_loss) == 1


def test_resume_rejects_a_different_model(tmp_path, images):
    pretrain(micro_mae(), images, config(tmp_path, epochs=1), progress=False)
    other = build_mae("tiny", img_size=16, dim=32, depth=2, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2)
    with pytest.raises(ValueError, match="different model"):
        pretrain(other, images, config(tmp_path), resume=True, progress=False)


def test_model_config_names_the_model_kind():
    from maelearn.audio import build_spectrogram_mae
    from maelearn.checkpoint import model_config
    from maelearn.video import build_videomae

    for model in (micro_mae(), build_spectrogram_mae("tiny"), build_videomae("tiny")):
        cfg = model_config(model)
        rebuilt = mae_from_config(cfg)
        assert type(rebuilt) is type(model) and model_config(rebuilt) == cfg
    assert model_config(micro_mae())["kind"] == "mae"
    with pytest.raises(ValueError, match="kind"):
        mae_from_config({"kind": "unknown"})


def test_bf16_autocast_and_clipping_on_cpu(images):
    # bf16 on CPU is slower but must work (it is the GPU default); the loss stays finite.
    cfg = TrainConfig(epochs=1, batch_size=32, lr=1e-3, precision="bf16", clip_grad=1.0, device="cpu")
    hist = pretrain(micro_mae(), images, cfg, progress=False)
    assert len(hist.loss) == 3 and all(math.isfinite(v) for v in hist.loss)


# --- one loop for every trainer ------------------------------------------------------------


def test_every_trainer_returns_a_history_and_takes_batch_size():
    """The DAE, the MLM, the CNN and the skip-gram run on fit: same batch_size keyword,
    same History back (per-step loss and lr, per-epoch loss)."""
    import inspect

    from maelearn.classic.cnn import SmallCNN, train_cnn
    from maelearn.classic.words import SkipGram, train_skipgram
    from maelearn.dae import train_autoencoder
    from maelearn.text import train_mlm

    for fn in (train_autoencoder, train_mlm, train_cnn, train_skipgram, pretrain):
        params = inspect.signature(fn).parameters
        assert "batch" not in params, fn.__name__
    torch.manual_seed(0)
    x, y = torch.rand(40, 3, 8, 8), torch.arange(40) % 4
    h = train_cnn(SmallCNN(3, 4, width=4), x, y, epochs=2, batch_size=16, progress=False)
    assert isinstance(h, History) and len(h.epoch_loss) == 2 and len(h.loss) == 2 * 3  # 16 + 16 + 8
    pairs = torch.randint(0, 10, (100, 2))
    h = train_skipgram(pairs, 10, torch.ones(10), dim=4, epochs=2, batch_size=32, progress=False)
    assert isinstance(h.model, SkipGram) and len(h.loss) == 2 * 4 and "model" not in h.to_dict()


def test_fit_tensor_and_dataset_give_the_same_run():
    """A tensor and the same data as a map-style Dataset go through one epoch order
    (EpochBatches): identical losses and weights."""
    data = torch.randn(50, 6)

    class Rows(torch.utils.data.Dataset):
        def __len__(self):
            return len(data)

        def __getitem__(self, i):
            return data[i]

    def loss_fn(net, batch, g):
        return ((net(batch) - batch) ** 2).mean()

    runs = []
    for source in (data, Rows()):
        torch.manual_seed(0)
        net = torch.nn.Linear(6, 6)
        h = fit(net, source, loss_fn, TrainConfig(epochs=3, batch_size=8, lr=1e-2, device="cpu"), progress=False)
        runs.append((h.loss, net.weight.detach().clone()))
    assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])
    assert len(runs[0][0]) == 3 * (50 // 8)


def test_gradient_accumulation_matches_the_large_batch():
    """accum_iter micro-batches of B/k give the gradient of one batch of B (a mean loss):
    the same weights, up to float rounding; lr follows the effective batch."""
    data = torch.randn(64, 5)

    def loss_fn(net, batch, g):
        return ((net(batch) - batch.flip(1)) ** 2).mean()

    weights = []
    for bs, accum in ((16, 1), (4, 4)):
        torch.manual_seed(0)
        net = torch.nn.Linear(5, 5)
        cfg = TrainConfig(epochs=2, batch_size=bs, accum_iter=accum, base_lr=0.1, warmup_epochs=0, device="cpu")
        h = fit(net, data, loss_fn, cfg, progress=False)
        assert len(h.loss) == 2 * 4 and cfg.effective_batch() == 16 and cfg.peak_lr() == 0.1 * 16 / 256
        weights.append(net.weight.detach().clone())
    assert torch.allclose(weights[0], weights[1], atol=1e-6)
    from maelearn.train import accum_iter_for

    assert accum_iter_for(4096, 128, 8) == 4
    with pytest.raises(ValueError, match="multiple"):
        accum_iter_for(4096, 96, 8)


def test_lr_scale_groups_and_extra_no_decay_names():
    """Layer-wise lr decay for fine-tuning: one group per (decay, scale); fit sets each
    group's lr to the schedule's times its scale; no_decay adds exempt names."""
    net = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 2))
    scale = {"0": 0.5, "1": 1.0}
    groups = param_groups(net, 0.05, lr_scale=lambda name: scale[name.split(".")[0]])
    assert [(g["weight_decay"], g["lr_scale"], g["names"]) for g in groups] == [
        (0.05, 1.0, ["1.weight"]), (0.05, 0.5, ["0.weight"]), (0.0, 1.0, ["1.bias"]), (0.0, 0.5, ["0.bias"])]

    def loss_fn(model, batch, g):
        return model(batch).pow(2).mean()

    def record(epoch, hist):
        return {"lr": hist.lr[-1]}

    cfg = TrainConfig(epochs=1, batch_size=4, lr=0.1, schedule="constant", warmup_epochs=0, device="cpu")
    h = fit(net, torch.randn(8, 3), loss_fn, cfg, progress=False, on_epoch_end=record,
            lr_scale=lambda name: scale[name.split(".")[0]], no_decay=["1.weight"])
    assert h.metrics == [{"lr": 0.1}] and h.lr == [0.1, 0.1]
    opt = make_optimizer(net, 0.1, lr_scale=lambda name: scale[name.split(".")[0]], skip=["1.weight"])
    assert sorted((g["lr"], g["weight_decay"]) for g in opt.param_groups) == [(0.05, 0.0), (0.05, 0.05), (0.1, 0.0)]


def test_fit_takes_a_ready_dataloader_and_calls_set_epoch():
    data = torch.utils.data.TensorDataset(torch.randn(24, 3))
    sampler = torch.utils.data.DistributedSampler(data, num_replicas=1, rank=0, shuffle=True, seed=0)
    epochs_seen = []
    real = sampler.set_epoch
    sampler.set_epoch = lambda e: epochs_seen.append(e) or real(e)
    loader = torch.utils.data.DataLoader(data, batch_size=6, sampler=sampler)
    h = fit(torch.nn.Linear(3, 3), loader, lambda net, b, g: net(b[0]).pow(2).mean(),
            TrainConfig(epochs=3, batch_size=6, lr=1e-2, device="cpu"), progress=False)
    assert epochs_seen == [0, 1, 2] and len(h.loss) == 3 * 4 and len(h.epoch_loss) == 3


def test_fp16_gradient_scaler_path_with_accumulation_and_clipping_on_cpu():
    """The GPU fallback for cards without bf16 (fp16 autocast + GradScaler, unscale before
    clipping) also runs on a CPU, with accumulation; the loss goes down."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8))
    x = torch.randn(64, 8)
    cfg = TrainConfig(epochs=6, batch_size=16, lr=1e-2, warmup_epochs=0, precision="fp16", clip_grad=1.0,
                      accum_iter=2, device="cpu")
    h = fit(net, x, lambda n, b, g: (n(b).float() - b).pow(2).mean(), cfg, progress=False)
    assert len(h.loss) == 6 * 2 and all(math.isfinite(v) for v in h.loss)
    assert h.epoch_loss[-1] < h.epoch_loss[0]
