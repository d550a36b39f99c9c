"""The CUDA backend's tests run under numba's CUDA simulator in their own process (the simulator must be chosen
before numba is imported): ``tests/core/test_cuda_sim.py`` launches them with ``NUMBA_ENABLE_CUDASIM=1``. Run
directly without the simulator and without a GPU, they are skipped.

Under the simulator a device array is a NumPy array in disguise that would also accept NumPy arithmetic and
methods; a real device array does not. So that a layer doing NumPy work on a device tensor fails here as it
would on a GPU, the disguise is narrowed to what real device arrays offer.
"""

import os
from pathlib import Path

import pytest

SIMULATED = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
NUMPY_ONLY = {"sum", "mean", "max", "min", "argmax", "argmin", "astype", "copy", "repeat", "fill", "clip", "dot",
              "std", "var", "prod", "any", "all", "swapaxes", "tolist", "item", "flatten", "cumsum", "round"}
ARITHMETIC = ("__add__", "__sub__", "__mul__", "__floordiv__", "__truediv__", "__mod__", "__pow__", "__eq__",
              "__ne__", "__lt__", "__le__", "__gt__", "__ge__")


def _strict_simulator() -> None:
    from numba.cuda.simulator.cudadrv import devicearray as fake

    def refuse(name):
        def method(self, *args, **kwargs):
            raise TypeError(f"device arrays do not support {name}: do this through a kernel of the backend")
        return method

    for name in ARITHMETIC:
        setattr(fake.FakeCUDAArray, name, refuse(name))
    forward = fake.FakeCUDAArray.__getattr__

    def getattr_real_only(self, name):
        if name in NUMPY_ONLY:
            raise AttributeError(f"device arrays have no attribute {name!r} (a NumPy array would)")
        return forward(self, name)

    fake.FakeCUDAArray.__getattr__ = getattr_real_only


def _gpu_present() -> bool:
    try:
        from numba import cuda
        return cuda.is_available()
    except Exception:  # no CUDA part installed
        return False


if SIMULATED:
    _strict_simulator()


def pytest_collection_modifyitems(config, items):
    if SIMULATED or _gpu_present():
        return
    skip = pytest.mark.skip(reason="needs NUMBA_ENABLE_CUDASIM=1 or a CUDA GPU (tests/core/test_cuda_sim.py runs "
                                   "them under the simulator)")
    here = Path(__file__).parent
    for item in items:  # this folder's tests only (the hook sees the whole session: tests/core/test_cuda_sim.py too)
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)
