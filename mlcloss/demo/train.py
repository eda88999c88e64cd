"""One small model trained per loss, on whichever framework: a one-hidden-layer MLP and Adam.

The model and the optimizer are written once over the arrays' operators;
each framework supplies only its gradient (torch autograd, ``jax.grad``
under ``jit``, TensorFlow's ``GradientTape``, and for NumPy the closed-form
gradient of the loss from :func:`mlcloss.value_and_grad`, back-propagated by
hand through the two layers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAMEWORK_ORDER = ("torch", "jax", "tensorflow", "numpy")


@dataclass(frozen=True)
class Settings:
    hidden: int = 128
    epochs: int = 20
    batch: int = 128
    learning_rate: float = 3e-3
    seed: int = 0


def initial_parameters(features: int, classes: int, settings: Settings) -> list[np.ndarray]:
    """He-initialised ``[W1, b1, W2, b2]`` in float32, the same for every loss and framework."""
    rng = np.random.default_rng(settings.seed + 1)
    w1 = rng.normal(size=(features, settings.hidden)) * np.sqrt(2.0 / features)
    w2 = rng.normal(size=(settings.hidden, classes)) * np.sqrt(1.0 / settings.hidden)
    return [
        w1.astype(np.float32),
        np.zeros(settings.hidden, np.float32),
        w2.astype(np.float32),
        np.zeros(classes, np.float32),
    ]


def _forward(params, x, relu):
    w1, b1, w2, b2 = params
    return relu(x @ w1 + b1) @ w2 + b2


class _Adam:
    """Adam (Kingma & Ba, 2015) on a list of arrays, with the framework's ``sqrt``."""

    def __init__(self, params, sqrt, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        self.sqrt, self.lr, self.b1, self.b2, self.eps = sqrt, learning_rate, beta1, beta2, eps
        self.m = [p * 0 for p in params]
        self.v = [p * 0 for p in params]
        self.t = 0

    def step(self, params, grads, m, v, t):
        """One Adam step as a pure function of its state (``jax.jit`` compiles it as it is)."""
        scale = self.lr * (1 - self.b2**t) ** 0.5 / (1 - self.b1**t)
        m = [self.b1 * a + (1 - self.b1) * g for a, g in zip(m, grads)]
        v = [self.b2 * a + (1 - self.b2) * (g * g) for a, g in zip(v, grads)]
        params = [p - scale * a / (self.sqrt(b) + self.eps) for p, a, b in zip(params, m, v)]
        return params, m, v

    def update(self, params, grads):
        """:meth:`step`, keeping the state here."""
        self.t += 1
        params, self.m, self.v = self.step(params, grads, self.m, self.v, self.t)
        return params


def trainer(framework: str, loss, params: list[np.ndarray], settings: Settings):
    """``(step(x, labels), logits(x))`` for ``framework``; both take and give NumPy arrays."""
    return _TRAINERS[framework](loss, params, settings)


def _torch(loss, params, settings):
    import torch

    params = [torch.asarray(p) for p in params]
    adam = _Adam(params, torch.sqrt, settings.learning_rate)

    def step(x, labels):
        nonlocal params
        leaves = [p.requires_grad_(True) for p in params]
        value = loss(_forward(leaves, torch.asarray(x), torch.relu), torch.asarray(labels))
        grads = torch.autograd.grad(value, leaves)
        with torch.no_grad():
            params = adam.update([p.detach() for p in leaves], grads)

    def logits(x):
        with torch.no_grad():
            return _forward(params, torch.asarray(x), torch.relu).numpy()

    return step, logits


def _jax(loss, params, settings):
    import jax
    import jax.numpy as jnp

    state = {"params": [jnp.asarray(p) for p in params]}
    adam = _Adam(state["params"], jnp.sqrt, settings.learning_rate)

    @jax.jit
    def gradient(params, x, labels):
        return jax.grad(lambda p: loss(_forward(p, x, jax.nn.relu), labels))(params)

    update = jax.jit(adam.step)

    def step(x, labels):
        grads = gradient(state["params"], jnp.asarray(x), jnp.asarray(labels))
        adam.t += 1
        state["params"], adam.m, adam.v = update(state["params"], grads, adam.m, adam.v, adam.t)

    def logits(x):
        return np.asarray(_forward(state["params"], jnp.asarray(x), jax.nn.relu))

    return step, logits


def _tensorflow(loss, params, settings):
    import tensorflow as tf

    params = [tf.constant(p) for p in params]
    adam = _Adam(params, tf.sqrt, settings.learning_rate)

    def step(x, labels):
        nonlocal params
        x, labels = tf.constant(x), tf.constant(labels)
        with tf.GradientTape() as tape:
            tape.watch(params)
            value = loss(_forward(params, x, tf.nn.relu), labels)
        params = adam.update(params, tape.gradient(value, params))

    def logits(x):
        return _forward(params, tf.constant(x), tf.nn.relu).numpy()

    return step, logits


def _numpy(loss, params, settings):
    from .._lib.gradients import value_and_grad

    params = list(params)
    adam = _Adam(params, np.sqrt, settings.learning_rate)
    loss_and_gradient = value_and_grad(loss)

    def step(x, labels):
        nonlocal params
        w1, b1, w2, b2 = params
        pre = x @ w1 + b1
        hidden = np.maximum(pre, 0)
        _, g = loss_and_gradient(hidden @ w2 + b2, labels)  # ∂loss/∂logits, closed form
        back = (g @ w2.T) * (pre > 0)
        grads = [x.T @ back, back.sum(axis=0), hidden.T @ g, g.sum(axis=0)]
        params = adam.update(params, grads)

    def logits(x):
        return _forward(params, x, lambda h: np.maximum(h, 0))

    return step, logits


_TRAINERS = {"torch": _torch, "jax": _jax, "tensorflow": _tensorflow, "numpy": _numpy}
