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
    mons = sim.monitor_specs
    N, n_out = sim.net.n_regions, len(sim.outputs)
    # Monitors decide their own shapes (an EEG has sensors, BOLD one sample per TR), so the
    # batch store is allocated from the first complete result; results that arrive before
    # (diverged, shorter ones) wait in `pending`.
    store: dict[str, np.ndarray] = {}
    proto: dict[str, TimeSeries] = {}
    pending: list[tuple[int, SimResult]] = []
    diverged = np.zeros(n, dtype=bool)
    divs: list[Divergence | None] = [None] * n
    n_workers = max(1, min(n, n_workers or os.cpu_count() or 1))

    bar = progress_bar(progress, n, n_steps)
    lock = threading.Lock()

    def _put(k: int, res: SimResult) -> None:
        for name, ts in res.monitors.items():
            with np.errstate(over="ignore", invalid="ignore"):  # values just before a divergence may not fit float32
                store[name][k, : len(ts.time)] = ts.data

    def one(k: int):
        pk = {name: v[k] for name, v in params.items()}
        res = sim.run(duration, params=pk, seed=int(seed_arr[k]), initial=initial, sim_index=k)
        with lock:
            if not store and not res.diverged:
                for name, ts in res.monitors.items():
                    proto[name] = ts
                    store[name] = np.full((n,) + ts.data.shape, np.nan, dtype=dtype)
                for kk, rr in pending:
                    _put(kk, rr)
                pending.clear()
            if not store:
                pending.append((k, res))
        if store:
            _put(k, res)
        if res.diverged:
            diverged[k] = True
            divs[k] = res.divergence
        if bar is not None:
            with lock:
                bar.advance()

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
    if not store:  # every simulation diverged: shapes from the longest result
        for name in pending[0][1].monitors:
            longest = max((r.monitors[name] for _, r in pending), key=lambda ts: len(ts.time))
            proto[name] = longest
            store[name] = np.full((n,) + longest.data.shape, np.nan, dtype=dtype)
        for kk, rr in pending:
            _put(kk, rr)
    out = {
        name: TimeSeries(ts.time, store[name], ts.outputs, ts.labels, name) for name, ts in proto.items()
    }
    dl = [d for d in divs if d is not None]
    report_divergence(dl, on_divergence)
    cfg = sim._config(duration, None, None)
    return BatchResult(out, diverged, dl, params, seed_arr, cfg)
