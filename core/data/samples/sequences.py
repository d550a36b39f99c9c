"""Sequence sets for recurrent layers: sine-wave forecasting, a random-walk "price" and waveform classification.

Inputs are ``(n, steps, 1)`` float32 (time steps first, one feature).
"""

from __future__ import annotations

import numpy as np

WAVEFORMS = ("sine", "square", "triangle", "sawtooth")


def sine_forecast(n: int = 600, steps: int = 24, noise: float = 0.05, target: str = "next", seed: int = 0):
    """Windows of noisy sine waves (random frequency and phase).

    ``target='next'``: predict the clean value one step after the window, ``y (n, 1)`` (sequence-to-one).
    ``target='sequence'``: predict every next value, ``y (n, steps, 1)`` (sequence-to-sequence).
    """
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.5, 2.0, (n, 1)) / steps  # cycles per step: half a period to two periods a window
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1))
    t = np.arange(steps + 1)[None, :]
    clean = np.sin(2 * np.pi * freq * t + phase)
    x = clean[:, :-1] + rng.normal(0.0, 1.0, (n, steps)) * noise
    y = clean[:, -1:] if target == "next" else clean[:, 1:, None]
    return x[..., None].astype(np.float32), y.astype(np.float32)


def random_walk(n: int = 600, steps: int = 24, volatility: float = 0.02, momentum: float = 0.8, seed: int = 0):
    """A log-price whose returns follow an AR(1) process (``momentum`` carries over part of the last return).

    ``x`` is the window's log-price relative to its last value, scaled by ``1/volatility``; ``y (n, 1)`` is the
    next relative log-price on the same scale, so the best predictor follows the recent trend.
    """
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0.0, volatility, (n, steps + 1))
    returns = np.zeros_like(shocks)
    returns[:, 0] = shocks[:, 0]
    for k in range(1, steps + 1):
        returns[:, k] = momentum * returns[:, k - 1] + shocks[:, k]
    price = np.cumsum(returns, axis=1)
    last = price[:, steps - 1:steps]
    x = (price[:, :steps] - last) / volatility
    y = (price[:, steps:] - last) / volatility
    return x[..., None].astype(np.float32), y.astype(np.float32)


def waveforms(n: int = 800, steps: int = 48, noise: float = 0.1, seed: int = 0):
    """Classify a window as sine, square, triangle or sawtooth (random frequency, phase and amplitude)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(WAVEFORMS)
    freq = rng.uniform(1.5, 4.0, (n, 1)) / steps
    phase = rng.uniform(0.0, 1.0, (n, 1))
    amplitude = rng.uniform(0.5, 1.0, (n, 1))
    cycle = (freq * np.arange(steps)[None, :] + phase) % 1.0  # position within the period, 0..1
    waves = np.stack([np.sin(2 * np.pi * cycle), np.where(cycle < 0.5, 1.0, -1.0),
                      4.0 * np.abs(cycle - 0.5) - 1.0, 2.0 * cycle - 1.0])
    x = amplitude * waves[y, np.arange(n)] + rng.normal(0.0, 1.0, (n, steps)) * noise
    return x[..., None].astype(np.float32), y.astype(np.int64)
