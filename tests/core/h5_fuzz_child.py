"""The child side of the crash-safe fuzz test (``test_h5_fuzz.py::test_mutated_files_in_a_child``).

``python h5_fuzz_child.py WORKDIR COUNT SEED SEEDFILE...`` opens the seed files, then mutated copies of them (bit
flips, bytes set, 512-byte blocks zeroed, truncations; COUNT cases in all), seeded, under a memory limit and a
time limit per case. Before each case it writes the case to ``WORKDIR/current.h5`` and its label to
``WORKDIR/current.txt``, so that when libhdf5 takes this process down (a signal; SIGALRM for a hang), the parent
can say which file did it. Each case must end
in a ModelFileError that names the file or in a model that predicts finite numbers; anything else is listed in
the JSON summary printed at the end.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import sys
from pathlib import Path

import numpy as np

MEMORY_LIMIT = 3 << 30
CASE_SECONDS = 10  # a case still running after this long is a hang: SIGALRM ends the process


def mutate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    out = bytearray(data)
    kind = rng.choice(["flip", "flip", "byte", "zero", "zero", "truncate"])
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(len(out))
            out[k] ^= 1 << rng.randrange(8)
    elif kind == "byte":
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif kind == "zero":
        for _ in range(rng.randint(1, 2)):
            block = rng.randrange(len(out) // 512 + 1)
            end = min(len(out), (block + 1) * 512)
            out[block * 512:end] = bytes(end - block * 512)
    else:
        out = out[:rng.randrange(len(out))]
    return kind, bytes(out)


def main() -> None:
    workdir, count, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    seeds = {Path(p).name: Path(p).read_bytes() for p in sys.argv[4:]}
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    from core import ModelFileError, load_model

    rng = random.Random(seed)
    case = workdir / "case.h5"
    counts = {"loaded": 0, "refused": 0}
    wrong = []
    for k in range(count):
        if k < len(seeds):  # each seed once as it is: the valid ones load, the hostile ones are refused
            name = sorted(seeds)[k]
            kind, data = "unchanged", seeds[name]
        else:
            name = rng.choice(sorted(seeds))
            kind, data = mutate(rng, seeds[name])
        label = f"{k}: {kind} of {name}"
        (workdir / "current.h5").write_bytes(data)
        (workdir / "current.txt").write_text(label)
        case.write_bytes(data)
        signal.alarm(CASE_SECONDS)
        try:
            model = load_model(case)
        except ModelFileError as exc:
            counts["refused"] += 1
            if str(case) not in str(exc) or len(str(exc)) > 5000:
                wrong.append(f"{label}: a refusal that does not name the file, or too long: {str(exc)[:200]}")
            continue
        except BaseException as exc:  # noqa: BLE001 - the point is to report any other exception
            wrong.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        counts["loaded"] += 1
        try:
            probe = [np.zeros((1, *model.graph.layer(i).config["shape"]), np.float32)
                     for i in model.graph.input_layers()]
            out = model.predict(probe[0] if len(probe) == 1 else probe, verbose=0)
            if not all(np.all(np.isfinite(o)) for o in (out if isinstance(out, list) else [out])):
                wrong.append(f"{label}: loaded, but predicts non-finite values")
        except Exception as exc:  # noqa: BLE001
            wrong.append(f"{label}: loaded, but cannot predict: {type(exc).__name__}: {str(exc)[:200]}")
    signal.alarm(0)
    print(json.dumps({**counts, "wrong": wrong}))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    main()
