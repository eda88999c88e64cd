"""The Keras conventions of mlcloss.keras on one backend, outside the ``slow`` marker.

Elementwise classes reduce per example, ``ignore_index`` is ``ignore_class`` and
``HingeLoss`` takes 0/1 labels, each against Keras's own class. The checks live in
``keras_backend_check.py``, which ``test_keras_losses.py`` runs on every backend (``slow``);
here they run alone on the first backend installed, in a process of their own (Keras picks
its backend once per process).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("keras_backend_check.py")


def test_keras_conventions_on_one_backend():
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed")
    installed = [m for m in ("torch", "jax", "tensorflow") if importlib.util.find_spec(m)]
    if not installed:
        pytest.skip("no Keras backend is installed")
    backend = installed[0]  # torch first: the quickest to start
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "conventions"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert f"ok {backend}" in result.stdout
