"""The cuda backend: availability reporting here, and its full test family (tests/cuda_sim) under numba's CUDA
simulator in a separate process, since the simulator must be switched on before numba is first imported."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.kernels import cuda_available, get_backend

ROOT = Path(__file__).resolve().parents[2]


def test_cuda_availability_is_reported_with_a_reason():
    available, reason = cuda_available()
    assert isinstance(available, bool) and reason
    if not available:
        with pytest.raises(ConfigError, match="cuda backend is not available") as info:
            get_backend("cuda")
        assert reason in str(info.value)


@pytest.mark.timeout(900)  # the simulator runs every layer's kernels in Python: minutes, not seconds
@pytest.mark.parametrize("part", [["tests/cuda_sim/test_layers_cuda.py"],
                                  ["tests/cuda_sim", "--ignore=tests/cuda_sim/test_layers_cuda.py"]],
                         ids=["layers", "losses-optimisers-training"])
def test_cuda_backend_under_the_simulator(part):
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *part],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=850)
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    assert " passed" in result.stdout and "skipped" not in result.stdout, tail  # ran, not skipped
