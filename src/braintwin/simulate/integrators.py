"""Integration schemes written against a math namespace (NumPy reference, JAX).

The numba engine generates the same schemes as scalar code
(:mod:`braintwin.simulate.numba_engine`); these array versions are the reference
used by the NumPy engine and the JAX engine.  All follow TVB: the coupling is
held through every stage of a step, the same noise increment enters predictor
and corrector, a stimulus adds ``dt * stim``, and bounds are applied after each
stage.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["step"]


def _clamp(x, lo, hi, m):
    return m.minimum(m.maximum(x, lo), hi)


def step(method: str, f: Callable, x, dt: float, incr, lo, hi, m: Any):
    """One step of ``method`` for ``dx/dt = f(x)``; ``incr`` is noise + dt * stimulus.

    ``x`` has shape ``(n_state, ...)``; ``lo``/``hi`` broadcast against it.
    """
    if method == "euler":
        return _clamp(x + dt * f(x) + incr, lo, hi, m)
    if method == "heun":
        d0 = f(x)
        inter = _clamp(x + dt * d0 + incr, lo, hi, m)
        return _clamp(x + (d0 + f(inter)) * (dt / 2.0) + incr, lo, hi, m)
    if method == "rk4":
        k1 = f(x)
        k2 = f(_clamp(x + (0.5 * dt) * k1, lo, hi, m))
        k3 = f(_clamp(x + (0.5 * dt) * k2, lo, hi, m))
        k4 = f(_clamp(x + dt * k3, lo, hi, m))
        return _clamp(x + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4) + incr, lo, hi, m)
    raise ValueError(f"unknown integrator {method!r}")
