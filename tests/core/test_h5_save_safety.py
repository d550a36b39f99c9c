"""Saving a .h5 file never leaves a broken file or a stray temporary file: a full disk (faked, and a real 64 KB
tmpfs where the test may mount one), a killed save's leftovers, special files, read-only files, symbolic links,
file modes, and weights that would not read back (NaN or infinite)."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from core import Dense, ModelFileError, Sequential, load_model
from core.api import save_model
from core.io import h5_save

X = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)


def _model(units: int = 3, seed: int = 0) -> Sequential:
    model = Sequential([Dense(units, input_dim=4, name="dense"), Dense(2, name="out")])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_full_disk_gives_a_clear_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.h5"
    old = _model(seed=1)
    save_model(old, path)

    def full(handle, data):
        handle.write(data[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(h5_save, "_write_all", full)
    with pytest.raises(ModelFileError, match="the disk is full"):
        save_model(_model(seed=2), path)
    monkeypatch.undo()
    assert _temps(tmp_path) == []
    np.testing.assert_array_equal(load_model(path).predict(X, verbose=0), old.predict(X, verbose=0))


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KB tmpfs (needs root and mount); skipped with the reason elsewhere."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    try:
        run = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if run.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip() or run.returncode}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, timeout=20)


def test_a_really_full_disk_keeps_the_old_file_and_no_temporary(tiny_disk):
    path = tiny_disk / "model.h5"
    old = _model(units=2)
    save_model(old, path)
    with pytest.raises(ModelFileError, match="the disk is full"):
        save_model(_model(units=4000), path)  # about 100 KB of weights: more than the disk holds
    assert _temps(tiny_disk) == []
    np.testing.assert_array_equal(load_model(path).predict(X, verbose=0), old.predict(X, verbose=0))


def test_stale_temporary_files_of_ours_are_removed_by_the_next_save(tmp_path):
    old = time.time() - 3600
    stale = [tmp_path / ".model.h5.ab_cd123.tmp", tmp_path / ".other.h5.zz9y8x7w.tmp"]
    stale[0].write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    stale[1].write_bytes(b"")
    fresh = tmp_path / ".model.h5.fresh123.tmp"
    fresh.write_bytes(b"\x89HDF\r\n\x1a\n")
    foreign = [tmp_path / ".notes.txt.abcdefgh.tmp", tmp_path / "keep.tmp"]
    foreign[0].write_bytes(b"someone else's")
    foreign[1].write_bytes(b"\x89HDF\r\n\x1a\n")
    for p in (*stale, *foreign):
        os.utime(p, (old, old))
    save_model(_model(), tmp_path / "model.h5")
    assert _temps(tmp_path) == sorted(p.name for p in (fresh, *foreign))


def test_the_mode_of_an_existing_file_is_kept_and_a_new_one_follows_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        save_model(_model(), tmp_path / "new.h5")
        assert stat.S_IMODE(os.stat(tmp_path / "new.h5").st_mode) == 0o640
        os.chmod(tmp_path / "new.h5", 0o604)
        save_model(_model(), tmp_path / "new.h5")
        assert stat.S_IMODE(os.stat(tmp_path / "new.h5").st_mode) == 0o604
    finally:
        os.umask(previous)


def test_a_symbolic_link_is_written_through(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.h5"
    save_model(_model(seed=1), target)
    link = tmp_path / "link.h5"
    link.symlink_to(target)
    new = _model(seed=2)
    save_model(new, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(load_model(target).predict(X, verbose=0), new.predict(X, verbose=0))
    assert _temps(tmp_path) == [] and _temps(tmp_path / "real") == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_device_is_never_replaced(tmp_path):
    """Through a link, so that a regression replaces the link, not the machine's /dev/full (a rename over the
    device node did that)."""
    link = tmp_path / "full.h5"
    link.symlink_to("/dev/full")
    with pytest.raises(ModelFileError, match="not a regular file"):
        save_model(_model(), link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_pipe_is_never_replaced(tmp_path):
    os.mkfifo(tmp_path / "model.h5")
    with pytest.raises(ModelFileError, match="not a regular file"):
        save_model(_model(), tmp_path / "model.h5")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "model.h5").st_mode)


def test_a_folder_is_never_replaced(tmp_path):
    (tmp_path / "model.h5").mkdir()
    with pytest.raises(ModelFileError, match="not a regular file"):
        save_model(_model(), tmp_path / "model.h5")


def test_a_read_only_file_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "model.h5"
    save_model(_model(seed=1), path)
    os.chmod(path, 0o444)
    before = path.read_bytes()
    with pytest.raises(ModelFileError, match="read-only"):
        save_model(_model(seed=2), path)
    assert path.read_bytes() == before and _temps(tmp_path) == []


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_weights_that_would_not_read_back_are_not_written(tmp_path, bad):
    path = tmp_path / "model.h5"
    model = _model()
    save_model(model, path)
    before = path.read_bytes()
    weights = model.get_weights()
    weights[0][1, 2] = bad
    model.set_weights(weights)
    with pytest.raises(ModelFileError, match="layer 'dense' holds NaN or infinite values"):
        save_model(model, path)
    assert path.read_bytes() == before and _temps(tmp_path) == []
