"""``Simulation`` and ``simulate``: delayed stochastic network integration.

A single run is a batch of one.  Every run is seeded (bit-for-bit reproducible
whether it runs alone or in a batch, on any number of workers), streamed through
its monitors chunk by chunk, and checked for divergence: a run whose state
becomes non-finite is stopped and flagged with the step, time and region.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InputError
from ..models import get_coupling, get_model, resolve_parameter, with_parameter
from ..models.base import Model
from .monitors import Monitor, get_monitor
from .network import Network, network_source, prepare_network
from .integrators import INTEGRATORS
from .numba_engine import KernelSpec, build_kernel
from .progress import Bar
from .results import CHUNK_STEPS, BatchResult, Divergence, SimResult, batch_arguments, report_divergence  # noqa: F401 (re-exported)
from .stimulus import Stimulus

__all__ = ["simulate", "Simulation", "global_coupling", "SimResult", "BatchResult", "Divergence", "batch_arguments"]

def _nsig_array(noise, model: Model, n: int) -> np.ndarray | None:
    """Noise intensities (TVB's nsig) as ``(n_state, n_regions)``, or None for no noise."""
    if noise is None or noise is False:
        return None
    S = model.n_state
    if isinstance(noise, Mapping):
        unknown = set(noise) - set(model.state_names)
        if unknown:
            raise InputError(f"unknown state variable(s) {sorted(unknown)} in noise", field="noise")
        arr = np.array([[float(noise.get(s, 0.0))] * n for s in model.state_names])
    else:
        a = np.asarray(noise, float)
        if a.ndim == 0:
            arr = np.full((S, n), float(a))
        elif a.shape == (S,):
            arr = np.repeat(a[:, None], n, axis=1)
        elif a.shape == (S, n):
            arr = a.copy()
        else:
            raise InputError(f"noise intensity must be a scalar, {S} values (one per state variable) or ({S}, {n}); got shape {a.shape}", field="noise")
    if np.any(arr < 0) or not np.all(np.isfinite(arr)):
        raise InputError("noise intensities must be finite and >= 0", field="noise")
    return arr if np.any(arr > 0) else None


class Simulation:
    """A configured simulation: network, model, coupling, integrator, monitors.

    Built by :func:`simulate` and :func:`simulate_batch`; reusable for many runs
    with different parameter values and seeds (the kernel is compiled once).
    """

    def __init__(
        self,
        connectome,
        model,
        *,
        coupling=None,
        dt: float = 0.01,
        speed: float = 3.0,
        delays: bool = True,
        method: str = "heun",
        noise=None,
        monitors: Sequence[Any] = ("tavg:1.0",),
        outputs: Sequence[str] | None = None,
        stimulus: Stimulus | None = None,
        engine: str = "numba",
    ):
        self.connectome = network_source(connectome)
        self.model = get_model(model)
        self.coupling = get_coupling(coupling, model=self.model)
        self.coupling.check(len(self.model.coupling_vars), self.model.name)
        self.method = str(method).lower()
        if self.method not in INTEGRATORS:
            raise InputError(f"unknown integrator {method!r}; choose one of {', '.join(INTEGRATORS)}", field="method")
        self.dt = float(dt)
        if engine not in ("numba", "numpy", "jax"):
            raise InputError(f"unknown engine {engine!r}; choose numba, jax or numpy", field="engine")
        self.engine = engine
        c = self.connectome
        self.net: Network = prepare_network(c.weights, c.tract_lengths, speed, self.dt, labels=c.labels, delays=delays)
        self.speed = float(speed)
        self.nsig = _nsig_array(noise, self.model, self.net.n_regions)
        if self.nsig is not None and self.method == "rk4":
            raise InputError("rk4 is deterministic; use heun or euler with noise", field="method")
        self.noisy = tuple(int(k) for k in np.nonzero(np.any(self.nsig > 0, axis=1))[0]) if self.nsig is not None else ()
        self.monitor_specs = [get_monitor(m, self.connectome) for m in monitors]
        if not self.monitor_specs:
            raise InputError("at least one monitor is needed", field="monitors")
        for m in self.monitor_specs:
            m.period_steps(self.dt)
        self.outputs = self.model.outputs_of(outputs)
        self.stimulus = stimulus
        self.spec = KernelSpec(self.model, self.coupling, self.method, self.outputs, self.noisy, stimulus is not None)
        self._kernels: dict = {}
        self._lock = threading.Lock()
        self.n_hist = self.coupling.n_history(len(self.model.coupling_vars))
        self._cv_idx = [self.model.state_names.index(v) for v in self.model.coupling_vars]

    # ------------------------------------------------------------------------
    @property
    def kernel(self):
        """The compiled kernel for the model's own parameter values."""
        return self.kernel_for(*self._param_arrays(None))

    def kernel_for(self, P: np.ndarray, CQ: np.ndarray):
        """The compiled kernel for these parameter values (see :meth:`used_history`)."""
        used = self.used_history(P, CQ)
        with self._lock:
            if used not in self._kernels:
                spec = KernelSpec(self.model, self.coupling, self.method, self.outputs, self.noisy, self.stimulus is not None, used)
                self._kernels[used] = build_kernel(spec)
            return self._kernels[used]

    def used_history(self, P: np.ndarray, CQ: np.ndarray) -> tuple[int, ...]:
        """Which coupling history signals can change the dynamics for these parameter values.

        A coupling input multiplied by a parameter that is zero in every region
        (MPR's ``cv`` by default) needs no delayed sum; the kernel skips it.  Found
        by probing the model's and the coupling's own definitions with NumPy.
        """
        from ..models.base import Vars

        model, cpl = self.model, self.coupling
        N = P.shape[1]
        rng = np.random.default_rng(12345)
        n_cv = len(self._cv_idx)
        n_c = cpl.n_terms(n_cv)
        q = Vars(**dict(zip(cpl.parameter_names, CQ)))
        used_terms: set[int] = set()
        used_hist: set[int] = set()
        with np.errstate(all="ignore"):
            for _ in range(2):
                y = model.initial_state(N, rng)
                c0 = [rng.standard_normal(N) for _ in range(n_c)]
                f0 = model.evaluate(y, c0, P)
                for k in range(n_c):
                    c1 = list(c0)
                    c1[k] = c0[k] + 1.0 + rng.random(N)
                    if np.any(model.evaluate(y, c1, P) != f0):
                        used_terms.add(k)
                xi = tuple(y[i] for i in self._cv_idx)
                g0 = [rng.standard_normal(N) for _ in range(self.n_hist)]
                p0 = [np.broadcast_to(v, (N,)) for v in cpl.post(tuple(g0), xi, self.net.wsum, q, np)]
                for k in range(self.n_hist):
                    g1 = list(g0)
                    g1[k] = g0[k] + 1.0 + rng.random(N)
                    p1 = [np.broadcast_to(v, (N,)) for v in cpl.post(tuple(g1), xi, self.net.wsum, q, np)]
                    if any(np.any(p1[t] != p0[t]) for t in used_terms):
                        used_hist.add(k)
        return tuple(sorted(used_hist))

    def n_steps(self, duration: float) -> int:
        if not duration > 0:
            raise InputError(f"duration must be > 0 ms, got {duration}", field="duration")
        return int(round(duration / self.dt))

    def _history(self, initial, rng) -> np.ndarray:
        """Initial history ``(T, n_state, n_regions)``, the last row being the state at t = 0."""
        S, N = self.model.n_state, self.net.n_regions
        if initial is None:
            x0 = self.model.initial_state(N, rng)
            return x0[None]
        a = np.asarray(initial, float)
        if a.shape == (S, N):
            return a[None].copy()
        if a.ndim == 3 and a.shape[1:] == (S, N):
            return a.copy()
        if a.shape == (S,):
            return np.repeat(a[:, None], N, axis=1)[None]
        raise InputError(f"initial state must have shape ({S}, {N}), ({S},) or (T, {S}, {N}); got {a.shape}", field="initial")

    def run(
        self,
        duration: float,
        *,
        params: Mapping[str, Any] | None = None,
        seed: int | None = 0,
        initial=None,
        noise_normals: np.ndarray | None = None,
        sim_index: int = 0,
        progress=None,
        dtype=np.float64,
    ) -> SimResult:
        """Integrate one simulation for ``duration`` ms and return its monitors."""
        if self.engine == "numpy":
            from .reference import run_reference

            return run_reference(self, duration, params=params, seed=seed, initial=initial, noise_normals=noise_normals)
        if self.engine == "jax":
            try:
                from .jax_engine import run_jax
            except ImportError as e:
                raise InputError(f"the JAX engine needs the [jax] extra: pip install 'braintwin[jax]' ({e})", field="engine") from None
            return run_jax(self, duration, params=params, seed=seed, initial=initial, noise_normals=noise_normals, sim_index=sim_index)
        return self._run_numba(duration, params, seed, initial, noise_normals, sim_index, progress)

    def _run_numba(self, duration, params, seed, initial, noise_normals, sim_index, progress) -> SimResult:
        """The compiled kernel, chunk by chunk: drives in, monitor rows out, stop at a divergence."""
        net = self.net
        N, n_hist, block = net.n_regions, self.n_hist, max(net.block, 1)
        n_steps = self.n_steps(duration)
        P, CQ = self._param_arrays(params)
        init_rng, noise_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        hist = self._history(initial, init_rng)
        x = np.ascontiguousarray(hist[-1].copy())
        hbuf = self._init_hbuf(hist, CQ)
        gxl, cur = np.zeros((n_hist, N, block)), np.zeros((n_hist, block, N))
        kernel = self.kernel_for(P, CQ)
        nz = len(self.noisy)
        nscale = np.sqrt(2.0 * self.nsig[list(self.noisy)] * self.dt) if nz else np.zeros((1, N))
        noise_normals = self._checked_normals(noise_normals, n_steps)
        mons, buffers = self._monitor_buffers(n_steps)
        mout, rows = buffers[4], buffers[5]
        stim_w = self.stimulus.weights(N, net.labels) if self.stimulus is not None else None
        zbuf, garr = np.zeros((max(nz, 1), N)), np.zeros((n_hist, N))
        divergence = None
        for c0 in range(0, n_steps, CHUNK_STEPS):
            n = min(CHUNK_STEPS, n_steps - c0)
            noise, stim = self._chunk_drives(c0, n, noise_normals, stim_w)
            rows[:] = 0
            status, tb, ib = kernel(
                x, hbuf, cur, gxl, c0, n, self.dt, P, CQ,
                *net.long, *net.short, net.wsum, block, net.mask,
                noise, nscale, noise_rng, noise_normals is None, zbuf, garr, stim, *buffers,
            )
            for k, m in enumerate(mons):
                if rows[k]:
                    m.push(mout[k, : rows[k]])
            if progress is not None:
                progress(n)
            if status != 0:
                divergence = Divergence(sim_index, int(tb), (int(tb) + 1) * self.dt, int(ib), net.labels[int(ib)])
                break
        return SimResult({m.name: m.result() for m in mons}, divergence is not None, divergence, x, self._config(duration, params, seed))

    def _checked_normals(self, noise_normals, n_steps: int):
        """Explicit standard normal draws ``(n_steps, n_state, n_regions)``, or None (the seeded generator)."""
        if noise_normals is None:
            return None
        S, N = self.model.n_state, self.net.n_regions
        noise_normals = np.asarray(noise_normals, float)
        if noise_normals.shape != (n_steps, S, N):
            raise InputError(f"noise_normals must have shape ({n_steps}, {S}, {N}), got {noise_normals.shape}", field="noise_normals")
        return noise_normals

    def _monitor_buffers(self, n_steps: int):
        """Fresh monitors and the kernel's monitor arrays ``(periods, is_avg, acc, cnt, mout, rows, ocur)``."""
        N, n_out = self.net.n_regions, len(self.outputs)
        mons = [self.monitor_copy(m) for m in self.monitor_specs]
        periods = np.array([m.period_steps(self.dt) for m in mons], dtype=np.int64)
        for m, p in zip(mons, periods):
            m.begin(n_steps // p, n_out, N, self.dt, self.outputs, self.net.labels)
        max_rows = CHUNK_STEPS // int(periods.min()) + 1
        return mons, (
            periods, np.array([m.average for m in mons], dtype=np.bool_), np.zeros((len(mons), n_out, N)),
            np.zeros(len(mons), dtype=np.int64), np.empty((len(mons), max_rows, n_out, N)),
            np.zeros(len(mons), dtype=np.int64), np.zeros((n_out, N)),
        )

    def _chunk_drives(self, c0: int, n: int, noise_normals, stim_w):
        """The explicit noise draws and the stimulus of steps ``c0 .. c0 + n`` (dummies when absent)."""
        if noise_normals is not None and self.noisy:
            noise = np.ascontiguousarray(noise_normals[c0:c0 + n][:, list(self.noisy)])
        else:
            noise = np.zeros((1, 1, 1))
        if stim_w is None:
            return noise, np.zeros((1, 1))
        t = (c0 + np.arange(n)) * self.dt
        return noise, np.ascontiguousarray(np.asarray(self.stimulus.pattern(t), float)[:, None] * stim_w[None])

    @staticmethod
    def monitor_copy(m: Monitor) -> Monitor:
        """A fresh copy of a monitor for one run (its per-run state is made in ``begin``)."""
        new = type(m).__new__(type(m))
        new.__dict__.update(m.__dict__)
        return new

    def _config(self, duration, params, seed) -> dict:
        return {
            "model": self.model.name,
            "model_params": {k: (v if np.ndim(v) == 0 else np.asarray(v).tolist()) for k, v in self.model.values.items()},
            "coupling": self.coupling.name,
            "coupling_params": dict(self.coupling.values),
            "dt": self.dt,
            "speed": self.speed,
            "method": self.method,
            "duration": duration,
            "seed": seed,
            "overrides": {k: np.asarray(v).tolist() for k, v in (params or {}).items()},
            "nsig": None if self.nsig is None else self.nsig.tolist(),
            "connectome": getattr(self.connectome, "source", ""),
        }

    def _param_arrays(self, params: Mapping[str, Any] | None):
        mvals, cvals = {}, dict(self.coupling.values)
        for k, v in dict(params or {}).items():
            where, name = resolve_parameter(k, self.model, self.coupling)
            if where == "coupling":
                cvals[name] = float(np.asarray(v))
            else:
                mvals[name] = v
        P = np.ascontiguousarray(self.model.param_array(self.net.n_regions, mvals))
        CQ = np.array([cvals[n] for n in self.coupling.parameter_names], float)
        return P, CQ

    def _init_hbuf(self, hist: np.ndarray, CQ: np.ndarray) -> np.ndarray:
        """Ring buffer of the coupling's history signals, filled from the initial history."""
        from ..models.base import Vars

        L, N = self.net.horizon, self.net.n_regions
        T = hist.shape[0]
        lags = np.arange(L)  # lag k <-> time -k
        rows = hist[np.clip(T - 1 - lags, 0, T - 1)]  # (L, S, N)
        x = tuple(rows[:, i] for i in self._cv_idx)
        q = Vars(**dict(zip(self.coupling.parameter_names, CQ)))
        h = np.stack([np.broadcast_to(v, (L, N)) for v in self.coupling.pre(x, q, np)])  # (n_hist, L, N)
        hbuf = np.empty((self.n_hist, N, L))
        pos = (-lags) & self.net.mask
        hbuf[:, :, pos] = np.transpose(h, (0, 2, 1))
        return hbuf


def global_coupling(model, coupling, G: float | None):
    """The model and coupling of a run, with the global coupling strength ``G`` set where it belongs.

    ``G`` is the coupling's ``a``, or the model's own ``G`` where the model has
    one (:func:`~braintwin.models.resolve_parameter`); ``None`` leaves both as given.

    Examples
    --------
    >>> model, coupling = global_coupling("MontbrioPazoRoxin", None, 0.5)
    >>> coupling.values["a"]
    0.5
    """
    model = get_model(model)
    coupling = get_coupling(coupling, model=model)
    return (model, coupling) if G is None else with_parameter(model, coupling, "G", G)


def simulate(
    connectome,
    model,
    *,
    duration: float = 1000.0,
    coupling=None,
    G: float | None = None,
    dt: float = 0.01,
    speed: float = 3.0,
    delays: bool = True,
    method: str = "heun",
    noise=None,
    seed: int | None = 0,
    initial=None,
    monitors: Sequence[Any] = ("tavg:1.0",),
    outputs: Sequence[str] | None = None,
    stimulus: Stimulus | None = None,
    noise_normals: np.ndarray | None = None,
    on_divergence: str = "warn",
    engine: str = "numba",
    progress: bool = False,
) -> SimResult:
    """Simulate a network of neural masses coupled through a connectome with delays.

    Parameters
    ----------
    connectome : Connectome or str
        The network (a :class:`~braintwin.Connectome`, a file or a built-in name
        such as ``"tvb76"``).  Weights are used as given: normalise first
        (``conn.normalized("max")``) if the model expects it.
    model : Model or str
        A model instance (``MontbrioPazoRoxin(eta=-5)``) or name.
    duration : float
        Simulated time in ms.
    coupling : Coupling or str, optional
        Coupling function; the model's default if omitted.
    G : float, optional
        Global coupling strength: the coupling's ``a``, or the model's own ``G`` where it has one
        (:func:`~braintwin.models.resolve_parameter`).
    dt : float
        Integration step in ms.
    speed : float
        Conduction speed in mm/ms (= m/s); delays are ``rint(length / speed / dt)`` steps.
    delays : bool
        If False, every delay is zero.
    method : {"heun", "euler", "rk4"}
        Integrator (Heun and Euler are stochastic when ``noise`` is given).
    noise : float, sequence, mapping or array, optional
        Additive noise intensities (TVB's ``nsig``), per state variable (and
        optionally per region); each step adds ``sqrt(2 nsig dt) N(0, 1)``.
    seed : int
        Seed of the noise and of the random initial state.
    initial : array, optional
        Initial state ``(n_state, n_regions)`` (constant history) or history
        ``(T, n_state, n_regions)`` ending at t = 0; random from the model's
        ranges if omitted.
    monitors : sequence
        Monitors or specs like ``"tavg:1.0"``, ``"subsample:0.1"``, ``"raw"``.
    outputs : sequence of str, optional
        Recorded outputs: state variables or expressions of them (``"x2 - x1"``).
    stimulus : Stimulus, optional
        Regional input added to the model's ``stimulus_vars``.
    noise_normals : array, optional
        Explicit standard normal draws ``(n_steps, n_state, n_regions)`` instead
        of the seeded generator (for comparisons with other simulators).
    on_divergence : {"warn", "raise", "ignore"}
        What to do, besides flagging the result, when the state becomes non-finite.
    engine : {"numba", "jax", "numpy"}
        The compiled CPU engine (default), the JAX engine (``[jax]`` extra: GPU,
        vmap, gradients) or the slow NumPy reference evaluation.
    progress : bool
        Show a progress bar over integration steps.

    Returns
    -------
    SimResult

    Examples
    --------
    >>> import braintwin as bt
    >>> conn = bt.Connectome.builtin("tvb76").normalized("max").with_zero_diagonal()
    >>> res = bt.simulate(conn, bt.models.MontbrioPazoRoxin(), G=0.5, noise=(0.01, 0.02), duration=100.0)
    >>> res["tavg"].data.shape
    (100, 2, 76)
    """
    model, coupling = global_coupling(model, coupling, G)
    sim = Simulation(
        connectome, model, coupling=coupling, dt=dt, speed=speed, delays=delays, method=method, noise=noise,
        monitors=monitors, outputs=outputs, stimulus=stimulus, engine=engine,
    )
    bar = Bar(sim.n_steps(duration), "integrating steps") if progress else None
    try:
        res = sim.run(
            duration, seed=seed, initial=initial, noise_normals=noise_normals,
            progress=(lambda n: bar.advance(n)) if bar else None,
        )
    finally:
        if bar:
            bar.close()
    report_divergence([res.divergence] if res.diverged else [], on_divergence)
    return res
