"""Terminal progress for ``fit(verbose=1)``: one tqdm bar per epoch with loss, metrics and ETA."""

from __future__ import annotations

import sys

from core.training import BatchEnd, Callback, EpochEnd


class ProgressBar(Callback):
    """``verbose=1``: a bar per epoch; ``verbose=2``: one line per epoch."""

    def __init__(self, verbose: int = 1, file=None) -> None:
        self.verbose = verbose
        self.file = file or sys.stdout
        self._bar = None

    def on_batch_end(self, record: BatchEnd) -> None:
        if self.verbose != 1:
            return
        if self._bar is None:
            from tqdm import tqdm
            self._bar = tqdm(total=record.batches, desc=f"Epoch {record.epoch + 1}", unit="batch", file=self.file,
                             dynamic_ncols=True, leave=True)
        self._bar.set_postfix({"loss": f"{record.loss:.4f}", **{k: f"{v:.4f}" for k, v in record.metrics.items()}},
                              refresh=False)
        self._bar.update(1)

    def on_epoch_end(self, record: EpochEnd) -> None:
        text = " - ".join(f"{k}: {v:.4f}" for k, v in record.logs.items())
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)
            self._bar.close()
            self._bar = None
        elif self.verbose == 2:
            print(f"Epoch {record.epoch + 1}/{record.epochs} - {record.seconds:.1f}s - {text}", file=self.file)

    def on_train_end(self, history) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
