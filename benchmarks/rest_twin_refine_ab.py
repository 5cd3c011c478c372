"""Resting-state twin, amortised NPE vs one per-person TSNPE round, on the same cached campaign (issue 15).

``python benchmarks/rest_twin_refine_ab.py [N_TIMES N_SIMS N_PER_ROUND]`` (default
``200 100 30``) prints one JSON line per arm (``rounds`` 0 and 1): ``fc_r_ratio``
against one noise ceiling (10 runs at the truth, computed with the first arm), the
90% intervals (``q``), ``seconds`` and ``cpu_seconds`` of the arm.  Measured
(2026-12-04, ``200 100 30``, load 6-7 on 2 cores): fc_r_ratio 0.740 amortised,
0.588 refined; the lines are in ``benchmarks/rest_twin.py``'s docstring.
"""

from __future__ import annotations

import sys
import time

from _common import emit


def main(argv=None) -> None:
    from braintwin.workflows.resting.demo import run_rest_demo

    args = [int(v) for v in (argv if argv is not None else sys.argv[1:])] or [200, 100, 30]
    n_times, n_sims, n_per_round = args
    out = f"bench_out/rest_refine_ab_{n_times}_{n_sims}"
    ceiling = None
    for rounds in (0, 1):
        t0, c0 = time.perf_counter(), time.process_time()
        s = run_rest_demo(out, n_sims=n_sims, n_times=n_times, n_ppc=10, second_visit=False, report=False,
                          ceiling=ceiling is None, refine_rounds=rounds, n_per_round=n_per_round,
                          log=lambda m: print(m, file=sys.stderr, flush=True))
        if ceiling is None:
            ceiling = (s["fc_r_ceiling"], s["fc_r_ceiling_single"])
        emit({"workload": "rest_twin_refine_ab", "rounds": rounds, "seconds": round(time.perf_counter() - t0, 1),
              "arm_cpu_seconds": round(time.process_time() - c0, 1), "n_times": n_times, "n_sims": n_sims,
              "n_per_round": n_per_round, "fc_r_ratio": s["fc_r_twin"] / ceiling[0], "fc_r_twin": s["fc_r_twin"],
              "fc_r_ceiling": ceiling[0], "fc_r_ratio_single": s["fc_r_median"] / ceiling[1],
              "fc_r_median": s["fc_r_median"], "truth_in_90_fraction": s["truth_in_90_fraction"],
              "q": s["parameters_q05_q50_q95"], "timings_s": s["timings_s"]})


if __name__ == "__main__":
    main()
