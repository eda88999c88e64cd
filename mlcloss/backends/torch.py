"""PyTorch adapter: native logsumexp, softplus, sigmoid, detach and scatter."""

from __future__ import annotations

import torch

from ._generic import Backend


class TorchBackend(Backend):
    name = "torch"

    def stop_gradient(self, x):
        return x.detach()

    def logsumexp(self, x, axis: int):
        return torch.logsumexp(x, dim=axis)

    def log_softmax(self, x, axis: int):
        return torch.log_softmax(x, dim=axis)

    def softplus(self, x):
        # torch returns x above `threshold`; place it where e^{-x} is below the
        # dtype's resolution so the result stays exact to rounding
        threshold = 40.0 if x.dtype == torch.float64 else 20.0
        return torch.nn.functional.softplus(x, beta=1.0, threshold=threshold)

    def sigmoid(self, x):
        return torch.sigmoid(x)

    def uniform(self, shape, *, seed, device):
        generator = None
        if seed is not None:
            if torch.compiler.is_compiling():
                raise RuntimeError(
                    "mlcloss: a seeded sampler cannot run inside torch.compile (a torch "
                    "Generator is opaque to dynamo); draw the samples outside the compiled "
                    "function and pass them in (sampled_values=...), or pass seed=None"
                )
            generator = torch.Generator(device=device).manual_seed(seed)
        return torch.rand(shape, generator=generator, dtype=torch.float64, device=device)

    def as_index(self, indices):
        return indices.long()

    def multi_hot(self, indices, valid, num_classes: int):
        # invalid entries are sent to a sink column that is dropped afterwards
        index = torch.where(valid, indices, num_classes).to(torch.int64)
        out = torch.zeros(
            (*indices.shape[:-1], num_classes + 1), dtype=torch.bool, device=indices.device
        )
        return out.scatter(-1, index, True)[..., :num_classes]

    def is_concrete(self, x) -> bool:
        if torch.compiler.is_compiling():
            return False
        if torch._C._functorch.is_functorch_wrapped_tensor(x):
            return False
        return x.device.type == "cpu"
