"""Posterior predictive FC and FCD of the resting-state twin, beside the empirical ones.

The twin's FC is the mean FC of BOLD simulated from posterior draws; its match to
the person is the Pearson correlation of the upper triangles (one value per
predictive simulation gives the interval), the FCD match is the Kolmogorov-Smirnov
distance between FCD distributions, and the baseline is the raw SC-FC correlation
(what the connectome alone explains, no model).
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...features.connectivity import fc, fc_corr, fcd, fcd_triu, ks_distance
from .simulator import RestSimulator, preprocess_bold

__all__ = ["rest_ppc", "empirical_fc_fcd"]


def empirical_fc_fcd(y: np.ndarray, window: int, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FC ``(R, R)``, FCD matrix ``(W, W)`` and FCD values (non-overlapping pairs) of BOLD ``(..., T, R)``.

    Both after :func:`preprocess_bold`; FCD is the correlation between the FC upper
    triangles of sliding windows (Hansen et al. 2015).
    """
    z = preprocess_bold(y)
    m = fcd(z, window, step)
    return fc(z), m, fcd_triu(m, window=window, step=step, exclude_overlap=True)


def rest_ppc(sim: RestSimulator, posterior, y: np.ndarray, *, n_sims: int = 20, seed: int = 0, level: float = 0.9) -> dict:
    """Simulate ``n_sims`` posterior draws and compare their FC and FCD with the person's.

    Parameters
    ----------
    sim : RestSimulator
    posterior : Posterior
        Draws named like the simulator's parameters.
    y : array (n_times, n_regions)
        The person's BOLD (connectome order).
    level : float
        Central interval of the FC correlation over predictive simulations.

    Returns
    -------
    dict
        ``fc_emp``, ``fc_twin`` (mean FC of the predictive simulations), ``fc_sims``
        ``(n_ok, R, R)``; ``fc_r_sims`` (r of each simulation's FC with ``fc_emp``),
        ``fc_r_twin`` (r of ``fc_twin``), ``fc_r_median``, ``fc_r_low``/``fc_r_high``;
        ``fcd_emp``/``fcd_twin`` (matrices, the twin's from its first simulation),
        ``fcd_emp_values``, ``fcd_twin_values`` (pooled), ``fcd_ks_sims``,
        ``fcd_ks_median``; ``sc_fc_r`` (baseline); ``params`` (the draws simulated),
        ``n_failed``.
    """
    rng = np.random.default_rng([int(seed), 7])
    idx = rng.permutation(posterior.n_draws)[: int(n_sims)]
    params = {k: np.asarray(v)[idx] for k, v in posterior.samples.items()}
    _, status, bold = sim.simulate(params, rng.integers(2**31 - 1, size=len(idx)), return_timeseries=True)
    ok = (status == 0) & np.all(np.isfinite(bold), axis=(1, 2))
    if ok.sum() < 2:
        raise InputError(f"{int(ok.sum())} usable posterior predictive simulations of {len(idx)}", field="ppc")
    w, s = sim.fcd_window, sim.fcd_step
    fc_emp, fcd_emp, fcd_emp_v = empirical_fc_fcd(y, w, s)
    fc_s, fcd_s, fcd_v = empirical_fc_fcd(np.asarray(bold[ok], np.float64), w, s)
    fc_twin = fc_s.mean(axis=0)
    r = fc_corr(fc_s, fc_emp)
    ks = ks_distance(fcd_v, fcd_emp_v)
    lo, hi = np.quantile(r, [(1 - level) / 2, (1 + level) / 2])
    return {"fc_emp": fc_emp, "fc_twin": fc_twin, "fc_sims": fc_s, "fc_r_sims": r,
            "fc_r_twin": float(fc_corr(fc_twin, fc_emp)), "fc_r_median": float(np.median(r)),
            "fc_r_low": float(lo), "fc_r_high": float(hi), "level": float(level),
            "fcd_emp": fcd_emp, "fcd_twin": fcd_s[0], "fcd_emp_values": fcd_emp_v,
            "fcd_twin_values": fcd_v.ravel(), "fcd_ks_sims": ks, "fcd_ks_median": float(np.median(ks)),
            "sc_fc_r": float(fc_corr(sim.connectome.weights, fc_emp)),
            "params": {k: v[ok] for k, v in params.items()}, "n_failed": int((~ok).sum())}
