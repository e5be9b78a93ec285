import pytest
import torch

import maelearn
from maelearn import config


def test_mode_env_and_override(monkeypatch):
    monkeypatch.setenv("MAELEARN_MODE", "full")
    assert maelearn.mode() == "full" and maelearn.budget(quick=1, full=2) == 2
    assert maelearn.set_mode("quick") == "quick" and maelearn.budget(quick=1, full=2) == 1
    maelearn.set_mode(None)
    monkeypatch.setenv("MAELEARN_MODE", "fast")
    with pytest.raises(ValueError, match=r"\$MAELEARN_MODE must be one of \('quick', 'full'\), got 'fast'"):
        maelearn.mode()


def test_default_mode_follows_cuda(monkeypatch):
    monkeypatch.delenv("MAELEARN_MODE", raising=False)
    assert maelearn.mode() == ("full" if torch.cuda.is_available() else "quick")


def test_device_falls_back_and_rejects_missing_cuda(monkeypatch):
    monkeypatch.delenv("MAELEARN_DEVICE", raising=False)
    assert maelearn.device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert maelearn.device().type in ("cpu", "mps")
        with pytest.raises(ValueError, match="no CUDA GPU is visible"):
            maelearn.device("cuda")


def test_seed_everything_is_reproducible():
    g1 = maelearn.seed_everything(3)
    a = torch.rand(3), torch.rand(2, generator=g1)
    g2 = maelearn.seed_everything(3)
    b = torch.rand(3), torch.rand(2, generator=g2)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_data_path_errors_clearly():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        config.data_path("no-such-file.json")


def test_cpu_threads_sets_and_validates():
    before = torch.get_num_threads()
    try:
        assert config.cpu_threads(1) == 1 and torch.get_num_threads() == 1
        assert config.cpu_threads() >= 1
        with pytest.raises(ValueError, match="threads must be an integer >= 1, got 0"):
            config.cpu_threads(0)
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("name", ["bogus", "meta", "xpu", "cuda:x", "cpu:0", ""])
def test_unknown_devices_are_named(monkeypatch, name):
    monkeypatch.delenv("MAELEARN_DEVICE", raising=False)
    with pytest.raises(ValueError, match=rf"--device must be one of cpu, cuda, cuda:N, mps, got '{name}'"):
        config.device(name, source="--device")


def test_device_names_are_case_insensitive_and_the_environment_is_named(monkeypatch):
    monkeypatch.delenv("MAELEARN_DEVICE", raising=False)
    assert config.device("CPU").type == "cpu" and config.device(" Cpu ").type == "cpu"
    monkeypatch.setenv("MAELEARN_DEVICE", "CPU")
    assert config.device().type == "cpu"
    monkeypatch.setenv("MAELEARN_DEVICE", "bogus")
    with pytest.raises(ValueError, match=r"\$MAELEARN_DEVICE must be one of .*, got 'bogus'"):
        config.device()
    assert config.device("cpu").type == "cpu"  # an explicit choice wins over the environment


def test_threads_above_the_core_count_are_capped(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setattr(config.os, "cpu_count", lambda: 2)
    try:
        with pytest.warns(UserWarning, match="threads=100000 is more than the 2 CPU core"):
            assert config.cpu_threads(100000) == 2
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_available_memory_is_a_positive_byte_count():
    assert 2**20 < config.available_memory() < 2**50
