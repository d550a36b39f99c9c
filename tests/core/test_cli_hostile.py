"""The command line under a hostile hand: Ctrl-C while training and elsewhere, out-of-range numbers, NaN inputs."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core import cli
from core.api import load_model, save_model
from tests.core import export_templates as tpl

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder with a blobs classifier (2 → 32 relu → 3 softmax) and the same trained for an epoch."""
    folder = tmp_path_factory.mktemp("hostile")
    graph = tpl._chain(("InputLayer", {"shape": (2,)}), tpl._dense(32, "relu"), tpl._dense(3, "softmax"))
    save_model(graph, folder / "design.h5")
    assert cli.main(["train", str(folder / "design.h5"), "--data", "blobs", "--epochs", "1", "--quiet",
                     "--out", str(folder / "trained.h5")]) == 0
    return folder


def _train_until_it_trains(folder: Path, out: Path) -> tuple[subprocess.Popen, str]:
    """A ``neurocanvas train`` child process of many epochs, returned once its progress shows an epoch done."""
    child = subprocess.Popen([sys.executable, "-m", "core.cli", "train", "design.h5", "--data", "blobs", "--param",
                              "n=20000", "--epochs", "10000", "--batch-size", "4", "--out", str(out)],
                             cwd=folder, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in child.stderr:
        seen.append(line)
        if line.startswith("Epoch 1/"):
            return child, "".join(seen)
    child.kill()
    pytest.fail("train ended before its first epoch: " + "".join(seen))


def test_ctrl_c_while_training_stops_after_the_batch_saves_and_exits_130(folder):
    out = folder / "interrupted.h5"
    child, before = _train_until_it_trains(folder, out)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=120)
    stderr = before + stderr
    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "interrupted" in stderr and str(out) in stderr  # says that it saved, and where
    model = load_model(out)
    assert len(model.history.epoch) >= 1 and model.history.stop_reason == "interrupted (Ctrl-C)"
    assert model.runs[-1].outcome == "stopped" and model.runs[-1].epochs == len(model.history.epoch)
    assert "saved" in stdout


def test_a_second_ctrl_c_aborts_at_once_without_a_traceback(folder):
    out = folder / "aborted.h5"
    child, before = _train_until_it_trains(folder, out)
    child.send_signal(signal.SIGINT)
    time.sleep(0.05)  # the first one is heard (its message goes out) before the second arrives
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "interrupted" in stderr


@pytest.mark.parametrize("command", ["summary", "evaluate", "predict", "export", "samples"])
def test_ctrl_c_in_any_other_command_exits_130_without_a_traceback(folder, command, monkeypatch, capsys):
    from core import commands

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, f"run_{command}", interrupted)
    argv = {"summary": ["summary", "trained.h5"], "evaluate": ["evaluate", "trained.h5", "--data", "blobs"],
            "predict": ["predict", "trained.h5", "--data", "blobs", "--out", "p.csv"],
            "export": ["export", "trained.h5", "--format", "keras-script"], "samples": ["samples"]}[command]
    assert cli.main(argv) == 130
    assert "interrupted" in capsys.readouterr().err


def test_ctrl_c_while_the_command_line_is_read_exits_130(monkeypatch, capsys):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["samples"]) == 130
    assert "interrupted" in capsys.readouterr().err


# -- numbers out of range --------------------------------------------------------------------------------------------
def _numeric_options() -> list[tuple[str, str]]:
    """``(command, option)`` for every option of every sub-command that takes a number (has a type)."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [(name, action.option_strings[-1]) for name, command in sub.choices.items()
            for action in command._actions if action.type is not None and action.option_strings]


def _argv(command: str, option: str, value: str) -> list[str]:
    model = [] if command in ("bench", "samples") else ["model.h5"]
    data = ["--data", "blobs"] if command in ("train", "evaluate", "predict") else []
    out = ["--out", "p.csv"] if command == "predict" else []
    return [command, *model, *data, *out, f"{option}={value}"]


def test_every_numeric_option_is_checked():
    options = _numeric_options()
    assert {("train", "--epochs"), ("train", "--seed"), ("train", "--lr"), ("train", "--validation-split"),
            ("train", "--batch-size"), ("evaluate", "--batch-size"), ("predict", "--batch-size"),
            ("bench", "--repeat")} <= set(options)


def _refused(argv: list[str], option: str, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert "Traceback" not in err and f"argument {option}: must be" in err
    return err


@pytest.mark.parametrize("command,option", _numeric_options())
@pytest.mark.parametrize("value", ["-5", "1e400", "nan", "-inf", "x"])
def test_an_out_of_range_number_is_a_usage_error_with_the_range(command, option, value, capsys):
    _refused(_argv(command, option, value), option, capsys)


@pytest.mark.parametrize("command,option", [(c, o) for c, o in _numeric_options() if o not in ("--lr",
                                                                                               "--validation-split")])
def test_a_whole_number_too_large_is_a_usage_error(command, option, capsys):
    _refused(_argv(command, option, "99999999999999999999999"), option, capsys)
    _refused(_argv(command, option, "2.5"), option, capsys)


def test_the_allowed_range_is_named(capsys):
    with pytest.raises(SystemExit):
        cli.main(_argv("train", "--seed", "-5"))
    assert "must be from 0 to 2147483647, got -5" in capsys.readouterr().err


@pytest.mark.parametrize("param", ["n=-5", "n=1e400", "noise=NaN", "bogus=1"])
def test_a_sample_parameter_out_of_range_is_a_usage_error(folder, param, capsys):
    code = cli.main(["train", str(folder / "design.h5"), "--data", "blobs", "--param", param, "--quiet",
                     "--out", str(folder / "unused.h5")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--param" in err and "Traceback" not in err


# -- NaN inputs --------------------------------------------------------------------------------------------------------
def test_predict_refuses_inputs_with_nan_naming_the_first_row(folder, capsys):
    x = np.ones((10, 2), np.float32)
    x[6, 1], x[8, 0] = np.nan, np.inf
    np.save(folder / "bad.npy", x)
    out = folder / "bad.csv"
    code = cli.main(["predict", str(folder / "trained.h5"), "--data", str(folder / "bad.npy"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "2 row(s)" in err and "row 6" in err and "--allow-nan" in err


def test_predict_with_allow_nan_writes_nan_rows_without_a_predicted_class(folder, capsys):
    x = np.full((3, 2), np.nan, np.float32)
    x[1] = [0.5, -0.5]
    np.save(folder / "nan.npy", x)
    out = folder / "nan.csv"
    assert cli.main(["predict", str(folder / "trained.h5"), "--data", str(folder / "nan.npy"), "--out", str(out),
                     "--allow-nan"]) == 0
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    assert rows[0][0] == "" and all(v == "nan" for v in rows[0][1:])  # not a plausible 1/3, 1/3, 1/3
    assert rows[1][0] != "" and np.isclose(sum(float(v) for v in rows[1][1:]), 1.0)


def test_evaluate_refuses_inputs_with_nan(folder, capsys):
    x = np.ones((10, 2), np.float32)
    x[3, 0] = np.nan
    np.savez(folder / "bad.npz", x=x, y=np.zeros(10, np.int64))
    code = cli.main(["evaluate", str(folder / "trained.h5"), "--data", str(folder / "bad.npz")])
    err = capsys.readouterr().err
    assert code == 1 and "NaN" in err and "Traceback" not in err
