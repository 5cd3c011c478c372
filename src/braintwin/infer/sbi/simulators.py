"""Simulators for campaigns: parameter sets and seeds in, feature vectors and a status out.

A *simulator* is any object with

- ``simulate(params, seeds) -> (x, status)``: ``params`` maps a prior's names to
  ``(n,)`` or ``(n, n_regions)`` arrays, ``seeds`` is ``(n,)``; ``x`` is
  ``(n, n_features)`` float, ``status`` ``(n,)`` uint8 (:data:`OK`, :data:`DIVERGED`,
  :data:`FAILED`);
- ``feature_names``: list of str (may be filled by the first ``simulate`` call);
- ``config() -> dict``: a JSON-ready description, with checksums of the data it uses.

:class:`NetworkSimulator` runs the braintwin engines (numba on CPU, the JAX batch on
a GPU), an observation model, and named feature sets (:func:`braintwin.features.compute`)
inside the worker.  :class:`FunctionSimulator` wraps a plain numpy function.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.util
import os
import time as _time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ...errors import InputError

__all__ = ["NetworkSimulator", "FunctionSimulator", "vep_simulator", "OK", "DIVERGED", "FAILED", "PENDING", "arrays_sha256"]

#: Row status codes of a campaign.
OK, DIVERGED, FAILED, PENDING = 0, 1, 2, 255


def arrays_sha256(*arrays) -> str:
    """SHA-256 of arrays' dtypes, shapes and bytes (C order), in order.

    Example
    -------
    >>> arrays_sha256(np.eye(2)) == arrays_sha256(np.eye(2).copy())
    True
    """
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()


def _jsonable(v):
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


class FunctionSimulator:
    """A campaign simulator made of a plain function (tests, toy models, external codes).

    Parameters
    ----------
    fn : callable
        ``fn(params: dict[str, ndarray], seeds: ndarray) -> x`` or ``-> (x, status)``
        with ``x`` of shape ``(n, n_features)``.  For Dask it must be picklable (a
        module-level function).  Rows of ``x`` must depend only on their own
        parameters and seed, so that chunking and resumption change nothing.
    feature_names : sequence of str
        One name per column of ``x``.
    config : dict, optional
        JSON-ready description stored in the campaign file (and compared on resume).

    Example
    -------
    >>> def linear(params, seeds):
    ...     noise = np.array([np.random.default_rng(s).normal() for s in seeds])
    ...     return (2.0 * params["a"] + noise)[:, None]
    >>> sim = FunctionSimulator(linear, ["y"], {"noise_sd": 1.0})
    """

    def __init__(self, fn: Callable, feature_names: Sequence[str], config: Mapping[str, Any] | None = None):
        if not callable(fn):
            raise InputError("fn must be callable", field="fn")
        self.fn = fn
        self.feature_names = [str(n) for n in feature_names]
        self._config = _jsonable(dict(config or {}))

    def simulate(self, params: Mapping[str, np.ndarray], seeds: np.ndarray):
        """Run ``fn``; returns ``(x (n, n_features) float64, status (n,) uint8)``."""
        seeds = np.asarray(seeds)
        out = self.fn(dict(params), seeds)
        x, status = out if isinstance(out, tuple) else (out, np.zeros(len(seeds), np.uint8))
        x = np.asarray(x, dtype=np.float64).reshape(len(seeds), -1)
        if x.shape[1] != len(self.feature_names):
            raise InputError(f"{x.shape[1]} features for {len(self.feature_names)} names", field="feature_names")
        return x, np.asarray(status, dtype=np.uint8).reshape(len(seeds))

    def config(self) -> dict:
        """``{"kind": "FunctionSimulator", "function": module.name, "feature_names", **config}``."""
        name = f"{getattr(self.fn, '__module__', '')}.{getattr(self.fn, '__qualname__', type(self.fn).__name__)}"
        return {"kind": "FunctionSimulator", "function": name, "feature_names": self.feature_names, **self._config}


@functools.lru_cache(maxsize=1)
def gpu_present() -> bool:
    """True when JAX sees a GPU (checked once per process; no JAX import without a GPU driver)."""
    if importlib.util.find_spec("jax") is None or not (os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/kfd")):
        return False
    try:
        import jax

        return any(d.platform == "gpu" for d in jax.devices())
    except Exception:  # a broken CUDA install must not stop a CPU campaign
        return False


def _monitor_spec(monitor) -> Any:
    """JSON description of a monitor: its spec string, or its class and simple fields."""
    if isinstance(monitor, str):
        return monitor
    simple = {k: v for k, v in vars(monitor).items() if not k.startswith("_") and isinstance(v, (int, float, str, bool))}
    return {"type": type(monitor).__name__, **simple}


class NetworkSimulator:
    """Network simulations observed and summarised by feature sets, for campaigns.

    Parameters
    ----------
    connectome : Connectome or str
        Used as given (normalise it first, as for :func:`braintwin.simulate`).
    model : Model or str
        Fixed parameter values; a prior's names override them per simulation.
    features : sequence of str
        Feature sets (:func:`braintwin.features.available`), computed in the worker.
    monitor : str or Monitor
        What is observed: ``"tavg:1.0"``, an observer spec (``"bold:tr=720"``,
        ``"seeg:montage=bipolar"``) or a monitor instance (e.g. ``SEEG(lead_field=...)``).
    output : str, optional
        Which output of the monitor feeds the features (needed with several outputs).
    feature_options : dict, optional
        Options of the feature sets (see :func:`braintwin.features.describe`).
    duration, skip_ms : float
        Simulated time and initial transient left out of the features, in ms.
    dt, speed, method, coupling, G
        As in :func:`braintwin.simulate_batch` (``G`` is the coupling scale when
        the prior has no ``G``).
    noise : optional
        Noise intensities (TVB's nsig) when the prior has no ``nsig``.
    noise_weights : sequence of float, optional
        With ``nsig`` in the prior: the intensity of state variable ``i`` is
        ``nsig * noise_weights[i]`` (default 1 for every state variable).
    engine : {"auto", "numba", "jax"}
        ``"auto"``: the JAX batch when JAX sees a GPU, numba otherwise (decided in
        the worker).  The JAX batch draws a chunk's noise at once (chunk x steps x
        states x regions values): keep ``chunk_size`` small for long noisy runs.
    n_threads : int, optional
        Threads per worker (default: all cores).
    delays, initial
        As in :func:`braintwin.simulate_batch` (no delays and a fixed initial state
        for the VEP network).
    seeg_gain : array (n_contacts, n_regions), optional
        Observe the monitor's output through the VEP's SEEG log-power forward model,
        ``seeg_amp * log(seeg_gain @ exp(x)) + seeg_offset``
        (:func:`braintwin.features.vep_observation`); channels named ``seeg_labels``.
    obs_noise : float
        Standard deviation of Gaussian measurement noise added to the observed
        signal, seeded by each row's seed.
    fs_hz : float, optional
        Sampling rate given to the feature sets; default from the monitor's
        period (time in ms).  For models in dimensionless time (the VEP).

    Notes
    -----
    ``G`` and the model's parameters vary within one engine batch; ``speed`` and
    ``nsig`` change the delays and the noise of the whole simulation, so a prior
    over them runs one simulation per row (threads in parallel).  Diverged rows get
    status :data:`DIVERGED` and NaN features.

    Example
    -------
    >>> import braintwin as bt
    >>> conn = bt.Connectome.builtin("tvb76").normalized("max").with_zero_diagonal()
    >>> sim = NetworkSimulator(conn, "MontbrioPazoRoxin", ["fc", "fcd_stats"], monitor="bold:tr=720",
    ...                        duration=60_000.0, skip_ms=10_000.0, dt=0.1)
    """

    def __init__(self, connectome, model, features: Sequence[str], *, monitor="tavg:1.0", output: str | None = None,
                 feature_options: Mapping[str, Any] | None = None, duration: float = 1000.0, skip_ms: float = 0.0,
                 dt: float = 0.01, speed: float = 3.0, method: str = "heun", coupling=None, G: float | None = None,
                 noise=None, noise_weights: Sequence[float] | None = None, engine: str = "auto",
                 n_threads: int | None = None, delays: bool = True, initial=None, seeg_gain=None,
                 seeg_labels: Sequence[str] | None = None, seeg_amp: float = 1.0, seeg_offset: float = 0.0,
                 obs_noise: float = 0.0, fs_hz: float | None = None):
        from ...connectome import as_connectome
        from ...features import get_feature_set
        from ...simulate.core import global_coupling

        self.connectome = as_connectome(connectome)
        self.model, self.coupling = global_coupling(model, coupling, G)
        self.features = [features] if isinstance(features, str) else [str(f) for f in features]
        if not self.features:
            raise InputError("no feature sets given", field="features")
        for f in self.features:
            get_feature_set(f)  # unknown names fail here, not in a worker
        if engine not in ("auto", "numba", "jax"):
            raise InputError(f"engine must be auto, numba or jax, got {engine!r}", field="engine")
        if not 0 <= float(skip_ms) < float(duration):
            raise InputError(f"skip_ms must be in [0, duration={duration}), got {skip_ms}", field="skip_ms")
        self.monitor, self.output = monitor, output
        self.feature_options = dict(feature_options or {})
        self.duration, self.skip_ms, self.dt, self.speed = float(duration), float(skip_ms), float(dt), float(speed)
        self.method, self.noise, self.engine, self.n_threads = method, noise, engine, n_threads
        S = self.model.n_state
        self.noise_weights = np.ones(S) if noise_weights is None else np.asarray(noise_weights, float)
        if self.noise_weights.shape != (S,) or np.any(self.noise_weights < 0):
            raise InputError(f"noise_weights needs {S} values >= 0 ({', '.join(self.model.state_names)})",
                             field="noise_weights")
        self.delays, self.initial = bool(delays), None if initial is None else np.asarray(initial, float)
        self.seeg_gain = None if seeg_gain is None else np.asarray(seeg_gain, float)
        if self.seeg_gain is not None and (self.seeg_gain.ndim != 2 or self.seeg_gain.shape[1] != self.connectome.n_regions):
            raise InputError(f"the SEEG gain must be (n_contacts, {self.connectome.n_regions}), got "
                             f"{self.seeg_gain.shape}", field="seeg_gain")
        self.seeg_labels = None if seeg_labels is None else [str(c) for c in seeg_labels]
        self.seeg_amp, self.seeg_offset, self.obs_noise = float(seeg_amp), float(seeg_offset), float(obs_noise)
        self.fs_hz = None if fs_hz is None else float(fs_hz)
        self.feature_names: list[str] = []
        self.seconds: dict[str, float] = {}  # wall seconds simulating and computing features (see simulate)
        self._monitor_obj()  # a bad monitor spec or lead field fails now

    def _monitor_obj(self):
        from ...observe import get_observer
        from ...observe.spec import OBSERVERS
        from ...simulate.monitors import get_monitor

        m = self.monitor
        if isinstance(m, str) and m.partition(":")[0].strip().lower() in OBSERVERS:
            return get_observer(m, self.connectome)
        return get_monitor(m)

    def check_prior(self, prior) -> None:
        """Raise InputError unless every prior name is a parameter here, with a matching shape."""
        allowed = set(self.model.parameter_names) | set(self.coupling.parameter_names) | {"G", "speed", "nsig"}
        unknown = [n for n in prior.names if n not in allowed]
        if unknown:
            raise InputError(f"unknown parameter(s) {', '.join(unknown)}; {self.model.name} with "
                             f"{self.coupling.name} coupling takes {', '.join(sorted(allowed))}", field="prior")
        R = self.connectome.n_regions
        for n in prior.names:
            if prior.shapes[n] not in ((), (R,)) or (prior.shapes[n] and n in ("G", "speed")):
                raise InputError(f"shape {prior.shapes[n]} does not fit {R} regions", field=n)

    def with_threads(self, n_threads: int | None) -> "NetworkSimulator":
        """A copy that uses ``n_threads`` threads (one Dask worker thread: 1)."""
        new = copy.copy(self)
        new.n_threads = n_threads
        return new

    def _engine(self) -> str:
        return ("jax" if gpu_present() else "numba") if self.engine == "auto" else self.engine

    def _gain_sha256(self) -> str | None:
        if self.seeg_gain is not None:
            return arrays_sha256(self.seeg_gain)
        mon = self._monitor_obj()
        if not callable(getattr(mon, "gain", None)):
            return None
        c = self.connectome
        return arrays_sha256(np.asarray(mon.gain(c.labels), dtype=np.float64))

    def config(self) -> dict:
        """JSON-ready description: model, coupling, monitor, features, integration, checksums."""
        c = self.connectome
        return _jsonable({
            "kind": "NetworkSimulator",
            "connectome_source": getattr(c, "source", ""),
            "n_regions": int(c.n_regions),
            "connectome_sha256": arrays_sha256(c.weights, c.tract_lengths, np.array(c.labels, dtype=object)),
            "gain_sha256": self._gain_sha256(),
            "model": self.model.name, "model_params": self.model.values,
            "coupling": self.coupling.name, "coupling_params": self.coupling.values,
            "monitor": _monitor_spec(self.monitor), "output": self.output,
            "features": self.features, "feature_options": self.feature_options,
            "duration": self.duration, "skip_ms": self.skip_ms, "dt": self.dt, "speed": self.speed,
            "method": self.method, "noise": self.noise, "noise_weights": self.noise_weights, "engine": self.engine,
            "delays": self.delays, "initial": self.initial, "seeg_labels": self.seeg_labels,
            "seeg_amp": self.seeg_amp, "seeg_offset": self.seeg_offset, "obs_noise": self.obs_noise,
            "fs_hz": self.fs_hz,
        })

    # -- running ---------------------------------------------------------------------
    def _batch(self, params: dict, seeds: np.ndarray, *, speed: float, noise, n_workers: int):
        from ...simulate import simulate_batch

        return simulate_batch(
            self.connectome, self.model, params, seeds=seeds, duration=self.duration, coupling=self.coupling,
            dt=self.dt, speed=speed, delays=self.delays, method=self.method, noise=noise, initial=self.initial,
            monitors=[self._monitor_obj()],
            n_workers=n_workers, progress=False, on_divergence="ignore", dtype=np.float64, engine=self._engine(),
        )

    def _noise_of(self, nsig) -> Any:
        nsig = np.asarray(nsig, float)
        if nsig.ndim == 0:
            return self.noise_weights * float(nsig)
        return self.noise_weights[:, None] * nsig[None, :]  # per region: (n_state, n_regions)

    def _run(self, params: dict, seeds: np.ndarray):
        """Monitor time series of every row: (TimeSeries per row or batch, diverged (n,))."""
        n_workers = self.n_threads or os.cpu_count() or 1
        speed, nsig = params.pop("speed", None), params.pop("nsig", None)
        if speed is None and nsig is None:
            res = self._batch(params, seeds, speed=self.speed, noise=self.noise, n_workers=n_workers)
            ts = next(iter(res.monitors.values()))
            return [ts], np.asarray(res.diverged, bool)

        def one(k: int):
            pk = {name: v[k: k + 1] for name, v in params.items()}
            noise = self.noise if nsig is None else self._noise_of(nsig[k])
            sp = self.speed if speed is None else float(speed[k])
            r = self._batch(pk, seeds[k: k + 1], speed=sp, noise=noise, n_workers=1)
            return next(iter(r.monitors.values())), bool(r.diverged[0])

        with ThreadPoolExecutor(max(1, min(n_workers, len(seeds)))) as ex:
            rows = list(ex.map(one, range(len(seeds))))
        return [r[0] for r in rows], np.array([r[1] for r in rows], dtype=bool)

    def _stack(self, series: list, diverged: np.ndarray):
        """One (n, T, n_out, C) array and its time axis from per-row or batch series."""
        if len(series) == 1 and series[0].data.ndim == 4 and series[0].data.shape[0] == len(diverged):
            return series[0].time, series[0].data, series[0]
        ok = [s for s, d in zip(series, diverged) if not d] or series
        proto = max(ok, key=lambda s: len(s.time))
        data = np.full((len(series),) + proto.data.shape[1:], np.nan)
        for k, s in enumerate(series):
            data[k, : s.data.shape[1]] = s.data[0]
        return proto.time, data, proto

    def simulate(self, params: Mapping[str, np.ndarray], seeds: np.ndarray, *, return_timeseries: bool = False):
        """Simulate, observe and compute the features of ``len(seeds)`` parameter sets.

        Returns ``(x (n, n_features), status (n,) uint8)`` (plus the observed time
        series ``(n, n_times, n_channels)`` float32 when ``return_timeseries``).
        Rows whose run diverged have status :data:`DIVERGED` and NaN features.
        """
        seeds = np.asarray(seeds, dtype=np.int64)
        params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
        t0 = _time.perf_counter()
        series, diverged = self._run(dict(params), seeds)
        time, data, proto = self._stack(series, diverged)
        t1 = _time.perf_counter()
        keep = time >= self.skip_ms
        if self.output is None and data.shape[2] > 1:
            raise InputError(f"the monitor records {proto.outputs}; choose one with output=", field="output")
        if self.output is not None and self.output not in proto.outputs:
            raise InputError(f"no output {self.output!r}; the monitor records {proto.outputs}", field="output")
        k_out = 0 if self.output is None else list(proto.outputs).index(self.output)
        signal, labels = self._observe(data[:, keep, k_out, :], seeds, proto.labels)
        x = self._features(signal, time[keep], labels, diverged)
        # wall seconds per stage in this process (a benchmark's split of a campaign's time)
        self.seconds = {"simulate": self.seconds.get("simulate", 0.0) + (t1 - t0),
                        "features": self.seconds.get("features", 0.0) + (_time.perf_counter() - t1)}
        status = np.where(diverged, DIVERGED, OK).astype(np.uint8)
        return (x, status, signal.astype(np.float32)) if return_timeseries else (x, status)

    def features_of(self, signal) -> np.ndarray:
        """Features of a recorded signal as the campaign computes them from a simulated one.

        Parameters
        ----------
        signal : array (n_times, n_channels) or (n, n_times, n_channels)
            What the simulator's observation produces (e.g. an SEEG log-power
            envelope for :func:`vep_simulator`), after the transient.

        Returns
        -------
        ndarray (n_features,) or (n, n_features)
            In the order of :attr:`feature_names` (filled by this call).

        Example
        -------
        >>> x_obs = sim.features_of(patient.observation)        # doctest: +SKIP
        """
        y = np.asarray(signal, dtype=np.float64)
        if y.ndim not in (2, 3):
            raise InputError(f"expected (n_times, n_channels) or (n, n_times, n_channels), got {y.shape}", field="signal")
        rows = y[None] if y.ndim == 2 else y
        period = float(getattr(self._monitor_obj(), "period", 1.0) or 1.0)
        labels = self.seeg_labels or [f"c{i}" for i in range(rows.shape[2])]
        x = self._features(rows, np.arange(rows.shape[1]) * period, labels, np.zeros(len(rows), bool))
        return x[0] if y.ndim == 2 else x

    def _observe(self, signal: np.ndarray, seeds: np.ndarray, labels):
        """The recorded signal: SEEG log power when a gain is set, plus measurement noise."""
        if self.seeg_gain is not None:
            from ...features import vep_observation

            signal = vep_observation(signal, self.seeg_gain, self.seeg_amp, self.seeg_offset)
            labels = self.seeg_labels or [f"c{i}" for i in range(self.seeg_gain.shape[0])]
        if self.obs_noise > 0:  # each row's own stream: rows do not depend on the chunking
            noise = np.stack([np.random.default_rng([int(s), 1]).standard_normal(signal.shape[1:]) for s in seeds])
            signal = signal + self.obs_noise * noise
        return signal, labels

    def _features(self, signal: np.ndarray, time: np.ndarray, labels, diverged: np.ndarray) -> np.ndarray:
        """Features of the rows that did not diverge; NaN rows for the others."""
        from ...features import compute

        rate = {"fs_hz": self.fs_hz} if self.fs_hz else {"dt_ms": float(time[1] - time[0]) if time.size > 1 else None}
        ok = ~diverged
        # with no usable row, names come from noise of the same shape (values are all NaN)
        rows = signal[ok] if ok.any() else np.random.default_rng(0).standard_normal(signal[:1].shape)
        fv = compute(rows, self.features, **rate, labels=list(labels), on_nonfinite="ignore",
                     n_threads=self.n_threads, **self.feature_options)
        self.feature_names = list(fv.names)
        x = np.full((len(signal), len(fv.names)), np.nan)
        if ok.any():
            x[ok] = fv.values
        return x


def vep_simulator(connectome, gain, *, features: Sequence[str] = ("vep_sbi",),
                  feature_options: Mapping[str, Any] | None = None, I1: float = 3.1, tau0: float = 20.0,
                  K: float = 1.0, dt: float = 0.25, n_times: int = 150, steps_per_sample: int = 1,
                  initial=(-2.0, 4.0), contact_labels: Sequence[str] | None = None, amplitude: float = 1.0,
                  offset: float = 0.0, obs_noise: float = 0.0, fs_hz: float = 100.0, engine: str = "auto",
                  n_threads: int | None = None) -> NetworkSimulator:
    """The amortised-VEP simulator: VEP2D network, SEEG log power, the ``vep_sbi`` features.

    The network is the 2D Epileptor (:class:`~braintwin.models.VEP2D`) with
    difference coupling, no delays and Heun steps of ``dt``, from the same initial
    state ``(x, z)`` in every region, sampled every ``steps_per_sample`` steps for
    ``n_times`` samples, as the Bayesian VEP (:mod:`braintwin.vep`); its ``x`` is
    observed through ``amplitude * log(gain @ exp(x)) + offset``.  A prior over
    ``x0`` (per region) and ``K`` makes the campaign of Hashemi et al. (2023).

    Parameters
    ----------
    connectome : Connectome
        Normalised, zero diagonal (as the VEP uses it).
    gain : array (n_contacts, n_regions)
        Monopolar SEEG gain (its SHA-256 goes into the campaign configuration).
    I1, tau0, K : float
        Fixed VEP2D values (``K`` unless the prior has it).
    initial : (x, z) or array (2, n_regions)
        Initial state of every simulation.
    fs_hz : float
        Sampling rate assigned to the samples for the spectral features of
        ``vep_sbi`` (the VEP's time is dimensionless; at 100 Hz every canonical
        band has a frequency bin below Nyquist for 80 samples or more).

    References
    ----------
    Hashemi M et al. (2023) Amortized Bayesian inference on generative dynamical
    network models of epilepsy using deep neural density estimators. Neural
    Networks 163:178-194.

    Example
    -------
    >>> sim = vep_simulator(conn, gain)                                  # doctest: +SKIP
    >>> prior = Prior({"x0": {"dist": "uniform", "low": -4, "high": -1, "per_region": True},
    ...                "K": Uniform(0.0, 2.0)}, model="VEP2D", region_labels=conn.labels)   # doctest: +SKIP
    """
    from ...models import VEP2D, Difference

    N = connectome.n_regions
    init = np.asarray(initial, float)
    init = np.repeat(init[:, None], N, axis=1) if init.shape == (2,) else init
    period = steps_per_sample * dt
    return NetworkSimulator(
        connectome, VEP2D(I1=I1, tau0=tau0, K=K), features, monitor=f"subsample:{period}", output="x",
        feature_options=feature_options, duration=n_times * period, dt=dt, method="heun",
        coupling=Difference(a=1.0), delays=False, initial=init, seeg_gain=gain, seeg_labels=contact_labels,
        seeg_amp=amplitude, seeg_offset=offset, obs_noise=obs_noise, fs_hz=fs_hz, engine=engine, n_threads=n_threads,
    )
