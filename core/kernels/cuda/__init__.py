"""CUDA kernels (numba.cuda), with the same function names and signatures as the reference backend.

Tensors live on the device (numba device arrays) for a whole training run; every public function accepts host
or device arrays and returns device arrays, so a layer's chain of kernels never leaves the GPU. ``to_device`` /
``to_host`` move data across explicitly (batches up, outputs and metrics down, weights down when saved).

A kernel this package does not implement is filled in by the loader (:func:`core.kernels.get_backend`) from the
cpu backend through :func:`host_fallback` and listed in the backend's ``fallbacks``.
"""

LABEL = "CUDA (NVIDIA GPU)"
IS_HOST = False
HOST_TWIN = "cpu"


def availability() -> tuple[bool, str]:
    """``(available, reason)``: whether this backend can run here, and if not, why (for the GUI and the CLI)."""
    try:
        from numba import config, cuda
    except ImportError as exc:  # numba without its CUDA part
        return False, f"numba's CUDA support is not installed ({exc}): pip install numba-cuda"
    if config.ENABLE_CUDASIM:
        return True, "numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1): correct but very slow"
    try:
        if cuda.is_available():
            return True, f"CUDA device: {cuda.get_current_device().name}"
    except Exception as exc:  # a broken driver raises instead of answering
        return False, f"the CUDA driver failed: {exc}"
    return False, ("no CUDA GPU or driver was found (numba.cuda.is_available() is false): train on the cpu "
                   "backend, or install an NVIDIA driver on a machine with an NVIDIA GPU")


def host_fallback(kernel):
    """``kernel`` (a host kernel) wrapped to take and return device tensors."""
    from core.kernels.cuda._fallback import hosted
    return hosted(kernel)
