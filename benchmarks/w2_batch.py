"""W2: a batch for SBI: 200 W1 simulations of 0.5 s each, G ~ U(0, 1), on all cores.

Target: >= 20 simulations per second, every diverged run flagged.  With
tvb-library installed, TVB's NumPy simulator runs a few of the same simulations
to give its throughput (`--no-peer` skips).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from _common import SPEED, emit, tvb76, tvb_simulator, want_peer

import braintwin as bt

N_SIMS, LENGTH, DT, NSIG = 200, 500.0, 0.01, (0.01, 0.02)


def run_batch(conn, G, seed):
    return bt.simulate_batch(
        conn, bt.models.MontbrioPazoRoxin(), {"G": G}, seeds=seed, duration=LENGTH, dt=DT, speed=SPEED,
        noise=NSIG, monitors=["tavg:1.0"], progress=False, on_divergence="flag",
    )


def main():
    conn = tvb76()
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    run_batch(conn, rng.uniform(0, 1, 2), 99)  # compile
    compile_s = time.perf_counter() - t0
    times = []
    for rep in range(3):
        G = rng.uniform(0, 1, N_SIMS)
        t0 = time.perf_counter()
        res = run_batch(conn, G, rep)
        times.append(time.perf_counter() - t0)
    secs = float(np.median(times))
    data = res["tavg"].data
    unflagged_nan = int(np.sum(~res.diverged & np.isnan(data).any(axis=(1, 2, 3))))
    rec = {
        "workload": "w2_batch",
        "n_sims": N_SIMS,
        "sim_ms": LENGTH,
        "seconds": round(secs, 3),
        "compile_seconds": round(compile_s, 3),
        "sims_per_second": round(N_SIMS / secs, 1),
        "target_sims_per_second": 20,
        "meets_target": N_SIMS / secs >= 20,
        "n_diverged_flagged": int(res.diverged.sum()),
        "n_unflagged_nan": unflagged_nan,
    }
    if want_peer():
        from tvb.simulator.lab import coupling, models

        n_peer = 2
        t0 = time.perf_counter()
        for k in range(n_peer):
            tsim = tvb_simulator(models.MontbrioPazoRoxin(), coupling.Linear(a=np.r_[rng.uniform()]), np.array(NSIG, float), DT, LENGTH, seed=k)
            tsim.run()
        tvb_rate = n_peer / (time.perf_counter() - t0)
        rec["tvb_numpy_sims_per_second"] = round(tvb_rate, 3)
        rec["ratio_vs_tvb_numpy"] = round(rec["sims_per_second"] / tvb_rate, 1)
    emit(rec)


if __name__ == "__main__":
    sys.exit(main())
