"""Numba kernels for the CPU: the same functions as core.kernels.reference, compiled.

Every kernel is ``@njit(nogil=True, cache=True)`` so the GUI thread keeps running while a batch trains and each
process compiles once. Matrix products go through NumPy's BLAS from Python (numba's own ``np.dot`` needs SciPy);
element-wise work around them is fused into single passes here.
"""
