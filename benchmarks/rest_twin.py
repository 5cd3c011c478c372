"""Resting-state twin benchmark (issue 15): a synthetic person on tvb76, fitted end to end.

A person with known G, eta and noise level (``braintwin.workflows.resting.demo.TRUTH``)
is simulated on tvb76 (MPR + Balloon-Windkessel BOLD at TR 720 ms), given drifts and
unequal region scales, and fitted as a user's files would be: campaign, NPE, posterior,
posterior predictive FC/FCD, a second visit, the report (:func:`run_rest_demo`).

Prints one JSON line: ``seconds`` (end to end), ``truth_in_90_fraction`` (share of
parameters whose truth lies in the 90% posterior interval), ``fc_r_ratio`` (median FC r of the
posterior predictive simulations with the person's FC, over the noise ceiling: the
median FC r of the true parameters simulated again with new noise, like for like),
plus the FC r of the predictive mean FC, the SC-FC baseline, FCD KS and the seconds
per stage.

Sizes (``--n-times 833`` is the issue's 10 min of BOLD; the default, 100 volumes, is
the demo's 10-minute budget on 2 cores, see ``workflows/resting/demo.py``):
``python benchmarks/rest_twin.py [--n-sims 200] [--n-times 100] [--out bench_out/rest_twin]``.
"""

from __future__ import annotations

import argparse
import sys

from _common import emit


def main(argv=None) -> None:
    from braintwin.workflows.resting.demo import run_rest_demo

    ap = argparse.ArgumentParser()
    ap.add_argument("--n-sims", type=int, default=200)
    ap.add_argument("--n-times", type=int, default=100)
    ap.add_argument("--out", default="bench_out/rest_twin")
    a = ap.parse_args(argv)
    s = run_rest_demo(a.out, n_sims=a.n_sims, n_times=a.n_times, log=lambda m: print(m, file=sys.stderr))
    emit({"workload": "rest_twin", "seconds": round(s["seconds"], 1), "truth_in_90_fraction": s["truth_in_90_fraction"],
          "fc_r_ratio": s.get("fc_r_ratio"), "fc_r_median": s["fc_r_median"], "fc_r_mean_fc": s["fc_r_twin"], "fc_r_ceiling": s.get("fc_r_ceiling"),
          "sc_fc_r": s["sc_fc_r"], "fcd_ks": s["fcd_ks_median"], "n_sims": a.n_sims, "n_times": a.n_times,
          "timings_s": s["timings_s"]})


if __name__ == "__main__":
    main()
