"""``assert_close``: namespace, dtype, shape, device and values in one check."""

from __future__ import annotations

import numpy as np


def assert_close(actual, desired, *, framework, dtype=None, like=None, rtol=1e-7, atol=0.0):
    """Assert that ``actual`` (an array of ``framework``) matches ``desired``.

    Checks, in order: ``actual`` belongs to ``framework``'s namespace; its
    dtype is ``dtype`` (a name such as ``"float32"``) when given; it lives on
    the device of ``like`` when given; its shape equals ``desired``'s; its
    values are within ``rtol``/``atol`` of ``desired`` (NaN matches NaN).
    """
    from .._compat import device
    from ..backends import array_namespace

    xp = framework.xp
    got = array_namespace(actual)
    assert got is xp or got.__name__ == xp.__name__, (
        f"result is in namespace {got.__name__}, expected {xp.__name__}"
    )
    if dtype is not None:
        assert actual.dtype == framework.dtype(dtype), (
            f"result dtype {actual.dtype}, expected {dtype}"
        )
    if like is not None:
        assert str(device(actual)) == str(device(like)), (
            f"result on device {device(actual)}, expected {device(like)}"
        )
    values = framework.to_numpy(actual)
    desired = np.asarray(desired)
    assert values.shape == desired.shape, f"shape {values.shape}, expected {desired.shape}"
    np.testing.assert_allclose(values, desired, rtol=rtol, atol=atol, equal_nan=True)
