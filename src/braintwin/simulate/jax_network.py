"""The JAX network simulator: jit, vmap, GPU and gradients from the same model definitions.

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

import functools
from typing import Any, NamedTuple, Sequence

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax

from ..errors import InputError
from ..models import resolve_parameter
from ..models.base import Vars
from .integrators import step as _integrate
from .jax_plan import _BIG, _checked_model, _checked_steps, _network_arrays, _Plan, _plan, _resolve_dtype, x64_context

__all__ = ["make_network_simulator", "x64_context"]


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
    model, coupling, method = _checked_model(model, coupling, method)
    dt, n_steps = _checked_steps(dt, n_steps, delay_mode)
    W0, lengths = _network_arrays(connectome, delays)
    if not speed > 0:
        raise InputError(f"conduction speed must be > 0 mm/ms, got {speed}", field="speed")
    min_speed = float(speed if min_speed is None else min_speed)
    if not min_speed > 0:
        raise InputError(f"min_speed must be > 0 mm/ms, got {min_speed}", field="min_speed")
    plan = _plan(model, coupling, W0, lengths, dict(
        method=method, dt=dt, n_steps=n_steps, delay_mode=delay_mode, delays=delays, speed=float(speed),
        min_speed=min_speed, outputs=outputs, monitor=monitor, checkpoint=checkpoint, nsig=nsig, edges=edges,
        dtype=_resolve_dtype(dtype),
    ))

    def simulate_fn(params=None, x0=None, weights=None, speed=None, noise=None, stimulus=None):
        P, q, nsg = _split_params(plan, params)
        hist = _initial_history(plan, x0)
        w_pad, wsum, cols = _weights(plan, weights)
        d_int, frac, delays_ok, buf0 = _delays(plan, speed, hist, q)
        key, nscale, noise_arr = _noise(plan, noise, nsg)
        stim_arr = _stimulus_array(plan, stimulus)
        big = min(_BIG, float(jnp.finfo(plan.dtype).max))  # float32: non-finite only
        lo, hi = (jnp.asarray(b, plan.dtype)[:, None] for b in plan.bounds)
        k = _Consts(P, q, w_pad, wsum, cols, d_int, frac, key, nscale, lo, hi, big)
        carry = (hist[-1], buf0, jnp.asarray(0, jnp.int32), jnp.asarray(-1, jnp.int32), jnp.asarray(-1, jnp.int32))
        carry, last, sums = _loop(plan, functools.partial(_step, plan, k), carry, noise_arr, stim_arr, return_info)
        out = _monitor_outputs(plan, last, sums, delays_ok)
        if not return_info:
            return out
        xf, _, _, bad_t, bad_r = carry
        return out, {"final_state": xf, "diverged_step": bad_t, "diverged_region": bad_r, "delays_ok": delays_ok}

    simulate_fn.n_steps = n_steps
    simulate_fn.n_regions = plan.N
    simulate_fn.outputs = plan.out_exprs
    simulate_fn.monitors = tuple((name, p) for name, p, _ in plan.mons)
    simulate_fn.history_length = plan.L
    simulate_fn.model = model
    simulate_fn.coupling = coupling
    return simulate_fn


# ---------------------------------------------------------------------------
# one call: arguments -> traced constants


class _Consts(NamedTuple):
    """What one call of ``simulate_fn`` fixes for every step (traced values)."""

    P: tuple
    q: Vars
    w_pad: Any
    wsum: Any
    cols: Any
    d_int: Any
    frac: Any
    key: Any
    nscale: Any
    lo: Any
    hi: Any
    big: float


def _param_shape(plan: _Plan, name: str, v):
    v = jnp.asarray(v, plan.dtype)
    if v.ndim == 1 and v.shape[0] == 1:
        v = v[0]
    if v.ndim not in (0, 1) or (v.ndim == 1 and v.shape[0] != plan.N):
        raise InputError(f"expected a scalar or {plan.N} values (one per region), got shape {v.shape}", source=plan.model.name, field=name)
    return v


def _split_params(plan: _Plan, params):
    """Model values ``P``, coupling values ``q`` and ``nsig``, each name placed by :func:`resolve_parameter`."""
    mv, cvv, nsg = dict(plan.mdefaults), dict(plan.cdefaults), plan.nsig
    seen = set()
    for k, v in dict(params or {}).items():
        if k == "nsig":
            nsg = v
            continue
        where, name = resolve_parameter(k, plan.model, plan.coupling)
        if (where, name) in seen:
            raise InputError(f"{where} parameter {name!r} given twice", field=k)
        seen.add((where, name))
        (mv if where == "model" else cvv)[name] = v
    P = tuple(_param_shape(plan, n, mv[n]) for n in plan.model.parameter_names)
    q = Vars(**{n: _param_shape(plan, n, cvv[n]) for n in plan.coupling.parameter_names})
    return P, q, nsg


def _initial_history(plan: _Plan, x0):
    """The history ``(T, n_state, N)`` ending at t = 0 from ``x0`` (state, per-variable values or history)."""
    S, N = plan.S, plan.N
    if x0 is None:
        raise InputError("an initial state x0 is needed", field="x0")
    x0 = jnp.asarray(x0, plan.dtype)
    if x0.shape == (S,):
        x0 = jnp.broadcast_to(x0[:, None], (S, N))
    if x0.shape == (S, N):
        return x0[None]
    if x0.ndim == 3 and x0.shape[1:] == (S, N):
        return x0
    raise InputError(f"initial state must have shape ({S}, {N}), ({S},) or (T, {S}, {N}); got {x0.shape}", field="x0")


def _weights(plan: _Plan, weights):
    """Weights on the padded edge pattern ``(N, D)``, their row sums and the edge sources."""
    W = jnp.asarray(plan.W0 if weights is None else weights, plan.dtype)
    if W.shape != (plan.N, plan.N):
        raise InputError(f"weights must have shape ({plan.N}, {plan.N}), got {W.shape}", field="weights")
    w_pad = jnp.where(jnp.asarray(plan.valid), W[plan.rows, plan.cols], 0.0)
    return w_pad, jnp.sum(w_pad, axis=1), jnp.asarray(plan.cols)


def _pre(plan: _Plan, xs_cv, q):
    """Coupling history signals ``(..., N, n_hist)`` from the coupled variables ``(..., N)`` each."""
    h = plan.coupling.pre(tuple(xs_cv), q, jnp)
    shape = jnp.broadcast_shapes(*[jnp.shape(a) for a in xs_cv]) if xs_cv else (plan.N,)
    return jnp.stack([jnp.broadcast_to(v, shape) for v in h], axis=-1)


def _delays(plan: _Plan, speed, hist, q):
    """Integer delays (steps), their fractions (``"linear"``), whether the buffer holds them, and the filled ring buffer."""
    spd = jnp.asarray(plan.speed if speed is None else speed, plan.dtype)
    if spd.ndim != 0:
        raise InputError(f"speed must be a scalar, got shape {spd.shape}", field="speed")
    if not plan.has_delay:
        return None, None, jnp.asarray(True), jnp.zeros((1, plan.N, plan.n_hist), plan.dtype)
    dsteps = jnp.asarray(plan.lens, plan.dtype) / spd / plan.dt
    valid = jnp.asarray(plan.valid)
    if plan.delay_mode == "rint":
        d0, frac = jnp.rint(dsteps), None
        lag_max = jnp.max(jnp.where(valid, d0, 0.0))
    else:
        d0 = jnp.floor(lax.stop_gradient(dsteps))
        frac = dsteps - d0  # carries the derivative with respect to speed
        lag_max = jnp.max(jnp.where(valid, d0 + 1.0, 0.0))
    d_int = jnp.clip(d0, 0, plan.L - 2).astype(jnp.int32)
    # ring buffer filled from the history: slot s <-> time -((-s) mod L)
    T = hist.shape[0]
    rows_h = np.clip(T - 1 - ((-np.arange(plan.L)) & plan.mask), 0, T - 1)
    hx = hist[rows_h]  # (L, S, N)
    buf0 = _pre(plan, [hx[:, i] for i in plan.cv], q).astype(plan.dtype)  # (L, N, n_hist)
    return d_int, frac, lag_max <= plan.L - 1, buf0


def _is_key(noise) -> bool:
    return hasattr(noise, "dtype") and (
        jax.dtypes.issubdtype(noise.dtype, jax.dtypes.prng_key)
        or (np.dtype(noise.dtype) == np.uint32 and tuple(noise.shape) == (2,))
    )


def _noise(plan: _Plan, noise, nsg):
    """``(key, nscale, None)`` for noise drawn from a PRNG key, ``(None, None, increments)`` for given ones."""
    if noise is None:
        return None, None, None
    S, N = plan.S, plan.N
    if _is_key(noise):
        if nsg is None:
            raise InputError("noise from a PRNG key needs nsig (make_network_simulator(nsig=...) or params['nsig'])", field="noise")
        nscale = jnp.sqrt(2.0 * jnp.asarray(nsg, plan.dtype) * plan.dt)
        return noise, jnp.broadcast_to(nscale[:, None] if nscale.ndim == 1 else nscale, (S, N)), None
    arr = jnp.asarray(noise, plan.dtype)
    if arr.shape != (plan.n_steps, S, N):
        raise InputError(f"noise increments must have shape ({plan.n_steps}, {S}, {N}), got {arr.shape}", field="noise")
    return None, None, arr


def _stimulus_array(plan: _Plan, stimulus):
    """The stimulus as ``(n_steps, n_state, N)`` (a regional one goes to the model's ``stimulus_vars``)."""
    if stimulus is None:
        return None
    n, S, N = plan.n_steps, plan.S, plan.N
    arr = jnp.asarray(stimulus, plan.dtype)
    if arr.shape == (n, N):
        full = jnp.zeros((n, S, N), plan.dtype)
        return full.at[:, jnp.asarray(plan.st_idx, jnp.int32)].set(arr[:, None, :]) if plan.st_idx else full
    if arr.shape != (n, S, N):
        raise InputError(f"stimulus must have shape ({n}, {N}) or ({n}, {S}, {N}); got {arr.shape}", field="stimulus")
    return arr


# ---------------------------------------------------------------------------
# the pure step and the loop


def _coupling_input(plan: _Plan, k: _Consts, buf, t, xi):
    """Write ``pre(x_t)`` into the ring buffer and return the buffer and the coupling inputs ``c``."""
    h = _pre(plan, xi, k.q)  # (N, n_hist)
    if plan.has_delay:
        buf = lax.dynamic_update_index_in_dim(buf, h, jnp.bitwise_and(t, plan.mask), 0)
        vals = buf[jnp.bitwise_and(t - k.d_int, plan.mask), k.cols]  # (N, D, n_hist)
        if k.frac is not None:
            older = buf[jnp.bitwise_and(t - k.d_int - 1, plan.mask), k.cols]
            vals = vals + k.frac[..., None] * (older - vals)
    else:
        vals = h[k.cols]
    gx = jnp.sum(k.w_pad[..., None] * vals, axis=1)  # (N, n_hist)
    return buf, plan.coupling.post(tuple(gx[:, j] for j in range(plan.n_hist)), tuple(xi), k.wsum, k.q, jnp)


def _increment(plan: _Plan, k: _Consts, t, xs):
    """Noise (given, or drawn from the key folded with ``t``) plus ``dt *`` stimulus of step ``t``."""
    incr = 0.0
    z_t, s_t = xs
    if z_t is not None:
        incr = incr + z_t
    if k.key is not None:
        incr = incr + k.nscale * jax.random.normal(jax.random.fold_in(k.key, t), (plan.S, plan.N), plan.dtype)
    if s_t is not None:
        incr = incr + plan.dt * s_t
    return incr


def _step(plan: _Plan, k: _Consts, carry, xs):
    """One integration step: ``(x, buffer, t, diverged step, diverged region)`` -> next carry and the outputs."""
    x, buf, t, bad_t, bad_r = carry
    xi = [x[i] for i in plan.cv]
    buf, c = _coupling_input(plan, k, buf, t, xi)
    xn = _integrate(plan.method, lambda s: plan.model.evaluate(s, c, k.P, jnp), x, plan.dt, _increment(plan, k, t, xs), k.lo, k.hi, jnp)
    bad = ~(jnp.abs(xn) < k.big)
    first = (bad_t < 0) & jnp.any(bad)
    bad_t = jnp.where(first, t, bad_t)
    bad_r = jnp.where(first, (jnp.argmax(bad.reshape(-1)) % plan.N).astype(jnp.int32), bad_r)
    y = Vars(**{n: xn[j] for j, n in enumerate(plan.model.state_names)})
    o = jnp.stack([jnp.broadcast_to(f(y, jnp), (plan.N,)) for f in plan.out_fns]).astype(plan.dtype)
    return (xn, buf, t + 1, bad_t, bad_r), o


def _units(plan: _Plan, one_step):
    """Scan over monitor units: each reduces its steps to the last output and/or their sum."""
    unit = plan.sched.unit
    need_last = any(not avg for _, _, avg in plan.mons)
    need_sum = any(avg for _, _, avg in plan.mons)

    def one_unit(carry, xs_u):
        if unit == 1:
            carry, o = one_step(carry, jax.tree_util.tree_map(lambda a: a[0], xs_u))
            return carry, (o if need_last else None, o if need_sum else None)
        carry, os = lax.scan(one_step, carry, xs_u, length=unit)
        return carry, (os[-1] if need_last else None, jnp.sum(os, axis=0) if need_sum else None)

    def units(carry, xs_units, n):
        return lax.scan(one_unit, carry, xs_units, length=n)

    return units


def _cut(a, start, n_blocks, block):
    return None if a is None else a[start:start + n_blocks * block].reshape((n_blocks, block) + a.shape[1:])


def _loop(plan: _Plan, one_step, carry, noise_arr, stim_arr, return_info: bool):
    """Run every step: checkpointed segments, remaining units, then the tail; returns the carry and the reductions."""
    sc, drives = plan.sched, (noise_arr, stim_arr)
    units = _units(plan, one_step)
    units_ckpt = jax.checkpoint(units, prevent_cse=False, static_argnums=(2,)) if sc.remat else units
    reds, start = [], 0
    if sc.n_seg:
        if sc.remat:
            xs = tuple(None if a is None else _cut(a, 0, sc.n_seg * sc.seg, sc.unit).reshape((sc.n_seg, sc.seg, sc.unit) + a.shape[1:])
                       for a in drives)
            carry, red = lax.scan(lambda c, xs_seg: units_ckpt(c, xs_seg, sc.seg), carry, xs, length=sc.n_seg)
            reds.append(jax.tree_util.tree_map(lambda a: a.reshape((sc.n_seg * sc.seg,) + a.shape[2:]), red))
        else:
            carry, red = units(carry, tuple(_cut(a, 0, sc.n_seg * sc.seg, sc.unit) for a in drives), sc.n_seg * sc.seg)
            reds.append(red)
        start = sc.n_seg * sc.seg * sc.unit
    if sc.r_units:
        carry, red = units_ckpt(carry, tuple(_cut(a, start, sc.r_units, sc.unit) for a in drives), sc.r_units)
        reds.append(red)
        start += sc.r_units * sc.unit
    if sc.tail and return_info:  # steps after the last monitor row only move the final state
        carry, _ = lax.scan(one_step, carry, tuple(None if a is None else a[start:] for a in drives), length=sc.tail)
    last = sums = None
    if reds:
        last = jnp.concatenate([r[0] for r in reds]) if len(reds) > 1 and reds[0][0] is not None else reds[0][0]
        sums = jnp.concatenate([r[1] for r in reds]) if len(reds) > 1 and reds[0][1] is not None else reds[0][1]
    return carry, last, sums


def _monitor_outputs(plan: _Plan, last, sums, delays_ok):
    """Each monitor's rows ``(n_rows, n_out, N)`` (NaN when the buffer could not hold the delays)."""
    results = []
    for _, p, avg in plan.mons:
        k = p // plan.sched.unit
        n_rows = plan.n_steps // p
        if n_rows == 0:
            results.append(jnp.zeros((0, plan.n_out, plan.N), plan.dtype))
        elif avg:
            results.append(jnp.sum(sums[: n_rows * k].reshape((n_rows, k, plan.n_out, plan.N)), axis=1) / p)
        else:
            results.append(last[k - 1 :: k][:n_rows])
    nan = jnp.asarray(jnp.nan, plan.dtype)
    results = [jnp.where(delays_ok, r, nan) for r in results]
    return results[0] if plan.single else tuple(results)
