"""Plain NumPy kernels: the oracle every fast kernel is tested against, and the spec of the backend contract (every
backend offers exactly these public names, see :func:`core.kernels.check_contract`). Kept simple on purpose."""

LABEL = "Reference (NumPy, slow)"
IS_HOST = True
ORACLE = True
