"""The shared scalar formulas (:mod:`core.kernels.formulas`) compiled for the cpu kernels: inlined into each
caller, so that LLVM sees the whole loop body (and vectorises it where it can)."""

from numba import njit

from core.kernels.formulas import compile_for

_compiled = compile_for(njit(inline="always"))
sigmoid, act, grad, dact = _compiled.sigmoid, _compiled.act, _compiled.grad, _compiled.dact
resolve, taps = _compiled.resolve, _compiled.taps
layernorm_row, layernorm_row_dx, inv_pow = _compiled.layernorm_row, _compiled.layernorm_row_dx, _compiled.inv_pow
