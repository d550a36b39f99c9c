"""Learning-rate schedules: each one's sequence over 100 steps against its formula, config, and use in fit."""

import math

import numpy as np
import pytest

from core import optimizers, schedules
from core.errors import ConfigError

STEPS = np.arange(100)


def _sequence(schedule):
    return np.array([schedule(int(t)) for t in STEPS])


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    p = np.floor(STEPS / 10) if staircase else STEPS / 10
    np.testing.assert_allclose(_sequence(schedules.ExponentialDecay(0.1, 10, 0.5, staircase)), 0.1 * 0.5**p,
                               rtol=1e-12)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    p = np.floor(STEPS / 4) if staircase else STEPS / 4
    np.testing.assert_allclose(_sequence(schedules.InverseTimeDecay(0.2, 4, 0.3, staircase)), 0.2 / (1 + 0.3 * p),
                               rtol=1e-12)


def test_time_based_decay_is_inverse_time_with_one_step_and_matches_keras2_decay():
    expected = 0.05 / (1 + 0.01 * STEPS)
    np.testing.assert_allclose(_sequence(schedules.InverseTimeDecay(0.05, 1, 0.01)), expected, rtol=1e-12)
    opt = optimizers.SGD(lr=0.05, decay=0.01)
    rates = []
    for _ in STEPS:
        rates.append(opt.current_learning_rate())
        opt.iterations += 1
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


def test_piecewise_constant_decay():
    got = _sequence(schedules.PiecewiseConstantDecay([10, 40, 70], [1.0, 0.5, 0.1, 0.01]))
    expected = np.where(STEPS <= 10, 1.0, np.where(STEPS <= 40, 0.5, np.where(STEPS <= 70, 0.1, 0.01)))
    np.testing.assert_array_equal(got, expected)


def test_cosine_decay_without_warmup():
    got = _sequence(schedules.CosineDecay(0.1, 60, alpha=0.2))
    t = np.minimum(STEPS, 60)
    expected = 0.1 * (0.8 * 0.5 * (1 + np.cos(np.pi * t / 60)) + 0.2)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert got[0] == pytest.approx(0.1) and got[99] == pytest.approx(0.02)


def test_cosine_decay_with_warmup():
    got = _sequence(schedules.CosineDecay(0.0, 50, warmup_target=0.1, warmup_steps=20))
    t = np.minimum(STEPS, 70)
    warm = 0.1 * t / 20
    decay = 0.1 * 0.5 * (1 + np.cos(np.pi * (t - 20) / 50))
    np.testing.assert_allclose(got, np.where(t < 20, warm, decay), rtol=1e-12, atol=1e-15)
    assert got[20] == pytest.approx(0.1) and got[99] == pytest.approx(0.0, abs=1e-15)


def test_step_decay_counts_epochs():
    got = _sequence(schedules.StepDecay(0.1, drop_rate=0.5, epochs_drop=3, steps_per_epoch=7))
    np.testing.assert_allclose(got, 0.1 * 0.5 ** np.floor((STEPS // 7) / 3), rtol=1e-12)
    assert schedules.StepDecay(0.1, 0.5, 3).for_epoch(7) == pytest.approx(0.1 * 0.25)
    with pytest.raises(ConfigError, match="steps_per_epoch"):
        schedules.StepDecay(0.1)(5)


def test_step_decay_learns_the_epoch_length_from_fit():
    from core import Dense, Sequential
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    y = x[:, :1] * 2.0
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer=optimizers.SGD(schedules.StepDecay(0.1, 0.5, epochs_drop=2)), loss="mse")
    history = model.fit(x, y, epochs=6, batch_size=10, verbose=0)
    assert model.optimizer.learning_rate.steps_per_epoch == 5
    # the record holds the rate the next update will use: after epoch e, that of epoch e + 1
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.05, 0.025, 0.025, 0.0125])


@pytest.mark.parametrize("schedule", [
    schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True), schedules.InverseTimeDecay(0.1, 1, 0.5),
    schedules.PiecewiseConstantDecay([5], [0.1, 0.01]), schedules.CosineDecay(0.1, 10, 0.1, warmup_target=0.2,
                                                                               warmup_steps=3),
    schedules.StepDecay(0.1, 0.5, 2, steps_per_epoch=4)])
def test_serialize_round_trip(schedule):
    again = schedules.deserialize(schedules.serialize(schedule))
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    assert [again(t) for t in range(30)] == [schedule(t) for t in range(30)]


def test_keras_config_and_errors():
    keras = {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.01, "decay_steps": 100,
                                                          "decay_rate": 0.9, "staircase": False,
                                                          "name": "ExponentialDecay"}}
    assert schedules.deserialize(keras)(100) == pytest.approx(0.009)
    with pytest.raises(ConfigError, match="one more value"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1])
    with pytest.raises(ConfigError, match="increase"):
        schedules.PiecewiseConstantDecay([5, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ConfigError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ConfigError, match="unknown learning-rate schedule"):
        schedules.deserialize({"class_name": "Nope"})
    with pytest.raises(ConfigError, match="cannot save"):
        schedules.serialize(lambda step: 0.1)
    assert "CosineDecay" in schedules.names() and math.isclose(schedules.get(0.1), 0.1)


def test_every_schedule_declares_its_parameters_and_round_trips_them():
    made = {"ExponentialDecay": (0.1, 10, 0.5), "InverseTimeDecay": (0.1, 10, 0.5), "CosineDecay": (0.1, 10),
            "PiecewiseConstantDecay": ([3], [0.1, 0.01]), "StepDecay": (0.1, 0.5, 2, 3)}
    assert sorted(made) == schedules.names()
    for name, args in made.items():
        schedule = getattr(schedules, name)(*args)
        config = schedule.get_config()
        assert list(config) == [p.name for p in type(schedule).params]
        again = schedules.deserialize(schedules.serialize(schedule))
        assert again.get_config() == config and again(7) == schedule(7)


def test_range_errors_name_the_schedule_the_value_and_the_range():
    with pytest.raises(ConfigError, match=r"ExponentialDecay: parameter 'decay_steps' must be a number > 0, got 0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ConfigError, match=r"CosineDecay: parameter 'alpha' must be a number ≥ 0, got -0.1"):
        schedules.CosineDecay(0.1, 10, alpha=-0.1)
    with pytest.raises(ConfigError, match=r"'values' must be a number ≥ 0, got -1"):
        schedules.PiecewiseConstantDecay([3], [0.1, -1])
    with pytest.raises(ConfigError, match=r"'steps_per_epoch' must be a number > 0 or None, got 0"):
        schedules.StepDecay(0.1).set_steps_per_epoch(0)
