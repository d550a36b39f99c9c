"""Generic tensor operations: on the CPU these are the NumPy ones of the reference backend (each is one
vectorised NumPy call already)."""

from core.kernels.reference.tensor import (add, assign, clip_values, mul, scale, sum_squares, to_device, to_host,
                                           weight_penalty, zeros_like)

__all__ = ["add", "assign", "clip_values", "mul", "scale", "sum_squares", "to_device", "to_host",
           "weight_penalty", "zeros_like"]
