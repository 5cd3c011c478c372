"""The resting-state twin on built-in data: a synthetic person on tvb76, fitted, updated and reported.

``braintwin demo-rest`` runs :func:`run_rest_demo`; ``benchmarks/rest_twin.py`` too.

Sizes, for about 10 minutes on 2 cores: every simulation is 10 s of transient plus
the recording (100 volumes at TR 720 ms = 72 s); an MPR network of 76 regions at
dt = 0.05 ms costs a few CPU-seconds per simulated minute, so the campaign gets
about 200 simulations.  72 s is short for FCD (studies use 5-15 min): the FCD
window is 15 s and the FCD terms carry less information than FC; the prior is
three-dimensional (G, eta, nsig), which 200 simulations and a flow on regression
summaries of the FC pattern, FC summaries and FCD statistics (``REST_FEATURES_FC``, 10
principal components, one linear summary per parameter; see :func:`fit_rest`) can learn.  For a person's data use ``n_sims`` in the
thousands and the whole recording (a cluster, ``braintwin sbi simulate --scheduler``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..._io import atomic_path
from ...connectome import as_connectome
from ...features.connectivity import fc_corr
from .build import synthetic_person
from .fit import fit_rest
from .ppc import empirical_fc_fcd
from .twin import twin_from_rest

__all__ = ["run_rest_demo", "noise_ceiling"]

TRUTH = {"G": 0.15, "eta": -4.8, "nsig": 0.01}


def noise_ceiling(sim, y: np.ndarray, truth: dict, *, n: int = 10, seed: int = 99) -> dict:
    """FC r that the true parameters themselves reach: ``n`` new runs at the truth against the person's FC.

    The ceiling of what any parameter estimate can reach, computed like the
    twin's two figures (:func:`~braintwin.workflows.resting.rest_ppc`): ``mean_fc``,
    the r of the mean FC of the ``n`` runs (like ``fc_r_twin``, the twin's posterior
    predictive FC, with the same ``n``), and ``median``, the median r of single
    runs (like ``fc_r_median``).
    """
    params = {k: np.full(n, float(v)) for k, v in truth.items()}
    _, status, bold = sim.simulate(params, np.arange(seed, seed + n), return_timeseries=True)
    fc_emp = empirical_fc_fcd(y, sim.fcd_window, sim.fcd_step)[0]
    fcs = empirical_fc_fcd(np.asarray(bold[status == 0], float), sim.fcd_window, sim.fcd_step)[0]
    return {"mean_fc": float(fc_corr(fcs.mean(axis=0), fc_emp)), "median": float(np.median(fc_corr(fcs, fc_emp)))}


def run_rest_demo(out, *, connectome: str = "tvb76", n_sims: int = 200, n_times: int = 100, tr_ms: float = 720.0,
                  n_ppc: int = 10, truth: dict | None = None, second_visit: bool = True, ceiling: bool = True,
                  seed: int = 0, report: bool = True, refine_rounds: int = 0, n_per_round: int | None = None,
                  fit_options: dict | None = None, log=print) -> dict:
    """Synthetic person -> campaign -> NPE -> posterior -> predictive FC/FCD -> twin -> 2nd visit -> report.

    Returns (and writes to ``out/summary.json``) the truth, each parameter's 90%
    interval, ``truth_in_90_fraction``, the FC r of the twin, the noise ceiling and
    their ratio ``fc_r_ratio``, the SC-FC baseline, FCD KS and the seconds per stage.
    ``refine_rounds``/``n_per_round``: per-person TSNPE rounds (:func:`fit_rest`); the
    second visit stays amortised (no new simulation but its predictive check).  ``fit_options``:
    more keywords of :func:`fit_rest` (``features``, ``n_components``, ``regression_summaries``).
    """
    from ...report import write_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    truth = dict(truth or TRUTH)
    t_all = time.perf_counter()
    log("[1/6] connectome and a synthetic person (known parameters, drifts and unequal region scales)")
    conn = as_connectome(connectome).normalized("max").with_zero_diagonal()
    y = synthetic_person(conn, n_times=n_times, tr_ms=tr_ms, seed=1000 + seed, drift=1.0, **truth)
    log(f"      {conn.n_regions} regions, {n_times} BOLD samples at TR {tr_ms:g} ms; truth {truth}")
    log("[2/6] campaign, [3/6] training, [4/6] posterior and posterior predictive")
    fit = fit_rest(y, conn, tr_ms=tr_ms, n_sims=n_sims, n_ppc=n_ppc, cache_dir=out / "cache", seed=seed,
                   refine_rounds=refine_rounds, n_per_round=n_per_round, log=log, **dict(fit_options or {}))
    twin = twin_from_rest(fit, subject_id="sub-demo")
    summary = _summary(fit, truth)
    if ceiling:
        c = noise_ceiling(fit.simulator, y, truth, n=n_ppc)
        summary.update(fc_r_ceiling=c["mean_fc"], fc_r_ceiling_single=c["median"],
                       fc_r_ratio=summary["fc_r_twin"] / c["mean_fc"],          # the twin's predictive FC
                       fc_r_ratio_single=summary["fc_r_median"] / c["median"])  # one predictive run at a time
    if second_visit:
        log("[5/6] second visit: a new recording of the same person, amortised posterior")
        y2 = synthetic_person(conn, n_times=n_times, tr_ms=tr_ms, seed=2000 + seed, drift=1.0, **truth)
        f2 = twin.update(y2, n_ppc=n_ppc, cache_dir=out / "cache", log=log)
        summary["visit_2"] = _summary(f2, truth)
    twin.save(out / "twin.h5")
    if report:
        log("[6/6] report")
        write_report(twin, out / "report.html")
    summary["seconds"] = time.perf_counter() - t_all
    with atomic_path(out / "summary.json") as tmp:
        Path(tmp).write_text(json.dumps(summary, indent=2, default=float))
    log(f"done in {summary['seconds']:.0f} s: {out / 'twin.h5'}, {out / 'report.html'}, {out / 'summary.json'}")
    return summary


def _summary(fit, truth: dict) -> dict:
    s = fit.summary()
    q = s["parameters_q05_q50_q95"]
    inside = {k: bool(q[k][0] <= v <= q[k][2]) for k, v in truth.items() if k in q}
    return {**s, "truth": truth, "truth_in_90": inside, "truth_in_90_fraction": float(np.mean(list(inside.values())))}
