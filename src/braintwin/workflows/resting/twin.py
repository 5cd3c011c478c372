"""The resting-state twin: a :class:`~braintwin.Twin` from a fit, and its update on a new visit.

The twin keeps every visit's posterior in ``twin.data["visits"]["visit_<k>"]``
(samples, FC match, which estimator), the latest one as ``twin.posterior``; the
report draws the parameters' trajectories across visits from them.
:func:`update_rest_twin` is registered as the updater ``"npe"``, so
``twin.update(new_bold)`` works for SBI twins: the same amortised estimator
gives the new visit's posterior (or, with ``tsnpe=True``, an estimator refined
for this recording by truncated sequential NPE).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputError
from ...infer.sbi import read_estimator
from ...models import Linear, MontbrioPazoRoxin
from ...twin import Twin, new_subject_id, register_updater
from .fit import UPDATER, RestFit, as_bold, posterior_and_ppc, refine_for
from .simulator import REST_FEATURES, RestSimulator

__all__ = ["twin_from_rest", "update_rest_twin", "visits", "simulator_of"]

_PPC_KEPT = ("fc_emp", "fc_twin", "fc_r_sims", "fc_r_twin", "fc_r_median", "fc_r_low", "fc_r_high", "level",
             "fcd_emp", "fcd_twin", "fcd_emp_values", "fcd_twin_values", "fcd_ks_sims", "fcd_ks_median", "sc_fc_r",
             "n_failed")


def _visit_record(fit: RestFit, k: int) -> dict:
    post = fit.posterior
    return {"samples": {n: np.asarray(v, float) for n, v in post.samples.items()},
            "visit": int(k), "fc_r_twin": float(fit.ppc["fc_r_twin"]), "fcd_ks_median": float(fit.ppc["fcd_ks_median"]),
            "truncated": bool(post.info.get("truncated", False)), "n_times": int(len(fit.bold))}


def _median_model(post, gradient=None, **fixed) -> MontbrioPazoRoxin:
    """MPR at the posterior medians (eta per region with a regional term)."""
    med = {k: float(np.median(v)) for k, v in post.samples.items() if np.ndim(v) == 1}
    eta = med.get("eta", -5.0)
    if "eta_gradient" in med and gradient is not None:
        eta = eta + med["eta_gradient"] * np.asarray(gradient, float)
    return MontbrioPazoRoxin(**{**fixed, "eta": eta})


def twin_from_rest(fit: RestFit, *, subject_id: str | None = None, metadata: dict | None = None,
                   config: dict | None = None, seeds: Any = None) -> Twin:
    """A :class:`~braintwin.Twin` holding a resting-state fit (visit 1).

    The model is MPR at the posterior medians, the coupling linear with G at its
    median, the observation BOLD at the recording's TR; ``data`` holds the BOLD,
    the posterior predictive FC/FCD beside the empirical ones (``data["rest"]``)
    and the visits' posteriors (``data["visits"]``).

    Example
    -------
    >>> twin = twin_from_rest(bt.resting.fit_rest(bold, "tvb76"), subject_id="sub-01")  # doctest: +SKIP
    """
    sim, post = fit.simulator, fit.posterior
    settings = post.info["rest"]
    model = _median_model(post, settings.get("gradient"), **settings["model_params"])
    G = float(np.median(post.samples["G"])) if "G" in post.samples else 1.0
    twin = Twin(subject_id or new_subject_id(), sim.connectome, model, Linear(a=G),
                simulation={"dt": settings["dt"], "speed": settings["speed"], "method": "heun",
                            "noise": (np.median(post.samples["nsig"]) * np.asarray(settings["noise_weights"])).tolist()
                            if "nsig" in post.samples else None, "monitors": [f"bold:tr={fit.tr_ms:g}"]},
                observation={"kind": "bold", "tr_ms": fit.tr_ms},
                data={"bold": fit.bold, "rest": {k: fit.ppc[k] for k in _PPC_KEPT},
                      "visits": {"visit_1": _visit_record(fit, 1)}},
                posterior=post, metadata=metadata or {}, config=config or {}, seeds=seeds or {})
    twin.add_update("built from a resting-state fit (NPE on an MPR + BOLD campaign)",
                    config={"timings_s": {k: float(v) for k, v in fit.timings.items()}})
    return twin


def visits(twin: Twin) -> list[dict]:
    """The twin's visits, oldest first (each with its posterior ``samples``)."""
    v = (twin.data or {}).get("visits") or {}
    return sorted(v.values(), key=lambda r: int(r.get("visit", 0)))


def simulator_of(twin: Twin, n_times: int | None = None) -> RestSimulator:
    """The resting-state simulator of a twin (its stored settings; another recording length allowed)."""
    s = dict(twin.posterior.info["rest"])
    return RestSimulator(twin.connectome, tr_ms=s["tr_ms"], n_times=int(n_times or s["n_times"]), dt=s["dt"],
                         skip_ms=s["skip_ms"], speed=s["speed"], noise_weights=s["noise_weights"],
                         model_params=s["model_params"], gradient=s.get("gradient"),
                         features=tuple(s.get("features", REST_FEATURES)))


def _cached(info: dict, key: str, cache_dir) -> Path:
    path = Path(cache_dir) / str(info.get(key, ""))
    if not info.get(key) or not path.is_file():
        raise InputError(f"the twin's {key.replace('_', ' ')} {info.get(key) or '(none)'} is not in {cache_dir}; "
                         "pass cache_dir= (the build's cache folder) or estimator=", field="cache_dir")
    return path


def _estimator_for(twin: Twin, sim: RestSimulator, y, *, estimator, cache_dir, tsnpe: bool, rounds: int,
                   n_per_round: int, seed: int, log):
    info = twin.posterior.info
    if estimator is None:
        estimator = read_estimator(_cached(info, "estimator_file", cache_dir))
    if not tsnpe:
        return estimator
    return refine_for(estimator, sim, y, _cached(info, "campaign_file", cache_dir), rounds=rounds,
                      n_per_round=n_per_round, seed=seed, log=log)


@register_updater(UPDATER)
def update_rest_twin(twin: Twin, new_data, *, tr_ms: float | None = None, mapping=None, estimator=None,
                     cache_dir=".braintwin-cache", tsnpe: bool = False, rounds: int = 1, n_per_round: int = 200, n_draws: int = 1000,
                     n_ppc: int = 20, seed: int | None = None, log=print) -> RestFit:
    """A new visit: the posterior of a new BOLD recording, kept beside the earlier visits'.

    Parameters
    ----------
    twin : Twin
        Made by :func:`twin_from_rest`.
    new_data : BoldSeries or array (n_times, n_regions)
        The new recording (the same TR, at least as long as the first visit's:
        its first samples up to that length are used, as FC and FCD statistics
        depend on the length).
    estimator : Estimator, optional
        Default: the twin's (``posterior.info["estimator_file"]`` in ``cache_dir``):
        amortised, no new simulation but the posterior predictive.
    cache_dir : path
        The folder the twin was built with (campaign and estimator files).
    tsnpe : bool
        Refine the estimator for this recording (Deistler et al. 2022).

    Returns
    -------
    RestFit
        The new visit's fit; the twin's posterior, ``data["rest"]``, ``data["visits"]``
        and history are updated in place.

    Example
    -------
    >>> fit2 = twin.update(second_visit_bold)   # doctest: +SKIP
    >>> [v["visit"] for v in bt.resting.visits(twin)]  # doctest: +SKIP
    [1, 2]
    """
    t0 = time.perf_counter()
    tr = tr_ms or twin.posterior.info["rest"]["tr_ms"]
    y, tr = as_bold(new_data, twin.connectome, tr_ms=tr, mapping=mapping)
    if abs(tr - twin.posterior.info["rest"]["tr_ms"]) > 1e-6:
        raise InputError(f"TR {tr:g} ms differs from the twin's {twin.posterior.info['rest']['tr_ms']:g} ms", field="tr")
    n_train = int(twin.posterior.info["rest"]["n_times"])
    if len(y) < n_train:
        raise InputError(f"the new recording has {len(y)} samples; the twin's estimator was trained on {n_train} "
                         "(build a new twin for shorter recordings)", field="bold")
    y = y[:n_train]  # features depend on the length: the estimator's length, from the start of the recording
    sim = simulator_of(twin)
    k = len(visits(twin)) + 1
    seed = k if seed is None else int(seed)
    segments = int(twin.posterior.info["rest"].get("segments", 1))
    if tsnpe and segments > 1:
        raise InputError("tsnpe needs a twin fitted with segments=1 (TSNPE refines for one observation)", field="tsnpe")
    est = _estimator_for(twin, sim, y, estimator=estimator, cache_dir=cache_dir, tsnpe=tsnpe, rounds=rounds, n_per_round=n_per_round,
                         seed=seed, log=log)
    cal = (twin.posterior.diagnostics or {}).get("calibration")
    post, ppc, timings = posterior_and_ppc(est, sim, y, n_draws=n_draws, n_ppc=n_ppc, seed=seed, calibration=cal, log=log,
                                           segments=segments)
    post.info.update({k2: twin.posterior.info[k2] for k2 in ("estimator_file", "campaign_file") if k2 in twin.posterior.info})
    post.info["visit"] = k
    fit = RestFit(post, est, sim, ppc, y, tr, cal, {**timings, "total": time.perf_counter() - t0})
    twin.data["visits"][f"visit_{k}"] = _visit_record(fit, k)
    twin.data["rest"] = {key: ppc[key] for key in _PPC_KEPT}
    twin.data["bold"] = y
    twin.set_posterior(post, what=f"update {k - 1}: new BOLD recording ({len(y)} samples), "
                                  f"{'TSNPE' if tsnpe else 'amortised NPE'} posterior")
    return fit
