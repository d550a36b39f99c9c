"""The shared scalar formulas (:mod:`core.kernels.formulas`) compiled as CUDA device functions."""

from numba import cuda

from core.kernels.formulas import compile_for

_compiled = compile_for(cuda.jit(device=True))
sigmoid, act, grad, dact = _compiled.sigmoid, _compiled.act, _compiled.grad, _compiled.dact
resolve, taps = _compiled.resolve, _compiled.taps
layernorm_row, layernorm_row_dx, inv_pow = _compiled.layernorm_row, _compiled.layernorm_row_dx, _compiled.inv_pow
