"""Benchmark: the Bayesian VEP fit on a synthetic tvb76 patient (prints ONE JSON line).

Workload: a synthetic patient on ``tvb76`` (weights divided by their maximum)
with 2 EZ regions whose seizure recruits at least 3 regions (the PZ), observed
by ~100 SEEG contacts of tvb-data's ``seeg_588`` (inverse-square gain over the
cortical vertices), 150 samples; NUTS with 4 chains on 2 cores (two JAX CPU
devices, two chains vectorised on each).

Targets (issue): all 76 labels recovered, zero divergences, R-hat <= 1.01 for
every x0, <= 300 s; with ``--patients 10``, EZ precision and recall >= 0.95 and
PZ recall >= 0.9 over 10 random synthetic patients.

The patient generator keeps the issue's x0 of the EZ (-1.6) and of the PZ
candidates (-2.06) but uses ``x0_healthy = -2.3`` (not -3.5): on tvb76 the
difference coupling pulls every near-critical region towards its healthy
neighbours, and with -3.5 no EZ pair of tvb76 recruits 3 regions within the
window for any K and tau0 (see README / the report).  Random patients are EZ
pairs drawn with the seed until one recruits at least 3 regions.

Measured (all 881 connected EZ pairs of tvb76, 6 suggested PZ candidates,
tau0 in {10, 15, 20, 30}, 16 K values in [0.01, 3], 150 samples of 0.25):
no pair recruits 3 regions with ``x0_healthy = -3.5`` (nor with tau0 in
{3, 5, 7}, 12 candidates (one pair), row-sum normalised weights, a 4x longer
window, or initial states (-2.5, 3.5) / (-2, 3)); 2 pairs do at -2.5 (mirror
images, with 3 unrecruited candidates left at -2.06), none at -2.7.  So the
issue's patient (2 EZ, >= 3 PZ) exists on tvb76 only with the healthy regions
near the bifurcation, and that is what makes this posterior hard: a region the
SEEG sees poorly has posterior mass up to its *network* critical excitability
``x0c + (K/4) sum_j w_ij (-4/3 - x_j)`` (about -1.93 to -2.0 here, above the
isolated -2.062), where near-critical slow dynamics make narrow pockets and
cliffs of the potential (a +2 sd step of x0 costs 30-250 nats for 7 such
regions); NUTS chains get stuck in them (step sizes 1e-4 to 3e-2 across chains).

``seconds`` is the wall time of the whole fit (MAP, Laplace, compilation,
warm-up, sampling, predictive check); ``compile_seconds`` the XLA compilation
inside it; ``ess_per_second`` the smallest ESS over x0, K, amplitude, offset
and eps divided by the warm-up + sampling time.

``--initial rest`` starts the patient at the network's resting state (the EZ at
its unstable focus) and fits with ``VEPPriors(initial="rest")`` (initial state =
resting state of the draw's x0 and K plus a deviation), which removes the
transient from (-2, 4) that lets x0 and the initial state trade off.  On the
seed-0 patient only (tau0, K) = (30, 0.2) recruits 3 regions from rest.  A
150/150 probe of it had not finished after 36 min (the default start: 11 min),
so it is not faster as it stands (the probe was stopped before it reported; the resting-state solve
doubles the cost of a gradient).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1, help="synthetic patients (10 for the precision/recall targets)")
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--cores", type=int, default=2, help="JAX CPU devices (chains are split over them)")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--n-times", type=int, default=150)
    ap.add_argument("--n-contacts", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--initial", choices=("default", "rest"), default="default",
                    help="'rest': the patient starts at the network's resting state and the model's initial state is a "
                         "deviation from the resting state of each draw (VEPPriors(initial='rest'))")
    ap.add_argument("--no-peer", action="store_true", help="(no peer is run: Stan is not installed; kept for symmetry)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    import numpyro

    numpyro.set_host_device_count(args.cores)  # before JAX starts: one CPU device per core
    import numpy as np

    import braintwin.vep as vep
    from braintwin.errors import InputError

    start = {"initial": "rest", "init_jitter": 0.05} if args.initial == "rest" else {}
    fit_kw = {"priors": vep.VEPPriors(initial="rest", x_init_scale=0.2, z_init_scale=0.2)} if args.initial == "rest" else {}

    def patient(seed):
        for k in range(500):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return vep.synthetic_patient(
                        "tvb76", x0_healthy=-2.3, n_pz=6, dt=0.25, n_times=args.n_times, n_contacts=args.n_contacts,
                        tau0=(15.0, 20.0, 30.0), min_pz=3, seed=seed + k, **start,
                    )
            except InputError:
                continue
        raise RuntimeError("no propagating patient found")

    results = []
    seed = args.seed
    for i in range(args.patients):
        p = patient(seed)
        seed = p.seed + 1
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = vep.fit_patient(p, num_chains=args.chains, num_warmup=args.warmup, num_samples=args.samples, seed=i, **fit_kw)
        sec = time.perf_counter() - t0
        d = f.diagnostics
        acc = f.accuracy()
        results.append({
            "seed": p.seed, "ez": p.ez, "pz": p.pz, "seconds": sec, "compile_seconds": f.timings.get("compile", float("nan")),
            "divergences": d.divergences, "max_rhat_x0": d.max_rhat("x0"), "min_ess_x0": d.min_ess("x0"),
            "ess_per_second": d.ess_per_second, "correct": acc["correct"], "acc": acc, "ok": d.ok,
            "n": (p.n_regions, p.gain.shape[0], p.observation.shape[0]),
        })
        if args.verbose:
            print(json.dumps({k: v for k, v in results[-1].items() if k != "acc"}, default=float), file=sys.stderr)
            print(d.summary(), file=sys.stderr)
            print("mismatches:", acc["mismatches"], file=sys.stderr)

    r0 = results[0]
    n_regions, n_contacts, n_times = r0["n"]
    out = {
        "workload": "vep_fit_tvb76",
        "seconds": round(r0["seconds"], 2),
        "compile_seconds": round(r0["compile_seconds"], 2),
        "n_regions": n_regions,
        "n_contacts": n_contacts,
        "n_times": n_times,
        "n_chains": args.chains,
        "n_cores": args.cores,
        "initial": args.initial,
        "warmup": args.warmup,
        "samples": args.samples,
        "divergences": r0["divergences"],
        "max_rhat_x0": round(r0["max_rhat_x0"], 4),
        "min_ess_x0": round(r0["min_ess_x0"], 1),
        "ess_per_second": round(r0["ess_per_second"], 3),
        "labels_correct": r0["correct"],
        "all_labels_correct": r0["correct"] == n_regions,
        "diagnostics_ok": r0["ok"],
        "ez": r0["ez"],
        "pz": r0["pz"],
        "targets": {"seconds": 300, "divergences": 0, "max_rhat_x0": 1.01, "labels_correct": n_regions},
    }
    if args.patients > 1:
        tp = {k: sum(r["acc"][f"{k}_tp"] for r in results) for k in ("ez", "pz")}
        pred = {k: sum(r["acc"][f"{k}_predicted"] for r in results) for k in ("ez", "pz")}
        true = {k: sum(r["acc"][f"{k}_true"] for r in results) for k in ("ez", "pz")}
        out.update({
            "patients": args.patients,
            "ez_precision": round(tp["ez"] / pred["ez"], 3) if pred["ez"] else None,
            "ez_recall": round(tp["ez"] / true["ez"], 3),
            "pz_precision": round(tp["pz"] / pred["pz"], 3) if pred["pz"] else None,
            "pz_recall": round(tp["pz"] / true["pz"], 3),
            "all_labels_correct_patients": sum(r["correct"] == n_regions for r in results),
            "median_seconds": round(float(np.median([r["seconds"] for r in results])), 2),
            "total_divergences": int(sum(r["divergences"] for r in results)),
            "max_rhat_x0_all": round(max(r["max_rhat_x0"] for r in results), 4),
            "diagnostics_ok_patients": sum(r["ok"] for r in results),
        })
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
