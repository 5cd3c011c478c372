"""W1-JR: the W1 workload with Jansen-Rit and its sigmoidal coupling (speed is general).

Jansen-Rit (TVB defaults), SigmoidalJansenRit coupling a=0.5 (G), tvb76 weights / max
with zero diagonal, 3 mm/ms, additive noise nsig = 1e-4 on y4 (the pyramidal input
derivative), stochastic Heun, dt = 0.01 ms, 1 s simulated, temporal average 1 ms of
y1 - y2.  Runs through the same generic engine path as every model.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from _common import SPEED, emit, timed, tvb76, tvb_simulator, want_peer

import braintwin as bt

DT, LENGTH, G = 0.01, 1000.0, 0.5
NSIG = (0.0, 0.0, 0.0, 0.0, 1e-4, 0.0)


def main():
    conn = tvb76()
    sim = bt.Simulation(conn, bt.models.JansenRit(), coupling=bt.models.SigmoidalJansenRit(a=G), dt=DT, speed=SPEED,
                        noise=NSIG, monitors=["tavg:1.0"], outputs=["y1 - y2"])
    seeds = iter(range(100))
    first, warm, res = timed(lambda: sim.run(LENGTH, seed=next(seeds)), repeats=5)
    rec = {
        "workload": "w1_jr_single_run",
        "model": "JansenRit",
        "n_regions": conn.n_regions,
        "n_steps": int(round(LENGTH / DT)),
        "seconds": round(warm, 4),
        "compile_seconds": round(first - warm, 3),
        "diverged": bool(res.diverged),
    }
    if want_peer():
        from tvb.simulator.lab import coupling, models

        tsim = tvb_simulator(models.JansenRit(), coupling.SigmoidalJansenRit(a=np.r_[G]), np.array(NSIG, float), DT, LENGTH)
        t0 = time.perf_counter()
        tsim.run()
        rec["tvb_numpy_seconds"] = round(time.perf_counter() - t0, 2)
        rec["ratio_vs_tvb_numpy"] = round(rec["tvb_numpy_seconds"] / warm, 1)
    emit(rec)


if __name__ == "__main__":
    sys.exit(main())
