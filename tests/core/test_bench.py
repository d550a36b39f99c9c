"""neurocanvas bench: the workloads are built as specified, and --json prints the fields other tools read."""

import json
import subprocess
import sys

import numpy as np

from core.bench import WORKLOADS, build_model, make_data


def test_workloads_follow_the_specification():
    assert set(WORKLOADS) == {"mlp-digits", "mlp-mnist", "cnn-lenet", "lstm-seq", "mlp-small-batch"}
    flops = {"mlp-digits": 9_472, "mlp-mnist": 469_504, "cnn-lenet": 833_040, "lstm-seq": 1_320_192}
    for name, per_sample in flops.items():
        w = WORKLOADS[name]
        model = build_model(w)
        params = model.count_params()
        assert params > 0
        x, y = make_data(w)
        assert x.shape == (w.n,) + w.input_shape and x.dtype == np.float32 and y.max() == 9
        macs = sum(int(np.prod(k.shape)) for k in model.get_weights() if k.ndim >= 2)
        if name.startswith("mlp"):  # dense layers: one multiply-add per kernel entry
            assert 2 * macs == per_sample
    assert WORKLOADS["mlp-small-batch"].batch == 1 and WORKLOADS["mlp-mnist"].batch == 128


def test_bench_json_reports_every_field():
    result = subprocess.run([sys.executable, "-m", "core.cli", "bench", "--workload", "mlp-digits", "--repeat", "1",
                             "--json"], capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["workload"] == "mlp-digits" and record["backend"] == "cpu"
    for key in ("train_samples_per_s", "train_min", "train_max", "inference_samples_per_s", "peak_memory_mb",
                "first_batch_cold_s", "first_batch_warm_s"):
        assert record[key] > 0, key
