"""One rank of the DDP tests (tests/test_ddp.py), launched by ``torchrun --nproc_per_node 2``.

Each rank builds the model from a *different* seed (DDP must broadcast rank 0's weights),
pretrains with Gloo on the CPU, and saves its final weights and history to OUT/rankR.pt.
With a second argument (a folder of images) it streams that folder through a DataLoader
with a DistributedSampler instead of the in-memory tensor; a third is ``accum_iter``.
"""

from __future__ import annotations

import os
import sys

import torch

from maelearn.data import shapes
from maelearn.mae import build_mae
from maelearn.train import TrainConfig, pretrain


def main(out: str, folder: str | None = None, accum_iter: str = "1") -> None:
    rank = int(os.environ["RANK"])
    torch.set_num_threads(1)  # two processes on a shared CPU
    torch.manual_seed(100 + rank)
    model = build_mae("tiny", img_size=16, dim=32, depth=1, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2)
    if folder is None:
        data = shapes(64, 16, seed=0).images
    else:
        from maelearn.data.folders import ImageFolder

        data = ImageFolder(folder, size=16)
    cfg = TrainConfig(epochs=2, batch_size=8, lr=1e-3, device="cpu", checkpoint_dir=os.path.join(out, "ckpt"),
                      num_workers=1 if folder else 0, accum_iter=int(accum_iter))
    hist = pretrain(model, data, cfg, progress=False)
    torch.save({"model": model.state_dict(), "loss": hist.loss, "world": int(os.environ["WORLD_SIZE"])}, os.path.join(out, f"rank{rank}.pt"))


if __name__ == "__main__":
    main(*sys.argv[1:4])
