"""The reference interpreter (PyTorch, NumPy, h5py in a venv of their own, made by ``make ref-tools``): where it
is, and how the tests run it. Tests that need it skip, saying why, when it is absent."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def python() -> Path | None:
    """``NC_REF_PYTHON``, else ``.venv-ref/bin/python`` in the checkout; None when neither exists."""
    given = os.environ.get("NC_REF_PYTHON")
    path = Path(given) if given else ROOT / ".venv-ref" / "bin" / "python"
    return path if path.is_file() else None


def require() -> Path:
    """The reference interpreter, or skip the test with the reason."""
    path = python()
    if path is None:
        pytest.skip("no PyTorch reference interpreter: run `make ref-tools` (it makes .venv-ref) or set "
                    "NC_REF_PYTHON")
    return path


def run(args: list[str], cwd: Path, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the reference interpreter with ``args`` in ``cwd``; the output is kept for the failure message."""
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment.update({"OMP_NUM_THREADS": "1", **(env or {})})
    return subprocess.run([str(require()), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=environment, stdin=subprocess.DEVNULL)


def torchrun() -> list[str]:
    """``torchrun`` of the reference venv, as a module call of its interpreter."""
    return ["-m", "torch.distributed.run"]


def child() -> str:
    return str(HERE / "torch_child.py")


def check(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

