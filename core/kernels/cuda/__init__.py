"""CUDA kernels (numba.cuda), with the same function names and signatures as the ``cpu`` backend.

Tensors live on the device (numba device arrays) for a whole training run; every public function accepts host
or device arrays and returns device arrays, so a layer's chain of kernels never leaves the GPU. ``to_device`` /
``to_host`` move data across explicitly (batches up, outputs and metrics down, weights down when saved).
"""
