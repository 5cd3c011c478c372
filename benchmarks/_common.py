"""Shared set-up of the benchmark workloads (tvb76, weights / max, zero diagonal, 3 mm/ms)."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time

import numpy as np

SPEED = 3.0  # mm/ms


def tvb76():
    import braintwin as bt

    return bt.Connectome.builtin("tvb76").normalized("max").with_zero_diagonal()


def timed(fn, repeats: int = 5):
    """(first call seconds, median of warm calls, last result)."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        warm.append(time.perf_counter() - t0)
    return first, statistics.median(warm), out


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.machine()}


def emit(record: dict) -> None:
    record.setdefault("machine", machine())
    print(json.dumps(record), flush=True)


def want_peer(argv=None) -> bool:
    argv = sys.argv[1:] if argv is None else argv
    if "--no-peer" in argv:
        return False
    try:
        import tvb.simulator.lab  # noqa: F401
    except Exception:
        return False
    return True


def tvb_simulator(model, coupling, nsig, dt, length_ms, tavg_period=1.0, seed=42):
    """TVB's simulator on the same workload (tvb76, weights / max, zero diagonal, 3 mm/ms)."""
    import warnings

    warnings.filterwarnings("ignore")
    from tvb.simulator.lab import connectivity, integrators, monitors, noise, simulator

    conn = connectivity.Connectivity.from_file("connectivity_76.zip")
    conn.weights = conn.weights / conn.weights.max()
    np.fill_diagonal(conn.weights, 0.0)
    conn.speed = np.array([SPEED])
    integ = integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=np.asarray(nsig, float), noise_seed=seed))
    sim = simulator.Simulator(
        model=model, connectivity=conn, coupling=coupling, integrator=integ,
        monitors=(monitors.TemporalAverage(period=tavg_period),), simulation_length=length_ms,
    )
    sim.configure()
    return sim
