"""The numbers a refactor must not move: a few training steps of each loop the experiments
use, from fixed seeds, reduced to exact fingerprints.

``python tests/numerics_pin.py --write`` records them in ``tests/numerics_pin.json`` (done
once, from the code the long experiment runs were started with);
``tests/test_numerics_pin.py`` recomputes them and compares bit for bit. What is pinned:

* MAE pretraining through :func:`maelearn.train.fit` with the sweep's loss (random crops,
  mask noise from the loop's generator, norm-pix target): every step's loss and lr, and a
  SHA-256 of every weight's bytes after 2 epochs;
* full fine-tuning (:func:`maelearn.evaluate.fine_tune` with layer decay, drop path, label
  smoothing, crops) and the linear probe and kNN on frozen features: their accuracies and
  the fine-tuned classifier's weights.

Floats are stored as ``float.hex`` (exact). Bit-identical results need the same CPU
instruction set (oneDNN/MKL pick kernels by it), so the file records
``torch.backends.cpu.get_cpu_capability()`` and the test compares exactly only on a match;
``numerics_pin_AVX512.json`` is the same fingerprint computed on an AVX-512 machine with the
pinning commit's code (4105e29), so both instruction sets are checked bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
PIN = HERE / "numerics_pin.json"


def _sha(module: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def _weights_sum(module: torch.nn.Module) -> float:
    return float(sum(t.double().abs().sum() for t in module.state_dict().values() if t.is_floating_point()))


def fingerprint() -> dict:
    """Run the pinned steps (single-threaded, CPU, fp32) and return their fingerprint."""
    from maelearn.data.augment import augmentation
    from maelearn.data.scenes import scene_benchmark
    from maelearn.evaluate import extract_features, fine_tune, knn_features, linear_probe_features
    from maelearn.experiments.ablations import BASELINE, Scale, build_variant_mae, mae_loss
    from maelearn.train import TrainConfig, fit

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train, test = scene_benchmark(192, 96, seed=0)
        sc = Scale(n_train=192, n_test=96, n_unlabelled=0, epochs=2, batch_size=32,
                   model=dict(dim=32, depth=2, heads=2, decoder_dim=32, decoder_depth=1, decoder_heads=2))
        setting = {**BASELINE, "decoder_depth": 1, "decoder_dim": 32}
        model = build_variant_mae(sc, setting, seed=3)
        cfg = TrainConfig(epochs=2, batch_size=32, lr=1.5e-3, warmup_epochs=0.5, seed=3, device="cpu", precision="fp32")
        hist = fit(model, train.images, mae_loss(model, 0.75, "crop"), cfg, progress=False)
        model.eval()
        out = {
            "pretrain_loss": [float(x).hex() for x in hist.loss],
            "pretrain_lr": [float(x).hex() for x in hist.lr],
            "pretrain_weights_sha256": _sha(model),
            "pretrain_weights_abs_sum": _weights_sum(model),
        }
        ftr = extract_features(model.encoder, train.images, "mean", device="cpu")
        fte = extract_features(model.encoder, test.images, "mean", device="cpu")
        out["features_sha256"] = hashlib.sha256(ftr.numpy().tobytes()).hexdigest()
        out["linear_probe"] = float(linear_probe_features(ftr, train.labels, fte, test.labels, steps=50, seed=3).test_acc).hex()
        out["knn"] = float(knn_features(ftr, train.labels, fte, test.labels, k=20)).hex()
        g = torch.Generator().manual_seed(3)
        out["fine_tune"] = float(fine_tune(model.encoder, train, test, 1, 2e-3, batch_size=32, seed=3, device="cpu",
                                           augment=augmentation("crop", generator=g, crop_scale=(0.5, 1.0)),
                                           drop_path=0.1, label_smoothing=0.1, progress=False)).hex()
        out["encoder_after_fine_tune_sha256"] = _sha(model.encoder)  # fine_tune works on a copy
    finally:
        torch.set_num_threads(threads)
    out["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    out["torch"] = torch.__version__
    return out


if __name__ == "__main__":
    fp = fingerprint()
    if "--write" in sys.argv:
        PIN.write_text(json.dumps(fp, indent=1) + "\n")
        print(f"wrote {PIN}")
    else:
        print(json.dumps(fp, indent=1))
