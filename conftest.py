"""Shared by every pytest run of the course (lessons/, solutions/, tests/).

Under pytest-xdist (``-n 2``, as the README's test command runs) each worker, and each
notebook kernel a worker starts, gets one math thread: two workers with two threads each
on a two-core machine oversubscribe it, and a training step then runs 10-50x slower.
Kernels inherit the environment, so setting it here reaches them too."""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
