"""Run by tests/test_scale_out.py: two-process ``gloo`` DDP against one process, on CPU.

A linear model whose forward ends in an ``mlcloss.torch`` loss (a submodule,
so DDP also broadcasts its buffers) trains for three SGD steps on a global
batch of 16, split 8 and 8 across two processes (``init_method=file://``).
Each process also runs the single-process equivalent on the whole batch and
asserts:

- with ``reduction="mean"`` over equal shards, DDP's averaged gradients and
  the trained parameters equal the single process's (ZLPR; sigmoid CE with a
  ``pos_weight`` buffer);
- with ``ignore_index`` leaving the shards unequal counts, the per-process
  mean does *not* give the global mean (asserted to differ), and the recipe
  ``reduction="sum"`` ÷ the all-reduced count does.

Prints "ok" when both processes pass.
"""

from __future__ import annotations

import os
import sys
import tempfile

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

import mlcloss.torch

WORLD, BATCH, FEATURES, CLASSES, STEPS = 2, 16, 8, 6, 3


def data():
    rng = np.random.default_rng(0)
    features = torch.asarray(rng.normal(size=(BATCH, FEATURES)))
    multi_hot = torch.asarray(rng.random((BATCH, CLASSES)) < 0.3)
    classes = torch.asarray(rng.integers(0, CLASSES, BATCH))
    classes[[1, 2, 3]] = -100  # three ignored labels in the first shard, none in the second
    return features, multi_hot, classes


class Net(torch.nn.Module):
    def __init__(self, loss):
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(FEATURES, CLASSES, dtype=torch.float64)
        self.loss = loss

    def forward(self, features, labels):
        return self.loss(self.linear(features), labels)


def train(model, batches, scale=lambda loss, labels: loss):
    """STEPS of SGD; returns the first step's gradients and the final parameters."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    first = None
    for _ in range(STEPS):
        optimizer.zero_grad()
        features, labels = batches
        scale(model(features, labels), labels).backward()
        if first is None:
            first = [p.grad.clone() for p in model.parameters()]
        optimizer.step()
    return first, [p.detach().clone() for p in model.parameters()]


def same(got, want, what):
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-12, atol=1e-14, msg=what)


def worker(rank, init_file):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    features, multi_hot, classes = data()
    shard = slice(rank * BATCH // WORLD, (rank + 1) * BATCH // WORLD)
    pos_weight = torch.linspace(0.5, 2.0, CLASSES, dtype=torch.float64)

    equal_shards = {
        "zlpr": (mlcloss.torch.MultilabelCategoricalCrossentropy, {}, multi_hot),
        "sigmoid-ce": (mlcloss.torch.SigmoidCrossEntropy, {"pos_weight": pos_weight}, multi_hot),
    }
    for name, (cls, options, labels) in equal_shards.items():
        single = train(Net(cls(**options)), (features, labels))
        ddp = train(DistributedDataParallel(Net(cls(**options))), (features[shard], labels[shard]))
        same(ddp[0], single[0], f"{name} gradients")
        same(ddp[1], single[1], f"{name} parameters")

    # unequal counts: mean per process ≠ global mean; sum ÷ global count = global mean
    single = train(Net(mlcloss.torch.SoftmaxCrossEntropy(ignore_index=-100)), (features, classes))
    per_process = train(
        DistributedDataParallel(Net(mlcloss.torch.SoftmaxCrossEntropy(ignore_index=-100))),
        (features[shard], classes[shard]),
    )
    gap = max(float((g - w).abs().max()) for g, w in zip(per_process[0], single[0]))
    assert gap > 1e-3, f"the per-process mean matched the global mean ({gap}): the shards are even"

    def global_mean(loss_sum, labels):
        count = (labels != -100).sum().to(torch.float64)
        dist.all_reduce(count)  # the number of counted rows across all processes
        return loss_sum * WORLD / count  # DDP divides the summed gradients by WORLD

    recipe = train(
        DistributedDataParallel(
            Net(mlcloss.torch.SoftmaxCrossEntropy(ignore_index=-100, reduction="sum"))
        ),
        (features[shard], classes[shard]),
        scale=global_mean,
    )
    same(recipe[0], single[0], "sum / global count gradients")
    same(recipe[1], single[1], "sum / global count parameters")
    # both ranks done before either tears gloo down: a rank that destroys the group while its
    # peer still reads from the pair's socket aborts ("terminate called without an active
    # exception", seen once in CI)
    dist.barrier()
    dist.destroy_process_group()


def main():
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        init_file = os.path.join(folder, "init")
        torch.multiprocessing.spawn(worker, args=(init_file,), nprocs=WORLD, join=True)
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
