"""Multi-process data parallelism: two CPU processes with Gloo, launched by torchrun as a
learner would launch GPUs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from maelearn.train import load_checkpoint

WORKER = Path(__file__).with_name("ddp_worker.py")


def test_ddp_two_processes_end_identical(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", MAELEARN_DEVICE="cpu")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(WORKER), str(tmp_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0["world"] == r1["world"] == 2
    # Both ranks started from different random weights; DDP broadcasts rank 0's and then
    # averages gradients, so the weights must agree exactly (same all-reduced values).
    for (name, a), b in zip(r0["model"].items(), r1["model"].values()):
        assert torch.equal(a, b), name
    # The logged loss is the mean over ranks, the same number on both.
    assert r0["loss"] == r1["loss"] and len(r0["loss"]) == 2 * (64 // (8 * 2))
    # Only rank 0 wrote the checkpoint, with the same weights.
    model, state = load_checkpoint(tmp_path / "ckpt")
    assert state["world_size"] == 2 and state["epoch"] == 2 and len(state["rng"]) == 2
    for (name, a), b in zip(r0["model"].items(), model.state_dict().values()):
        assert torch.equal(a, b), name
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["checkpoint.pt"]
