"""mlcloss.torch: one nn.Module per loss of the capability table, a citizen of torch's tools."""

from __future__ import annotations

import doctest
import inspect

import pytest

torch = pytest.importorskip("torch")

from cases import CASES  # noqa: E402  (tests/ is on sys.path)

import mlcloss.torch  # noqa: E402
from mlcloss.capabilities import MODULES  # noqa: E402

SPECS = {spec.function: spec for spec in MODULES}
MODULE_CASES = sorted(name for name, case in CASES.items() if case[0] in SPECS)


def _wrapper_form(name):
    """What the generated ``forward`` does differently for this case: buffers to pass, per-call
    arrays to pass through, further positional inputs. Everything else is the function's."""
    fn, _, args, arrays, *_ = CASES[name]
    spec = SPECS[fn]
    return (
        any(k in spec.arrays for k in arrays),
        any(k not in spec.arrays for k in arrays),
        len(args),
    )


# torch.compile of every case's function runs in test_autodiff_and_tracing; a module only adds
# its generic ``forward``, so one case of each wrapper form is compiled through the module
COMPILED_MODULE_CASES = sorted({_wrapper_form(n): n for n in reversed(MODULE_CASES)}.values())


def _module_and_inputs(name, dtype=torch.float64):
    """The module built from the case's options, its inputs and the per-call arrays."""
    fn, logits, args, arrays, options, *_ = CASES[name]
    spec = SPECS[fn]
    init = {k: v for k, v in options.items()}
    init.update({k: torch.as_tensor(v) for k, v in arrays.items() if k in spec.arrays})
    per_call = {k: torch.as_tensor(v) for k, v in arrays.items() if k not in spec.arrays}
    module = getattr(mlcloss.torch, spec.class_name)(**init)
    x = torch.tensor(logits, dtype=dtype, requires_grad=True)
    targets = [torch.as_tensor(a) for a in args]  # the labels, then any further inputs
    return module, x, targets, per_call


def test_every_loss_of_the_table_has_a_module():
    for spec in MODULES:
        cls = getattr(mlcloss.torch, spec.class_name)
        assert issubclass(cls, torch.nn.Module) and cls.function is spec.function
        assert spec.class_name in mlcloss.torch.__all__
    assert {SPECS[CASES[name][0]].name for name in MODULE_CASES} == {s.name for s in MODULES}


@pytest.mark.parametrize("name", MODULE_CASES)
def test_module_equals_function(name):
    fn, logits, args, arrays, options, *_ = CASES[name]
    module, x, targets, per_call = _module_and_inputs(name)
    got = module(x, *targets, **per_call)
    got.sum().backward()
    y = torch.tensor(logits, requires_grad=True)
    want = fn(
        y,
        *[torch.as_tensor(a) for a in args],
        **{k: torch.as_tensor(v) for k, v in arrays.items()},
        **options,
    )
    want.sum().backward()
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    torch.testing.assert_close(x.grad, y.grad, rtol=0, atol=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", COMPILED_MODULE_CASES)
def test_compiled_module_with_backward(name):
    module, x, targets, per_call = _module_and_inputs(name)
    eager = module(x, *targets, **per_call)
    (eager_grad,) = torch.autograd.grad(eager.sum(), x)
    torch._dynamo.reset()
    compiled = torch.compile(module, fullgraph=True, dynamic=False)
    traced = compiled(x, *targets, **per_call)
    (traced_grad,) = torch.autograd.grad(traced.sum(), x)
    torch.testing.assert_close(traced, eager, rtol=1e-12, atol=0)
    torch.testing.assert_close(traced_grad, eager_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", MODULE_CASES)
def test_func_grad_equals_autograd(name):
    module, x, targets, per_call = _module_and_inputs(name)
    (want,) = torch.autograd.grad(module(x, *targets, **per_call).sum(), x)
    got = torch.func.grad(lambda s: module(s, *targets, **per_call).sum())(x.detach())
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-15)


def test_vmap_over_examples_gives_the_per_example_losses():
    module = mlcloss.torch.MultilabelCategoricalCrossentropy(reduction="sum")
    fn, logits, args, *_ = CASES["dense"]
    x, labels = torch.tensor(logits), torch.as_tensor(args[0])
    per_example = torch.func.vmap(lambda s, t: module(s[None], t[None]))(x, labels)
    want = mlcloss.multilabel_categorical_crossentropy(x, labels, reduction="none")
    torch.testing.assert_close(per_example, want, rtol=1e-12, atol=0)
    grads = torch.func.vmap(torch.func.grad(lambda s, t: module(s[None], t[None])))(x, labels)
    y = x.clone().requires_grad_(True)
    mlcloss.multilabel_categorical_crossentropy(y, labels, reduction="sum").backward()
    torch.testing.assert_close(grads, y.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_autocast_gives_a_float32_loss(dtype):
    torch.manual_seed(0)
    layer = torch.nn.Linear(8, 6)
    features = torch.randn(4, 8)
    labels = torch.tensor([1, 0, 5, 2])
    module = mlcloss.torch.SoftmaxCrossEntropy(class_weights=torch.rand(6) + 0.5)
    with torch.autocast("cpu", dtype=dtype):
        logits = layer(features)
        loss = module(logits, labels)
    assert logits.dtype == dtype and loss.dtype == torch.float32
    loss.backward()
    assert layer.weight.grad.dtype == torch.float32 and torch.isfinite(layer.weight.grad).all()
    want = module(logits.detach().float(), labels)  # the same 16-bit logits, in float32
    torch.testing.assert_close(loss.detach(), want, rtol=1e-6, atol=0)


def test_buffers_move_with_the_module_and_live_in_the_state_dict():
    weights = torch.tensor([1.0, 2.0, 0.5])
    module = mlcloss.torch.SoftmaxCrossEntropy(class_weights=weights, label_smoothing=0.1)
    assert set(module.state_dict()) == {"class_weights"}
    torch.testing.assert_close(module.state_dict()["class_weights"], weights)
    module = module.to(torch.float64)
    assert module.class_weights.dtype == torch.float64
    fresh = mlcloss.torch.SoftmaxCrossEntropy(class_weights=torch.ones(3), label_smoothing=0.1)
    fresh.load_state_dict(module.state_dict())
    logits, labels = torch.randn(5, 3, dtype=torch.float64), torch.tensor([0, 2, 1, 1, 0])
    torch.testing.assert_close(fresh(logits, labels), module(logits, labels))
    # a scalar option stays an option, not a buffer
    focal = mlcloss.torch.SoftmaxFocalLoss(alpha=0.25)
    assert dict(focal.named_buffers()) == {} and "alpha=0.25" in repr(focal)


def test_repr_signature_and_errors():
    module = mlcloss.torch.SigmoidCrossEntropy(pos_weight=[2.0, 1.0], label_smoothing=0.1)
    assert repr(module) == (
        "SigmoidCrossEntropy(label_smoothing=0.1, pos_weight=<buffer (2,) torch.float32>)"
    )
    params = inspect.signature(mlcloss.torch.CombinatorialSoftmaxCrossentropy).parameters
    assert list(params)[:2] == ["k", "variable"]
    with pytest.raises(TypeError, match="needs the option.*k"):
        mlcloss.torch.CombinatorialSoftmaxCrossentropy()
    with pytest.raises(TypeError, match="takes no option 'gama'.*expected some of"):
        mlcloss.torch.SigmoidFocalLoss(gama=2.0)
    with pytest.raises(TypeError, match="takes no option 'mask' in forward"):
        mlcloss.torch.SigmoidFocalLoss()(torch.zeros(2, 2), torch.zeros(2, 2), mask=None)


def test_module_docstring_examples():
    result = doctest.testmod(mlcloss.torch)
    assert result.attempted > 0 and result.failed == 0
