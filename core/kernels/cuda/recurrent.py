"""Recurrent kernels on the device: for now the CPU kernels run on copies brought to the host (see
:mod:`core.kernels.cuda._fallback`)."""

from core.kernels.cpu import recurrent as _cpu
from core.kernels.cuda._fallback import hosted

simple_rnn_forward = hosted(_cpu.simple_rnn_forward)
simple_rnn_backward = hosted(_cpu.simple_rnn_backward)
lstm_cell_forward = hosted(_cpu.lstm_cell_forward)
lstm_cell_backward = hosted(_cpu.lstm_cell_backward)
lstm_forward = hosted(_cpu.lstm_forward)
lstm_backward = hosted(_cpu.lstm_backward)
gru_forward = hosted(_cpu.gru_forward)
gru_backward = hosted(_cpu.gru_backward)

__all__ = ["simple_rnn_forward", "simple_rnn_backward", "lstm_cell_forward", "lstm_cell_backward", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward"]
