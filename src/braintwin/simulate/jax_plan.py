"""What a JAX network simulator fixes when it is built: float64, checks, edges, the scan schedule, the :class:`_Plan`.

Used by :func:`braintwin.simulate.jax_network.make_network_simulator`; every
value here is static under ``jit`` (shapes, the edge pattern, the history
buffer length, how the scan is cut into checkpointed segments).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings
from typing import Any

import numpy as np

import jax
import jax.numpy as jnp

from ..errors import BraintwinWarning, InputError
from ..models import get_coupling, get_model
from ..models.symbolic import expression_function
from .integrators import INTEGRATORS
from .monitors import Monitor, get_monitor
from .network import network_source

__all__ = ["x64_context"]

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


# ---------------------------------------------------------------------------
# building: checks and the static plan


def _checked_model(model, coupling, method):
    """Model, coupling (the model's default, with its default values) and integrator name."""
    model = get_model(model)
    coupling = get_coupling(coupling, model=model)
    coupling.check(len(model.coupling_vars), model.name)
    method = str(method).lower()
    if method not in INTEGRATORS:
        raise InputError(f"unknown integrator {method!r}; choose one of {', '.join(INTEGRATORS)}", field="method")
    return model, coupling, method


def _checked_steps(dt, n_steps, delay_mode):
    if delay_mode not in ("rint", "linear"):
        raise InputError(f"delay_mode must be 'rint' or 'linear', got {delay_mode!r}", field="delay_mode")
    if not dt > 0:
        raise InputError(f"time step must be > 0 ms, got {dt}", field="dt")
    if int(n_steps) != n_steps or n_steps < 1:
        raise InputError(f"n_steps must be a positive integer, got {n_steps}", field="n_steps")
    return float(dt), int(n_steps)


def _network_arrays(connectome, delays: bool):
    """Default weights and tract lengths (mm; zeros without delays), checked."""
    connectome = network_source(connectome)
    W0 = np.asarray(connectome.weights, float)
    N = W0.shape[0]
    if W0.ndim != 2 or W0.shape != (N, N) or not np.all(np.isfinite(W0)):
        raise InputError(f"weights must be a finite square matrix, got shape {W0.shape}", field="weights")
    if not delays:
        return W0, np.zeros((N, N))
    lengths = np.asarray(connectome.tract_lengths, float)
    if lengths.shape != (N, N) or not np.all(np.isfinite(lengths)) or np.any(lengths < 0):
        raise InputError(f"tract lengths must be finite, >= 0 and of shape ({N}, {N})", field="tract_lengths")
    return W0, lengths


@dataclasses.dataclass(frozen=True)
class _Schedule:
    """How the scan is cut: units of ``unit`` steps (the gcd of the monitor periods),
    ``n_seg`` segments of ``seg`` units (each under :func:`jax.checkpoint` when ``remat``),
    ``r_units`` remaining units and ``tail`` steps after the last monitor row."""

    unit: int
    n_units: int
    tail: int
    seg: int
    n_seg: int
    r_units: int
    remat: bool


def _schedule(n_steps: int, mons, checkpoint) -> _Schedule:
    unit = 0
    for _, p, _ in mons:
        unit = math.gcd(unit, p)
    n_units = n_steps // unit
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
    return _Schedule(unit, n_units, n_steps - n_units * unit, seg, n_seg, r_units, remat)


def _history_length(lens, valid, delays: bool, min_speed: float, dt: float) -> tuple[bool, int]:
    """Whether any delay is nonzero, and the ring buffer length (a power of two holding the longest delay at ``min_speed``)."""
    has_delay = bool(delays) and bool(np.any(lens[valid] > 0))
    if not has_delay:
        return False, 1
    need = int(math.ceil(lens.max() / min_speed / dt)) + 1
    return True, 1 << max(1, int(math.ceil(math.log2(need + 1))))


@dataclasses.dataclass(frozen=True, eq=False)
class _Plan:
    """Everything a network simulator fixes when it is built (static under ``jit``)."""

    model: Any
    coupling: Any
    method: str
    dt: float
    n_steps: int
    delay_mode: str
    dtype: Any
    N: int
    S: int
    n_hist: int
    cv: tuple
    cols: np.ndarray  # (N, D) source of each padded edge
    valid: np.ndarray  # (N, D)
    lens: np.ndarray  # (N, D) tract lengths (mm)
    rows: np.ndarray  # (N, D) target of each padded edge
    has_delay: bool
    L: int
    st_idx: tuple
    bounds: tuple
    out_exprs: tuple
    out_fns: tuple
    mons: tuple
    single: bool
    sched: _Schedule
    W0: np.ndarray
    mdefaults: dict
    cdefaults: dict
    nsig: Any
    speed: float

    @property
    def mask(self) -> int:
        return self.L - 1

    @property
    def n_out(self) -> int:
        return len(self.out_fns)


def _plan(model, coupling, W0, lengths, o: dict) -> _Plan:
    cv = tuple(model.state_names.index(v) for v in model.coupling_vars)
    out_exprs = tuple(model.outputs_of(o["outputs"]))
    mons, single = _monitor_list(o["monitor"], o["dt"])
    cols, valid, lens = _edges(W0, lengths, o["edges"])
    has_delay, L = _history_length(lens, valid, o["delays"], o["min_speed"], o["dt"])
    N = W0.shape[0]
    return _Plan(
        model, coupling, o["method"], o["dt"], o["n_steps"], o["delay_mode"], o["dtype"], N, model.n_state,
        coupling.n_history(len(cv)), cv, cols, valid, lens, np.repeat(np.arange(N, dtype=np.int32)[:, None], cols.shape[1], axis=1),
        has_delay, L, tuple(model.state_names.index(v) for v in model.stimulus_vars), model.state_bounds(),
        out_exprs, tuple(expression_function(e) for e in out_exprs), tuple(mons), single,
        _schedule(o["n_steps"], mons, o["checkpoint"]), W0, dict(model.values), dict(coupling.values),
        None if o["nsig"] is None else np.asarray(o["nsig"], float), o["speed"],
    )
