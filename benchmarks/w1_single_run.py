"""W1: one long MPR run on tvb76 with delays and noise (the single-run speed claim).

MPR (tau=1, Delta=1, eta=-5, J=15), linear coupling G=0.5, tvb76 weights / max with
zero diagonal, 3 mm/ms, additive noise nsig=(0.01, 0.02), stochastic Heun,
dt=0.01 ms, 1 s simulated (100,000 steps), temporal average 1 ms.
Target: <= 0.3 s after compilation.  With tvb-library installed (the [bench]
extra), TVB's NumPy and numba backends run the same workload (`--no-peer` skips).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from _common import SPEED, emit, timed, tvb76, tvb_simulator, want_peer

import braintwin as bt

DT, LENGTH, NSIG, G = 0.01, 1000.0, (0.01, 0.02), 0.5


def main():
    conn = tvb76()
    model = bt.models.MontbrioPazoRoxin(tau=1.0, Delta=1.0, eta=-5.0, J=15.0)
    sim = bt.Simulation(conn, model, coupling=bt.models.Linear(a=G), dt=DT, speed=SPEED, noise=NSIG, monitors=["tavg:1.0"])
    seeds = iter(range(100))
    first, warm, res = timed(lambda: sim.run(LENGTH, seed=next(seeds)), repeats=5)
    rec = {
        "workload": "w1_single_run",
        "model": "MontbrioPazoRoxin",
        "n_regions": conn.n_regions,
        "n_steps": int(round(LENGTH / DT)),
        "seconds": round(warm, 4),
        "compile_seconds": round(first - warm, 3),
        "target_seconds": 0.3,
        "meets_target": warm <= 0.3,
        "diverged": bool(res.diverged),
        "block_steps": sim.net.block,
    }
    if want_peer():
        from tvb.simulator.lab import coupling, models

        tm = models.MontbrioPazoRoxin(tau=np.r_[1.0], Delta=np.r_[1.0], eta=np.r_[-5.0], J=np.r_[15.0])
        tsim = tvb_simulator(tm, coupling.Linear(a=np.r_[G]), np.array(NSIG, float), DT, LENGTH)
        t0 = time.perf_counter()
        tsim.run()
        rec["tvb_numpy_seconds"] = round(time.perf_counter() - t0, 2)
        rec["ratio_vs_tvb_numpy"] = round(rec["tvb_numpy_seconds"] / warm, 1)
        try:
            from tvb.simulator.backend.nb_mpr import NbMPRBackend

            tsim = tvb_simulator(models.MontbrioPazoRoxin(tau=np.r_[1.0], Delta=np.r_[1.0], eta=np.r_[-5.0], J=np.r_[15.0]),
                                 coupling.Linear(a=np.r_[G]), np.array(NSIG, float), DT, LENGTH)
            t0 = time.perf_counter()
            NbMPRBackend().run_sim(tsim, simulation_length=LENGTH)
            first_nb = time.perf_counter() - t0
            t0 = time.perf_counter()
            NbMPRBackend().run_sim(tsim, simulation_length=LENGTH)
            rec["tvb_numba_seconds"] = round(time.perf_counter() - t0, 2)
            rec["tvb_numba_compile_seconds"] = round(first_nb - rec["tvb_numba_seconds"], 2)
            rec["ratio_vs_tvb_numba"] = round(rec["tvb_numba_seconds"] / warm, 1)
        except Exception as e:  # pragma: no cover - peer problems are reported, not fatal
            rec["tvb_numba_error"] = f"{type(e).__name__}: {e}"[:200]
    emit(rec)


if __name__ == "__main__":
    sys.exit(main())
