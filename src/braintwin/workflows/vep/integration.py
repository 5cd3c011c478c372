"""The integration step of the Bayesian VEP, chosen from the VEP2D's own time scales (not from the sampling rate)."""

from __future__ import annotations

import numpy as np

from ...errors import InputError

__all__ = ["fast_rate", "max_step", "substeps"]


def fast_rate(I1: float = 3.1, x_range: tuple[float, float] = (-2.5, 1.0)) -> float:
    r"""Largest rate of the VEP2D's fast variable, :math:`\max |\partial \dot x / \partial x| = \max |3x^2 + 4x|` over ``x_range``.

    The ``x`` equation :math:`\dot x = 1 - x^3 - 2x^2 - z + I_1` relaxes at rate
    :math:`3x^2 + 4x` (8.75 at the benchmark's start ``x = -2.5``; 7 at ``x = 1``,
    the top of the seizure branch); ``z`` is slower by ``tau0``.  ``I1`` enters only
    through the states visited, so it is accepted for symmetry.
    """
    lo, hi = map(float, x_range)
    xs = np.linspace(lo, hi, 2001)
    return float(np.max(np.abs(3 * xs ** 2 + 4 * xs)))


def max_step(tau0: float, I1: float = 3.1, x_range: tuple[float, float] = (-2.5, 1.0), margin: float = 1.8) -> float:
    r"""Largest Heun step the model's time scales allow: ``min(margin / fast_rate, tau0 / 50)``.

    Heun is stable for :math:`\lambda\,dt \le 2` on a real decaying mode of rate
    :math:`\lambda` (:func:`fast_rate`); a larger step does not fail loudly, the
    clamped state just follows a distorted trajectory, so the fit converges to
    wrong parameters.  ``margin = 1.8`` keeps 10 % from that limit; the slow
    variable needs ``dt`` well below ``tau0``.  The step comes from the model, not
    from the sampling rate: with ``x`` starting at -2.5 it is ``1.8 / 8.75 = 0.206``;
    with the default prior start -2.0 the fastest rate is 7 (top of the seizure
    branch) and the step 0.257.

    Example
    -------
    >>> round(max_step(90.0), 4)
    0.2057
    """
    return float(min(float(margin) / fast_rate(I1, x_range), float(tau0) / 50.0))


def substeps(dt: float, tau0: float, I1: float = 3.1, x_range: tuple[float, float] = (-2.5, 1.0),
             margin: float = 1.8) -> int:
    """Heun steps per step ``dt`` so that each is at most :func:`max_step` (1 when ``dt`` is fine already).

    Example
    -------
    >>> substeps(0.5, 90.0)   # 0.5 / 3 = 0.167 <= 0.206
    3
    """
    if not (np.isfinite(dt) and dt > 0):
        raise InputError(f"dt must be > 0, got {dt}", source="VEP fit", field="dt")
    return max(1, int(np.ceil(float(dt) / max_step(tau0, I1, x_range, margin) - 1e-9)))
