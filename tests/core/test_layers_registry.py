"""Every registered layer: gradient check (float64, both backends) and fast-backend vs reference match."""

import pytest

from core.layers import registry
from tests.core.layer_check import backend_match, gradient_check

CASES = [(name, i, config, shapes)
         for name in registry.all_types() if name != "InputLayer"
         for i, (config, shapes) in enumerate(registry.get(name).examples())]


def test_every_layer_has_examples():
    missing = [n for n in registry.all_types() if n != "InputLayer" and not registry.get(n).examples()]
    assert not missing, f"layers without examples() for the registry-wide check: {missing}"


@pytest.mark.parametrize("backend", ["reference", "cpu"])
@pytest.mark.parametrize("name,index,config,shapes", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_gradient_matches_finite_differences(name, index, config, shapes, backend):
    gradient_check(registry.get(name), config, shapes, backend=backend)


@pytest.mark.parametrize("name,index,config,shapes", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
@pytest.mark.parametrize("training", [True, False])
def test_cpu_matches_reference(name, index, config, shapes, training):
    backend_match(registry.get(name), config, shapes, backend="cpu", training=training)


def test_every_layer_doc_and_params_are_described():
    for name in registry.all_types():
        cls = registry.get(name)
        assert registry.doc(name), f"{name} has no doc"
        for p in cls.params:
            assert p.help, f"{name}.{p.name} has no help text"
