"""PyTorch adapter: native logsumexp, softplus, sigmoid, detach, scatter and a scan loop."""

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

    def softmax(self, x, axis: int):
        return torch.softmax(x, dim=axis)

    def softplus(self, x):
        # torch returns x above `threshold`; place it where e^{-x} is below the
        # dtype's resolution so the result stays exact to rounding
        threshold = 40.0 if x.dtype == torch.float64 else 20.0
        return torch.nn.functional.softplus(x, beta=1.0, threshold=threshold)

    def log_sigmoid(self, x):
        return torch.nn.functional.logsigmoid(x)

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

    def take_along_last_axis(self, x, indices):
        return torch.take_along_dim(x, indices, dim=-1)

    def scatter_add_last(self, x, indices, values):
        values = torch.broadcast_to(
            torch.as_tensor(values, dtype=x.dtype, device=x.device), indices.shape
        )
        if torch.is_grad_enabled():  # a graph may be recorded: out of place
            return x.scatter_add(-1, indices, values)
        return x.scatter_add_(-1, indices, values)

    def extrema(self, x):
        return torch.aminmax(x.detach())  # one pass

    def scale_owned(self, x, factor):
        if _recorded(x, factor) or not _fits(x, factor):
            return x * factor
        return x.mul_(factor)

    def subtract_owned(self, x, other):
        if _recorded(x, other) or not _fits(x, other):
            return x - other
        return x.sub_(other)

    def exp_shifted(self, z, shift, scale=None):
        if _recorded(z, shift, scale):  # out of place
            return super().exp_shifted(z, shift, scale)
        z = z.sub_(shift).exp_()
        return z if scale is None else z.mul_(scale)

    def put_rows(self, x, start, values):
        if torch.is_grad_enabled():  # a graph may be recorded: out of place
            return super().put_rows(x, start, values)
        x[start : start + values.shape[0], ...] = values
        return x

    def scan(self, step, carry, xs):
        # a Python loop over views (one unbind a sequence, not one index a step);
        # torch.compile unrolls it over the static length
        ys = []
        for x in zip(*(x.unbind(0) for x in xs)):
            carry, y = step(carry, x)
            ys.append(y)
        if not ys or ys[0] is None:
            return carry, None
        return carry, torch.stack(ys)

    def is_concrete(self, x) -> bool:
        if torch.compiler.is_compiling():
            return False
        if torch._C._functorch.is_functorch_wrapped_tensor(x):
            return False
        return x.device.type == "cpu"

    def custom_gradient(self, op, inputs):
        if not torch.is_grad_enabled() or not any(
            isinstance(a, torch.Tensor) and a.requires_grad for a in inputs
        ):  # nothing to differentiate (no_grad, inference, plain tensors): skip the Function
            return op.forward(*inputs)[0]
        function = _Analytic if torch.compiler.is_compiling() else _AnalyticForwardMode
        return function.apply(op, *inputs)[0]


def _recorded(*arrays) -> bool:
    """Whether autograd records an operation on ``arrays`` (in place, it would corrupt the graph)."""
    return torch.is_grad_enabled() and any(
        isinstance(a, torch.Tensor) and a.requires_grad for a in arrays
    )


def _fits(x, other) -> bool:
    """Whether ``other`` broadcasts to ``x`` without growing it (so ``x`` can take the result).

    Numbers, 0-d tensors and tensors of ``x``'s shape are answered without
    torch.broadcast_shapes, whose Python implementation costs more than a
    small loss.
    """
    if not isinstance(other, torch.Tensor) or other.ndim == 0 or other.shape == x.shape:
        return True
    return torch.broadcast_shapes(x.shape, other.shape) == x.shape


class _Analytic(torch.autograd.Function):
    """A loss whose backward is its closed-form gradient (see mlcloss._lib.gradients).

    The forward saves the inputs and the intermediate statistics the
    gradient formula reuses; the backward evaluates that formula for the
    first ``op.n_primals`` inputs. When a graph of the backward is asked for
    (``create_graph=True``, ``torch.func`` transforms) the statistics are
    recomputed from the inputs with grad enabled, so second-order
    derivatives are exact. Other floating inputs that require grad (soft
    labels, a threshold) are differentiated by autograd through the value
    formula.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(op, *inputs):
        out, saved = op.forward(*inputs)
        return (out, *saved)

    @staticmethod
    def setup_context(ctx, inputs, output):
        op, *inputs = inputs
        ctx.op = op
        ctx.n_inputs = len(inputs)
        ctx.mark_non_differentiable(*output[1:])
        ctx.save_for_backward(*inputs, *output[1:])
        ctx.save_for_forward(*inputs, *output[1:])

    @staticmethod
    def backward(ctx, g, *_):
        op, n = ctx.op, ctx.n_inputs
        inputs, saved = ctx.saved_tensors[:n], ctx.saved_tensors[n:]
        needs = ctx.needs_input_grad[1:]
        create_graph = torch.is_grad_enabled()
        if create_graph:  # building a graph of the gradient: recompute differentiably
            saved = op.forward(*inputs)[1]
        grads = [None] * n
        if any(needs[: op.n_primals]):
            grads[: op.n_primals] = op.vjp(inputs, saved, g)
        others = [i for i in range(op.n_primals, n) if needs[i]]
        if others:  # soft labels, a threshold...: autograd through the value formula
            with torch.enable_grad():
                chosen = [inputs[i].detach().requires_grad_() for i in others]
                out = op.value_of(inputs, others)(*chosen)
                found = torch.autograd.grad(out, chosen, g, create_graph=create_graph)
            for i, d in zip(others, found):
                grads[i] = d
        return (None, *(d if need else None for d, need in zip(grads, needs)))


class _AnalyticForwardMode(_Analytic):
    """:class:`_Analytic` with forward mode (``torch.func.jvp``, ``jacfwd``, ``hessian``).

    A separate class because dynamo cannot trace a Function that defines
    ``jvp``: compiled code uses :class:`_Analytic`.
    """

    @staticmethod
    def jvp(ctx, _op, *tangents):
        op, n = ctx.op, ctx.n_inputs
        inputs, saved = ctx.saved_tensors[:n], ctx.saved_tensors[n:]
        d_out = op.jvp(inputs, saved, tangents[: op.n_primals])
        others = [i for i in range(op.n_primals, n) if tangents[i] is not None]
        if others:  # tangents of soft labels, thresholds...: forward mode through the value formula
            primals = tuple(inputs[i] for i in others)
            value = op.value_of(inputs, others)
            d_out = d_out + torch.func.jvp(value, primals, tuple(tangents[i] for i in others))[1]
        return (d_out, *(None for _ in saved))
