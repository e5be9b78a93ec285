"""Shared test set-up (keep it minimal; append fixtures below). The thread policy lives in
the root ``conftest.py``, for lessons, solutions and tests alike."""

import pytest
import torch


def pytest_configure(config):
    # tests/test_browser.py: a real JupyterLab + headless Chromium run (deselect with -m "not browser").
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium (slow; needs chromium + playwright)")


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module of tiny-tensor tests (``pytestmark =
    pytest.mark.usefixtures("one_thread")``): on a shared CPU (CI runs tests in parallel
    workers) two spinning OpenMP threads per process are several times slower than one."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
