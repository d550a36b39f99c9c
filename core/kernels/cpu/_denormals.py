"""Flushing denormal floats to zero on this thread while a network trains or predicts (x86's FTZ and DAZ bits).

Adam's first moment decays by β₁ = 0.9 every step a weight's gradient is zero — every step a ReLU unit is off — and
falls below float32's smallest normal number (1.2e-38) after about 800 such steps: one epoch of one-sample
batches left many of mlp-mnist's moments denormal, and arithmetic on denormals goes through microcode assists
that made the optimiser step several times slower (figures: tests/benchmarks/NOTES.md). Values that small change
nothing a float32 network computes, so the CPU backend runs with them read and written as zero, as TensorFlow's
CPU kernels do. Other processors keep their defaults.
"""

import platform
from contextlib import contextmanager

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

FTZ_DAZ = 0x8040  # MXCSR bit 15 (flush to zero) and bit 6 (denormals are zero)
X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")


@intrinsic
def _update_mxcsr(typingctx, keep, bits):
    """Set this thread's MXCSR register (its rounding and denormal controls) to ``(old & keep) | bits``; returns
    ``old``."""
    sig = types.int64(types.int64, types.int64)

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        access = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()])
        slot = cgutils.alloca_once(builder, i32)
        pointer = builder.bitcast(slot, ir.IntType(8).as_pointer())
        builder.call(cgutils.get_or_insert_function(builder.module, access, "llvm.x86.sse.stmxcsr"), [pointer])
        old = builder.load(slot)
        keep, bits = (builder.trunc(a, i32) for a in args)
        builder.store(builder.or_(builder.and_(old, keep), bits), slot)
        builder.call(cgutils.get_or_insert_function(builder.module, access, "llvm.x86.sse.ldmxcsr"), [pointer])
        return builder.zext(old, ir.IntType(64))

    return sig, codegen


@njit(cache=True, nogil=True)
def _set_bits(keep, bits):
    return _update_mxcsr(keep, bits)


@contextmanager
def flushed_to_zero():
    """Denormals read and written as zero on the calling thread inside the block (x86 only)."""
    if not X86:
        yield
        return
    old = _set_bits(0xFFFFFFFF, FTZ_DAZ)
    try:
        yield
    finally:
        _set_bits(0, old)


def flush_denormals() -> None:
    """Flush denormals to zero on the calling thread for good: for the kernels' own worker threads."""
    if X86:
        _set_bits(0xFFFFFFFF, FTZ_DAZ)
