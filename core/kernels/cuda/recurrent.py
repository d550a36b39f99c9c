"""Recurrent kernels on the device: for now the CPU kernels run on copies brought to the host (see
:mod:`core.kernels.cuda._fallback`)."""

from core.kernels.cpu import recurrent as _cpu
from core.kernels.cuda._fallback import complete

__all__ = complete(globals(), _cpu)
