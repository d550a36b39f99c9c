"""The one place the CPU kernels choose their numba options."""

from numba import njit

# error_model="numpy" lets divisions vectorise (no ZeroDivisionError checks); nogil keeps the GUI responsive.
jit = njit(nogil=True, cache=True, error_model="numpy")
