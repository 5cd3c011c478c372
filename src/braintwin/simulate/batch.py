"""``simulate_batch``: many seeded simulations in parallel threads (or one JAX ``vmap``)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping, Sequence

import numpy as np

from .core import Simulation, global_coupling
from .monitors import TimeSeries
from .progress import progress_bar
from .results import BatchResult, Divergence, SimResult, batch_arguments, report_divergence
from .stimulus import Stimulus

__all__ = ["simulate_batch"]


def simulate_batch(
    connectome,
    model,
    params: Mapping[str, Any] | None = None,
    *,
    n_sims: int | None = None,
    seeds: Sequence[int] | int | None = 0,
    duration: float = 1000.0,
    coupling=None,
    G: float | None = None,
    dt: float = 0.01,
    speed: float = 3.0,
    delays: bool = True,
    method: str = "heun",
    noise=None,
    initial=None,
    monitors: Sequence[Any] = ("tavg:1.0",),
    outputs: Sequence[str] | None = None,
    stimulus: Stimulus | None = None,
    n_workers: int | None = None,
    progress: bool | None = None,
    on_divergence: str = "warn",
    dtype=np.float32,
    engine: str = "numba",
) -> BatchResult:
    """Run many simulations that differ in parameter values and seeds, in parallel.

    Parameters
    ----------
    params : mapping of name to array
        For each parameter to vary, ``n_sims`` values (global) or an array
        ``(n_sims, n_regions)`` (per region).  Model parameters and the
        coupling's (``G``/``a``, ...) may be mixed.
    n_sims : int, optional
        Number of simulations (inferred from ``params`` when given).
    seeds : int or sequence of int
        One seed per simulation, or a base seed from which independent
        per-simulation seeds are derived (``SeedSequence(base).spawn``).  A
        simulation's output depends only on its own seed and parameters, not on
        the batch or the number of workers.
    n_workers : int, optional
        Parallel workers (threads running the nogil kernel); all cores by default.
    progress : bool, optional
        Show a progress bar (default: when running more than one simulation on a terminal).
    dtype : numpy dtype
        Storage type of the outputs (float32 halves the memory).

    Other parameters are as in :func:`simulate` and apply to every simulation.

    Returns
    -------
    BatchResult
    """
    params, seed_arr = batch_arguments(params, n_sims, seeds)
    n = len(seed_arr)

    model, coupling = global_coupling(model, coupling, G)
    sim = Simulation(
        connectome, model, coupling=coupling, dt=dt, speed=speed, delays=delays, method=method, noise=noise,
        monitors=monitors, outputs=outputs, stimulus=stimulus, engine=engine,
    )
    n_steps = sim.n_steps(duration)
    if engine == "jax":
        from .jax_engine import simulate_batch_jax

        res = simulate_batch_jax(sim, duration, params, seeds=seed_arr, initial=initial)
        report_divergence(res.divergences, on_divergence)
        return res
    if engine == "numba":
        sim.kernel  # compile once, before the threads start
    # the monitors' full time axes, for a batch in which every run diverged (and stopped early)
    store = _BatchStore(n, dtype, full_times=lambda: {m.name: m.full_times() for m in sim._monitor_buffers(n_steps)[0]})
    bar = progress_bar(progress, n, n_steps)
    lock = threading.Lock()

    def one(k: int):
        pk = {name: v[k] for name, v in params.items()}
        store.add(k, sim.run(duration, params=pk, seed=int(seed_arr[k]), initial=initial, sim_index=k))
        if bar is not None:
            with lock:
                bar.advance()

    n_workers = max(1, min(n, n_workers or os.cpu_count() or 1))
    try:
        if n_workers == 1:
            for k in range(n):
                one(k)
        else:
            with ThreadPoolExecutor(n_workers) as ex:
                list(ex.map(one, range(n)))
    finally:
        if bar is not None:
            bar.close()
    out = store.result()
    dl = [d for d in store.divs if d is not None]
    report_divergence(dl, on_divergence)
    return BatchResult(out, store.diverged, dl, params, seed_arr, sim._config(duration, None, None))


class _BatchStore:
    """The batch's arrays ``(n_sims, ...)`` per monitor, filled by worker threads as runs finish.

    Monitors decide their own shapes (an EEG has sensors, BOLD one sample per
    TR), so the arrays are allocated from the first complete result; results
    that arrive before (diverged, shorter ones) wait in ``pending``.
    """

    def __init__(self, n: int, dtype, full_times=None):
        self.n, self.dtype, self.full_times = n, dtype, full_times
        self.store: dict[str, np.ndarray] = {}
        self.proto: dict[str, TimeSeries] = {}
        self.pending: list[tuple[int, SimResult]] = []
        self.diverged = np.zeros(n, dtype=bool)
        self.divs: list[Divergence | None] = [None] * n
        self.lock = threading.Lock()

    def _allocate(self, shapes_from: dict[str, TimeSeries]) -> None:
        for name, ts in shapes_from.items():
            self.proto[name] = ts
            self.store[name] = np.full((self.n,) + ts.data.shape, np.nan, dtype=self.dtype)
        for kk, rr in self.pending:
            self._put(kk, rr)
        self.pending.clear()

    def _put(self, k: int, res: SimResult) -> None:
        for name, ts in res.monitors.items():
            with np.errstate(over="ignore", invalid="ignore"):  # values just before a divergence may not fit float32
                self.store[name][k, : len(ts.time)] = ts.data

    def add(self, k: int, res: SimResult) -> None:
        """Store run ``k`` (thread-safe)."""
        with self.lock:
            if not self.store and not res.diverged:
                self._allocate(res.monitors)
            if not self.store:
                self.pending.append((k, res))
        if self.store:
            self._put(k, res)
        if res.diverged:
            self.diverged[k] = True
            self.divs[k] = res.divergence

    def result(self) -> dict[str, TimeSeries]:
        """One :class:`TimeSeries` per monitor with data ``(n_sims, n_times, n_outputs, n_regions)``."""
        if not self.store:  # every simulation diverged: the full time axes (NaN after each run's stop)
            full = self.full_times() if self.full_times is not None else {}
            protos = {}
            for name in self.pending[0][1].monitors:
                ts = max((r.monitors[name] for _, r in self.pending), key=lambda ts: len(ts.time))
                t = full.get(name, ts.time)
                protos[name] = TimeSeries(t, np.empty((len(t),) + ts.data.shape[1:]), ts.outputs, ts.labels, name)
            self._allocate(protos)
        return {name: TimeSeries(ts.time, self.store[name], ts.outputs, ts.labels, name) for name, ts in self.proto.items()}
