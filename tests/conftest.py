"""Shared test set-up (keep it minimal; append fixtures below). The thread policy lives in
the root ``conftest.py``, for lessons, solutions and tests alike."""


def pytest_configure(config):
    # tests/test_browser.py: a real JupyterLab + headless Chromium run (deselect with -m "not browser").
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium (slow; needs chromium + playwright)")
