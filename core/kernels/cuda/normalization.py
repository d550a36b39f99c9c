"""Normalization kernels on the device: for now the CPU kernels run on copies brought to the host (see
:mod:`core.kernels.cuda._fallback`)."""

from core.kernels.cpu import normalization as _cpu
from core.kernels.cuda._fallback import hosted

batchnorm_forward_train = hosted(_cpu.batchnorm_forward_train)
batchnorm_forward_infer = hosted(_cpu.batchnorm_forward_infer)
batchnorm_backward = hosted(_cpu.batchnorm_backward)

layernorm_forward = hosted(_cpu.layernorm_forward)
layernorm_backward = hosted(_cpu.layernorm_backward)
lrn_forward = hosted(_cpu.lrn_forward)
lrn_backward = hosted(_cpu.lrn_backward)

__all__ = ["batchnorm_forward_train", "batchnorm_forward_infer", "batchnorm_backward", "batchnorm_update_moving", "layernorm_forward", "layernorm_backward", "lrn_forward", "lrn_backward"]

from numba import cuda as _cuda  # noqa: E402

from core.kernels.cuda._device import THREADS as _THREADS, blocks as _blocks, dev as _dev  # noqa: E402


@_cuda.jit
def _moving(moving, value, momentum):
    for i in range(_cuda.grid(1), moving.size, _cuda.gridsize(1)):
        moving[i] = moving[i] * momentum + value[i] * (1.0 - momentum)


def batchnorm_update_moving(moving, value, momentum):
    """Keras's moving average, in place on the device: ``moving = moving * momentum + value * (1 - momentum)``."""
    _moving[_blocks(moving.size), _THREADS](moving, _dev(value, moving.dtype), float(momentum))
