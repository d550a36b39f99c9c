"""Run by the reference interpreter (PyTorch, NumPy, h5py; no NeuroCanvas): for each job of the JSON file given as
argument, import the exported script and write its predictions for the job's inputs, or the error it raised.

A job is ``{"script": path, "inputs": path.npz, "outputs": path.npz}``; inputs are x0, x1, ...; outputs y0, ...
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback

import numpy as np


def _run(job: dict) -> None:
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(job['script']))}", job["script"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with np.load(job["inputs"]) as data:
        xs = [data[f"x{k}"] for k in range(len(data.files))]
    ys = module.predict(xs)
    np.savez(job["outputs"], **{f"y{k}": y for k, y in enumerate(ys)})


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        jobs = json.load(handle)
    for job in jobs:
        try:
            _run(job)
        except Exception:  # reported to the test, which names the script
            with open(job["outputs"] + ".error", "w", encoding="utf-8") as handle:
                handle.write(traceback.format_exc())


if __name__ == "__main__":
    main()
