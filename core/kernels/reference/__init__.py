"""Plain NumPy kernels: the oracle every fast kernel is tested against. Kept simple on purpose."""
