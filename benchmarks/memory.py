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


_SPARSE_CHILD = r"""
import json, sys
import torch
sys.path.insert(0, {root!r})
import mlcloss

def inputs(n, c, k, form):
    torch.manual_seed(0)
    x = torch.randn(n, c).requires_grad_()
    index = torch.stack([torch.randperm(c)[:k] for _ in range(n)])
    if form == "sparse":
        return x, index
    return x, torch.zeros(n, c).scatter_(-1, index, 1.0)  # the multi-hot labels, float32

def step(x, labels, loss, form):
    fn = getattr(mlcloss, ("sparse_" if form == "sparse" else "") + loss)
    fn(x, labels).backward()

def high_water():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

step(*inputs(8, 64, 4, {form!r}), {loss!r}, {form!r})  # load and warm the kernels
x, labels = inputs({n}, {c}, {k}, {form!r})
before = high_water()
step(x, labels, {loss!r}, {form!r})
print(json.dumps({{"grown_bytes": high_water() - before,
                   "labels_bytes": labels.element_size() * labels.nelement(),
                   "logits_bytes": x.element_size() * x.nelement()}}))
"""


def sparse_labels_peak(loss: str, form: str, *, n: int, c: int, k: int) -> dict:
    """One forward+backward of ``loss`` (``sigmoid_cross_entropy``, ...) on torch CPU, in a
    fresh process: with ``form="sparse"`` its sparse twin on ``[n, k]`` index lists, with
    ``"dense"`` the dense loss on float multi-hot labels. The inputs are allocated before the
    baseline, so ``grown_bytes`` is what the loss held at its peak (gradient included);
    ``labels_bytes`` / ``logits_bytes`` are the inputs' sizes."""
    root = str(Path(__file__).resolve().parents[1])
    code = _SPARSE_CHILD.format(root=root, loss=loss, form=form, n=n, c=c, k=k)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])
