"""Weight-free spatial kernels on the CPU: NumPy's vectorised reductions, repeats and BLAS-backed einsum are
already single passes, so these are the reference ones."""

from core.kernels.reference.spatial import (global_avg_pool_backward, global_avg_pool_forward, upsample2d_backward,
                                            upsample2d_forward)

__all__ = ["global_avg_pool_backward", "global_avg_pool_forward", "upsample2d_backward", "upsample2d_forward"]
