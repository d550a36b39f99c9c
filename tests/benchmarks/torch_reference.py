"""PyTorch (CPU) on the same workloads as ``neurocanvas bench``, for side-by-side comparison.

An optional development tool, not part of the package or the test suite. Needs torch (e.g. 2.13.0 CPU) in the
interpreter that runs it; the project itself never imports torch. Same data, networks, batch sizes, optimisers
and measurement as core/bench.py: training samples/s as the median over ``--repeat`` epochs after one warm-up
epoch (shuffled mini-batches sliced from tensors, the fastest way to feed PyTorch), inference at batch 1,024.

    python tests/benchmarks/torch_reference.py --threads 2 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch
from torch import nn

SPEC = {  # name: (input shape, n, batch, optimiser, inference batch)
    "mlp-digits": ((64,), 1797, 32, "sgd", 1797),
    "mlp-mnist": ((784,), 60000, 128, "adam", 1024),
    "cnn-lenet": ((28, 28, 1), 10000, 64, "sgd", 1024),
    "lstm-seq": ((28, 28), 10000, 64, "adam", 1024),
    "mlp-small-batch": ((784,), 5000, 1, "adam", 0),
}


class LastStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 64, batch_first=True)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class ChannelsLast(nn.Module):
    def forward(self, x):
        return x.permute(0, 3, 1, 2)


def network(name: str) -> nn.Module:
    if name == "mlp-digits":
        return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    if name in ("mlp-mnist", "mlp-small-batch"):
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "cnn-lenet":
        return nn.Sequential(ChannelsLast(), nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    return LastStep()


def data(name: str):
    shape, n = SPEC[name][:2]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n,) + shape, dtype=np.float32)
    teacher = rng.standard_normal((x[0].size, 10), dtype=np.float32)
    y = np.argmax(x.reshape(n, -1) @ teacher, axis=1)
    return torch.from_numpy(x), torch.from_numpy(y)


def measure(name: str, repeat: int) -> dict:
    _, n, batch, opt_name, infer_batch = SPEC[name]
    x, y = data(name)
    torch.manual_seed(0)
    net = network(name)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9) if opt_name == "sgd" else \
        torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    rates = []
    for _ in range(repeat + 1):
        order = torch.randperm(n)
        start = time.perf_counter()
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()
        rates.append(n / (time.perf_counter() - start))
    result = {"workload": name, "engine": f"torch {torch.__version__}", "threads": torch.get_num_threads(),
              "train_samples_per_s": statistics.median(rates[1:]), "train_min": min(rates[1:]),
              "train_max": max(rates[1:])}
    if infer_batch:
        with torch.inference_mode():
            times = []
            for _ in range(max(3, repeat)):
                start = time.perf_counter()
                for s in range(0, n, infer_batch):
                    net(x[s:s + infer_batch])
                times.append(time.perf_counter() - start)
        result["inference_samples_per_s"] = n / statistics.median(times)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", action="append", choices=list(SPEC))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.workload or list(SPEC):
        r = measure(name, args.repeat)
        print(json.dumps(r) if args.json else
              f"{name:<16} train {r['train_samples_per_s']:>10,.0f}/s  infer "
              f"{r.get('inference_samples_per_s') or 0:>12,.0f}/s", flush=True)


if __name__ == "__main__":
    main()
