"""Pooling kernels on the device: for now the CPU kernels run on copies brought to the host (see
:mod:`core.kernels.cuda._fallback`)."""

from core.kernels.cpu import pooling as _cpu
from core.kernels.cuda._fallback import hosted

max_pool2d_forward = hosted(_cpu.max_pool2d_forward)
max_pool2d_backward = hosted(_cpu.max_pool2d_backward)
avg_pool2d_forward = hosted(_cpu.avg_pool2d_forward)
avg_pool2d_backward = hosted(_cpu.avg_pool2d_backward)
global_max_pool_forward = hosted(_cpu.global_max_pool_forward)
global_max_pool_backward = hosted(_cpu.global_max_pool_backward)

__all__ = ["max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward", "global_max_pool_forward", "global_max_pool_backward"]
