"""The CPU LSTM sequence kernels against the NumPy reference beyond the registry's small examples: batches split
across threads (uneven slices), every option, float32 and float64, and work arrays reused from the pool while an
older forward's cache is still alive."""

import numpy as np
import pytest

from core import activations
from core.kernels.cpu import _lstm
from core.kernels.cpu import recurrent as cpu
from core.kernels.reference import recurrent as ref

TANH, SIGMOID = activations.code("tanh"), activations.code("sigmoid")
RELU, HARD = activations.code("relu"), activations.code("hard_sigmoid")


def _case(n, steps, f, u, dtype, seed=0, bias=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, steps, f)).astype(dtype)
    k = rng.normal(0, 0.4, (f, 4 * u)).astype(dtype)
    r = rng.normal(0, 0.4, (u, 4 * u)).astype(dtype)
    b = rng.normal(0, 0.3, 4 * u).astype(dtype) if bias else None
    return x, k, r, b


def _both(x, k, r, b, codes, go_backwards, return_sequences, seed=1):
    """``(output, dx, dkernel, drecurrent, dbias)`` from each backend."""
    results = []
    for module in (cpu, ref):
        out, cache = module.lstm_forward(x, k, r, b, *codes, go_backwards, return_sequences)
        dy = np.random.default_rng(seed).standard_normal(out.shape).astype(x.dtype)
        results.append((out,) + tuple(module.lstm_backward(dy, cache, k, r, True)))
    return results


def _assert_match(got, want, dtype):
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for name, a, b in zip(("output", "dx", "dkernel", "drecurrent", "dbias"), got, want):
        if b is None:
            assert a is None, name
            continue
        assert a.dtype == dtype and a.shape == b.shape, name
        np.testing.assert_allclose(a, b, err_msg=name, **tol)


@pytest.fixture(params=[1, 3], ids=["one-thread", "three-threads"])
def threads(request, monkeypatch):
    """Run the kernels unsplit, or split into three uneven slices of the batch."""
    monkeypatch.setattr(_lstm, "MIN_ROWS", 4)
    monkeypatch.setattr(_lstm, "_thread_count", lambda: request.param)
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("codes", [(TANH, SIGMOID), (RELU, HARD)], ids=["tanh-sigmoid", "relu-hard"])
@pytest.mark.parametrize("go_backwards,return_sequences,bias", [(False, False, True), (True, True, True),
                                                                 (True, False, False), (False, True, False)])
def test_cpu_lstm_matches_reference(threads, dtype, codes, go_backwards, return_sequences, bias):
    x, k, r, b = _case(14, 5, 3, 4, dtype, bias=bias)
    got, want = _both(x, k, r, b, codes, go_backwards, return_sequences)
    _assert_match(got, want, dtype)


def test_split_follows_threads_and_minimum_rows(threads):
    parts = _lstm._parts(14)
    assert len(parts) == threads
    assert [s.start for s in parts[1:]] == [s.stop for s in parts[:-1]] and parts[-1].stop == 14
    assert len(_lstm._parts(5)) == 1  # under two slices of MIN_ROWS rows: one slice


def test_a_live_cache_keeps_its_arrays_while_later_batches_reuse_the_pool(threads):
    x1, k, r, b = _case(12, 6, 3, 5, np.float32, seed=2)
    x2 = _case(12, 6, 3, 5, np.float32, seed=3)[0]
    out1, cache1 = cpu.lstm_forward(x1, k, r, b, TANH, SIGMOID, False, True)
    for _ in range(3):  # released caches hand their arrays to the next forward
        cpu.lstm_forward(x2, k, r, b, TANH, SIGMOID, False, True)
    dy = np.ones_like(out1)
    got = cpu.lstm_backward(dy, cache1, k, r, True)
    want = ref.lstm_backward(dy, ref.lstm_forward(x1, k, r, b, TANH, SIGMOID, False, True)[1], k, r, True)
    _assert_match((out1,) + tuple(got), (ref.lstm_forward(x1, k, r, b, TANH, SIGMOID, False, True)[0],) +
                  tuple(want), np.float32)


def test_pool_keeps_recent_sets_within_its_byte_limit():
    pool = _lstm._Pool(limit=3 * 400)
    sets = {key: (np.zeros(100, np.float32),) for key in "abcd"}
    for key, arrays in sets.items():
        pool.give(key, arrays)
    assert pool.take("a", lambda: "new") == "new"  # the oldest went when the fourth came
    assert pool.take("d", lambda: "new") is sets["d"]
    assert pool.take("d", lambda: "new") == "new"


def test_a_second_backward_on_one_cache_is_refused():
    x, k, r, b = _case(6, 4, 3, 2, np.float32)
    out, cache = cpu.lstm_forward(x, k, r, b, TANH, SIGMOID, False, False)
    cpu.lstm_backward(np.ones_like(out), cache, k, r, False)
    with pytest.raises(RuntimeError, match="LSTM: backward ran twice"):
        cpu.lstm_backward(np.ones_like(out), cache, k, r, False)
