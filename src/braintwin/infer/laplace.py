"""MAP and Laplace approximation of a NumPyro model's posterior: the start and preconditioner of :func:`~braintwin.infer.run_nuts`.

- :func:`potential_of`: the model's potential (negative log joint) in flat unconstrained space;
- :func:`find_map` -> :class:`MAPResult`: L-BFGS from several starts, the best optimum;
- :func:`laplace_curvature`: the Hessian at draws of the Laplace approximation, whitened by it;
- :func:`x64`: a context in which JAX computes in double precision.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["MAPResult", "find_map", "x64", "potential_of", "laplace_curvature", "hessian"]


def x64():
    """Context manager turning on float64 in JAX for its duration (thread-local)."""
    import jax

    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(True)
    try:  # pragma: no cover - older jax
        from jax.experimental import enable_x64

        return enable_x64()
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()


@dataclass
class _Flat:
    potential: Callable
    unravel: Callable
    postprocess: Callable
    z0: Any
    names: tuple[str, ...]


def potential_of(model, model_args: Sequence = (), model_kwargs: Mapping | None = None, seed: int = 0) -> _Flat:
    """The model's potential as a function of one flat unconstrained vector.

    Returns an object with ``potential(z)``, ``unravel(z) -> dict``,
    ``postprocess(dict) -> constrained values and deterministic sites``, the
    prior-median start ``z0`` and the site names.
    """
    import jax
    from jax.flatten_util import ravel_pytree
    from numpyro.infer.initialization import init_to_mean
    from numpyro.infer.util import initialize_model

    info = initialize_model(jax.random.PRNGKey(seed), model, model_args=tuple(model_args), model_kwargs=dict(model_kwargs or {}),
                            init_strategy=init_to_mean)
    z0, unravel = ravel_pytree(info.param_info.z)
    pot = info.potential_fn
    return _Flat(lambda z: pot(unravel(z)), unravel, info.postprocess_fn, z0, tuple(sorted(info.param_info.z)))


@dataclass
class MAPResult:
    """Result of :func:`find_map`.

    Attributes
    ----------
    z : ndarray
        The best optimum (flat, unconstrained).
    potential : float
        Its potential (negative log joint).
    starts : list of float
        The potential reached from every start.
    seconds : float
    """

    z: np.ndarray
    potential: float
    starts: list[float]
    seconds: float


def find_map(flat: _Flat, *, starts: int = 4, seed: int = 0, maxiter: int = 1000, init_scale: float = 1.0,
             inits: Sequence[np.ndarray] = (), progress=None) -> MAPResult:
    """MAP estimate by L-BFGS (SciPy, JAX gradients) on the flat potential, from several starts.

    The starts are ``inits`` (flat unconstrained vectors, e.g. a data-driven
    guess), then the prior centre ``flat.z0``, then ``flat.z0`` plus standard
    normal noise of scale ``init_scale``, ``starts`` in all (at least the given
    ``inits``).  A non-finite potential counts as ``+inf`` for the line search.

    Raises
    ------
    InputError
        When no start reaches a finite potential.
    """
    import jax
    import jax.numpy as jnp
    import scipy.optimize

    t0 = time.perf_counter()
    vg = jax.jit(jax.value_and_grad(flat.potential))

    def fun(z):
        f, g = vg(jnp.asarray(z))
        f, g = float(f), np.asarray(g, dtype=float)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return 1e300, np.zeros_like(z)
        return f, g

    rng = np.random.default_rng(seed)
    z0 = np.asarray(flat.z0, float)
    todo = [np.asarray(i, float) for i in inits] + [z0]
    while len(todo) < max(1, int(starts)):
        todo.append(z0 + init_scale * rng.standard_normal(z0.shape))
    best, best_f, fs = None, np.inf, []
    for k, start in enumerate(todo):
        if start.shape != z0.shape:
            raise InputError(f"a MAP start has shape {start.shape}, expected {z0.shape}", source="find_map", field="inits")
        res = scipy.optimize.minimize(fun, start, jac=True, method="L-BFGS-B", options={"maxiter": int(maxiter), "maxcor": 30})
        f = float(res.fun) if res.fun < 1e299 else np.inf
        fs.append(f)
        if np.isfinite(f) and f < best_f:
            best, best_f = np.asarray(res.x), f
        if progress:
            progress(k + 1)
    if best is None:
        raise InputError("the potential is not finite at any MAP start (the model diverges?)", source="find_map", field="potential")
    return MAPResult(best, float(best_f), fs, time.perf_counter() - t0)


def hessian(potential, z, *, rel_step: float = 1e-5) -> np.ndarray:
    """Hessian of a scalar JAX function at ``z`` (n_dim,): :func:`jax.hessian`, or central differences of its gradient.

    The differences are used where JAX cannot take a second derivative: a
    function built on a forward model with a hand-made adjoint (the numba
    engine, :func:`braintwin.simulate.adjoint.heun_ode`) is differentiable once.
    Then column ``j`` is ``(g(z + h e_j) - g(z - h e_j)) / 2h`` with ``h =
    rel_step * max(1, |z_j|)``, all columns in one vectorised gradient call;
    the error is ``O(h^2)`` in the third derivative plus round-off ``~ eps |g| / h``
    (tvb76 VEP near its prior median: 2e-11 relative to the largest entry,
    against :func:`jax.hessian` of the JAX engine).  Not symmetrised.  The
    fallback is chosen from the error JAX raises (its message names
    ``custom_vjp`` or says the FFI call ``cannot be differentiated``).
    """
    import jax
    import jax.numpy as jnp

    z = jnp.asarray(z)
    try:
        return np.asarray(jax.jit(jax.hessian(potential))(z), float)
    except (TypeError, ValueError) as e:  # forward mode through a custom_vjp or an FFI call
        if "custom_vjp" not in str(e) and "cannot be differentiated" not in str(e):
            raise
    h = rel_step * np.maximum(1.0, np.abs(np.asarray(z, float)))
    E = jnp.asarray(np.diag(h))
    grad = jax.jit(jax.vmap(jax.grad(potential)))
    G = np.asarray(grad(z[None, :] + E), float) - np.asarray(grad(z[None, :] - E), float)
    return (G / (2.0 * h[:, None])).T


def _laplace_sqrt(flat: _Flat, z: np.ndarray, floor: float) -> np.ndarray | None:
    """``L`` with ``L L^T`` the inverse Hessian of the potential at ``z`` (eigenvalues floored at ``floor``); None if not finite."""
    H = hessian(flat.potential, z)
    H = 0.5 * (H + H.T)
    if not np.all(np.isfinite(H)):
        return None
    w, V = np.linalg.eigh(H)
    return V / np.sqrt(np.maximum(w, floor))


def _laplace_cov(flat: _Flat, z: np.ndarray, floor: float) -> np.ndarray:
    """Inverse Hessian of the potential at ``z`` with eigenvalues floored at ``floor`` (identity if not finite)."""
    L = _laplace_sqrt(flat, z, floor)
    return np.eye(len(z)) if L is None else L @ L.T


def laplace_curvature(flat: _Flat, z_map, *, n_draws: int = 6, floor: float = 0.25, seed: int = 0) -> list[dict]:
    """How far a posterior is from its Laplace approximation, where NUTS feels it: the curvature.

    Draws ``z = z_map + L eps`` from the Laplace approximation ``N(z_map, H^-1)``
    (``H``: Hessian of the potential at ``z_map``, eigenvalues floored at
    ``floor`` as :func:`run_nuts` does) and, at each, whitens the Hessian by
    ``L``.  For a Gaussian posterior every whitened Hessian is the identity.
    NUTS with the Laplace mass matrix must keep its step below about
    ``1 / sqrt(top_curvature)``, so large values say which directions force
    small steps and long trees.

    Parameters
    ----------
    flat : object from :func:`potential_of`
    z_map : array (n_dim,)
        The MAP (e.g. ``find_map(flat).z``).
    n_draws : int
        Laplace draws examined (one Hessian each).
    floor : float
        Smallest Hessian eigenvalue used at the MAP.
    seed : int

    Returns
    -------
    list of dict, one per draw
        ``excess``: potential above the MAP's (a Gaussian gives ``n_dim / 2 +-
        sqrt(n_dim / 2)``); ``top_curvature``: largest eigenvalue of the whitened
        Hessian (1 for a Gaussian); ``direction``: its eigenvector mapped back
        to ``z`` coordinates (n_dim,).

    Raises
    ------
    InputError
        When ``n_draws < 1`` or the Hessian at ``z_map`` is not finite.
    """
    import jax
    import jax.numpy as jnp

    if int(n_draws) < 1:
        raise InputError(f"n_draws must be >= 1, got {n_draws}", source="laplace_curvature", field="n_draws")
    zm = np.asarray(z_map, float)
    L = _laplace_sqrt(flat, zm, floor)
    if L is None:
        raise InputError("the Hessian of the potential is not finite at z_map", source="laplace_curvature", field="z_map")
    pot = jax.jit(flat.potential)
    f0 = float(pot(jnp.asarray(zm)))
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(int(n_draws)):
        z = zm + L @ rng.standard_normal(zm.size)
        Hz = hessian(flat.potential, z)
        ev, U = np.linalg.eigh(L.T @ (0.5 * (Hz + Hz.T)) @ L)
        out.append({"excess": float(pot(jnp.asarray(z))) - f0, "top_curvature": float(ev[-1]), "direction": L @ U[:, -1]})
    return out
