"""The VEP network's resting state and the relaxed fast variable, by Newton's method.

:func:`resting_state` is the equilibrium ``(x, z)`` of every region, used by the
forward model (chains start from the rest of their own ``x0`` and ``K``), by the
synthetic patients and by the initial-state prior.  :func:`relaxed_x` and
:func:`interictal_z` place an initial state on the slow manifold (the prior
``initial="slow"``).  NumPy or JAX (``m=``).  Split from :mod:`.model` so that each
file keeps one job.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...models import VEP2D
from ...models.coupling import Difference

__all__ = ["resting_state", "relaxed_x", "interictal_z", "interictal_z_inverse", "knee_z"]

#: x of the lower knee of the VEP2D ``x`` nullcline ``z = 1 + I1 - x^3 - 2 x^2`` (where ``-3x^2 - 4x = 0``).
X_KNEE = -4.0 / 3.0


def knee_z(I1: float = 3.1) -> float:
    """``z`` at the lower knee of the ``x`` nullcline: below it the fast variable has no resting branch (2.9148 at ``I1 = 3.1``).

    Example
    -------
    >>> round(knee_z(3.1), 4)
    2.9148
    """
    return float(1.0 + I1 - X_KNEE ** 3 - 2.0 * X_KNEE ** 2)


def interictal_z(z, I1: float = 3.1, *, margin: float = 0.1, width: float = 0.1, m=np):
    r"""Map ``z`` smoothly above the knee: :math:`z_k + \mu + w\,\mathrm{softplus}((z - z_k - \mu)/w)`.

    ``z_k`` is :func:`knee_z`, ``mu`` the margin, ``w`` the width of the bend.  The
    identity (to ``w e^{-3}``) for ``z`` more than ``3 w`` above ``z_k + mu``; never
    below ``z_k + mu``.  An initial ``z`` under the knee starts a seizure at ``t = 0``,
    which no interictal recording shows: that cliff is removed from the prior's support.

    Example
    -------
    >>> round(float(interictal_z(4.0)), 4), round(float(interictal_z(-10.0)), 4)
    (4.0, 3.0148)
    """
    lo = knee_z(I1) + margin
    return lo + width * m.logaddexp(0.0, (z - lo) / width)


def interictal_z_inverse(z, I1: float = 3.1, *, margin: float = 0.1, width: float = 0.1):
    """Inverse of :func:`interictal_z` (NumPy); a ``z`` at or under the floor maps to 5 bend widths below it.

    Example
    -------
    >>> round(float(interictal_z_inverse(interictal_z(3.05))), 6)
    3.05
    """
    lo = knee_z(I1) + margin
    u = np.maximum((np.asarray(z, float) - lo) / width, np.exp(-5.0))
    return lo + width * np.log(np.expm1(u))


def relaxed_x(z, I1: float = 3.1, *, m=np, n_iter: int = 14):
    """The lower (resting) branch of the ``x`` nullcline at ``z``: the fast variable relaxed, ``1 - x^3 - 2x^2 - z + I1 = 0``.

    Newton's method from ``x = -3`` (left of the root: on the branch the nullcline is
    increasing and concave, so the iterates rise monotonically to the root without
    overshooting).  Needs ``z`` above :func:`knee_z` (use :func:`interictal_z`); 14
    iterations reach round-off for ``z`` from 0.1 above the knee to 15.  NumPy or JAX,
    differentiable (``dx/dz = -1 / (3x^2 + 4x)`` at convergence).

    Example
    -------
    >>> x = relaxed_x(3.5)
    >>> round(float(x), 4), abs(float(1 - x**3 - 2*x**2 - 3.5 + 3.1)) < 1e-12
    (-1.8186, True)
    """
    c = 1.0 + I1 - z
    x = -3.0 + 0.0 * z
    for _ in range(int(n_iter)):
        x = x - (x ** 3 + 2.0 * x ** 2 - c) / (3.0 * x ** 2 + 4.0 * x)
    return x


def _newton_step(y, couple, model, p, k: int, eye_s, eye_n, h: float, m):
    """One Newton step towards ``dfun(y, c(y)) = 0``: region blocks by finite differences, the Schur complement for the coupling."""
    ns = len(model.state_names)
    c = couple(y[k])
    f = model.evaluate(y, (c,), p, m=m)  # (ns, n)
    B = m.stack([(model.evaluate(y + h * m.asarray(eye_s[q])[:, None], (c,), p, m=m) - f) / h for q in range(ns)], axis=-1)
    B = m.moveaxis(B, 1, 0)  # (n, ns, ns): d f_a / d y_b of each region, coupling held
    g = (model.evaluate(y, (c + h,), p, m=m) - f) / h  # (ns, n): d f / d c
    Cx = ((couple(y[k][None, :] + h * eye_n) - c[None, :]) / h).T  # (n, n): d c_i / d x_j
    Bf = m.linalg.solve(B, m.moveaxis(f, 0, 1)[..., None])[..., 0]  # (n, ns)
    Bg = m.linalg.solve(B, m.moveaxis(g, 0, 1)[..., None])[..., 0]
    dx = m.linalg.solve(eye_n + Bg[:, k][:, None] * Cx, -Bf[:, k])
    step = -Bf - Bg * (Cx @ dx)[:, None]  # (n, ns)
    return y + m.moveaxis(step, 1, 0)


def resting_state(weights, x0, K, I1: float = 3.1, *, m=np, n_iter: int = 12, model=None, coupling=None, guess=(-1.5, 3.0)):
    """The network's equilibrium ``(x, z)`` for excitabilities ``x0`` and coupling ``K`` (NumPy or JAX).

    Solves ``dfun(y, c(y)) = 0`` for the whole network by Newton's method.  The
    Jacobian is each region's own ``n_state x n_state`` block plus the coupling
    term, ``J = B + (df/dc) (dc/dx)``; the step is solved through the
    ``n_regions x n_regions`` Schur complement of the blocks.  The blocks,
    ``df/dc`` and ``dc/dx`` are finite differences of the model's ``dfun`` and of
    the coupling, so nothing about the equations is restated here.  For VEP2D
    the equilibrium is unique for every ``x0`` (the ``x`` nullcline minus the
    ``z`` nullcline is strictly decreasing), stable below the critical
    excitability and an unstable focus above it (the EZ).  With
    ``m=jax.numpy`` the result is differentiable (the iterations are unrolled;
    at convergence their derivative is the implicit one).

    Parameters
    ----------
    weights : array (n_regions, n_regions)
    x0 : array (n_regions,)
    K : float
    I1 : float
    m : module
        ``numpy`` or ``jax.numpy``.
    n_iter : int
        Newton iterations.
    model, coupling : optional
        Default :class:`~braintwin.models.VEP2D` and ``Difference(a=1)`` (one coupled variable).
    guess : (float, float)
        Starting state of every region.

    Returns
    -------
    array (n_state, n_regions)
    """
    from ...models.base import Vars

    model = VEP2D() if model is None else model
    coupling = Difference(a=1.0) if coupling is None else coupling
    if len(model.coupling_vars) != 1:
        raise InputError(f"{model.name} couples {len(model.coupling_vars)} variables; resting_state needs one", source=model.name,
                         field="coupling")
    names = model.parameter_names
    Wn = np.asarray(weights, float)
    W = m.asarray(Wn)
    wsum = m.asarray(Wn.sum(axis=1))
    k = model.state_names.index(model.coupling_vars[0])
    cpar = Vars(**coupling.values)
    x0 = m.asarray(x0)
    n = x0.shape[0]
    defaults = {q.name: float(q.default) for q in model.parameters}
    given = {"x0": x0, "K": K, "I1": I1}
    p = m.stack([m.broadcast_to(m.asarray(given.get(q, defaults[q]), dtype=x0.dtype), (n,)) for q in names])
    ns = len(model.state_names)
    eye_s, eye_n = np.eye(ns), m.asarray(np.eye(n))
    h = 1e-7

    def couple(x):  # coupling input of every target; x (..., n) -> (..., n)
        pre = coupling.pre((x,), cpar, m)[0]
        return coupling.post(((pre @ W.T),), (x,), wsum, cpar, m)[0]

    y = m.stack([m.full((n,), float(guess[q]) if q < len(guess) else 0.0, dtype=x0.dtype) for q in range(ns)])
    for _ in range(int(n_iter)):
        y = _newton_step(y, couple, model, p, k, eye_s, eye_n, h, m)
    if m is np:  # never silent: a NumPy solve that did not converge is an error (JAX traces cannot be checked here)
        res = model.evaluate(y, (couple(y[k]),), p, m=np)
        if not (np.all(np.isfinite(y)) and np.abs(res).max() < 1e-8):
            raise InputError(f"no resting state found after {n_iter} Newton iterations (largest residual "
                             f"{np.nanmax(np.abs(res)):.3g}); check x0, K and the weights, or raise n_iter",
                             source="resting_state", field="x0")
    return y
