"""The ``neurocanvas`` command: every subcommand run as a program on a sample, its files and exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.api import load_model, save_model
from tests.core import export_templates as tpl

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=240)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder with a blobs classifier design (2 → 16 → 16 → 3 softmax) trained for two epochs by the CLI."""
    folder = tmp_path_factory.mktemp("cli")
    graph = tpl._chain(("InputLayer", {"shape": (2,)}), tpl._dense(16, "tanh"), tpl._dense(16, "tanh"),
                       tpl._dense(3, "softmax"))
    save_model(graph, folder / "design.h5")
    done = run("train", "design.h5", "--data", "blobs", "--param", "n=300", "--epochs", "2", "--batch-size", "16",
               "--optimizer", "adam", "--lr", "0.01", "--scale", "standard", "--out", "trained.h5", "--json",
               cwd=folder)
    assert done.returncode == 0, done.stderr
    (folder / "train.json").write_text(done.stdout)
    (folder / "train.err").write_text(done.stderr)
    return folder


def test_train_saves_the_trained_model_with_history_and_scaling(work):
    result = json.loads((work / "train.json").read_text())
    assert result["epochs"] == 2 and result["samples"] + result["validation_samples"] == 300
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(result["final"])
    assert "Epoch 2/2" in (work / "train.err").read_text()  # the progress goes to stderr, the JSON to stdout
    model = load_model(work / "trained.h5")
    assert model.history.history["loss"] == pytest.approx(result["history"]["loss"])
    assert model.optimizer.name == "adam" and model.loss.name == "sparse_categorical_crossentropy"
    assert model.preprocessing is not None and model.preprocessing.class_names
    design = load_model(work / "design.h5")
    assert not all(np.array_equal(a, b) for a, b in zip(design.get_weights(), model.get_weights()))


def test_evaluate_reports_the_metrics(work):
    done = run("evaluate", "trained.h5", "--data", "blobs", "--param", "n=300", "--json", cwd=work)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)["metrics"]
    assert set(metrics) == {"loss", "accuracy"} and 0.0 <= metrics["accuracy"] <= 1.0


def test_predict_writes_csv_and_npy(work):
    done = run("predict", "trained.h5", "--data", "blobs", "--param", "n=300", "--out", "pred.csv", cwd=work)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader((work / "pred.csv").read_text().splitlines()))
    model = load_model(work / "trained.h5")
    assert len(rows) == 301 and rows[0][0] == "predicted" and len(rows[0]) == 4
    assert rows[1][0] in rows[0][1:]
    from core.data import load_sample
    x = load_sample("blobs", n=300).x
    np.save(work / "x.npy", x)
    assert main(["predict", str(work / "trained.h5"), "--data", str(work / "x.npy"), "--out",
                 str(work / "pred.npy")]) == 0
    want = model.predict(model.preprocessing.apply(x))
    np.testing.assert_allclose(np.load(work / "pred.npy"), want, rtol=1e-6)
    np.testing.assert_allclose(np.array([r[1:] for r in rows[1:]], float), want, rtol=1e-6)


@pytest.mark.parametrize("fmt, name", [("onnx", "trained.onnx"), ("keras-script", "trained_keras.py"),
                                       ("png", "trained.png"), ("history-csv", "trained_history.csv")])
def test_export_writes_beside_the_model(work, fmt, name):
    done = run("export", "trained.h5", "--format", fmt, "--json", cwd=work)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["out"] == name and (work / name).stat().st_size > 100
    if fmt == "keras-script":
        assert 'WEIGHTS = os.path.join(HERE, "trained.h5")' in (work / name).read_text()
    if fmt == "history-csv":
        assert (work / name).read_text().splitlines()[0].startswith("epoch,loss,accuracy")


@pytest.mark.parametrize("fmt", ["core-script", "svg", "summary-md", "summary-txt"])
def test_export_other_formats(work, fmt, capsys):
    out = work / "exports" / f"model.{fmt}"
    out.parent.mkdir(exist_ok=True)
    assert main(["export", str(work / "trained.h5"), "--format", fmt, "--out", str(out)]) == 0
    assert out.stat().st_size > 100 and "wrote" in capsys.readouterr().out
    if fmt == "core-script":
        assert 'os.path.join(HERE, "../trained.h5")' in out.read_text()


def test_summary_and_samples(work):
    done = run("summary", "trained.h5", "--json", cwd=work)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [layer["type"] for layer in summary["layers"]] == ["InputLayer", "Dense", "Dense", "Dense"]
    assert summary["params"] == 2 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3
    done = run("samples", "--json", cwd=work)
    assert done.returncode == 0 and "blobs" in {s["name"] for s in json.loads(done.stdout)["samples"]}


def test_exit_codes_in_a_program(work):
    missing = run("evaluate", "nothing.h5", "--data", "blobs", cwd=work)
    assert missing.returncode == 1 and "nothing.h5: no such file" in missing.stderr
    usage = run("train", "trained.h5", cwd=work)
    assert usage.returncode == 2 and "--data" in usage.stderr


def test_errors_say_what_to_do(work, capsys):
    assert main(["train", str(work / "trained.h5"), "--data", "no_such_sample"]) == 2
    assert "`neurocanvas samples` lists them" in capsys.readouterr().err
    assert main(["train", str(work / "trained.h5"), "--data", "blobs", "--param", "n"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert main(["evaluate", str(work / "trained.h5"), "--data", "xor"]) == 1
    assert "'xor' has 2 classes but the output 'dense_2' gives (None, 3): give 'dense_2' 2 units" in \
        capsys.readouterr().err
    assert main(["predict", str(work / "trained.h5"), "--data", "iris", "--out", "p.csv"]) == 1
    assert "4 features" in capsys.readouterr().err
    assert main(["predict", str(work / "trained.h5"), "--data", "blobs", "--out", "p.txt"]) == 2
    assert ".csv or .npy" in capsys.readouterr().err
    (work / "broken.h5").write_bytes(b"not a model")
    assert main(["summary", str(work / "broken.h5")]) == 1
    assert "not an HDF5 file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["train", str(work / "trained.h5"), "--data", "blobs", "--epochs", "0"])
    assert info.value.code == 2


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "export", "summary", "samples", "bench"])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: neurocanvas {command}" in capsys.readouterr().out


def test_unknown_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--bogus"])
    assert info.value.code == 2


def test_no_command_is_a_usage_error_here_the_launcher_opens_the_app(capsys):
    assert main([]) == 2  # the neurocanvas command's launcher (app.launcher) opens the app instead
    assert "give a command" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["design.h5"])
    assert info.value.code == 2


def test_a_design_file_trains_on_an_image_folder(tmp_path, capsys):
    from PIL import Image

    from core.io.design import write_design
    for k, name in enumerate(("dark", "light")):
        (tmp_path / "pictures" / name).mkdir(parents=True)
        for i in range(6):
            Image.new("L", (4, 4), color=30 + 180 * k + i).save(tmp_path / "pictures" / name / f"{i}.png")
    graph = tpl._chain(("InputLayer", {"shape": (4, 4, 1)}), ("Flatten", {}), tpl._dense(2, "softmax"))
    write_design(graph, tmp_path / "net.ncd")
    design, folder = str(tmp_path / "net.ncd"), str(tmp_path / "pictures")
    assert main(["summary", design, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"] == 16 * 2 + 2
    assert main(["evaluate", design, "--data", folder]) == 2
    assert "without trained weights: train it first" in capsys.readouterr().err
    assert main(["train", design, "--data", folder, "--epochs", "1", "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == str(tmp_path / "net.h5")
    trained = load_model(tmp_path / "net.h5")
    assert trained.loss.name == "sparse_categorical_crossentropy"
    assert trained.preprocessing.class_names == ["dark", "light"]
    assert main(["evaluate", str(tmp_path / "net.h5"), "--data", folder, "--json"]) == 0
    assert main(["export", design, "--format", "keras-script", "--out", str(tmp_path / "net_keras.py")]) == 0
    assert 'WEIGHTS = os.path.join(HERE, "net.h5")' in (tmp_path / "net_keras.py").read_text()
