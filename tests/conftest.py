"""Shared test set-up (keep it minimal; append fixtures below).

Tests run torch on one intra-op thread. Their tensors are tiny, so threads do not help,
and on a busy CPU (CI runners, a shared machine) every parallel region can stall waiting
for a descheduled worker: a tiny-ViT fine-tune measured 0.35 s on 1 thread vs 8 s on 2 on
a loaded 2-core machine. Use ``pytest -n`` (xdist) to spread tests over cores instead.
``MAELEARN_TEST_THREADS`` overrides the count.
"""

import os

import torch

torch.set_num_threads(int(os.environ.get("MAELEARN_TEST_THREADS", "1")))


def pytest_configure(config):
    # tests/test_browser.py: a real JupyterLab + headless Chromium run (deselect with -m "not browser").
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium (slow; needs chromium + playwright)")
