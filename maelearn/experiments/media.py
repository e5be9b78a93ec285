"""Does masked pretraining learn from video and audio? Seeds, baselines and intervals for
lessons 10 (VideoMAE) and 11 (audio MAE), as two re-runnable commands:

    python -m maelearn.experiments video --scale cpu     # writes data/video_cpu.json
    python -m maelearn.experiments audio --scale cpu     # writes data/audio_cpu.json

Each seed pretrains a masked autoencoder on the training clips (:func:`maelearn.train.pretrain`)
and linearly probes its frozen features, beside baselines (``random_init``, ``single_frame``
or ``mfcc_stats``, ``supervised``). Video also compares tube and random space-time masking at
90 %, and 90 % vs 75 % tube, paired by seed (:mod:`maelearn.stats`). Every finished run is
written to the JSON file at once; a re-run skips it.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from maelearn import cli
from maelearn.audio import build_spectrogram_mae, log_mel, mfcc_features, normalize_specs, spectrogram_mae_config
from maelearn.bench.timing import hardware
from maelearn.checkpoint import atomic_save
from maelearn.config import ROOT, cpu_threads
from maelearn.config import device as pick_device
from maelearn.data.audio import sound_patterns
from maelearn.data.video import moving_shapes, unlabelled_shapes
from maelearn.evaluate import linear_probe_features
from maelearn.experiments.output import check_json_output, run_study_command, study_parser, utc_now
from maelearn.models import mae_from_config
from maelearn.progress import progress
from maelearn.runs import write_text
from maelearn.stats import INCONCLUSIVE, interval, paired_difference, verdict
from maelearn.train import TrainConfig, fit, pretrain
from maelearn.video import build_videomae

KINDS = ("video", "audio")


@dataclass(frozen=True)
class Variant:
    """One pretraining configuration; ``group``: its comparison (``"baseline"``: the lesson's default)."""

    name: str
    group: str
    mask_ratio: float
    masking: str | None = None  # video only: "tube" | "random"


@dataclass(frozen=True)
class MediaScale:
    """How big a study is: clips, ``tiny``-preset overrides, schedules, seeds. ``n_unlabelled``
    further clips (video: a disjoint seed stream, :func:`maelearn.data.video.unlabelled_shapes`)
    join the training clips for pretraining only (``epochs`` counts passes over both); probes
    and the supervised baseline see the labelled clips only."""

    n_train: int
    n_test: int
    epochs: int
    n_unlabelled: int = 0
    batch_size: int = 64
    lr: float = 2e-3
    warmup_epochs: float = 1.0
    model: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    pool: str = "mean"
    extra_pools: tuple[str, ...] = ()
    probe_steps: int = 300
    sup_epochs: int = 20
    sup_lr: float = 1e-3
    seeds: tuple[int, ...] = (0, 1, 2)


#: The study's clips (chosen by measurement, see data/README.md): the camera pans, so every
#: cube's content comes from elsewhere and reconstructing it needs the motion.
VIDEO_DATA = dict(frames=8, size=16, background="smooth", distractors=1, keep_inside=False, speed=(1.0, 2.0), pan=True)
VIDEO_MODEL = dict(img_size=16, patch_size=4, frames=8, tubelet=2)
AUDIO_DATA = dict(seconds=1.0, sr=16000)
AUDIO_MODEL = dict(dim=64, depth=3)

SCALES: dict[str, dict[str, MediaScale]] = {
    "video": {
        "quick": MediaScale(n_train=128, n_test=64, epochs=1, batch_size=32, model=VIDEO_MODEL, data=VIDEO_DATA,
                            probe_steps=50, sup_epochs=1, seeds=(0, 1), extra_pools=("time",)),
        "cpu": MediaScale(n_train=2048, n_test=512, epochs=5, n_unlabelled=32768, batch_size=64, lr=2e-3,
                          warmup_epochs=0.5, model=VIDEO_MODEL, data=VIDEO_DATA, sup_epochs=10, extra_pools=("time",),
                          seeds=(0, 1, 2, 3, 4)),
        "full": MediaScale(n_train=16384, n_test=2048, epochs=50, n_unlabelled=65536, batch_size=128, lr=1.5e-3,
                           model={**VIDEO_MODEL, "dim": 192, "depth": 6, "heads": 6, "decoder_dim": 96, "decoder_depth": 2},
                           data=VIDEO_DATA, sup_epochs=60, seeds=(0, 1, 2, 3, 4)),
    },
    "audio": {
        "quick": MediaScale(n_train=128, n_test=64, epochs=1, batch_size=32, model=AUDIO_MODEL, data=AUDIO_DATA, probe_steps=50,
                            sup_epochs=1, seeds=(0, 1)),
        "cpu": MediaScale(n_train=2048, n_test=512, epochs=10, batch_size=64, lr=2e-3, model=AUDIO_MODEL, data=AUDIO_DATA,
                          sup_epochs=10),
        "full": MediaScale(n_train=16384, n_test=2048, epochs=200, batch_size=128, lr=1.5e-3,
                           model={"dim": 192, "depth": 6, "heads": 6, "decoder_dim": 128, "decoder_depth": 4},
                           data=AUDIO_DATA, sup_epochs=60, seeds=(0, 1, 2, 3, 4)),
    },
}

VARIANTS: dict[str, tuple[Variant, ...]] = {
    "video": (
        Variant("tube 0.9", "baseline", 0.9, "tube"),
        Variant("random 0.9", "masking", 0.9, "random"),
        Variant("tube 0.75", "mask_ratio", 0.75, "tube"),
    ),
    "audio": (Variant("random 0.8", "baseline", 0.8),),
}
BASELINES = {"video": ("random_init", "single_frame", "supervised"), "audio": ("random_init", "mfcc_stats", "supervised")}

#: What the two video papers concluded about masking, stated as they state it.
PAPERS = {
    "videomae": "VideoMAE (Tong et al., 2022, Table 1b): tube masking at 90 % beats random masking on "
                "Something-Something V2, and 90 % is the best ratio (Figure 3).",
    "mae_st": "MAE-ST (Feichtenhofer et al., 2022, Table 2a): on Kinetics-400, spacetime-agnostic "
              "random masking at 90 % performs best, ahead of tube and frame masking.",
}


# -- data -------------------------------------------------------------------------------------


@dataclass
class StudyData:
    """The fixed clips of a study: model inputs ``x_train`` (N, ...) and ``x_test``, labels,
    class names, and in ``raw`` what the non-neural baselines need (videos, or waves and ``sr``)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: list[str]
    raw: dict
    description: str
    x_unlabelled: torch.Tensor | None = None

    @property
    def x_pretrain(self) -> torch.Tensor:
        """What pretraining reads (N, ...): the training clips, then the unlabelled ones."""
        return self.x_train if self.x_unlabelled is None else torch.cat([self.x_train, self.x_unlabelled])


def study_data(kind: str, scale: MediaScale, data_seed: int = 0) -> StudyData:
    """Generate the clips of ``kind`` (seed ``data_seed``) and split them into
    ``scale.n_train`` training and ``scale.n_test`` test clips (plus, for video,
    ``scale.n_unlabelled`` unlabelled clips from a disjoint seed stream)."""
    n = scale.n_train + scale.n_test
    kwargs = ", ".join(f"{k}={v!r}" for k, v in scale.data.items())
    if kind == "video":
        data = moving_shapes(n, seed=data_seed, with_flow=False, **scale.data)
        train, test = data.split(scale.n_train, seed=data_seed)
        unlab = unlabelled_shapes(scale.n_unlabelled, seed=data_seed, **scale.data) if scale.n_unlabelled else None
        what = ("the scene (a smooth background with a distractor shape painted on it) and one shape move together "
                "in one of 4 directions, as when a camera pans" if scale.data.get("pan") else
                "one shape moving in one of 4 directions over a static background with a static distractor shape")
        extra = (f"; pretraining adds maelearn.data.video.unlabelled_shapes({scale.n_unlabelled}, seed={data_seed}, "
                 "same settings), a disjoint seed stream, without labels" if scale.n_unlabelled else "")
        return StudyData(train.videos, train.labels, test.videos, test.labels, list(data.classes),
                         {"train": train.videos, "test": test.videos},
                         f"maelearn.data.video.moving_shapes({n}, seed={data_seed}, {kwargs}): {what}{extra}",
                         unlab)
    if kind == "audio":
        data = sound_patterns(n, seed=data_seed, **scale.data)
        train, test = data.split(scale.n_train, seed=data_seed)
        cfg = spectrogram_mae_config("tiny", **scale.model)
        spec = [log_mel(s.waves, data.sr, n_mels=cfg.n_mels, frames=cfg.frames) for s in (train, test)]
        x_train, x_test = normalize_specs(*spec)
        return StudyData(x_train, train.labels, x_test, test.labels, list(data.classes),
                         {"train": train.waves, "test": test.waves, "sr": data.sr},
                         f"maelearn.data.audio.sound_patterns({n}, seed={data_seed}, {kwargs}): 8 classes, "
                         "4 pairs of the same sounds in opposite time order; log-mel spectrograms normalized with the "
                         "training set's statistics")
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def save_results(results: dict, path: str | Path) -> Path:
    """Write the results as JSON atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, json.dumps(results, indent=1, default=float) + "\n")


# -- models -----------------------------------------------------------------------------------


def build_model(kind: str, scale: MediaScale, seed: int, masking: str | None = None) -> nn.Module:
    """The ``tiny`` preset with the scale's overrides, initialized from ``seed``."""
    torch.manual_seed(seed)
    if kind == "video":
        return build_videomae("tiny", **scale.model, **({"masking": masking} if masking else {}))
    return build_spectrogram_mae("tiny", **scale.model)


def probe(model: nn.Module, data: StudyData, scale: MediaScale, seed: int, pool: str | None = None) -> float:
    """Linear-probe test accuracy of the frozen encoder of ``model`` (``model.features``
    pooled by ``pool``, default the scale's)."""
    pool = pool or scale.pool
    ftr, fte = model.features(data.x_train, pool=pool), model.features(data.x_test, pool=pool)
    return linear_probe_features(ftr, data.y_train, fte, data.y_test, steps=scale.probe_steps, seed=seed).test_acc


def probes(model: nn.Module, data: StudyData, scale: MediaScale, seed: int) -> dict:
    """``{"probe": ...}`` with the scale's pooling, plus ``"probe_<pool>"`` for each of
    ``scale.extra_pools``."""
    out = {"probe": probe(model, data, scale, seed)}
    for pool in scale.extra_pools:
        out[f"probe_{pool}"] = probe(model, data, scale, seed, pool)
    return out


class SupervisedHead(nn.Module):
    """The MAE's encoder with a linear head on its mean-pooled tokens (after a BatchNorm
    without affine parameters, as the probes standardize): VideoMAE's and Audio-MAE's
    fine-tuning model, here trained from scratch on the labels."""

    def __init__(self, model: nn.Module, num_classes: int, dim: int):
        super().__init__()
        self.model = model
        self.head = nn.Sequential(nn.BatchNorm1d(dim, affine=False), nn.Linear(dim, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, ...) -> (B, num_classes) logits, from every encoder token but [CLS]."""
        tokens = self.model.encoder(x)
        return self.head((tokens[:, 1:] if self.model.encoder.has_cls else tokens).mean(dim=1))


def supervised(kind: str, data: StudyData, scale: MediaScale, seed: int, device: torch.device) -> float:
    """Test accuracy of the encoder trained from scratch on the labels with the library's
    one loop (:func:`maelearn.train.fit`): AdamW (β 0.9/0.999, weight decay 0.05 on
    matrices), one warmup epoch then cosine, ``scale.sup_epochs`` epochs, fp32."""
    model = build_model(kind, scale, seed)
    for name, p in model.named_parameters():  # the decoder plays no part
        if not name.startswith("encoder."):
            p.requires_grad_(False)
    net = SupervisedHead(model, len(data.classes), model.config.dim).to(device)
    bs = min(scale.batch_size, len(data.x_train))
    cfg = TrainConfig(epochs=scale.sup_epochs, batch_size=bs, lr=scale.sup_lr, betas=(0.9, 0.999), weight_decay=0.05,
                      warmup_epochs=1, seed=seed, precision="fp32", device=str(device))
    fit(net, (data.x_train, data.y_train), lambda m, b, g: F.cross_entropy(m(b[0]), b[1]), cfg, progress=False,
        desc="supervised")
    net.eval()
    with torch.no_grad():
        correct = sum(
            int((net(data.x_test[i : i + 256].to(device)).argmax(1).cpu() == data.y_test[i : i + 256]).sum())
            for i in range(0, len(data.x_test), 256)
        )
    return correct / len(data.x_test)


def single_frame(data: StudyData, scale: MediaScale, seed: int) -> float:
    """Linear probe on the raw pixels of one frame per clip, the frame drawn at random
    with ``seed`` (the same rule for training and test clips)."""
    g = torch.Generator().manual_seed(seed)

    def pick(v: torch.Tensor) -> torch.Tensor:  # (N, C, T, H, W) -> (N, C*H*W)
        t = torch.randint(v.shape[2], (v.shape[0],), generator=g)
        return v[torch.arange(v.shape[0]), :, t].flatten(1)

    return linear_probe_features(pick(data.raw["train"]), data.y_train, pick(data.raw["test"]), data.y_test,
                                 steps=scale.probe_steps, seed=seed).test_acc


def mfcc_stats(data: StudyData, scale: MediaScale, seed: int) -> float:
    """Linear probe on lesson 02's clip descriptor (mean and std over time of 13 MFCCs)."""
    sr = data.raw["sr"]
    return linear_probe_features(mfcc_features(data.raw["train"], sr), data.y_train,
                                 mfcc_features(data.raw["test"], sr), data.y_test,
                                 steps=scale.probe_steps, seed=seed).test_acc


def pretrain_variant(kind: str, variant: Variant, data: StudyData, scale: MediaScale, seed: int,
                     device: torch.device) -> tuple[dict, nn.Module]:
    """Pretrain one variant with one seed and probe it: ``({"seed", "probe", "final_loss",
    "loss_curve", "pretrain_s"}, model)``."""
    model = build_model(kind, scale, seed, variant.masking).to(device)
    cfg = TrainConfig(epochs=scale.epochs, batch_size=scale.batch_size, lr=scale.lr,
                      warmup_epochs=min(scale.warmup_epochs, scale.epochs), mask_ratio=variant.mask_ratio, seed=seed,
                      device=str(device))
    t0 = time.perf_counter()
    hist = pretrain(model, data.x_pretrain, cfg, progress=False)
    seconds = time.perf_counter() - t0
    return {"seed": seed, **probes(model, data, scale, seed), "final_loss": hist.final_loss,
            "loss_curve": [round(v, 5) for v in hist.epoch_loss], "pretrain_s": round(seconds, 1)}, model


# -- the study --------------------------------------------------------------------------------


def summarize(kind: str, results: dict) -> dict:
    """Intervals of every variant and baseline, and the paired comparisons with verdicts
    (computed from the runs; rewritten at every save)."""
    out: dict = {"probe": {}, "final_loss": {}, "comparisons": {}}
    for name, v in results["variants"].items():
        if v["runs"]:
            out["probe"][name] = interval(r["probe"] for r in v["runs"]).as_dict()
            out["final_loss"][name] = interval(r["final_loss"] for r in v["runs"]).as_dict()
    for name, b in results["baselines"].items():
        if b["runs"]:
            out["probe"][name] = interval(r["probe"] for r in b["runs"]).as_dict()
    base = next((n for n, v in results["variants"].items() if v["group"] == "baseline"), None)
    pairs = []
    if base is not None:
        pairs.append((f"{base} - random_init", results["variants"][base]["runs"], results["baselines"]["random_init"]["runs"], 1))
    if kind == "video":
        v = results["variants"]
        pairs.append(("tube 0.9 - random 0.9", v["tube 0.9"]["runs"], v["random 0.9"]["runs"], 1))
        pairs.append(("tube 0.9 - tube 0.75", v["tube 0.9"]["runs"], v["tube 0.75"]["runs"], 1))
    for label, a, b, sign in pairs:
        try:
            d = paired_difference(a, b, "probe")
        except ValueError:
            continue
        out["comparisons"][label] = {**d.as_dict(), "verdict": verdict(d, sign) if d.n >= 2 else INCONCLUSIVE}
    return out


def masking_verdict(summary: dict) -> str:
    """Which paper the tube-vs-random comparison agrees with, in words."""
    c = summary["comparisons"].get("tube 0.9 - random 0.9")
    if c is None or c["n"] < 2:
        return "tube vs random: not enough seeds yet"
    span = f"tube - random probe accuracy {c['mean']:+.3f} (95 % interval {c['lo']:+.3f} to {c['hi']:+.3f}, {c['n']} seeds)"
    if c["lo"] > 0:
        return f"{span}: these clips agree with VideoMAE (tube masking learns the better features here)."
    if c["hi"] < 0:
        return f"{span}: these clips agree with MAE-ST (random space-time masking learns the better features here)."
    return f"{span}: the interval includes 0, so these clips side with neither paper at this scale."


def checkpoint_paths(kind: str, folder: str | Path | None = None) -> tuple[Path, Path]:
    """``(weights, provenance)`` paths of the shipped pretrained model of ``kind``:
    ``data/pretrained/<kind>_mae.pt`` and ``.json``."""
    folder = Path(folder) if folder is not None else ROOT / "data" / "pretrained"
    return folder / f"{kind}_mae.pt", folder / f"{kind}_mae.json"


def save_pretrained(kind: str, model: nn.Module, row: dict, results: dict, folder: str | Path | None = None) -> Path:
    """Ship ``model`` (the baseline variant of one seed): its config and fp32 weights in a
    ``.pt`` file and a provenance ``.json`` (command, seed, data, settings, epochs, final
    loss, its probe and the study's intervals so far)."""

    weights, prov = checkpoint_paths(kind, folder)
    weights.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().float().clone() for k, v in model.state_dict().items()}
    atomic_save({"model_config": model.config_dict(), "model": state}, weights)
    base = next(n for n, v in results["variants"].items() if v["group"] == "baseline")
    info = {
        "command": results["command"], "seed": row["seed"], "variant": base, "data": results["dataset"],
        "settings": results["settings"], "epochs": results["settings"]["epochs"], "final_loss": row["final_loss"],
        "probe": row["probe"], "study_summary": summarize(kind, results), "torch": torch.__version__,
        "hardware": results.get("hardware"),
        "date": utc_now(), "weights": weights.name,
        "bytes": weights.stat().st_size,
    }
    save_results(info, prov)
    return weights


def load_pretrained(kind: str, folder: str | Path | None = None) -> tuple[nn.Module, dict] | None:
    """The shipped pretrained model of ``kind`` (eval mode, CPU) and its provenance, or
    ``None`` when it has not been made."""
    weights, prov = checkpoint_paths(kind, folder)
    if not (weights.exists() and prov.exists()):
        return None
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model = mae_from_config(state["model_config"])
    model.load_state_dict(state["model"])
    return model.eval(), json.loads(prov.read_text())


def pretraining_verdict(results: dict) -> str:
    """Whether the baseline variant's probe beats the untrained encoder's, in words: the
    paired difference (same seeds) and whether the two 95 % intervals are separated."""
    s = summarize(results["kind"], results)
    base = next((n for n, v in results["variants"].items() if v["group"] == "baseline"), None)
    c = s["comparisons"].get(f"{base} - random_init")
    if c is None or c["n"] < 2:
        return "pretrained vs untrained: not enough seeds yet"
    a, b = s["probe"][base], s["probe"]["random_init"]
    apart = "separated" if (a["lo"] > b["hi"] or a["hi"] < b["lo"]) else "overlapping"
    span = (f"{base} minus the untrained encoder, paired by seed: {c['mean']:+.3f} "
            f"(95 % interval {c['lo']:+.3f} to {c['hi']:+.3f}, {c['n']} seeds; the two intervals are {apart})")
    if c["lo"] > 0:
        return f"{span}: pretraining made the frozen features better for this probe."
    if c["hi"] < 0:
        return f"{span}: the untrained encoder's frozen features are better for this probe."
    return f"{span}: no difference resolved at this number of seeds."


def _empty(kind: str, scale_name: str, scale: MediaScale, data: StudyData, command: str, dev: torch.device) -> dict:
    papers = PAPERS if kind == "video" else {
        "audio_mae": "Audio-MAE (Huang et al., 2022, Table 1): unstructured random masking at 80 % is the best "
                     "pretraining setting on AudioSet."}
    return {
        "command": command, "kind": kind, "scale": scale_name, "settings": _settings(scale),
        "dataset": data.description, "classes": data.classes, "chance": 1 / len(data.classes),
        "hardware": hardware(dev), "torch": torch.__version__, "date": utc_now(),
        "variants": {v.name: {"group": v.group, "mask_ratio": v.mask_ratio, "masking": v.masking, "runs": []}
                     for v in VARIANTS[kind]},
        "baselines": {b: {"runs": []} for b in BASELINES[kind]},
        "papers": papers,
    }


def _settings(scale: MediaScale) -> dict:
    """The scale's fields as a results file stores them (tuples as lists)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(scale).items()}


def _settings_diff(old: dict, new: dict) -> list[str]:
    """What differs between the study of results ``old`` and ``new``: ``"kind"``, every
    setting but the seeds, and ``"dataset"`` when ``new`` has one. Empty: the same study,
    whose runs can be reused."""
    def strip(d):  # as JSON stores it; older files lack extra_pools and n_unlabelled
        return json.loads(json.dumps({"extra_pools": [], "n_unlabelled": 0,
                                      **{k: v for k, v in (d or {}).items() if k != "seeds"}}))

    a, b = strip(old.get("settings")), strip(new["settings"])
    diff = ["kind"] if old.get("kind") != new["kind"] else []
    diff += sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    if "dataset" in new and old.get("dataset") != new["dataset"]:
        diff.append("dataset")
    return diff


def _settings_match(old: dict, new: dict) -> bool:
    """Same study (kind, data, every setting but the seeds): its runs can be reused."""
    return not _settings_diff(old, new)


def _refuse_other(path: Path, why: str) -> ValueError:
    return ValueError(f"--out {path} {why}; resuming would mix them or lose them. Move it away or pick another --out "
                      "(nothing is overwritten)")


def check_output(kind: str, scale_name: str, scale: MediaScale, path: str | Path) -> dict | None:
    """Refuse, before any work, an ``out`` that cannot take this study's results: a folder,
    an unwritable or missing folder, a file that is not JSON, JSON that is not a video or
    audio study, or the results of another kind or other settings (any setting but the
    seeds). Return the results already there (the same study: to resume), else ``None``."""
    path = Path(path)
    old = check_json_output(path, f"{kind}_{scale_name}.json")
    if old is None:
        return None
    if (not isinstance(old, dict) or old.get("kind") not in KINDS or not isinstance(old.get("settings"), dict)
            or not all(isinstance(old.get(s), dict) for s in ("variants", "baselines"))):
        raise _refuse_other(path, f"holds JSON that is not {kind} study results")
    if old["kind"] != kind:
        raise _refuse_other(path, f"holds the {old['kind']} study's results, not the {kind} study's")
    diff = _settings_diff(old, {"kind": kind, "settings": _settings(scale)})
    if diff:
        raise _refuse_other(path, f"holds the {kind} study at scale {old.get('scale', '?')} with other settings "
                                  f"({', '.join(diff)} differ from scale {scale_name}'s)")
    return old


def check_seeds(seeds, what: str = "seeds") -> tuple[int, ...]:
    """``seeds`` as a tuple, refused (``ValueError`` naming ``what``) unless one or more
    distinct integers from 0 to :data:`maelearn.cli.MAX_SEED`."""
    seeds = tuple(seeds)
    given = f"{what} {' '.join(map(str, seeds))}"
    bad = [s for s in seeds if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= cli.MAX_SEED]
    if not seeds:
        raise ValueError(f"{what}: expected at least one seed")
    if bad:
        raise ValueError(f"{given}: expected integers from 0 to {cli.MAX_SEED}, got {bad[0]!r}")
    twice = sorted({s for s in seeds if seeds.count(s) > 1})
    if twice:
        raise ValueError(f"{given}: expected each seed once, got {', '.join(map(str, twice))} more than once")
    return seeds


def resolve_scale(scale, scales: dict, cls: type, seeds: tuple[int, ...] | None = None) -> tuple[str, object]:
    """``(name, scale)`` of ``scale``: a name in ``scales``, or a ``cls`` instance (named
    ``"custom"``); with ``seeds`` (checked by :func:`check_seeds`) in place of its own."""
    if isinstance(scale, str):
        if scale not in scales:
            raise ValueError(f"scale must be one of {sorted(scales)}, got {scale!r}")
        name, sc = scale, scales[scale]
    elif isinstance(scale, cls):
        name, sc = "custom", scale
    else:
        raise TypeError(f"scale must be a name in {sorted(scales)} or a {cls.__name__}, got {type(scale).__name__}")
    return name, (sc if seeds is None else replace(sc, seeds=check_seeds(seeds)))


def run_study(kind: str, scale: str | MediaScale = "cpu", out: str | Path | None = None, device: str | None = None,
              seeds: tuple[int, ...] | None = None, command: str | None = None,
              log: Callable[[str], None] | None = print, checkpoint: bool = False,
              checkpoint_folder: str | Path | None = None) -> dict:
    """Run (or finish) the ``kind`` study at ``scale`` and return the results dict; with
    ``out``, every finished run is written there at once, and runs already in the file
    (same settings and data) are skipped; an ``out`` that is not this study's results (other
    settings, another kind, not JSON, a folder) is refused before any work
    (:func:`check_output`), never overwritten. ``checkpoint=True`` ships the baseline variant's
    model of the first seed (:func:`save_pretrained`; trained again if its run was already
    in the file)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    name, sc = resolve_scale(scale, SCALES[kind], MediaScale, seeds)
    dev = pick_device(device)
    command = command or f"python -m maelearn.experiments {kind} --scale {name}"
    path = Path(out) if out is not None else None
    old = check_output(kind, name, sc, path) if path is not None else None  # before any work
    if checkpoint:
        weights = checkpoint_paths(kind, checkpoint_folder)[0]
        weights.parent.mkdir(parents=True, exist_ok=True)
        cli.check_output_file(weights, "--checkpoint", weights.name)
    data = study_data(kind, sc)
    results = _empty(kind, name, sc, data, command, dev)
    if old is not None:
        if old.get("dataset") != results["dataset"]:
            raise _refuse_other(path, f"was made on other clips ({old.get('dataset')!r}, this run {results['dataset']!r})")
        for sect in ("variants", "baselines"):
            for k, v in old[sect].items():
                if k in results[sect]:
                    results[sect][k]["runs"] = v.get("runs", [])
        results["date"] = old.get("date", results["date"])
    if path is not None:
        save_results(results, path)  # the file exists from the start: an interrupt leaves it, never half a file

    def done(section: str, key: str, seed: int) -> bool:
        return any(r["seed"] == seed for r in results[section][key]["runs"])

    variants = {v.name: v for v in VARIANTS[kind]}
    base = next(v for v in VARIANTS[kind] if v.group == "baseline")
    todo = [("baselines", b, s) for s in sc.seeds for b in BASELINES[kind] if b != "supervised"]
    todo += [("variants", v.name, s) for s in sc.seeds for v in VARIANTS[kind]]
    todo = [t for t in todo if not done(*t)]
    if checkpoint and done("variants", base.name, sc.seeds[0]):
        todo.append(("ship", base.name, sc.seeds[0]))  # its run is in the file: train it again to ship it
    todo += [t for t in (("baselines", "supervised", s) for s in sc.seeds) if not done(*t)]
    ship = None
    for section, key, seed in progress(todo, desc=f"{kind} ({name})"):
        t0 = time.perf_counter()
        if section == "ship" and log:
            log(f"training {key} seed {seed} again to ship its weights")
        if section in ("ship", "variants"):
            row, model = pretrain_variant(kind, variants[key], data, sc, seed, dev)
            if checkpoint and key == base.name and seed == sc.seeds[0]:
                ship = (model, row)
            if section == "ship":
                continue
        elif key == "random_init":
            row = {"seed": seed, **probes(build_model(kind, sc, seed).to(dev), data, sc, seed)}
        elif key == "single_frame":
            row = {"seed": seed, "probe": single_frame(data, sc, seed)}
        elif key == "mfcc_stats":
            row = {"seed": seed, "probe": mfcc_stats(data, sc, seed)}
        else:
            row = {"seed": seed, "probe": supervised(kind, data, sc, seed, dev)}
        row["seconds"] = round(time.perf_counter() - t0, 1)
        runs = results[section][key]["runs"]
        runs.append(row)
        runs.sort(key=lambda r: r["seed"])
        results["summary"] = summarize(kind, results)
        results["updated"] = utc_now()
        if path is not None:
            save_results(results, path)
        if log:
            extra = f"  final loss {row['final_loss']:.3f}" if "final_loss" in row else ""
            log(f"{kind} {key} seed {row['seed']}: probe {row['probe']:.3f}{extra}")
    results["summary"] = summarize(kind, results)
    if path is not None:
        save_results(results, path)
    if ship is not None:
        shipped = save_pretrained(kind, ship[0], ship[1], results, checkpoint_folder)
        if log:
            log(f"shipped {shipped} ({shipped.stat().st_size / 1e6:.2f} MB)")
    return results


def read_shipped(stem: str, prefer: tuple[str, ...], folder: str | Path | None = None) -> tuple[Path, dict] | None:
    """``(path, results)`` of the first ``<folder>/<stem>_<scale>.json`` (default folder:
    data/) in ``prefer`` order, with ``"path"`` added (relative to the repository), or ``None``."""
    folder = Path(folder) if folder is not None else ROOT / "data"
    for name in prefer:
        path = folder / f"{stem}_{name}.json"
        if path.exists():
            results = json.loads(path.read_text())
            results["path"] = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
            return path, results
    return None


def load_study(kind: str, prefer: tuple[str, ...] = ("full", "cpu"), folder: str | Path | None = None) -> dict | None:
    """The first shipped ``data/<kind>_<scale>.json`` in ``prefer`` order (with ``"path"``
    added, relative to the repository), or ``None`` when there is none."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    found = read_shipped(kind, prefer, folder)
    if found is None:
        return None
    results = found[1]
    results["summary"] = summarize(kind, results)
    return results
def table(results: dict) -> list[tuple[str, str, str, str]]:
    """Rows ``(name, seeds, probe mean ± 95 % half-width [lo, hi], final loss)`` of every
    variant and baseline, from the runs; ``[lo, hi]`` is clipped to the accuracies that can
    occur, [0, 1] (a t-interval around a mean near 1 can reach past it)."""
    s = summarize(results["kind"], results)
    rows = []
    for name, iv in s["probe"].items():
        loss = s["final_loss"].get(name)
        rows.append((name, str(iv["n"]), f"{iv['mean']:.3f} ± {(iv['hi'] - iv['lo']) / 2:.3f}  [{max(iv['lo'], 0.0):.3f}, {min(iv['hi'], 1.0):.3f}]",
                     f"{loss['mean']:.3f} ± {(loss['hi'] - loss['lo']) / 2:.3f}" if loss else "–"))
    return rows


def report(results: dict) -> str:
    """The study as text, what lessons 10 and 11 print and the command prints at the end:
    where the numbers come from (file, command, date, machine, torch), every variant and
    baseline with its seeds and 95 % interval, the paired comparisons with their verdicts,
    whether pretraining beat the untrained encoder, and (video) which paper the masking
    comparison agrees with."""
    s = results["summary"]
    hw = results.get("hardware", {})
    lines = [f"{results['kind']} ({results['scale']}), chance {results['chance']:.3f}"]
    if "path" in results:
        lines.append(f"{results['path']}: {results.get('command', '?')}")
    lines += [f"made {results.get('date', '?')[:10]} on {hw.get('cpu_model', hw.get('name', '?'))}, "
              f"torch {results.get('torch', '?')}",
              f"{'':14s} {'seeds':>5s}  {'probe accuracy, mean ± 95 % [interval]':40s} final masked loss"]
    lines += [f"{name:14s} {n:>5s}  {acc:40s} {loss}" for name, n, acc, loss in table(results)]
    lines += [f"paired difference {label}: {c['mean']:+.3f} [{c['lo']:+.3f}, {c['hi']:+.3f}]  {c['verdict']}"
              for label, c in s["comparisons"].items()]
    lines.append(pretraining_verdict(results))
    if results["kind"] == "video":
        lines.append(masking_verdict(s))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m maelearn.experiments video|audio [options]`` (``argv`` starts with the
    kind); expected failures are one line and exit status 2 (:mod:`maelearn.cli`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if a != cli.DEBUG_FLAG), None)
    prog = "python -m maelearn.experiments" + (f" {first}" if first in KINDS else "")

    @cli.guarded(prog)
    def _main(argv: list[str]) -> int:
        if not argv or argv[0] not in KINDS:
            raise cli.UsageError(f"expected the study first, one of: {', '.join(KINDS)}; got {argv[0] if argv else 'nothing'!r}")
        kind = argv[0]
        parser = study_parser(prog, __doc__.split("\n\n")[0], ("quick", "cpu", "full"), "data/<kind>_<scale>.json")
        parser.add_argument("--checkpoint", action="store_true",
                            help="also ship the first seed's baseline model to data/pretrained/<kind>_mae.pt (+ .json)")
        args = parser.parse_args(argv[1:])
        seeds, dev = study_options(args)
        out = Path(args.out) if args.out else ROOT / "data" / f"{kind}_{args.scale}.json"
        invocation = "python -m maelearn.experiments " + " ".join(argv)
        return run_study_command(
            out, lambda: run_study(kind, args.scale, out, dev, seeds, command=invocation, checkpoint=args.checkpoint), report)

    return _main(argv)


def study_options(args) -> tuple[tuple[int, ...] | None, torch.device]:
    """The ``--seeds`` (checked) and ``--device`` of a parsed :func:`study_parser`; applies ``--threads``."""
    seeds = check_seeds(args.seeds, "--seeds") if args.seeds is not None else None
    dev = pick_device(args.device, source="--device")
    if args.threads is not None:
        cpu_threads(args.threads)
    return seeds, dev


__all__ = [
    "BASELINES", "KINDS", "PAPERS", "SCALES", "VARIANTS", "MediaScale", "StudyData", "Variant", "build_model",
    "check_output", "check_seeds", "checkpoint_paths", "load_pretrained", "load_study", "main", "masking_verdict",
    "pretraining_verdict", "probe", "read_shipped", "report", "resolve_scale", "run_study", "save_pretrained",
    "single_frame", "study_data", "study_options", "summarize", "supervised", "table",
]
