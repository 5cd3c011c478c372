"""Resting-state twin, amortised NPE vs one per-person TSNPE round, on the same cached campaign (issue 15).

``python benchmarks/rest_twin_refine_ab.py N_TIMES N_SIMS N_PER_ROUND`` prints one JSON
line per arm (``rounds`` 0 and 1): fc_r_ratio (against one noise ceiling of 10 runs at
the truth), the 90% intervals, ``seconds`` and ``cpu_seconds`` of the arm.  Measured
(2026-12-04, ``200 100 30``, load 6-7 on 2 cores): see ``benchmarks/rest_twin.py``'s docstring.
"""
import json, sys, time, resource
import numpy as np
from braintwin.workflows.resting.demo import run_rest_demo, noise_ceiling
nt, ns, npr = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out = f"bench_out/rest_refine_ab_{nt}_{ns}"
def cpu():
    return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))
log = lambda m: print(m, file=sys.stderr, flush=True)
res = {}
for rounds in (0, 1):
    t0, c0 = time.time(), cpu()
    s = run_rest_demo(out, n_sims=ns, n_times=nt, n_ppc=10, second_visit=False, report=False, ceiling=(rounds == 0),
                      refine_rounds=rounds, n_per_round=npr, log=log)
    if rounds == 0:
        ceil = (s["fc_r_ceiling"], s["fc_r_ceiling_single"])
    res[rounds] = {"workload": "rest_twin_refine_ab", "rounds": rounds, "seconds": round(time.time() - t0, 1), "cpu_seconds": round(cpu() - c0, 1),
                   "fc_r_ratio": s["fc_r_twin"] / ceil[0], "fc_r_twin": s["fc_r_twin"], "fc_r_ceiling": ceil[0],
                   "fc_r_ratio_single": s["fc_r_median"] / ceil[1], "fc_r_median": s["fc_r_median"],
                   "truth_in_90_fraction": s["truth_in_90_fraction"], "q": s["parameters_q05_q50_q95"],
                   "timings_s": s["timings_s"], "load": __import__("os").getloadavg()}
    print(json.dumps(res[rounds]), flush=True)
