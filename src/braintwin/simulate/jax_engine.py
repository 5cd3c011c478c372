"""The JAX engine: jit, vmap, GPU and gradients from the same model definitions.

Nothing here restates an equation: the step evaluates the model's own
``dfun`` through :meth:`Model.evaluate` with ``m = jax.numpy``, the coupling's
own ``pre``/``post`` and the shared integration schemes of
:mod:`braintwin.simulate.integrators`.

Two layers
----------
* :func:`make_network_simulator` builds a **pure function**
  ``simulate_fn(params, x0, weights, speed, noise, stimulus) -> outputs`` for
  inference code (NUTS, SBI): jittable, ``jax.vmap``-able over any argument,
  and differentiable with ``jax.grad`` with respect to the parameters (global
  or per region), the initial state, the connectome weights and the conduction
  speed (with ``delay_mode="linear"``).
* :func:`run_jax` is the engine behind ``bt.simulate(..., engine="jax")`` and
  ``Simulation.run``: it returns the same :class:`SimResult` as the CPU engines
  (same seeded noise stream, same monitors, divergence flagged, never silent
  NaN); :func:`simulate_batch_jax` runs a whole batch in one ``vmap``.

Design
------
**Per-step scan with a ring buffer of the coupling's history signals.**  The
step ``t`` writes ``pre(x_t)`` into slot ``t mod L`` of a ring buffer
``(L, n_regions, n_hist)`` and reads every edge's delayed value with one gather
``buf[(t - d_ij) mod L, j]`` (edges laid out padded per target region, so the
weighted sum is a dense reduction, not a scatter).  Zero delays read the slot
just written (the current state), exactly as TVB and the CPU engines; short
and long delays need no special case.  A block scheme (one gather per block of
``min(delay)`` steps) was not chosen because delays here are *traced* (they
depend on the speed argument, which may be batched by ``vmap`` or
differentiated) so the block length could not be static, and zero/short
self-delays would need a second per-step path anyway.

**Delays.**  ``delay_mode="rint"`` rounds ``length / speed / dt`` to whole steps
like TVB and the CPU engines (parity; the gradient with respect to speed is
zero there).  ``delay_mode="linear"`` interpolates the fractional delay
linearly between the two neighbouring history samples, which makes the output
a continuous, differentiable function of the speed.  The buffer length ``L`` is
static: it holds the longest delay at ``min_speed``.  A call with a slower
speed would need older history than the buffer holds: its outputs are NaN
(never silently wrong), and ``info["delays_ok"]`` says so.

**Reverse-mode memory.**  Only linear operations (dynamic update, gather)
touch the ring buffer, so reverse mode does not store the buffer at every
step; per step it keeps the nonlinear intermediates of the model and, when the
weights are differentiated, the gathered delayed values (``n_hist x n_edges``).
To bound that too, the run is cut into *segments* of steps, each wrapped in
:func:`jax.checkpoint`: reverse mode then stores only the carry (state and ring
buffer) at segment boundaries and recomputes one segment at a time.  The
default ``checkpoint="auto"`` uses about ``sqrt(n_rows)`` monitor rows per
segment, so memory grows as ``O(sqrt(n_steps))`` instead of ``O(n_steps)``.
Checkpointing changes nothing in a forward-only run.

**Monitors inside the scan.**  Monitor rows are reduced while scanning (a
temporal average sums a period's outputs; a subsample keeps the last), so a
long run never materialises every step unless a ``raw`` monitor asks for it.

**float64.**  JAX computes in float32 unless ``jax_enable_x64`` is set.
:func:`run_jax` and :func:`simulate_batch_jax` run inside JAX's
``enable_x64`` *context* (thread-local; your global setting is untouched), so
parity with the CPU engines holds whatever your configuration.
:func:`make_network_simulator` follows your configuration by default
(``dtype=None``); asking it for ``dtype="float64"`` while x64 is off turns
``jax_enable_x64`` on globally (a :class:`BraintwinWarning` says so), since a
function meant to be traced by your own ``jit`` cannot carry a context with it.
Importing this module changes no configuration.
"""

from __future__ import annotations

import contextlib
import math
import types
import warnings
from typing import Any, Mapping, Sequence

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax

from ..errors import BraintwinWarning, InputError
from ..models import get_coupling, get_model, resolve_parameter
from ..models.base import Vars
from ..models.symbolic import expression_function
from .integrators import INTEGRATORS, step as _integrate
from .monitors import Monitor, TimeSeries, get_monitor
from .network import network_source
from .results import CHUNK_STEPS, BatchResult, Divergence, SimResult, batch_arguments

__all__ = ["make_network_simulator", "run_jax", "simulate_batch_jax", "x64_context"]

_BIG = 1e300  # a state at least this large counts as diverged (as in the CPU engines)


# ---------------------------------------------------------------------------
# float64


def x64_context():
    """A context manager enabling float64 in JAX for its duration (thread-local)."""
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(True)
    try:  # jax < 0.5
        from jax.experimental import enable_x64

        return enable_x64()
    except ImportError:  # pragma: no cover - very old or very new jax
        return contextlib.nullcontext()


def _x64_enabled() -> bool:
    return jnp.zeros(()).dtype == jnp.float64


def _resolve_dtype(dtype):
    if dtype is None:
        return jnp.float64 if _x64_enabled() else jnp.float32
    dt = np.dtype(dtype)
    if dt == np.float64:
        if not _x64_enabled():
            warnings.warn(
                "float64 requested from the JAX engine: turning on jax_enable_x64 globally "
                "(call jax.config.update('jax_enable_x64', True) yourself to silence this, or use dtype='float32')",
                BraintwinWarning,
                stacklevel=3,
            )
            jax.config.update("jax_enable_x64", True)
        return jnp.float64
    if dt == np.float32:
        return jnp.float32
    raise InputError(f"dtype must be float32 or float64, got {dtype}", field="dtype")


# ---------------------------------------------------------------------------
# the functional core


def _monitor_list(monitor, dt: float):
    """``[(name, period_steps, average)]`` and whether a single spec was given."""
    def one(spec):
        if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str) and not isinstance(spec[1], str):
            kind, p = spec[0].lower(), int(spec[1])
            if kind not in ("raw", "subsample", "tavg") or p < 1 or p != spec[1]:
                raise InputError(f"monitor {spec!r}: use ('tavg'|'subsample'|'raw', period_steps >= 1)", field="monitor")
            return (kind, 1 if kind == "raw" else p, kind == "tavg")
        m = get_monitor(spec)
        return (m.name, m.period_steps(dt), bool(m.average))

    single = isinstance(monitor, (str, Monitor)) or (
        isinstance(monitor, tuple) and len(monitor) == 2 and isinstance(monitor[0], str) and not isinstance(monitor[1], str)
    )
    specs = [one(monitor)] if single else [one(s) for s in monitor]
    if not specs:
        raise InputError("at least one monitor is needed", field="monitor")
    return specs, single


def _edges(weights: np.ndarray, lengths: np.ndarray, edges: str):
    """Edges padded per target region: ``cols (N, D)``, ``valid (N, D)``, ``lengths (N, D)``."""
    N = weights.shape[0]
    if edges == "nonzero":
        pattern = weights != 0
    elif edges == "all":
        pattern = np.ones((N, N), bool)
    else:
        raise InputError(f"edges must be 'nonzero' or 'all', got {edges!r}", field="edges")
    D = max(int(pattern.sum(1).max()) if N else 0, 1)
    cols = np.zeros((N, D), np.int32)
    valid = np.zeros((N, D), bool)
    lens = np.zeros((N, D))
    for i in range(N):
        js = np.nonzero(pattern[i])[0]
        cols[i, : len(js)] = js
        valid[i, : len(js)] = True
        lens[i, : len(js)] = lengths[i, js]
    return cols, valid, lens


def make_network_simulator(
    model,
    coupling=None,
    connectome=None,
    *,
    dt: float,
    n_steps: int,
    method: str = "heun",
    delay_mode: str = "rint",
    delays: bool = True,
    speed: float = 3.0,
    min_speed: float | None = None,
    outputs: Sequence[str] | None = None,
    monitor: Any = "tavg:1.0",
    checkpoint: Any = "auto",
    nsig=None,
    edges: str = "nonzero",
    dtype=None,
    return_info: bool = False,
):
    """Build a pure, jittable, vmap-able, differentiable network simulator.

    Parameters
    ----------
    model : Model or str
        The neural mass model; its parameter values are the defaults of ``params``.
    coupling : Coupling or str, optional
        The coupling function (the model's default if omitted); its values are defaults too.
    connectome : Connectome or object with ``weights`` and ``tract_lengths``
        Gives the number of regions, the **edge pattern** (the nonzero weights,
        or every pair with ``edges="all"``), the tract lengths (mm, fixed) and
        the default weights.  Weights passed to ``simulate_fn`` are read on this
        pattern only: to differentiate with respect to absent tracts use ``edges="all"``.
    dt : float
        Integration step (ms).
    n_steps : int
        Number of integration steps.
    method : {"heun", "euler", "rk4"}
        Integration scheme (TVB's conventions, as the CPU engines).
    delay_mode : {"rint", "linear"}
        ``"rint"``: delays ``rint(length / speed / dt)`` steps, as TVB and the CPU
        engines (no gradient with respect to speed).  ``"linear"``: fractional
        delays interpolated linearly between history samples (differentiable in speed).
    delays : bool
        False: every delay is zero.
    speed : float
        Default conduction speed (mm/ms) when ``simulate_fn`` gets ``speed=None``.
    min_speed : float, optional
        The slowest speed ``simulate_fn`` will be called with (default: ``speed``);
        it sizes the history buffer.  Slower calls return NaN outputs.
    outputs : sequence of str, optional
        Recorded expressions of the state (default: the model's ``default_outputs``).
    monitor : spec or list of specs
        ``"raw"``, ``"tavg:PERIOD_MS"``, ``"subsample:PERIOD_MS"``, a
        :class:`Monitor`, or ``("tavg"|"subsample", period_steps)``.  A list
        gives a tuple of outputs, one per monitor.
    checkpoint : "auto", int or None
        Steps per :func:`jax.checkpoint` segment (rounded to whole monitor
        rows); ``"auto"``: about ``sqrt(n_rows)`` rows; ``None``: no remat.
    nsig : float or array, optional
        Noise intensity (TVB's ``nsig``; scalar, ``(n_state,)`` or ``(n_state,
        n_regions)``) used when ``simulate_fn`` draws its own noise from a PRNG key.
    edges : {"nonzero", "all"}
        The edge pattern (see ``connectome``).
    dtype : None, "float32" or "float64"
        Floating type (default: float64 when ``jax_enable_x64`` is on, else float32).
    return_info : bool
        Also return a dict with ``final_state``, ``diverged_step`` (first step
        whose result is non-finite, -1 if none), ``diverged_region`` and ``delays_ok``.

    Returns
    -------
    simulate_fn : callable
        ``simulate_fn(params=None, x0=None, weights=None, speed=None, noise=None,
        stimulus=None)`` returning ``(n_rows, n_outputs, n_regions)`` (a tuple for
        several monitors; with ``return_info``, ``(outputs, info)``):

        * ``params``: dict of model and coupling parameters, each a scalar or
          ``(n_regions,)`` array, placed by
          :func:`~braintwin.models.resolve_parameter`: ``"G"`` is the global
          coupling strength (the coupling's ``a``, or the model's own ``G``),
          ``"coupling.<name>"`` is the coupling's, and a name that both the
          model and the coupling have (``a`` of Generic2dOscillator) means the
          model's.  ``"nsig"`` overrides the
          noise intensity of key-drawn noise.  Missing names take the model's
          and coupling's values.
        * ``x0``: initial state ``(n_state, n_regions)`` (constant history),
          ``(n_state,)``, or a history ``(T, n_state, n_regions)`` ending at t = 0.
        * ``weights``: ``(n_regions, n_regions)``; ``weights[i, j]`` is the tract from ``j`` into ``i``.
        * ``speed``: conduction speed (mm/ms), a scalar.
        * ``noise``: ``None``, additive increments ``(n_steps, n_state,
          n_regions)`` (``sqrt(2 nsig dt) * z`` for TVB's additive noise), or a
          PRNG key (increments drawn inside from ``nsig``).
        * ``stimulus``: ``None``, ``(n_steps, n_regions)`` added as ``dt *
          stimulus`` to the model's ``stimulus_vars``, or ``(n_steps, n_state, n_regions)``.

    Examples
    --------
    Gradient of a loss, and a batch of parameter sets with :func:`jax.vmap`::

        jax.config.update("jax_enable_x64", True)
        conn = bt.Connectome.builtin("tvb76").normalized("max")
        fn = make_network_simulator(bt.models.MontbrioPazoRoxin(), "Linear", conn, dt=0.1,
                                    n_steps=1000, delay_mode="linear", min_speed=1.0)
        x0 = jnp.array([[0.1], [-2.0]]) * jnp.ones((2, 76))
        loss = lambda p, s: jnp.mean(fn(p, x0, None, s) ** 2)
        g = jax.grad(loss, argnums=(0, 1))({"eta": jnp.full(76, -5.0), "G": 0.5}, 3.0)
        batch = jax.jit(jax.vmap(fn, in_axes=({"eta": 0, "G": 0}, None)))
        ys = batch({"eta": jnp.full((64, 76), -5.0), "G": jnp.linspace(0.1, 1, 64)}, x0)  # (64, 100, 2, 76)
    """
    model = get_model(model)
    coupling = get_coupling(coupling, model=model)
    cv = [model.state_names.index(v) for v in model.coupling_vars]
    coupling.check(len(cv), model.name)
    method = str(method).lower()
    if method not in INTEGRATORS:
        raise InputError(f"unknown integrator {method!r}; choose one of {', '.join(INTEGRATORS)}", field="method")
    if delay_mode not in ("rint", "linear"):
        raise InputError(f"delay_mode must be 'rint' or 'linear', got {delay_mode!r}", field="delay_mode")
    if not dt > 0:
        raise InputError(f"time step must be > 0 ms, got {dt}", field="dt")
    dt = float(dt)
    if int(n_steps) != n_steps or n_steps < 1:
        raise InputError(f"n_steps must be a positive integer, got {n_steps}", field="n_steps")
    n_steps = int(n_steps)
    connectome = network_source(connectome)
    W0 = np.asarray(connectome.weights, float)
    N = W0.shape[0]
    if W0.ndim != 2 or W0.shape != (N, N) or not np.all(np.isfinite(W0)):
        raise InputError(f"weights must be a finite square matrix, got shape {W0.shape}", field="weights")
    if delays:
        lengths = np.asarray(connectome.tract_lengths, float)
        if lengths.shape != (N, N) or not np.all(np.isfinite(lengths)) or np.any(lengths < 0):
            raise InputError(f"tract lengths must be finite, >= 0 and of shape ({N}, {N})", field="tract_lengths")
    else:
        lengths = np.zeros((N, N))
    if not speed > 0:
        raise InputError(f"conduction speed must be > 0 mm/ms, got {speed}", field="speed")
    min_speed = float(speed if min_speed is None else min_speed)
    if not min_speed > 0:
        raise InputError(f"min_speed must be > 0 mm/ms, got {min_speed}", field="min_speed")
    dtype = _resolve_dtype(dtype)

    S = model.n_state
    n_hist = coupling.n_history(len(cv))
    mnames, cnames = model.parameter_names, coupling.parameter_names
    out_exprs = model.outputs_of(outputs)
    out_fns = [expression_function(e) for e in out_exprs]
    n_out = len(out_fns)
    mons, single = _monitor_list(monitor, dt)
    unit = 0
    for _, p, _ in mons:
        unit = math.gcd(unit, p)
    need_last = any(not avg for _, _, avg in mons)
    need_sum = any(avg for _, _, avg in mons)
    n_units = n_steps // unit
    tail = n_steps - n_units * unit
    if checkpoint is None or checkpoint is False:
        seg = n_units
    elif checkpoint == "auto":
        seg = max(1, int(round(math.sqrt(n_units))))
    else:
        if int(checkpoint) < 1:
            raise InputError(f"checkpoint must be 'auto', None or a number of steps >= 1, got {checkpoint!r}", field="checkpoint")
        seg = max(1, int(checkpoint) // unit)
    remat = checkpoint is not None and checkpoint is not False and seg < n_units
    seg = max(1, min(seg, n_units)) if n_units else 1
    n_seg, r_units = (n_units // seg, n_units % seg) if n_units else (0, 0)

    cols_np, valid_np, lens_np = _edges(W0, lengths, edges)
    has_delay = bool(delays) and bool(np.any(lens_np[valid_np] > 0))
    if has_delay:
        need = int(math.ceil(lens_np.max() / min_speed / dt)) + 1
        L = 1 << max(1, int(math.ceil(math.log2(need + 1))))
    else:
        L = 1
    mask = L - 1
    rows_np = np.repeat(np.arange(N, dtype=np.int32)[:, None], cols_np.shape[1], axis=1)
    lo_np, hi_np = model.state_bounds()
    st_idx = [model.state_names.index(v) for v in model.stimulus_vars]
    mdefaults = dict(model.values)
    cdefaults = dict(coupling.values)
    nsig_default = None if nsig is None else np.asarray(nsig, float)
    speed0 = float(speed)

    def _param_shape(name, v):
        v = jnp.asarray(v, dtype)
        if v.ndim == 1 and v.shape[0] == 1:
            v = v[0]
        if v.ndim not in (0, 1) or (v.ndim == 1 and v.shape[0] != N):
            raise InputError(f"expected a scalar or {N} values (one per region), got shape {v.shape}", source=model.name, field=name)
        return v

    def _split_params(params):
        mv, cvv, nsg = dict(mdefaults), dict(cdefaults), nsig_default
        seen = set()
        for k, v in dict(params or {}).items():
            if k == "nsig":
                nsg = v
                continue
            where, name = resolve_parameter(k, model, coupling)
            if (where, name) in seen:
                raise InputError(f"{where} parameter {name!r} given twice", field=k)
            seen.add((where, name))
            (mv if where == "model" else cvv)[name] = v
        P = tuple(_param_shape(n, mv[n]) for n in mnames)
        q = Vars(**{n: _param_shape(n, cvv[n]) for n in cnames})
        return P, q, nsg

    def _pre(xs_cv, q):
        """Coupling history signals ``(..., N, n_hist)`` from the coupled variables ``(..., N)`` each."""
        h = coupling.pre(tuple(xs_cv), q, jnp)
        shape = jnp.broadcast_shapes(*[jnp.shape(a) for a in xs_cv]) if xs_cv else (N,)
        return jnp.stack([jnp.broadcast_to(v, shape) for v in h], axis=-1)

    def simulate_fn(params=None, x0=None, weights=None, speed=None, noise=None, stimulus=None):
        P, q, nsg = _split_params(params)
        # -- initial history --------------------------------------------------
        if x0 is None:
            raise InputError("an initial state x0 is needed", field="x0")
        x0 = jnp.asarray(x0, dtype)
        if x0.shape == (S,):
            x0 = jnp.broadcast_to(x0[:, None], (S, N))
        if x0.shape == (S, N):
            hist = x0[None]
        elif x0.ndim == 3 and x0.shape[1:] == (S, N):
            hist = x0
        else:
            raise InputError(f"initial state must have shape ({S}, {N}), ({S},) or (T, {S}, {N}); got {x0.shape}", field="x0")
        T = hist.shape[0]
        x = hist[-1]
        # -- network ------------------------------------------------------------
        W = jnp.asarray(W0 if weights is None else weights, dtype)
        if W.shape != (N, N):
            raise InputError(f"weights must have shape ({N}, {N}), got {W.shape}", field="weights")
        w_pad = jnp.where(jnp.asarray(valid_np), W[rows_np, cols_np], 0.0)  # (N, D)
        wsum = jnp.sum(w_pad, axis=1)
        spd = jnp.asarray(speed0 if speed is None else speed, dtype)
        if spd.ndim != 0:
            raise InputError(f"speed must be a scalar, got shape {spd.shape}", field="speed")
        cols = jnp.asarray(cols_np)
        delays_ok = jnp.asarray(True)
        if has_delay:
            dsteps = jnp.asarray(lens_np, dtype) / spd / dt
            if delay_mode == "rint":
                d0 = jnp.rint(dsteps)
                frac = None
                lag_max = jnp.max(jnp.where(jnp.asarray(valid_np), d0, 0.0))
            else:
                d0 = jnp.floor(lax.stop_gradient(dsteps))
                frac = dsteps - d0  # carries the derivative with respect to speed
                lag_max = jnp.max(jnp.where(jnp.asarray(valid_np), d0 + 1.0, 0.0))
            delays_ok = lag_max <= L - 1
            d_int = jnp.clip(d0, 0, L - 2).astype(jnp.int32)
            # ring buffer filled from the history: slot s <-> time -((-s) mod L)
            slots = np.arange(L)
            lag_of_slot = (-slots) & mask
            rows_h = np.clip(T - 1 - lag_of_slot, 0, T - 1)
            hx = hist[rows_h]  # (L, S, N)
            buf0 = _pre([hx[:, i] for i in cv], q).astype(dtype)  # (L, N, n_hist)
        else:
            buf0 = jnp.zeros((1, N, n_hist), dtype)
            d_int = frac = None
        # -- drives ---------------------------------------------------------------
        key = None
        noise_arr = None
        if noise is not None:
            is_key = (hasattr(noise, "dtype") and jax.dtypes.issubdtype(noise.dtype, jax.dtypes.prng_key)) or (
                hasattr(noise, "dtype") and np.dtype(noise.dtype) == np.uint32 and tuple(noise.shape) == (2,)
            )
            if is_key:
                if nsg is None:
                    raise InputError("noise from a PRNG key needs nsig (make_network_simulator(nsig=...) or params['nsig'])", field="noise")
                key = noise
                nscale = jnp.sqrt(2.0 * jnp.asarray(nsg, dtype) * dt)
                nscale = jnp.broadcast_to(nscale[:, None] if nscale.ndim == 1 else nscale, (S, N))
            else:
                noise_arr = jnp.asarray(noise, dtype)
                if noise_arr.shape != (n_steps, S, N):
                    raise InputError(f"noise increments must have shape ({n_steps}, {S}, {N}), got {noise_arr.shape}", field="noise")
        stim_arr = None
        if stimulus is not None:
            stim_arr = jnp.asarray(stimulus, dtype)
            if stim_arr.shape == (n_steps, N):
                full = jnp.zeros((n_steps, S, N), dtype)
                stim_arr = full.at[:, jnp.asarray(st_idx, jnp.int32)].set(stim_arr[:, None, :]) if st_idx else full
            elif stim_arr.shape != (n_steps, S, N):
                raise InputError(f"stimulus must have shape ({n_steps}, {N}) or ({n_steps}, {S}, {N}); got {stim_arr.shape}", field="stimulus")
        lo = jnp.asarray(lo_np, dtype)[:, None]
        big = min(_BIG, float(jnp.finfo(dtype).max))  # float32: non-finite only
        hi = jnp.asarray(hi_np, dtype)[:, None]

        # -- one integration step ------------------------------------------------
        def one_step(carry, xs):
            x, buf, t, bad_t, bad_r = carry
            xi = [x[i] for i in cv]
            h = _pre(xi, q)  # (N, n_hist)
            if has_delay:
                buf = lax.dynamic_update_index_in_dim(buf, h, jnp.bitwise_and(t, mask), 0)
                vals = buf[jnp.bitwise_and(t - d_int, mask), cols]  # (N, D, n_hist)
                if frac is not None:
                    older = buf[jnp.bitwise_and(t - d_int - 1, mask), cols]
                    vals = vals + frac[..., None] * (older - vals)
            else:
                vals = h[cols]
            gx = jnp.sum(w_pad[..., None] * vals, axis=1)  # (N, n_hist)
            c = coupling.post(tuple(gx[:, k] for k in range(n_hist)), tuple(xi), wsum, q, jnp)
            incr = 0.0
            z_t, s_t = xs
            if z_t is not None:
                incr = incr + z_t
            if key is not None:
                incr = incr + nscale * jax.random.normal(jax.random.fold_in(key, t), (S, N), dtype)
            if s_t is not None:
                incr = incr + dt * s_t
            xn = _integrate(method, lambda s: model.evaluate(s, c, P, jnp), x, dt, incr, lo, hi, jnp)
            bad = ~(jnp.abs(xn) < big)
            first = (bad_t < 0) & jnp.any(bad)
            bad_t = jnp.where(first, t, bad_t)
            bad_r = jnp.where(first, (jnp.argmax(bad.reshape(-1)) % N).astype(jnp.int32), bad_r)
            y = Vars(**{n: xn[k] for k, n in enumerate(model.state_names)})
            o = jnp.stack([jnp.broadcast_to(f(y, jnp), (N,)) for f in out_fns]).astype(dtype)
            return (xn, buf, t + 1, bad_t, bad_r), o

        def one_unit(carry, xs_u):
            if unit == 1:
                carry, o = one_step(carry, jax.tree_util.tree_map(lambda a: a[0], xs_u))
                return carry, (o if need_last else None, o if need_sum else None)
            carry, os = lax.scan(one_step, carry, xs_u, length=unit)
            return carry, (os[-1] if need_last else None, jnp.sum(os, axis=0) if need_sum else None)

        def units(carry, xs_units, n):
            return lax.scan(one_unit, carry, xs_units, length=n)

        units_ckpt = jax.checkpoint(units, prevent_cse=False, static_argnums=(2,)) if remat else units

        def seg_body(carry, xs_seg):
            return units_ckpt(carry, xs_seg, seg)

        def cut(a, start, n_blocks, block):
            return None if a is None else a[start:start + n_blocks * block].reshape((n_blocks, block) + a.shape[1:])

        carry = (x, buf0, jnp.asarray(0, jnp.int32), jnp.asarray(-1, jnp.int32), jnp.asarray(-1, jnp.int32))
        reds = []
        start = 0
        if n_seg:
            if remat:
                xs = tuple(None if a is None else cut(a, 0, n_seg * seg, unit).reshape((n_seg, seg, unit) + a.shape[1:])
                           for a in (noise_arr, stim_arr))
                carry, red = lax.scan(seg_body, carry, xs, length=n_seg)
                reds.append(jax.tree_util.tree_map(lambda a: a.reshape((n_seg * seg,) + a.shape[2:]), red))
            else:
                xs = tuple(cut(a, 0, n_seg * seg, unit) for a in (noise_arr, stim_arr))
                carry, red = units(carry, xs, n_seg * seg)
                reds.append(red)
            start = n_seg * seg * unit
        if r_units:
            xs = tuple(cut(a, start, r_units, unit) for a in (noise_arr, stim_arr))
            carry, red = units_ckpt(carry, xs, r_units)
            reds.append(red)
            start += r_units * unit
        if tail and return_info:  # steps after the last monitor row only move the final state
            xs = tuple(None if a is None else a[start:] for a in (noise_arr, stim_arr))
            carry, _ = lax.scan(one_step, carry, xs, length=tail)
        last = sums = None
        if reds:
            if need_last:
                last = jnp.concatenate([r[0] for r in reds]) if len(reds) > 1 else reds[0][0]
            if need_sum:
                sums = jnp.concatenate([r[1] for r in reds]) if len(reds) > 1 else reds[0][1]
        results = []
        for _, p, avg in mons:
            k = p // unit
            n_rows = n_steps // p
            if n_rows == 0:
                results.append(jnp.zeros((0, n_out, N), dtype))
            elif avg:
                results.append(jnp.sum(sums[: n_rows * k].reshape((n_rows, k, n_out, N)), axis=1) / p)
            else:
                results.append(last[k - 1 :: k][:n_rows])
        nan = jnp.asarray(jnp.nan, dtype)
        results = [jnp.where(delays_ok, r, nan) for r in results]
        out = results[0] if single else tuple(results)
        if not return_info:
            return out
        xf, _, _, bad_t, bad_r = carry
        return out, {"final_state": xf, "diverged_step": bad_t, "diverged_region": bad_r, "delays_ok": delays_ok}

    simulate_fn.n_steps = n_steps
    simulate_fn.n_regions = N
    simulate_fn.outputs = tuple(out_exprs)
    simulate_fn.monitors = tuple((name, p) for name, p, _ in mons)
    simulate_fn.history_length = L
    simulate_fn.model = model
    simulate_fn.coupling = coupling
    return simulate_fn


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


