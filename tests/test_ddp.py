"""Multi-process data parallelism: two CPU processes with Gloo, launched by torchrun as a
learner would launch GPUs (one node here; the same env:// rendezvous spans nodes)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from maelearn.checkpoint import load_checkpoint
from maelearn.train import TrainConfig, pretrain

WORKER = Path(__file__).with_name("ddp_worker.py")


def run_two(out: Path, *extra: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", MAELEARN_DEVICE="cpu")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(WORKER), str(out), *extra]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def check_ranks_agree(out: Path, steps: int) -> None:
    r0 = torch.load(out / "rank0.pt", weights_only=True)
    r1 = torch.load(out / "rank1.pt", weights_only=True)
    assert r0["world"] == r1["world"] == 2
    # Both ranks started from different random weights; DDP broadcasts rank 0's and then
    # averages gradients, so the weights must agree exactly (same all-reduced values).
    for (name, a), b in zip(r0["model"].items(), r1["model"].values()):
        assert torch.equal(a, b), name
    # The logged loss is the mean over ranks, the same number on both.
    assert r0["loss"] == r1["loss"] and len(r0["loss"]) == steps
    # Only rank 0 wrote the checkpoint, with the same weights.
    model, state = load_checkpoint(out / "ckpt")
    assert state["world_size"] == 2 and state["epoch"] == 2 and len(state["rng"]) == 2
    for (name, a), b in zip(r0["model"].items(), model.state_dict().values()):
        assert torch.equal(a, b), name
    assert sorted(p.name for p in (out / "ckpt").iterdir()) == ["checkpoint.pt"]


def test_ddp_two_processes_end_identical(tmp_path):
    run_two(tmp_path)
    check_ranks_agree(tmp_path, 2 * (64 // (8 * 2)))


def test_ddp_streams_a_folder_and_resumes_on_another_world_size(tmp_path):
    """Two ranks read a JPEG folder through DistributedSampler shares (a worker each) and
    accumulate 2 micro-batches per step (DDP's no_sync on the first); the checkpoint then
    resumes in one process with accum_iter=4, the same effective batch of 32."""
    from PIL import Image

    from maelearn.data.folders import ImageFolder
    from maelearn.mae import build_mae

    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(40):
        Image.fromarray(rng.integers(0, 256, (18, 20, 3), dtype=np.uint8)).save(folder / f"{i:02d}.jpg")
    out = tmp_path / "run"
    out.mkdir()
    run_two(out, str(folder), "2")
    check_ranks_agree(out, 2 * (40 // (8 * 2)) // 2)  # 2 micro-batches per rank per epoch, 1 step

    model = build_mae("tiny", img_size=16, dim=32, depth=1, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2)
    cfg = TrainConfig(epochs=3, batch_size=8, accum_iter=4, lr=1e-3, device="cpu", checkpoint_dir=str(out / "ckpt"))
    with pytest.warns(UserWarning, match="checkpoint written by 2"):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="resuming with epochs")
            warnings.filterwarnings("ignore", message="resuming with accum_iter")
            hist = pretrain(model, ImageFolder(folder, size=16), cfg, resume=True, progress=False)
    # 2 epochs of 1 step from the checkpoint, then 1 epoch of 40 // 8 = 5 micro-batches -> 1 step of 4
    assert len(hist.loss) == 2 + 1 and len(hist.epoch_loss) == 3
    assert load_checkpoint(out / "ckpt")[1]["world_size"] == 1
