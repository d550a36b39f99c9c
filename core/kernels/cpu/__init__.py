"""Numba kernels for the CPU: the same functions as core.kernels.reference, compiled.

Every kernel is ``@njit(nogil=True, cache=True)`` so the GUI thread keeps running while a batch trains and each
process compiles once. Matrix products go through NumPy's BLAS from Python (numba's own ``np.dot`` needs SciPy);
element-wise work around them is fused into single passes here.
"""

import os

LABEL = "CPU (Numba)"
IS_HOST = True

# Numba's OpenMP workers spin after each parallel region by default. On a busy machine (BLAS threads, the GUI,
# other programs) that spinning made every small parallel kernel cost milliseconds; passive waiting costs
# microseconds (figures: tests/benchmarks/NOTES.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

#: Optional kernel groups this backend offers (see core.kernels.Backend.capability): the passes between the matrix
#: products of a whole Dense chain's step.
CAPABILITIES = {"dense_chain": "_dense_chain"}
