"""Peak memory of one forward+backward on torch CPU, measured in a fresh process.

The peak resident set is a high-water mark for the whole process, so each
measurement runs in its own interpreter: the libraries are loaded and warmed
up on a tiny problem, the baseline is read, and the inputs are allocated and
one forward+backward runs; the growth of the high-water mark is the memory
the computation held at its peak, inputs and gradients included. The mark is
Linux's ``VmHWM`` (``/proc/self/status``), which a new program starts afresh;
``ru_maxrss`` would carry the parent's peak across ``exec``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, sys
import torch
import torch.nn.functional as F
sys.path.insert(0, {root!r})
import mlcloss

def run(n, d, v, which, chunk):
    torch.manual_seed(0)
    h = (torch.randn(n, d) * 0.5).requires_grad_()
    w = (torch.randn(v, d) * 0.05).requires_grad_()
    y = torch.randint(0, v, (n,))
    if which == "mlcloss":
        loss = mlcloss.linear_cross_entropy(h, w, y, chunk_size=chunk)
    else:
        loss = F.linear_cross_entropy(h, w, y)
    loss.backward()
    return h, w

def high_water():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

run(64, 32, 512, {which!r}, 128)  # load and warm the kernels on a tiny problem
before = high_water()
run({n}, {d}, {v}, {which!r}, {chunk})
print(json.dumps({{"grown_bytes": high_water() - before}}))
"""


def linear_cross_entropy_peak(which: str, *, n: int, d: int, v: int, chunk: int) -> int:
    """Bytes the high-water mark grew by for one forward+backward (``which``: mlcloss or torch).

    The inputs are allocated inside the measured region, so this is their
    size plus everything the loss held at its peak (gradients included).
    """
    root = str(Path(__file__).resolve().parents[1])
    code = _CHILD.format(root=root, which=which, n=n, d=d, v=v, chunk=chunk)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])["grown_bytes"]
