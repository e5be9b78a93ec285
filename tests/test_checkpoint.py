"""maelearn.checkpoint: unreadable files are named, oversized configs are refused before
anything is allocated, and the size estimate behind that refusal is close for every kind."""

from __future__ import annotations

import os
import time
import zipfile

import pytest
import torch

from maelearn.audio import build_spectrogram_mae
from maelearn.checkpoint import (
    atomic_save,
    check_model_fits,
    estimate_parameters,
    load_checkpoint,
    model_config,
    read_checkpoint,
)
from maelearn.mae import build_mae
from maelearn.runs import config_differences
from maelearn.timeseries import build_timeseries_mae
from maelearn.train import TrainConfig, pretrain
from maelearn.video import build_videomae


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A real 1-epoch checkpoint of a tiny MAE (a few steps on random images)."""
    folder = tmp_path_factory.mktemp("ckpt")
    torch.manual_seed(0)
    model = build_mae("tiny")
    pretrain(model, torch.rand(16, 3, 32, 32), TrainConfig(epochs=1, batch_size=8, checkpoint_dir=str(folder)),
             progress=False)
    return folder / "checkpoint.pt"


@pytest.mark.parametrize("build", [lambda: build_mae("tiny"), lambda: build_mae("small"), lambda: build_videomae("tiny"),
                                   build_spectrogram_mae, build_timeseries_mae])
def test_parameter_estimate_is_within_three_percent(build):
    model = build()
    actual = sum(p.numel() for p in model.parameters()) + sum(b.numel() for b in model.buffers())
    assert estimate_parameters(model_config(model)) == pytest.approx(actual, rel=0.03)


def test_a_crafted_huge_model_is_refused_before_allocating(saved, tmp_path):
    state = torch.load(saved, weights_only=True)
    state["model_config"].update(dim=100_000, depth=1000)  # ~1.2e14 parameters
    atomic_save(state, tmp_path / "huge.pt")
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"asks for a model of about 1.2e\+14 parameters \(873 TiB to load\), more than the .* GiB "
                                         r"of memory available; refusing to build it"):
        load_checkpoint(tmp_path / "huge.pt")
    assert time.perf_counter() - t0 < 10  # refused from the numbers, not after trying
    with pytest.raises(ValueError, match="model_config field depth must be an integer >= 0, got -1"):
        estimate_parameters({"kind": "mae", "depth": -1})
    with pytest.raises(ValueError, match=r"parameters \([\d.]+ MiB to load\), more than the 1 MiB of memory available"):
        check_model_fits(model_config(build_mae("tiny")), available=2**20)


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"), (b"\x00" * 10, "not a torch file"), (os.urandom(2048), "not a torch file"),
    (b"PK\x03\x04 not really a zip", "truncated or corrupt zip"), (b"hello\n", "not a torch file")])
def test_unreadable_files_are_named(tmp_path, content, reason):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"not a readable checkpoint: {path} \\({reason}\\)$"):
        read_checkpoint(path)
    with pytest.raises(ValueError, match=f"not a readable checkpoint: {path}"):
        read_checkpoint(tmp_path)  # the folder holding it


def test_truncated_foreign_and_folder_checkpoints(saved, tmp_path):
    data = saved.read_bytes()
    for cut in (len(data) // 2, len(data) - 100, 200):
        path = tmp_path / f"cut{cut}.pt"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=f"not a readable checkpoint: {path} \\(truncated or corrupt zip\\)$"):
            read_checkpoint(path)
    zipped = tmp_path / "photos.zip"  # a zip, but not one torch wrote
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("a.txt", "hi")
    with pytest.raises(ValueError, match=f"not a readable checkpoint: {zipped} \\(a zip archive, not a torch file\\)$"):
        read_checkpoint(zipped)
    foreign = tmp_path / "weights.pt"
    torch.save({"w": torch.ones(2)}, foreign)
    with pytest.raises(ValueError, match=f"not a readable checkpoint: {foreign} \\(not a maelearn training checkpoint"):
        read_checkpoint(foreign)
    folder = tmp_path / "named_like.pt"
    folder.mkdir()
    with pytest.raises(ValueError, match=f"not a readable checkpoint: {folder} \\(a folder, not a file\\)"):
        read_checkpoint(folder)
    run = tmp_path / "run"
    (run / "checkpoint.pt").mkdir(parents=True)  # a run folder whose checkpoint.pt is a folder
    with pytest.raises(ValueError, match=f"not a readable checkpoint: {run / 'checkpoint.pt'} \\(a folder, not a file\\)"):
        read_checkpoint(run)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        read_checkpoint(tmp_path / "missing.pt")


def test_code_in_a_pickle_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "maelearn.train/1", "x": Evil()}, path)
    with pytest.raises(ValueError, match=f"not a readable checkpoint: {path} \\(refused unsafe pickle content: "
                                         r"\w+\.system\)$") as info:
        read_checkpoint(path)
    assert "weights_only" not in str(info.value)  # never the advice to load it the unsafe way


def test_weights_that_do_not_fit_the_config(saved, tmp_path):
    state = torch.load(saved, weights_only=True)
    state["model"].pop("mask_token")
    atomic_save(state, tmp_path / "partial.pt")
    with pytest.raises(ValueError, match="its weights do not fit its model_config"):
        load_checkpoint(tmp_path / "partial.pt")
    model, loaded = load_checkpoint(saved)
    assert loaded["epoch"] == 1 and model_config(model) == loaded["model_config"]


def test_config_differences_name_the_fields():
    assert config_differences({"dim": 96, "depth": 4}, {"dim": 192, "depth": 4, "x": 1}) == [
        "dim: checkpoint 96, now 192", "x: checkpoint '<absent>', now 1"]


def test_ctrl_c_during_a_save_stays_an_interrupt_and_keeps_the_old_file(tmp_path, monkeypatch):
    """A KeyboardInterrupt in the middle of torch.save's writes makes torch's zip writer fail
    on clean-up with a RuntimeError; atomic_save re-raises the interrupt itself (the command
    line exits 130 with where to resume), and the old checkpoint survives."""
    import maelearn.checkpoint as ck

    path = tmp_path / "checkpoint.pt"
    atomic_save({"w": torch.ones(2)}, path)
    real_fdopen = os.fdopen

    class Interrupted:
        def __init__(self, f):
            self.f, self.writes = f, 0

        def write(self, data):
            self.writes += 1
            if self.writes == 3:
                raise KeyboardInterrupt
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(ck.os, "fdopen", lambda fd, mode: Interrupted(real_fdopen(fd, mode)))
    with pytest.raises(KeyboardInterrupt):
        atomic_save({"w": torch.zeros(1000), "v": torch.zeros(1000)}, path)
    monkeypatch.undo()
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_a_full_disk_during_a_save_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    import errno

    path = tmp_path / "checkpoint.pt"
    atomic_save({"w": torch.ones(2)}, path)

    def full(obj, f):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(OSError) as info:
        atomic_save({"w": torch.zeros(2)}, path)
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    from maelearn.cli import describe_os_error

    assert describe_os_error(info.value) == f"disk full: {path}"
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.ones(2))  # the old checkpoint survives
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temporary file left behind
