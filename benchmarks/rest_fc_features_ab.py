"""Resting-state twin: the default features vs the whole FC pattern, on one cached campaign (issue 15).

``python benchmarks/rest_fc_features_ab.py [N_TIMES N_SIMS] [--ppc ARM,ARM]`` (default ``200 100``).
One campaign of ``N_SIMS`` prior simulations stores :data:`REST_FEATURES_FC` (the default
summaries first, then the FC upper triangle); each arm trains an NPE on the same first
rows (a fifth held out, as :func:`rest_estimator` does) with its own columns and reduction,
and gets the person's posterior.  Prints one JSON line per arm: the 90% intervals (``q``),
``truth_in_90_fraction``, ``width_ratio`` (90% width over the prior's, per parameter),
training ``seconds`` and ``cpu_seconds``; for the arms named in ``--ppc`` also the posterior predictive
``fc_r_ratio`` (mean FC of 10 runs from posterior draws against the person's FC, over the
same for 10 runs at the truth) -- the figures of ``benchmarks/rest_twin.py``, at a smaller size.

Measured 2026-12-04, ``200 100`` (2 cores shared with another engineer's tests, load 3-6):
the campaign 712 s, 853 CPU-s, 99 of 100 usable, 2.6 MB with the FC entries.  The
campaign's best runs against the person's FC lie on a ridge: r 0.81 at (G 0.152, eta
-4.96), 0.75 at (0.223, -5.09), then 0.57 and below.  fc_r_ratio (ceiling 0.898):

- ``default`` (REST_FEATURES, no reduction): 0.740 (predictive seed 0), 0.700 (seed 1), 0.489 (seed 2);
  G [0.087, 0.218], eta [-5.90, -4.51] (median -5.44), 17 CPU-s to train.
- ``pca10_reg1`` (REST_FEATURES_FC, 10 components, linear regression summaries): 0.790,
  0.896, 0.682 (mean 0.789 against 0.643, higher at every seed); G [0.069, 0.242], eta [-5.43, -4.34] (median -4.86), 11 CPU-s.  Chosen as
  :func:`fit_rest`'s default.
- ``full_reg1`` (ridge summary on all 2,861 features): 0.689; ``pca5_reg2``: 0.603 (seed 0);
  ``pca20_reg1`` and ``pca10_reg2``: G wider (0.87, 0.78 of the prior's 90% width), no
  predictive check; ``pca10`` (no regression summary): degenerate (G [0, 0.006]).
- ``pca10_reg1_tsnpe`` (the same + one TSNPE round of 30, Fearnhead & Prangle's pilot idea
  through :meth:`NPE.truncated_sequential`, whose retrained regression sees every row):
  0.487 (seed 0), G [0.022, 0.236] wider, +214 CPU-s.  Worse, like TSNPE on the summaries.

Truth inside every 90% interval in every arm but ``pca10``.  With 10 predictive runs the
ratio moves by up to 0.2 between seeds, so one line decides little.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _common import emit

ARMS = {  # name: (columns: "default" | "all" | "fc", NPE options)
    "default": ("default", {}),
    "pca10_reg1": ("all", {"n_components": 10, "regression_summaries": 1}),
    "pca20_reg1": ("all", {"n_components": 20, "regression_summaries": 1}),
    "pca10_reg2": ("all", {"n_components": 10, "regression_summaries": 2}),
    "pca5_reg2": ("all", {"n_components": 5, "regression_summaries": 2}),
    "full_reg1": ("all", {"regression_summaries": 1}),
    "pca10": ("all", {"n_components": 10}),
    "pca10_reg1_tsnpe": ("all", {"n_components": 10, "regression_summaries": 1}),  # + one TSNPE round of 30
}


def main(argv=None) -> None:
    from braintwin.connectome import as_connectome
    from braintwin.infer.sbi import NPE, run_campaign
    from braintwin.workflows.resting.build import synthetic_person
    from braintwin.workflows.resting.demo import TRUTH, noise_ceiling
    from braintwin.workflows.resting.fit import _cache_paths, default_prior
    from braintwin.workflows.resting.ppc import rest_ppc
    from braintwin.workflows.resting.simulator import REST_FEATURES_FC, RestSimulator

    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[200, 100])
    ap.add_argument("--ppc", default="", help="comma-separated arms that get a posterior predictive check")
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--campaign-only", action="store_true")
    ap.add_argument("--ppc-seed", type=int, default=0, help="seed of the posterior predictive draws and runs")
    a = ap.parse_args(argv)
    n_times, n_sims = a.sizes
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    conn = as_connectome("tvb76").normalized("max").with_zero_diagonal()
    y = synthetic_person(conn, n_times=n_times, tr_ms=720.0, seed=1000, drift=1.0, **TRUTH)
    sim = RestSimulator(conn, tr_ms=720.0, n_times=n_times, features=REST_FEATURES_FC)
    prior = default_prior()
    camp_path = _cache_paths(sim, prior, n_sims, 0, Path(f"bench_out/rest_fc_ab_{n_times}_{n_sims}"))[0]
    t0, c0 = time.perf_counter(), time.process_time()
    camp = run_campaign(sim, prior, n_sims, camp_path, chunk_size=16, seed=0, progress=True)
    log(f"campaign {time.perf_counter() - t0:.0f} s, {time.process_time() - c0:.0f} CPU-s (this process), "
        f"{camp_path.stat().st_size / 1e6:.1f} MB")
    if a.campaign_only:
        return
    theta, x, _ = camp.training_data()
    names = list(camp.feature_names)
    n_default = next(i for i, n in enumerate(names) if n.startswith("fc[")) if any(n.startswith("fc[") for n in names) else len(names)
    n_train = len(theta) - min(100, len(theta) // 5)
    x_obs = sim.features_of(y)
    # FC r of every campaign run with the person's FC: where the prior's runs match the person
    r_camp = _rows_fc_r(x[:, n_default:], x_obs[n_default:])
    order = np.argsort(-r_camp)[:8]
    log("best campaign runs (G, eta, nsig, r): " + "; ".join(
        f"{theta[i, 0]:.3f} {theta[i, 1]:.2f} {theta[i, 2]:.4f} {r_camp[i]:.2f}" for i in order))
    ceiling = None
    lo, hi = prior.quantiles(0.05) if hasattr(prior, "quantiles") else (None, None)
    for arm in a.arms.split(","):
        cols, opts = ARMS[arm]
        sl = slice(0, n_default) if cols == "default" else slice(None)
        c1, t1 = time.process_time(), time.perf_counter()
        npe = NPE(prior, **opts).append_simulations(theta[:n_train], x[:n_train, sl], feature_names=names[sl],
                                                    config=camp.config)
        est = (npe.truncated_sequential(sim, x_obs[sl], rounds=1, n_per_round=30, seed=0) if arm.endswith("_tsnpe")
               else npe.train(seed=0))
        post = est.posterior(x_obs[sl], n=1000, seed=0, feature_names=names[sl])
        train_cpu, train_s = time.process_time() - c1, time.perf_counter() - t1
        s = post.samples
        q = {k: [round(float(np.quantile(s[k], p)), 4) for p in (0.05, 0.5, 0.95)] for k in TRUTH}
        inside = [q[k][0] <= v <= q[k][2] for k, v in TRUTH.items()]
        pw = {"G": 0.9 * 0.25, "eta": 0.9 * 2.0, "nsig": 0.01 * (np.exp(1.645 * 0.5) - np.exp(-1.645 * 0.5))}
        line = {"workload": "rest_fc_features_ab", "arm": arm, "n_times": n_times, "n_sims": n_sims,
                "n_train": int(n_train), "n_features": int(x[:, sl].shape[1]), "npe": opts, "q": q,
                "truth_in_90_fraction": float(np.mean(inside)),
                "width_ratio": {k: round((q[k][2] - q[k][0]) / pw[k], 3) for k in TRUTH},
                "seconds": round(train_s, 1),
                "cpu_seconds": round(train_cpu, 1), "ppc_seed": a.ppc_seed}
        if arm in a.ppc.split(","):
            c2, t2 = time.process_time(), time.perf_counter()
            if ceiling is None:
                ceiling = noise_ceiling(sim, y, TRUTH, n=10)
            p = rest_ppc(sim, post, y, n_sims=10, seed=a.ppc_seed)
            line.update(fc_r_ratio=round(p["fc_r_twin"] / ceiling["mean_fc"], 3), fc_r_twin=round(p["fc_r_twin"], 3),
                        fc_r_ceiling=round(ceiling["mean_fc"], 3),
                        fc_r_ratio_single=round(p["fc_r_median"] / ceiling["median"], 3),
                        ppc_cpu_seconds=round(time.process_time() - c2, 1), ppc_seconds=round(time.perf_counter() - t2, 1))
        emit(line)


def _rows_fc_r(fc_rows: np.ndarray, fc_obs: np.ndarray) -> np.ndarray:
    a = fc_rows - fc_rows.mean(axis=1, keepdims=True)
    b = fc_obs - fc_obs.mean()
    return (a @ b) / np.sqrt((a * a).sum(axis=1) * (b @ b))


if __name__ == "__main__":
    main()
