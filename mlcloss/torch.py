"""``torch.nn.Module`` classes for the losses, generated from :mod:`mlcloss.capabilities`.

Each class is the CamelCase of its function (``SoftmaxCrossEntropy`` for
:func:`mlcloss.softmax_cross_entropy`). Hyper-parameters go to ``__init__``;
array hyper-parameters (``class_weights``, ``pos_weight``, a per-class
``alpha``) become buffers, so ``.to(device)`` moves them and ``state_dict``
carries them. ``forward(input, target, **per_call)`` computes the function;
per-call keywords (``sample_weight``, ``where``, ``mask``, a per-row ``threshold``) pass
through.

>>> import torch, mlcloss.torch
>>> loss = mlcloss.torch.SoftmaxCrossEntropy(class_weights=[1.0, 2.0, 1.0], label_smoothing=0.1)
>>> loss
SoftmaxCrossEntropy(label_smoothing=0.1, class_weights=<buffer (3,) torch.float32>)
>>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
>>> round(loss(logits, torch.tensor([0, 1])).item(), 4)
0.5274
"""

from __future__ import annotations

import inspect

import torch

from .capabilities import MODULES

__all__ = ["Loss"]


class Loss(torch.nn.Module):
    """The base of every generated module: ``function`` with its options bound."""

    #: the loss function and its capability entry (set on each generated class)
    function = None
    spec = None

    def __init__(self, **options):
        super().__init__()
        self.spec.check_options(options, where="__init__()", exclude=("sample_weight",))
        self._options = {}
        for name, value in options.items():
            if name in self.spec.arrays and not isinstance(value, (int, float, type(None))):
                self.register_buffer(name, torch.as_tensor(value))
            else:
                self._options[name] = value

    def forward(self, input, target, *inputs, **per_call):
        """``inputs``: the function's further positional arrays (a Gaussian NLL's variance)."""
        self.spec.check_options(per_call, where="forward()", complete=False)
        buffers = dict(self.named_buffers(recurse=False))
        return self.function(input, target, *inputs, **self._options, **buffers, **per_call)

    def extra_repr(self) -> str:
        parts = [f"{name}={value!r}" for name, value in self._options.items()]
        parts += [
            f"{name}=<buffer {tuple(buffer.shape)} {buffer.dtype}>"
            for name, buffer in self.named_buffers(recurse=False)
        ]
        return ", ".join(parts)


def _module_class(spec):
    options = spec.hyper_parameters
    cls = spec.subclass(
        Loss,
        module=__name__,
        form=(
            f"The module form of :func:`mlcloss.{spec.name}`: the options below go to "
            f"``__init__``, ``forward(input, target)`` computes the loss (``sample_weight=`` per call).\n\n"
            f"Options: {', '.join(map(_option, options))}."
        ),
    )
    cls.__signature__ = inspect.Signature(options)
    return cls


def _option(parameter):
    if parameter.default is inspect.Parameter.empty:
        return f"``{parameter.name}`` (required)"
    return f"``{parameter.name}={parameter.default!r}``"


for _spec in MODULES:
    globals()[_spec.class_name] = _module_class(_spec)
    __all__.append(_spec.class_name)
del _spec
