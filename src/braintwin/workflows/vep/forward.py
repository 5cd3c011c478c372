"""The VEP's forward model: the VEP2D network ODE from a region's parameters and initial state to its x(t).

:func:`make_forward` integrates with TVB's Heun scheme, either as a JAX scan
(differentiable to any order, any backend) or as numba loops with their exact
discrete adjoint (:mod:`braintwin.simulate.adjoint`; CPU, first derivatives,
2-3x faster gradients).  :data:`SAFE_BOUNDS` are the inference's guard rails.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...models import VEP2D
from ...models.coupling import Difference

__all__ = ["SAFE_BOUNDS", "make_forward"]


#: Guard-rail bounds of the VEP2D state (x, z) used during inference: never reached by the
#: dynamics for x0 in [-5, 0] and K >= 0, they keep a wild proposal (huge K, tiny tau0) finite.
SAFE_BOUNDS = ((-8.0, -20.0), (8.0, 30.0))


def _forward_constants(weights, model, coupling, safe_bounds):
    """NumPy constants of :func:`make_forward`: weights, their row sums, coupled variables, coupling values, state bounds, defaults."""
    from ...models.base import Vars

    for k in ("x0", "K", "tau0", "I1"):
        if k not in model.parameter_names:
            raise InputError(f"{model.name} has no parameter {k!r}", source=model.name, field="model")
    W = np.asarray(weights, float)
    cidx = [model.state_names.index(v) for v in model.coupling_vars]
    lo_np, hi_np = model.state_bounds()
    if safe_bounds is not None:  # guard rails far outside any physiological state: a wild draw cannot overflow to NaN
        lo_np = np.maximum(lo_np, np.asarray(safe_bounds[0], float))
        hi_np = np.minimum(hi_np, np.asarray(safe_bounds[1], float))
    defaults = {p.name: float(p.default) for p in model.parameters}
    return W, W.sum(axis=1), cidx, Vars(**coupling.values), lo_np, hi_np, defaults


def make_forward(weights, *, dt: float, n_samples: int, steps_per_sample: int = 1, model=None, coupling=None, unroll: int = 1,
                 safe_bounds=None, first_steps: int | None = None, engine: str = "auto"):
    """The ODE forward model: ``forward(x0, K, tau0, I1, init) -> x (n_samples, n_regions)``.

    Built from the model's ``dfun`` (:meth:`Model.evaluate` with ``jax.numpy``),
    the coupling's ``pre``/``post`` and TVB's Heun scheme
    (:func:`braintwin.simulate.integrators.step`, coupling held through the
    step), with no delays and no noise, so it equals ``bt.simulate(...,
    delays=False, method="heun")`` with a ``subsample`` monitor every
    ``steps_per_sample * dt``.

    Parameters
    ----------
    weights : array (n_regions, n_regions)
    dt : float
        Integration step.
    n_samples : int
        Number of recorded samples.
    steps_per_sample : int
        Heun steps between samples.
    model : Model, optional
        Default :class:`~braintwin.models.VEP2D` (``x0``, ``K``, ``tau0``, ``I1``
        must be its parameters).
    coupling : Coupling, optional
        Default ``Difference(a=1)``.
    unroll : int
        Loop unrolling of the time scan (speed only).
    safe_bounds : (lower, upper) per state variable, optional
        Clamp the state after each Heun stage (as model state bounds are).  The
        inference uses :data:`SAFE_BOUNDS`, far outside the dynamics, so that
        an extreme proposal of the sampler gives a finite (very unlikely)
        trajectory instead of NaN; ``None`` (default) integrates exactly as
        ``bt.simulate``.
    first_steps : int, optional
        Heun steps of equal size for the *first* sample (default and minimum
        ``steps_per_sample``; the sample times stay).  The fitted initial state
        may lie off the slow manifold, and the fast relaxation from it is much
        faster than anything later (:meth:`VEPProblem.first_steps`).
    engine : {"auto", "jax", "numba"}
        Who integrates.  ``"jax"``: a ``lax.scan`` of the Heun step,
        differentiable to any order, on any JAX backend.  ``"numba"``: the same
        steps as generated numba loops with their exact discrete adjoint
        (:func:`braintwin.simulate.adjoint.heun_ode`), called from the compiled
        program as XLA custom calls: 3.4x faster ODE gradients on the tvb76 VEP
        (0.37 ms against 1.24 ms; the whole potential 0.68 against 1.58 ms, and
        2.6 against 8.6 ms on the clinical tvb96 case), equal to round-off, but CPU only, float64,
        difference coupling, and first derivatives only (Hessians then come
        from finite differences of the gradient,
        :func:`braintwin.infer.laplace.hessian`).  ``"auto"`` (default):
        ``"numba"`` where :func:`~braintwin.simulate.adjoint.supported` allows it
        when the forward model is first called (so inside ``x64``), else ``"jax"``.

    Returns
    -------
    callable
        Pure JAX function ``forward(x0, K, tau0, I1, init)``: ``x0`` (n_regions,),
        scalars ``K, tau0, I1``, ``init`` (n_state, n_regions); returns the first
        state variable ``(n_samples, n_regions)``.  Differentiable and vmappable.
    """
    import jax
    import jax.numpy as jnp

    from ...simulate.integrators import step as integrate

    model = VEP2D() if model is None else model
    coupling = Difference(a=1.0) if coupling is None else coupling
    names = model.parameter_names
    W, wsum_np, cidx, cpar, lo_np, hi_np, defaults = _forward_constants(weights, model, coupling, safe_bounds)
    dt = float(dt)
    n_samples, steps = int(n_samples), int(steps_per_sample)
    first = steps if first_steps is None else max(steps, int(first_steps))
    if engine not in ("auto", "jax", "numba"):
        raise InputError(f"engine must be auto, jax or numba; got {engine!r}", source="make_forward", field="engine")
    numba_run = []  # built on first use: whether it applies depends on x64 and the backend at that moment

    def params_of(x0, K, tau0, I1, n, dtype):
        given = {"x0": x0, "K": K, "tau0": tau0, "I1": I1}
        return jnp.stack([jnp.broadcast_to(jnp.asarray(given.get(k, defaults[k]), dtype=dtype), (n,)) for k in names])

    def forward(x0, K, tau0, I1, init):
        if engine != "jax":
            from ...simulate.adjoint import heun_ode, supported

            why = supported(model, coupling)
            if not why and safe_bounds is None and np.isfinite(np.r_[lo_np, hi_np]).any():
                why = "the JAX scan does not clamp the initial state without safe_bounds; the numba loops would"
            if why and engine == "numba":
                raise InputError(f"the numba engine cannot run here: {why}", source="make_forward", field="engine")
            if not why:
                if not numba_run:
                    try:
                        numba_run.append(heun_ode(model, W, dt=dt, n_samples=n_samples, steps_per_sample=steps, first_steps=first,
                                                  coupling_a=float(cpar.a), lower=lo_np, upper=hi_np))
                    except Exception as e:  # e.g. a JAX without XLA's legacy custom calls: "auto" goes on with the scan
                        if engine == "numba":
                            raise
                        import warnings

                        from ...errors import BraintwinWarning

                        warnings.warn(f"the numba forward model could not be built ({type(e).__name__}: {e}); "
                                      "using JAX's scan (same results, slower gradients)", BraintwinWarning, stacklevel=2)
                        numba_run.append(None)
            if not why and numba_run[0] is not None:
                init = jnp.asarray(init, jnp.float64)
                return numba_run[0](params_of(x0, K, tau0, I1, init.shape[-1], init.dtype), init)
        Wj = jnp.asarray(W, dtype=init.dtype)
        wsum = jnp.asarray(wsum_np, dtype=init.dtype)
        lo = jnp.asarray(lo_np, dtype=init.dtype)[:, None]
        hi = jnp.asarray(hi_np, dtype=init.dtype)[:, None]
        p = params_of(x0, K, tau0, I1, init.shape[-1], init.dtype)

        def one_step(y, h=dt):
            xc = tuple(y[i] for i in cidx)
            pre = coupling.pre(xc, cpar, jnp)
            gx = tuple(Wj @ hk for hk in pre)
            c = coupling.post(gx, xc, wsum, cpar, jnp)
            f = lambda s: model.evaluate(s, c, p, m=jnp)  # noqa: E731
            return integrate("heun", f, y, h, 0.0, lo, hi, jnp)

        if safe_bounds is not None:
            y0 = jnp.clip(init, lo, hi)
        else:
            y0 = init
        if first > steps:  # the first sample in finer steps: the relaxation from the initial state is the stiffest part
            h1 = steps * dt / first
            y0 = jax.lax.fori_loop(0, first, lambda _, s: one_step(s, h1), y0)

        def sample(y, _):
            if steps == 1:
                y = one_step(y)
            else:
                y = jax.lax.fori_loop(0, steps, lambda _, s: one_step(s), y)
            return y, y[0]

        if first > steps:
            _, xs = jax.lax.scan(sample, y0, None, length=n_samples - 1, unroll=unroll)
            return jnp.concatenate([y0[0][None], xs], axis=0)
        _, xs = jax.lax.scan(sample, y0, None, length=n_samples, unroll=unroll)
        return xs

    return forward
