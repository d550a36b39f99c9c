"""Conv kernels on the device: for now the CPU kernels run on copies brought to the host (see
:mod:`core.kernels.cuda._fallback`)."""

from core.kernels.cpu import conv as _cpu
from core.kernels.cuda._fallback import hosted

conv2d_forward = hosted(_cpu.conv2d_forward)
conv2d_backward = hosted(_cpu.conv2d_backward)
conv2d_forward_keep = hosted(_cpu.conv2d_forward_keep)
conv2d_backward_kept = hosted(_cpu.conv2d_backward_kept)
conv1d_forward = hosted(_cpu.conv1d_forward)
conv1d_backward = hosted(_cpu.conv1d_backward)
conv1d_forward_keep = hosted(_cpu.conv1d_forward_keep)
conv1d_backward_kept = hosted(_cpu.conv1d_backward_kept)
conv2d_transpose_forward = hosted(_cpu.conv2d_transpose_forward)
conv2d_transpose_backward = hosted(_cpu.conv2d_transpose_backward)

__all__ = ["conv2d_forward", "conv2d_backward", "conv2d_forward_keep", "conv2d_backward_kept", "conv1d_forward", "conv1d_backward", "conv1d_forward_keep", "conv1d_backward_kept", "conv2d_transpose_forward", "conv2d_transpose_backward"]
