"""The backend contract: the reference backend's kernels are the spec every backend is checked against when it
loads; backends describe themselves (BackendInfo) for the CLI and the GUI; host fallbacks are listed."""

import importlib
import sys
import textwrap

import numpy as np
import pytest

from core.errors import ConfigError
from core.kernels import BACKENDS, backend_info, backends, check_contract, get_backend, load_backend


def _fake_package(tmp_path, monkeypatch, name, family_source, init_source=""):
    """A backend package ``name`` on sys.path with one family module ``all.py``."""
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(init_source))
    (package / "all.py").write_text(textwrap.dedent(family_source))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module(name)


def _reference_kernels_except(*left_out):
    """Source of a family module re-exporting every reference kernel but ``left_out``."""
    return textwrap.dedent(f"""
        import core.kernels.reference as _reference
        from core.kernels import kernels_of as _kernels_of

        _chosen = {{n: f for n, f in _kernels_of(_reference).items() if n not in {set(left_out)!r}}}
        globals().update(_chosen)
        __all__ = sorted(_chosen)
    """)


def test_the_reference_backend_is_exactly_the_spec():
    backend = get_backend("reference")
    assert backend.fallbacks == () and backend.is_host


def test_a_backend_missing_a_kernel_is_refused_with_its_name(tmp_path, monkeypatch):
    package = _fake_package(tmp_path, monkeypatch, "fake_missing", _reference_kernels_except("dense_forward"))
    with pytest.raises(ConfigError, match="breaks the kernel contract: lacks dense_forward"):
        load_backend("fake", package)


def test_a_kernel_with_other_parameters_is_refused(tmp_path, monkeypatch):
    source = _reference_kernels_except("dense_forward") + textwrap.dedent("""
        def dense_forward(x, weights, b):
            return x @ weights + b
        __all__.append("dense_forward")
    """)
    package = _fake_package(tmp_path, monkeypatch, "fake_params", source)
    with pytest.raises(ConfigError, match=r"dense_forward takes \(x, weights, b\) instead of \(x, w, b\)"):
        load_backend("fake", package)


def test_a_kernel_the_reference_lacks_is_refused():
    functions = dict(vars(get_backend("reference")))
    functions = {n: f for n, f in functions.items() if callable(f) and n != "capability"}
    check_contract("reference", functions)  # the reference's own kernels pass
    functions["dense_forward_fast"] = functions["dense_forward"]
    with pytest.raises(ConfigError, match="dense_forward_fast"):
        check_contract("fake", functions)


def test_missing_kernels_come_from_the_host_twin_and_are_listed(tmp_path, monkeypatch):
    init = """
        HOST_TWIN = "reference"
        IS_HOST = False
        LABEL = "Fake device"

        def host_fallback(kernel):
            def run(*args, **kwargs):
                return ("hosted", kernel(*args, **kwargs))
            run.__wrapped__ = kernel
            return run
    """
    package = _fake_package(tmp_path, monkeypatch, "fake_twin", _reference_kernels_except("add", "scale"), init)
    backend = load_backend("fake", package)
    assert backend.fallbacks == ("add", "scale")
    assert backend.scale(np.ones(2), 3.0)[0] == "hosted"
    assert backend.dense_forward is get_backend("reference").dense_forward  # native kernels stay as they are
    assert not backend.is_host and backend.label == "Fake device"


def test_an_unavailable_backend_is_refused_with_its_reason(tmp_path, monkeypatch):
    init = """
        def availability():
            return False, "no such device here"
    """
    package = _fake_package(tmp_path, monkeypatch, "fake_absent", _reference_kernels_except(), init)
    with pytest.raises(ConfigError, match="not available: no such device here"):
        load_backend("fake", package)


def test_every_backend_describes_itself():
    infos = {info.name: info for info in backends()}
    assert tuple(infos) == BACKENDS
    for info in infos.values():
        assert info.label and info.label != info.name
        assert isinstance(info.available, bool) and info.reason
    assert infos["cpu"].is_host and infos["reference"].is_host and not infos["cuda"].is_host
    assert infos["reference"].oracle and not infos["cpu"].oracle and not infos["cuda"].oracle
    assert infos["cpu"].available and infos["reference"].available
    assert backend_info("cpu") is infos["cpu"]


def test_an_unknown_backend_names_the_known_ones():
    with pytest.raises(ConfigError, match="cpu, reference, cuda"):
        get_backend("tpu")


@pytest.mark.parametrize("name", ["cpu", "reference"])
def test_host_backends_say_so(name):
    backend = get_backend(name)
    assert backend.is_host and backend.name == name and backend.label == backend_info(name).label
    x = np.ones(3, np.float32)
    assert backend.to_device(x) is x  # what is_host promises: tensors stay NumPy arrays
