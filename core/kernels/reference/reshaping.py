"""Reshaping kernels: zero padding and cropping of NHWC images, axis permutation, vector repetition."""

import numpy as np


def zero_pad_2d(x, pads):
    """``x`` (N, H, W, C) with ``pads = (top, bottom, left, right)`` rows and columns of zeros added."""
    top, bottom, left, right = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))


def crop_2d(x, crops):
    """``x`` (N, H, W, C) with ``crops = (top, bottom, left, right)`` rows and columns removed."""
    top, bottom, left, right = crops
    return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right].copy()


def permute_axes(x, axes):
    """``x`` with its axes reordered (``axes`` includes the batch axis 0), as a contiguous array."""
    return np.transpose(x, axes).copy()


def repeat_vector(x, n):
    """``(N, F)`` → ``(N, n, F)``: every row repeated ``n`` times."""
    return np.repeat(x[:, None, :], n, axis=1)


def repeat_vector_backward(dout):
    """The gradient of :func:`repeat_vector`: the ``n`` copies summed, ``(N, n, F)`` → ``(N, F)``."""
    return dout.sum(axis=1)
