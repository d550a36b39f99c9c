"""Numeric kernels, one package per backend with the same function names.

``reference`` is plain NumPy (the test oracle), ``cpu`` is Numba. Each backend is a package of family modules
(``dense``, ``activations``, ``losses``, ``optim``, ...); :func:`get_backend` gathers every public function of
every family module into one :class:`Backend` object, so adding a family is adding a file. Layers call kernels
only through that object, never numba directly.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import SimpleNamespace

from core.errors import ConfigError

BACKENDS = ("cpu", "reference", "cuda")
_cache: dict[str, "Backend"] = {}


class Backend(SimpleNamespace):
    """The kernels of one backend as attributes, plus ``name`` and its optional ``capabilities``.

    A capability is a group of kernels that only some backends offer (the cpu backend's Dense-chain passes): the
    package lists them in ``CAPABILITIES`` (capability name -> private module), and callers ask
    :meth:`capability` instead of testing the backend's name.
    """

    def capability(self, name: str):
        """The module of kernels for capability ``name``, or None when this backend does not offer it."""
        return self.capabilities.get(name)


def _public_functions(module) -> dict:
    names = getattr(module, "__all__", None) or [
        n for n, v in vars(module).items()
        if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
    ]
    return {n: getattr(module, n) for n in names}


def cuda_available() -> tuple[bool, str]:
    """``(available, reason)``: whether the ``cuda`` backend can run here, and if not, why (for the GUI/CLI)."""
    try:
        from numba import config, cuda
    except ImportError as exc:  # numba without its CUDA part
        return False, f"numba's CUDA support is not installed ({exc}): pip install numba-cuda"
    if config.ENABLE_CUDASIM:
        return True, "numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1): correct but very slow"
    try:
        if cuda.is_available():
            return True, f"CUDA device: {cuda.get_current_device().name}"
    except Exception as exc:  # a broken driver raises instead of answering
        return False, f"the CUDA driver failed: {exc}"
    return False, ("no CUDA GPU or driver was found (numba.cuda.is_available() is false): train on the cpu "
                   "backend, or install an NVIDIA driver on a machine with an NVIDIA GPU")


def get_backend(name: str = "cpu") -> Backend:
    """The kernels of backend ``name`` (``cpu``, ``reference`` or ``cuda``)."""
    if name in _cache:
        return _cache[name]
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if name == "cuda":
        ok, reason = cuda_available()
        if not ok:
            raise ConfigError(f"the cuda backend is not available: {reason}")
    package = importlib.import_module(f"core.kernels.{name}")
    functions: dict = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for fname, fn in _public_functions(module).items():
            if fname in functions:
                raise RuntimeError(f"kernel {fname!r} defined twice in backend {name!r}")
            functions[fname] = fn
    capabilities = {cap: importlib.import_module(f"{package.__name__}.{module}")
                    for cap, module in getattr(package, "CAPABILITIES", {}).items()}
    backend = Backend(name=name, capabilities=capabilities, **functions)
    _cache[name] = backend
    return backend
