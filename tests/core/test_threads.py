"""BLAS thread settings: OpenBLAS's threads stop spinning soon when core loads first, only large Dense-chain
products may get more than one BLAS thread, and only while that measures faster."""

import subprocess
import sys

import numpy as np
from threadpoolctl import threadpool_info

import core
from core.bench import WORKLOADS, build_model
from core.executors.dense_chain import DenseChain
from core.executors.layer_by_layer import LayerByLayer


def _startup_flag(first_import: str) -> str:
    code = f"import {first_import}; import core.startup as s, os; " \
           "print(s.BLAS_THREADS_SLEEP_PROMPTLY, os.environ['OPENBLAS_THREAD_TIMEOUT'])"
    env = {k: v for k, v in __import__("os").environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True).stdout.strip()


def test_openblas_threads_sleep_promptly_only_if_core_loads_before_numpy():
    assert _startup_flag("core") == "True 20"
    assert _startup_flag("numpy") == "False 20"  # set too late to count: BLAS stays on one thread


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_only_large_dense_chain_products_share_blas_threads(monkeypatch):
    from core.kernels.cpu import threads
    monkeypatch.setattr(threads, "BLAS_THREADS_SLEEP_PROMPTLY", True)
    monkeypatch.setattr(threads, "_cores", lambda: 2)
    seen = {}
    for name in ("mlp-mnist", "mlp-digits"):
        trainer = build_model(WORKLOADS[name]).trainer
        batch = WORKLOADS[name].batch
        with trainer.network.compute_scope(batch):
            seen[name] = _blas_threads()
    assert set(seen["mlp-mnist"]) == {2} and set(seen["mlp-digits"]) == {1}
    lenet = build_model(WORKLOADS["cnn-lenet"]).trainer
    assert isinstance(lenet.network.executor, LayerByLayer)  # convolutions: BLAS on one thread
    with lenet.network.compute_scope(WORKLOADS["cnn-lenet"].batch):
        assert set(_blas_threads()) == {1}


def test_fit_uses_the_chain_and_fills_the_gradients_the_health_view_reads():
    model = core.Sequential([core.Dense(8, activation="relu", input_dim=4), core.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.standard_normal((40, 4)), rng.integers(0, 3, 40), epochs=1, batch_size=8, verbose=0)
    trainer = model.trainer
    assert isinstance(trainer.network.executor, DenseChain)
    assert all(np.any(g != 0) for _, g in trainer.network.trainable())


def test_cpu_runs_flush_denormals_to_zero_and_restore_the_thread_afterwards():
    from core.kernels.cpu._denormals import X86
    net = build_model(WORKLOADS["mlp-digits"]).network
    tiny = np.float32(1e-39)  # below float32's smallest normal number
    with net.compute_scope():
        inside = tiny * np.float32(1.0)
    assert inside == (0.0 if X86 else tiny)
    assert tiny * np.float32(1.0) == tiny  # the caller's settings are back


class FakeController:
    def __init__(self):
        self.calls = []

    def limit(self, limits, user_api):
        self.calls.append(limits)


def test_blas_threads_keep_the_faster_setting_and_try_the_other_again_later():
    from core.kernels.cpu.threads import _BlasThreads
    controller = FakeController()
    chooser = _BlasThreads(controller, 2)
    step_time = {2: 1.0, 1: 2.0}  # two threads twice as fast
    for _ in range(1 + 2 * chooser.PROBE):  # the first step (loading kernels) does not count
        chooser.step_done(step_time[chooser.threads])
    assert chooser.threads == 2 and controller.calls == [1, 2]  # tried one thread, went back
    step_time = {2: 3.0, 1: 2.0}  # now the other core is busy: one thread is faster
    for _ in range(chooser.EVERY + 2 * chooser.PROBE):
        chooser.step_done(step_time[chooser.threads])
    assert chooser.threads == 1
    calls = len(controller.calls)
    for _ in range(chooser.EVERY + 2 * chooser.PROBE):  # tries two threads again once, and comes back
        chooser.step_done(step_time[chooser.threads])
    assert chooser.threads == 1 and controller.calls[calls:] == [2, 1]
