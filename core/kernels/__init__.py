"""Numeric kernels, one package per backend with the same function names.

``reference`` is plain NumPy (the test oracle and the spec), ``cpu`` is Numba, ``cuda`` is numba.cuda. Each
backend is a package of family modules (``dense``, ``activations``, ``losses``, ``optim``, ...); :func:`get_backend`
gathers every public function of every family module into one :class:`Backend` object, so adding a family is
adding a file. Layers call kernels only through that object, never numba directly.

The contract is checked when a backend loads: it must offer every public name of the reference backend, with the
same parameters, and nothing else. A backend package may declare in its ``__init__``:

- ``LABEL``: its name for people (CLI help, the GUI's backend list);
- ``IS_HOST``: whether its tensors are NumPy arrays in host memory (default True);
- ``ORACLE``: True for the reference (correct and slow: offered for checks, not for training in the GUI);
- ``HOST_TWIN`` and ``host_fallback``: the host backend whose kernel fills each name this backend does not
  implement, and the wrapper that moves its tensors across (listed in :attr:`Backend.fallbacks`);
- ``CAPABILITIES``: optional kernel groups (capability name -> private module), see :meth:`Backend.capability`;
- ``availability()``: ``(available, reason)`` where the backend needs hardware or drivers.

Shared maths lives beside the packages: :mod:`core.kernels.geometry` (window sizes) and
:mod:`core.kernels.formulas` (scalar formulas that each backend compiles for its target).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from types import SimpleNamespace

from core.errors import ConfigError

BACKENDS = ("cpu", "reference", "cuda")
SPEC = "reference"
_cache: dict[str, "Backend"] = {}


class BackendInfo:
    """What people are told about one backend: ``name``, ``label``, ``is_host``, ``oracle`` and, probed on first
    use (it may load drivers), ``available`` with its ``reason``."""

    def __init__(self, name: str, package):
        self.name = name
        self.label: str = getattr(package, "LABEL", name)
        self.is_host: bool = getattr(package, "IS_HOST", True)
        self.oracle: bool = getattr(package, "ORACLE", False)
        self._probe = getattr(package, "availability", None)

    @functools.cached_property
    def status(self) -> tuple[bool, str]:
        """``(available, reason)``; the reason says why not, or what will run (a device's name)."""
        return self._probe() if self._probe else (True, "runs on this machine's CPU")

    @property
    def available(self) -> bool:
        return self.status[0]

    @property
    def reason(self) -> str:
        return self.status[1]

    def __repr__(self) -> str:
        return f"BackendInfo({self.name!r}, label={self.label!r})"


@functools.cache
def backend_info(name: str) -> BackendInfo:
    """The :class:`BackendInfo` of backend ``name``."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return BackendInfo(name, importlib.import_module(f"core.kernels.{name}"))


def backends() -> list[BackendInfo]:
    """Every backend, in :data:`BACKENDS` order (availability is probed only when asked for)."""
    return [backend_info(name) for name in BACKENDS]


def cuda_available() -> tuple[bool, str]:
    """``(available, reason)``: whether the ``cuda`` backend can run here, and if not, why (for the GUI/CLI)."""
    return backend_info("cuda").status


class Backend(SimpleNamespace):
    """The kernels of one backend as attributes, plus ``name``, ``label``, ``is_host``, ``fallbacks`` and its
    optional ``capabilities``.

    ``is_host`` is what callers test instead of the backend's name: True where tensors are NumPy arrays in host
    memory (cpu, reference). ``fallbacks`` lists the kernels this backend borrows from its host twin (each call
    copies its tensors across). A capability is a group of kernels that only some backends offer (the cpu
    backend's Dense-chain passes): callers ask :meth:`capability` instead of testing the backend's name.
    """

    def capability(self, name: str):
        """The module of kernels for capability ``name``, or None when this backend does not offer it."""
        return self.capabilities.get(name)


def _public_functions(module) -> dict:
    """A family module's kernels: its ``__all__``, else the public functions it defines itself."""
    names = getattr(module, "__all__", None) or [
        n for n, v in vars(module).items()
        if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
    ]
    return {n: getattr(module, n) for n in names}


def kernels_of(package) -> dict:
    """Every kernel of a backend package, gathered from its public family modules."""
    functions: dict = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for fname, fn in _public_functions(module).items():
            if fname in functions:
                raise ConfigError(f"kernel {fname!r} is defined twice in {package.__name__}")
            functions[fname] = fn
    return functions


def _parameters(fn) -> list[str] | None:
    """The parameter names of a kernel, or None where they cannot be read (a compiled dispatcher)."""
    try:
        return list(inspect.signature(getattr(fn, "py_func", fn)).parameters)
    except (TypeError, ValueError):
        return None


@functools.cache
def _spec() -> dict:
    """The contract: every kernel of the reference backend with its parameter names."""
    return {n: _parameters(fn) for n, fn in kernels_of(importlib.import_module(f"core.kernels.{SPEC}")).items()}


def check_contract(name: str, functions: dict) -> None:
    """Raise :class:`ConfigError` naming every kernel that ``functions`` lacks, adds or takes differently from the
    reference backend's."""
    spec = _spec()
    problems = []
    if missing := sorted(set(spec) - set(functions)):
        problems.append(f"lacks {', '.join(missing)}")
    if extra := sorted(set(functions) - set(spec)):
        problems.append(f"has kernels the reference backend lacks ({', '.join(extra)}): add them there first")
    for fname in sorted(set(spec) & set(functions)):
        params = _parameters(functions[fname])
        if spec[fname] is not None and params is not None and params != spec[fname]:
            problems.append(f"{fname} takes ({', '.join(params)}) instead of ({', '.join(spec[fname])})")
    if problems:
        raise ConfigError(f"backend {name!r} breaks the kernel contract: " + "; ".join(problems))


def _fill_from_twin(package, functions: dict) -> list[str]:
    """Give a backend that declares ``HOST_TWIN`` every kernel of the spec it does not implement, as its twin's
    kernel behind ``host_fallback``; returns the names filled (sorted)."""
    twin_name = getattr(package, "HOST_TWIN", None)
    if twin_name is None:
        return []
    twin = get_backend(twin_name)
    filled = sorted(set(_spec()) - set(functions))
    for fname in filled:
        functions[fname] = package.host_fallback(getattr(twin, fname))
    return filled


def load_backend(name: str, package, info: BackendInfo | None = None) -> Backend:
    """The :class:`Backend` of a backend ``package`` (a module), checked against the contract; refused with the
    reason where it is not available here. :func:`get_backend` is this, cached, for the built-in backends."""
    info = info or BackendInfo(name, package)
    if not info.available:
        raise ConfigError(f"the {name} backend is not available: {info.reason}")
    functions = kernels_of(package)
    fallbacks = _fill_from_twin(package, functions)
    check_contract(name, functions)
    capabilities = {cap: importlib.import_module(f"{package.__name__}.{module}")
                    for cap, module in getattr(package, "CAPABILITIES", {}).items()}
    return Backend(name=name, label=info.label, is_host=info.is_host, fallbacks=tuple(fallbacks),
                   capabilities=capabilities, **functions)


def get_backend(name: str = "cpu") -> Backend:
    """The kernels of backend ``name`` (``cpu``, ``reference`` or ``cuda``), checked against the contract."""
    if name not in _cache:
        info = backend_info(name)  # an unknown name is refused with the list of known ones
        _cache[name] = load_backend(name, importlib.import_module(f"core.kernels.{name}"), info)
    return _cache[name]
