"""Padding and output sizes of convolution and pooling windows, shared by every backend.

Padding follows Keras (TensorFlow): ``same`` pads ``max((ceil(n/s)-1)*s + (k-1)*d + 1 - n, 0)`` in total, the
smaller half before; ``causal`` (1-D only) pads ``(k-1)*d`` before. Plain Python on shapes (no arrays), so any
backend may import it.
"""


def pad_amounts(length, k, s, d, padding):
    """``(before, after)`` padding of one spatial axis for Keras's ``valid``, ``same`` or ``causal``."""
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return (k - 1) * d, 0
    total = max((-(-length // s) - 1) * s + (k - 1) * d + 1 - length, 0)
    return total // 2, total - total // 2


def out_length(length, k, s, d, before, after):
    """Output length of one spatial axis of size ``length`` padded by ``before``/``after``."""
    return (length + before + after - (k - 1) * d - 1) // s + 1


def geometry(x_hw, w_hw, strides, padding, dilation):
    """Per spatial axis ``(before, after)`` pads and the output size."""
    pads = [pad_amounts(n, k, s, d, padding) for n, k, s, d in zip(x_hw, w_hw, strides, dilation)]
    out = tuple(out_length(n, k, s, d, *p) for n, k, s, d, p in zip(x_hw, w_hw, strides, dilation, pads))
    return pads, out


def transpose_pads(out_hw, w, strides, padding, dilation):
    """The transposed convolution is the input gradient of a convolution whose input has size ``out_hw``."""
    return [pad_amounts(n, k, s, d, padding) for n, k, s, d in zip(out_hw, w.shape[:2], strides, dilation)]
