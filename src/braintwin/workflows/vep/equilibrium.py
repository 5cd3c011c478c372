"""The VEP network's resting state: the equilibrium ``(x, z)`` of every region, by Newton's method.

Used by the forward model (chains start from the rest of their own ``x0`` and
``K``), by the synthetic patients and by the initial-state prior; NumPy or JAX
(``m=``).  Split from :mod:`.model` so that each file keeps one job.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...models import VEP2D
from ...models.coupling import Difference

__all__ = ["resting_state"]


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
