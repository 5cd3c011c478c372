"""The NumPy reference engine: the model's definition evaluated with array math.

Slow (a Python loop over steps) but simple: every delayed input is gathered
from the full history each step, with no blocks or ring buffers.  It checks
the numba engine and is the template of the JAX engine (same functions, with
``jax.numpy`` as the math namespace).
"""

from __future__ import annotations

import numpy as np

from ..models.base import Vars
from ..models.symbolic import expression_function
from .integrators import step
from .results import CHUNK_STEPS, Divergence, SimResult

__all__ = ["run_reference"]


def run_reference(sim, duration, *, params=None, seed=0, initial=None, noise_normals=None):
    """Run ``sim`` (a :class:`~braintwin.simulate.core.Simulation`) with NumPy; same result type."""

    model, cpl, net = sim.model, sim.coupling, sim.net
    S, N = model.n_state, net.n_regions
    n_steps = sim.n_steps(duration)
    P, CQ = sim._param_arrays(params)
    ss = np.random.SeedSequence(seed)
    init_rng, noise_rng = (np.random.default_rng(s) for s in ss.spawn(2))
    hist = sim._history(initial, init_rng)
    x = hist[-1].copy()
    q = Vars(**dict(zip(cpl.parameter_names, CQ)))
    cv = [model.state_names.index(v) for v in model.coupling_vars]
    H0 = max(net.max_delay, 1)
    T = hist.shape[0]
    past = hist[np.clip(np.arange(T - H0 - 1, T - 1), 0, T - 1)]  # times -H0 .. -1
    H = np.empty((sim.n_hist, N, H0 + n_steps + 1))
    for k in range(H0):
        H[:, :, k] = np.stack(cpl.pre(tuple(past[k][i] for i in cv), q, np))
    rows, cols = np.nonzero(net.weights)
    w, d = net.weights[rows, cols], net.idelays[rows, cols]
    lo, hi = (b[:, None] for b in model.state_bounds())
    nz = len(sim.noisy)
    nscale = np.sqrt(2.0 * sim.nsig[list(sim.noisy)] * sim.dt) if nz else None
    out_fns = [expression_function(e) for e in sim.outputs]
    mons = [sim.monitor_copy(mm) for mm in sim.monitor_specs]
    for mm in mons:
        mm.begin(n_steps // mm.period_steps(sim.dt), len(out_fns), N, sim.dt, sim.outputs, net.labels)
    acc = [np.zeros((len(out_fns), N)) for _ in mons]
    stim_w = sim.stimulus.weights(N, net.labels) if sim.stimulus is not None else None
    st_idx = [model.state_names.index(v) for v in model.stimulus_vars]
    noise = None
    divergence = None
    for t in range(n_steps):
        if nz and t % CHUNK_STEPS == 0 and noise_normals is None:
            noise = noise_rng.standard_normal((min(CHUNK_STEPS, n_steps - t), nz, N))
        xi = tuple(x[i] for i in cv)
        H[:, :, H0 + t] = np.stack([np.broadcast_to(v, (N,)) for v in cpl.pre(xi, q, np)])
        src = H[:, cols, H0 + t - d]  # (n_hist, n_edges)
        gx = np.zeros((sim.n_hist, N))
        for k in range(sim.n_hist):
            np.add.at(gx[k], rows, w * src[k])
        c = cpl.post(tuple(gx), xi, net.wsum, q, np)
        incr = np.zeros((S, N))
        if nz:
            z = noise_normals[t][list(sim.noisy)] if noise_normals is not None else noise[t % CHUNK_STEPS]
            incr[list(sim.noisy)] = z * nscale
        if stim_w is not None:
            incr[st_idx] += sim.dt * float(np.asarray(sim.stimulus.pattern(np.array([t * sim.dt])))[0]) * stim_w
        x = step(sim.method, lambda s: model.evaluate(s, c, P, np), x, sim.dt, incr, lo, hi, np)
        if not np.all(np.abs(x) < 1e300):
            bad = np.argwhere(~(np.abs(x) < 1e300))[0]
            divergence = Divergence(0, t, (t + 1) * sim.dt, int(bad[1]), net.labels[int(bad[1])])
            break
        y = Vars(**{n: x[k] for k, n in enumerate(model.state_names)})
        o = np.stack([np.broadcast_to(f(y, np), (N,)) for f in out_fns])
        for mm, a in zip(mons, acc):
            ps = mm.period_steps(sim.dt)
            if mm.average:
                a += o
            if (t + 1) % ps == 0:
                mm.push((a / ps if mm.average else o)[None])
                a[:] = 0.0
    return SimResult({mm.name: mm.result() for mm in mons}, divergence is not None, divergence, x, sim._config(duration, params, seed))
