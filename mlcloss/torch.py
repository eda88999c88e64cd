"""``torch.nn.Module`` classes for the losses, generated from :mod:`mlcloss.capabilities`.

Each class is the CamelCase of its function (``SoftmaxCrossEntropy`` for
:func:`mlcloss.softmax_cross_entropy`). Hyper-parameters go to ``__init__``;
array hyper-parameters (``class_weights``, ``pos_weight``, a per-class
``alpha``) become buffers, so ``.to(device)`` moves them and ``state_dict``
carries them. ``forward(input, target, **per_call)`` computes the function;
per-call keywords (``where``, ``mask``, a per-row ``threshold``) pass through.

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

from .capabilities import LOSSES

__all__ = ["Loss"]


class Loss(torch.nn.Module):
    """The base of every generated module: ``function`` with its options bound."""

    #: the loss function (set on each generated class)
    function = None
    #: the options kept as buffers when given as arrays
    array_options: tuple[str, ...] = ()

    def __init__(self, **options):
        super().__init__()
        _check_option_names(self.function, options, per_call=False)
        self._options = {}
        for name, value in options.items():
            if name in self.array_options and not isinstance(value, (int, float, type(None))):
                self.register_buffer(name, torch.as_tensor(value))
            else:
                self._options[name] = value

    def forward(self, input, target, **per_call):
        _check_option_names(self.function, per_call, per_call=True)
        buffers = dict(self.named_buffers(recurse=False))
        return self.function(input, target, **self._options, **buffers, **per_call)

    def extra_repr(self) -> str:
        parts = [f"{name}={value!r}" for name, value in self._options.items()]
        parts += [
            f"{name}=<buffer {tuple(buffer.shape)} {buffer.dtype}>"
            for name, buffer in self.named_buffers(recurse=False)
        ]
        return ", ".join(parts)


def _check_option_names(function, options, *, per_call):
    """Raise ``TypeError`` for a keyword the function does not take."""
    accepted = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    unknown = sorted(set(options) - set(accepted))
    required = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    ]
    missing = [name for name in required if name not in options]
    if missing and not per_call:
        raise TypeError(f"mlcloss: {function.__name__} needs the option(s) {', '.join(missing)}")
    if unknown:
        where = "forward()" if per_call else "__init__()"
        raise TypeError(
            f"mlcloss: {function.__name__} takes no option {', '.join(map(repr, unknown))} "
            f"in {where}; expected some of {', '.join(accepted)}"
        )


def _module_class(spec):
    function = spec.function
    options = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    summary = inspect.getdoc(function).splitlines()[0]
    cls = type(
        spec.class_name,
        (Loss,),
        {
            "function": staticmethod(function),
            "array_options": spec.arrays,
            "__module__": __name__,
            "__doc__": (
                f"{summary}\n\nThe module form of :func:`mlcloss.{spec.name}`: the options "
                f"below go to ``__init__``, ``forward(input, target)`` computes the loss.\n\n"
                f"Options: {', '.join(map(_option, options))}."
            ),
        },
    )
    cls.__signature__ = inspect.Signature(options)
    return cls


def _option(parameter):
    if parameter.default is inspect.Parameter.empty:
        return f"``{parameter.name}`` (required)"
    return f"``{parameter.name}={parameter.default!r}``"


for _spec in LOSSES:
    globals()[_spec.class_name] = _module_class(_spec)
    __all__.append(_spec.class_name)
del _spec
