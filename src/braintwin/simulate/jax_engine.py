"""The JAX engine behind ``bt.simulate(..., engine="jax")`` and ``Simulation.run``.

:func:`run_jax` returns the same :class:`SimResult` as the CPU engines (same
seeded noise stream, same monitors, divergence flagged, never silent NaN);
:func:`simulate_batch_jax` runs a whole batch in one ``vmap``.  Both run the
pure simulator of :func:`make_network_simulator`
(:mod:`braintwin.simulate.jax_network`, re-exported here) in float64.
"""

from __future__ import annotations

import types
from typing import Any, Mapping

import numpy as np

import jax

from ..errors import InputError
from .jax_network import make_network_simulator, x64_context
from .monitors import TimeSeries
from .results import CHUNK_STEPS, BatchResult, Divergence, SimResult, batch_arguments

__all__ = ["make_network_simulator", "run_jax", "simulate_batch_jax", "x64_context"]


# ---------------------------------------------------------------------------
# the engine behind Simulation.run


def _delays_enabled(sim) -> bool:
    """Whether ``sim`` was built with delays (``delays=False`` gives all-zero integer delays)."""
    lengths = np.asarray(sim.connectome.tract_lengths, float)
    idel = np.rint(lengths / sim.speed / sim.dt).astype(np.int64)
    return bool(np.array_equal(idel, sim.net.idelays))


def _simulator_for(sim, n_steps: int):
    """The jitted core for ``sim`` and ``n_steps`` (cached on the simulation)."""
    cache = sim.__dict__.setdefault("_jax_fns", {})
    key = n_steps
    with sim._lock:
        fn = cache.get(key)
        if fn is None:
            with x64_context():
                net = types.SimpleNamespace(weights=sim.net.weights, tract_lengths=np.asarray(sim.connectome.tract_lengths, float))
                core = make_network_simulator(
                    sim.model, sim.coupling, net, dt=sim.dt, n_steps=n_steps, method=sim.method, delay_mode="rint",
                    delays=_delays_enabled(sim), speed=sim.speed, min_speed=sim.speed, outputs=sim.outputs,
                    monitor=[(("tavg" if m.average else "subsample"), m.period_steps(sim.dt)) for m in sim.monitor_specs],
                    checkpoint=None, dtype="float64", return_info=True,
                )
            fn = cache[key] = jax.jit(core)
    return fn


def _drives(sim, n_steps: int, noise_rng, noise_normals):
    """Noise increments and stimulus exactly as the reference engine draws and builds them."""
    S, N = sim.model.n_state, sim.net.n_regions
    noise = None
    nz = len(sim.noisy)
    if noise_normals is not None:
        noise_normals = np.asarray(noise_normals, float)
        if noise_normals.shape != (n_steps, S, N):
            raise InputError(f"noise_normals must have shape ({n_steps}, {S}, {N}), got {noise_normals.shape}", field="noise_normals")
    if nz:
        noisy = list(sim.noisy)
        nscale = np.sqrt(2.0 * sim.nsig[noisy] * sim.dt)
        if noise_normals is not None:
            z = noise_normals[:, noisy]
        else:  # the reference's chunk-wise draws (the same stream as one bulk draw)
            z = np.concatenate([noise_rng.standard_normal((min(CHUNK_STEPS, n_steps - t), nz, N)) for t in range(0, n_steps, CHUNK_STEPS)])
        noise = np.zeros((n_steps, S, N))
        noise[:, noisy] = z * nscale
    return noise, _stimulus(sim, n_steps)


def _stimulus(sim, n_steps: int):
    """The stimulus ``(n_steps, n_regions)`` (pattern times spatial weights), or None."""
    if sim.stimulus is None:
        return None
    w = sim.stimulus.weights(sim.net.n_regions, sim.net.labels)
    pat = np.asarray(sim.stimulus.pattern(np.arange(n_steps) * sim.dt), float)
    return pat[:, None] * w[None, :]


def _core_params(sim, params):
    P, CQ = sim._param_arrays(params)
    out = {n: P[k] for k, n in enumerate(sim.model.parameter_names)}
    out.update({"coupling." + n: CQ[k] for k, n in enumerate(sim.coupling.parameter_names)})
    return out


def _finish(sim, n_steps, outs, bad_t, bad_r, sim_index=0):
    """Monitor results and the divergence (from the state, or from non-finite outputs)."""
    periods = [m.period_steps(sim.dt) for m in sim.monitor_specs]
    labels = sim.net.labels
    N = sim.net.n_regions
    div_step = int(bad_t) if bad_t >= 0 else None
    div_region = int(bad_r) if bad_t >= 0 else None
    # outputs can be non-finite while the state is finite (e.g. log of a negative): never silent
    for o, p in zip(outs, periods):
        valid = o.shape[0] if div_step is None else min(o.shape[0], div_step // p)
        bad_rows = np.nonzero(~np.all(np.isfinite(o[:valid]), axis=(1, 2)))[0]
        if bad_rows.size:
            r = int(bad_rows[0])
            step = (r + 1) * p - 1
            if div_step is None or step < div_step:
                div_step = step
                region_bad = ~np.all(np.isfinite(o[r]), axis=0)
                div_region = int(np.argmax(region_bad))
    divergence = None
    if div_step is not None:
        divergence = Divergence(sim_index, div_step, (div_step + 1) * sim.dt, div_region, labels[div_region])
    mons = []
    n_out = len(sim.outputs)
    for proto, o, p in zip(sim.monitor_specs, outs, periods):
        m = type(proto).__new__(type(proto))
        m.__dict__.update(proto.__dict__)
        m.begin(n_steps // p, n_out, N, sim.dt, sim.outputs, labels)
        rows = o.shape[0] if div_step is None else min(o.shape[0], div_step // p)
        if rows:
            m.push(o[:rows])
        mons.append(m)
    return {m.name: m.result() for m in mons}, divergence


def run_jax(sim, duration, *, params=None, seed=0, initial=None, noise_normals=None, sim_index: int = 0):
    """Run ``sim`` (a :class:`~braintwin.simulate.core.Simulation`) with JAX; same result as the CPU engines.

    The random initial state and the noise are drawn with NumPy exactly as the
    reference engine draws them (``SeedSequence(seed).spawn(2)``), so a seeded
    run integrates the same stream.  Runs in float64 (inside JAX's
    ``enable_x64`` context) with TVB's rounded delays.  A run whose state
    becomes non-finite is flagged with a :class:`Divergence` and its time
    series end before that step, as in the CPU engines.
    """
    n_steps = sim.n_steps(duration)
    core_params = _core_params(sim, params)
    ss = np.random.SeedSequence(seed)
    init_rng, noise_rng = (np.random.default_rng(s) for s in ss.spawn(2))
    hist = sim._history(initial, init_rng)
    noise, stim = _drives(sim, n_steps, noise_rng, noise_normals)
    fn = _simulator_for(sim, n_steps)
    with x64_context():
        outs, info = fn(core_params, hist, None, None, noise, stim)
        outs = [np.asarray(o) for o in outs]
        info = {k: np.asarray(v) for k, v in info.items()}
    monitors, divergence = _finish(sim, n_steps, outs, int(info["diverged_step"]), int(info["diverged_region"]), sim_index)
    return SimResult(monitors, divergence is not None, divergence, info["final_state"], sim._config(duration, params, seed))


def simulate_batch_jax(sim, duration, params: Mapping[str, Any] | None = None, *, seeds=0, n_sims: int | None = None, initial=None, batch_size: int | None = None):
    """Run a batch of simulations of ``sim`` in one :func:`jax.vmap` (GPU when present).

    Parameters
    ----------
    sim : Simulation
        The configured simulation (any engine setting; this runs JAX).
    duration : float
        Simulated time (ms).
    params : mapping
        Per simulation values: ``(n_sims,)`` (global) or ``(n_sims, n_regions)``
        (per region); model and coupling parameters (``G``) may be mixed.
    seeds : int or sequence of int
        Per-simulation seeds, or a base seed spawned as in :func:`simulate_batch`;
        simulation ``k`` equals ``sim.run(duration, params=params[k], seed=seeds[k])``.
    n_sims : int, optional
        Number of simulations (inferred from ``params`` or ``seeds``).
    initial : array, optional
        Initial state or history shared by every simulation (random per seed if omitted).
    batch_size : int, optional
        Simulations per vmapped call (default: all at once).  The seeded noise
        is drawn with NumPy per call (``batch_size x n_steps x n_state x
        n_regions`` values), so bound it for long noisy runs; for very large
        batches use :func:`make_network_simulator` with a PRNG key instead.

    Returns
    -------
    BatchResult
        As :func:`simulate_batch`: data ``(n_sims, n_times, n_outputs, n_regions)``,
        NaN after a simulation's divergence, which ``diverged`` flags.
    """
    params, seed_arr = batch_arguments(params, n_sims, seeds)
    n = len(seed_arr)
    n_steps = sim.n_steps(duration)
    fn = _simulator_for(sim, n_steps)
    stim = _stimulus(sim, n_steps)
    bs = n if batch_size is None else max(1, int(batch_size))
    has_noise = len(sim.noisy) > 0
    cache = sim.__dict__.setdefault("_jax_fns", {})
    batched = cache.get(("vmap", n_steps, has_noise))
    if batched is None:
        batched = cache[("vmap", n_steps, has_noise)] = jax.jit(jax.vmap(fn, in_axes=(0, 0, None, None, 0 if has_noise else None, None)))
    outs_all, infos = [], []
    for b0 in range(0, n, bs):  # inputs drawn per batch: noise memory is batch_size x n_steps x n_state x n_regions
        chunk = []
        for k in range(b0, min(n, b0 + bs)):
            pk = _core_params(sim, {name: v[k] for name, v in params.items()})
            init_rng, noise_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(int(seed_arr[k])).spawn(2))
            hist = sim._history(initial, init_rng)
            chunk.append((pk, hist, _drives(sim, n_steps, noise_rng, None)[0]))
        pb = {name: np.stack([c[0][name] for c in chunk]) for name in chunk[0][0]}
        hb = np.stack([c[1] for c in chunk])  # same shape: `initial` is shared or drawn per seed
        nb = np.stack([c[2] for c in chunk]) if has_noise else None
        with x64_context():
            o, info = batched(pb, hb, None, None, nb, stim)
            outs_all.append([np.asarray(a) for a in o])
            infos.append({k: np.asarray(v) for k, v in info.items()})
    mons = sim.monitor_specs
    raw = [np.concatenate([o[j] for o in outs_all]) for j in range(len(mons))]
    bad_t = np.concatenate([i["diverged_step"] for i in infos])
    bad_r = np.concatenate([i["diverged_region"] for i in infos])
    diverged = np.zeros(n, bool)
    divs = []
    results = []
    for k in range(n):  # through each monitor's own push/result, as single runs (observation models too)
        res, div = _finish(sim, n_steps, [r[k] for r in raw], int(bad_t[k]), int(bad_r[k]), sim_index=k)
        results.append(res)
        if div is not None:
            diverged[k] = True
            divs.append(div)
    # shapes and times from a run that did not diverge (else from the longest one)
    proto = {}
    for name in results[0]:
        ok = [r[name] for r, d in zip(results, diverged) if not d]
        proto[name] = ok[0] if ok else max((r[name] for r in results), key=lambda ts: len(ts.time))
    out = {}
    for name, ts in proto.items():
        store = np.full((n,) + ts.data.shape, np.nan)
        for k, r in enumerate(results):
            store[k, : len(r[name].time)] = r[name].data
        out[name] = TimeSeries(ts.time, store, ts.outputs, ts.labels, name)
    cfg = sim._config(duration, None, None)
    return BatchResult(out, diverged, divs, params, seed_arr, cfg)


