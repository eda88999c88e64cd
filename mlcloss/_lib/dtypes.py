"""The compute-dtype rule shared by every loss.

16-bit floating inputs (float16, bfloat16) are computed in float32 and the
loss is returned as float32; float32 and float64 are kept. The loss dtype
follows the prediction alone: labels of any bool, integer or floating dtype
are cast to it explicitly (TensorFlow never promotes implicitly).
"""

from __future__ import annotations


def compute_dtype(xp, x, name: str):
    """Return the dtype a loss computes in for the prediction ``x``.

    Raises ``TypeError`` naming ``name`` when ``x`` is not real floating.
    """
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(
            f"mlcloss: {name} must have a real floating dtype, received {x.dtype}; "
            f"expected float16, bfloat16, float32 or float64"
        )
    if x.dtype == xp.float64:
        return xp.float64
    return xp.float32


def cast(xp, x, dtype):
    """``x`` as ``dtype``, without a copy when it already is."""
    return x if x.dtype == dtype else xp.astype(x, dtype)
