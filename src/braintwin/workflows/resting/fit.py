"""Fitting the resting-state twin: a campaign, an NPE estimator cached per connectome + settings, the posterior.

``fit_rest(bold, connectome)``: MPR + BOLD, prior over G, eta and the noise level
(optionally a regional eta gradient), trained by neural posterior estimation on
a campaign (:mod:`braintwin.infer.sbi`), then the posterior predictive FC and FCD
(:mod:`.ppc`).  The campaign and the trained estimator are cached under a key
made of the campaign configuration (connectome checksum, model, BOLD settings,
prior, seed, number of simulations), so the next person with the same
connectome and acquisition reuses them: the estimator is amortised.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._io import atomic_path
from ...connectome import as_connectome
from ...connectome.parcellation import match_labels
from ...errors import InputError
from ...infer.sbi import NPE, Prior, calibrate, joint_posterior, read_estimator, run_campaign, write_estimator
from ...infer.sbi.campaign import campaign_config
from .ppc import rest_ppc
from .simulator import REST_FEATURES_FC, RestSimulator

__all__ = ["RestFit", "fit_rest", "default_prior", "as_bold", "rest_estimator", "UPDATER"]

#: Name of the resting-state twin's updater (:func:`braintwin.twin.register_updater`), stored in its posterior.
UPDATER = "npe"

#: ``segments="auto"``: one segment per this many volumes.  Measured on tvb76 at 833
#: volumes (10 min, TR 720 ms, ``benchmarks/rest_twin.py``): four 208-volume segments
#: reached fc_r_ratio 0.957 for about the CPU time in which 100 whole-length
#: simulations reached 0.796.  Below 2x this length a recording is one segment: FC and
#: FCD from fewer than ~200 volumes are too noisy to be worth splitting further.
SEGMENT_VOLUMES = 200


def default_prior(*, gradient: bool = False, G_max: float = 0.25) -> Prior:
    """Prior of the resting-state fit: G, eta, nsig (and eta_gradient with a regional term).

    ``G ~ U(0, G_max)`` (dimensionless, weights normalised to max 1; the lower
    branch of MPR on tvb76 reaches to about 0.25, where FC follows SC),
    ``eta ~ U(-6, -4)`` (mean excitability, dimensionless), ``nsig ~ LogNormal(log
    0.01, 0.5)`` (noise intensity), ``eta_gradient ~ U(-1, 1)`` (change of eta per
    standard deviation of the gradient).
    """
    spec: dict[str, Any] = {"G": {"dist": "uniform", "low": 0.0, "high": float(G_max)},
                            "eta": {"dist": "uniform", "low": -6.0, "high": -4.0},
                            "nsig": {"dist": "lognormal", "loc": float(np.log(0.01)), "scale": 0.5}}
    if gradient:
        spec["eta_gradient"] = {"dist": "uniform", "low": -1.0, "high": 1.0}
        return Prior(spec)  # eta_gradient is the workflow's name, checked by RestSimulator.check_prior
    return Prior(spec, model="MontbrioPazoRoxin")


def as_bold(bold, connectome, *, tr_ms: float | None = None, mapping=None) -> tuple[np.ndarray, float]:
    """BOLD ``(n_times, n_regions)`` in the connectome's region order, and its TR in ms.

    ``bold`` is a :class:`~braintwin.observe.BoldSeries` (labels matched to the
    connectome's, every mismatch listed; ``mapping`` renames) or an array already
    in the connectome's order (then ``tr_ms`` is required).  Constant or
    non-finite regions are refused.
    """
    if hasattr(bold, "data") and hasattr(bold, "labels"):
        idx = match_labels(list(bold.labels), list(connectome.labels), mapping=mapping,
                           source=str(getattr(bold, "source", "")), field="labels")
        data, tr = np.asarray(bold.data, float)[:, idx], (tr_ms or 1000.0 * float(bold.tr_s))
    else:
        data, tr = np.asarray(bold, dtype=np.float64), tr_ms
    if tr is None or not float(tr) > 0:
        raise InputError("give the repetition time tr_ms (> 0)", field="tr")
    if data.ndim != 2 or data.shape[1] != connectome.n_regions:
        raise InputError(f"BOLD must be (n_times, {connectome.n_regions}), got {data.shape}", field="bold")
    bad = [connectome.labels[j] for j in np.flatnonzero(~np.all(np.isfinite(data), axis=0))]
    if bad:
        raise InputError(f"non-finite values in region(s) {', '.join(bad[:8])}", field="bold")
    const = [connectome.labels[j] for j in np.flatnonzero(np.ptp(data, axis=0) == 0)]
    if const:
        raise InputError(f"constant BOLD in region(s) {', '.join(const[:8])}: no correlation is defined", field="bold")
    return data, float(tr)


@dataclass
class RestFit:
    """The resting-state fit: posterior, estimator, simulator and posterior predictive check.

    Attributes
    ----------
    posterior : Posterior
        ``method="npe"``; ``info`` holds the settings an update needs.
    estimator : Estimator
    simulator : RestSimulator
    ppc : dict
        From :func:`~braintwin.workflows.resting.ppc.rest_ppc`: empirical and twin FC/FCD,
        FC correlation with its interval, FCD KS distance, SC-FC baseline.
    bold : array (n_times, n_regions)
    tr_ms : float
    calibration : dict or None
    timings : dict
        Seconds per stage.
    """

    posterior: Any
    estimator: Any
    simulator: RestSimulator
    ppc: dict
    bold: np.ndarray
    tr_ms: float
    calibration: dict | None = None
    timings: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Posterior medians and 90% intervals, FC r (of the mean FC; median and interval over simulations), FCD KS, SC-FC baseline."""
        s = self.posterior.samples
        params = {k: [float(np.quantile(v, p)) for p in (0.05, 0.5, 0.95)] for k, v in s.items() if np.ndim(v) == 1}
        keys = ("fc_r_twin", "fc_r_median", "fc_r_low", "fc_r_high", "fcd_ks_median", "sc_fc_r")
        out = {"parameters_q05_q50_q95": params, **{k: float(self.ppc[k]) for k in keys}, "timings_s": self.timings}
        if "joint" in self.posterior.info:  # several segments: how well the importance sampler held up
            out["joint"] = dict(self.posterior.info["joint"])
        return out


def _cache_paths(sim: RestSimulator, prior: Prior, n_sims: int, seed: int, cache_dir) -> tuple[Path, Path, Path]:
    cfg = campaign_config(sim, prior, seed)
    cfg.pop("versions", None)
    key = hashlib.sha256(json.dumps([cfg, int(n_sims)], sort_keys=True, default=str).encode()).hexdigest()[:16]
    d = Path(cache_dir)
    d.mkdir(parents=True, exist_ok=True)
    return d / f"rest-{key}.campaign.h5", d / f"rest-{key}.npe", d / f"rest-{key}.calibration.json"


def rest_estimator(sim: RestSimulator, prior: Prior, *, n_sims: int, cache_dir, seed: int = 0, n_test: int | None = None,
                   chunk_size: int = 16, n_components: int | None = None, regression_summaries: int | None = None,
                   n_workers: int | None = None, progress: bool = True, log=print):
    """Campaign + trained estimator + calibration, each reused from ``cache_dir`` when already made.

    Returns ``(estimator, calibration dict, {"campaign": path, "estimator": path}, timings)``.  The last
    ``n_test`` usable simulations (default a fifth, at most 100) are held out of
    training for the calibration (SBC, TARP, z-score/shrinkage).  ``n_components`` and
    ``regression_summaries`` are :class:`~braintwin.infer.sbi.NPE`'s (part of the estimator's cache key);
    ``n_workers``: local Dask worker processes for the campaign (:func:`~braintwin.infer.sbi.run_campaign`).
    """
    camp_path, est_path, cal_path = _cache_paths(sim, prior, n_sims, seed, cache_dir)
    if n_components is not None or regression_summaries is not None:  # another estimator of the same campaign
        tag = f"-k{n_components}-reg{regression_summaries}"
        est_path, cal_path = (p.with_name(p.name.split(".")[0] + tag + "." + p.name.split(".", 1)[1])
                              for p in (est_path, cal_path))
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    log(f"campaign: {n_sims} simulations -> {camp_path.name}" + (" (cached)" if camp_path.exists() else ""))
    camp = run_campaign(sim, prior, n_sims, camp_path, chunk_size=chunk_size, seed=seed, progress=progress,
                        n_workers=n_workers)
    timings["campaign"] = time.perf_counter() - t0
    theta, x, counts = camp.training_data()
    n_test = min(100, len(theta) // 5) if n_test is None else int(n_test)
    if len(theta) - n_test < 20:
        raise InputError(f"only {len(theta)} usable simulations ({counts}); raise n_sims", field="n_sims")
    t0 = time.perf_counter()
    if est_path.exists():
        est = read_estimator(est_path)
        log(f"training: estimator reused from {est_path.name}")
    else:
        log(f"training: NPE on {len(theta) - n_test} simulations ({n_test} held out)")
        n_comp = None if n_components is None else min(int(n_components), len(theta) - n_test - 1)
        est = (NPE(prior, n_components=n_comp, regression_summaries=regression_summaries)
               .append_simulations(theta[: len(theta) - n_test], x[: len(theta) - n_test],
                                   feature_names=camp.feature_names, config=camp.config)
               .train(seed=seed))
        write_estimator(est, est_path)
    timings["training"] = time.perf_counter() - t0
    cal = _calibration(est, theta, x, n_test, cal_path, seed)
    return est, cal, {"campaign": str(camp_path), "estimator": str(est_path)}, timings


def _calibration(est, theta, x, n_test: int, path: Path, seed: int) -> dict | None:
    if path.exists():
        return json.loads(path.read_text())
    if n_test < 10:
        return None
    cal = json.loads(json.dumps(calibrate(est, theta[-n_test:], x[-n_test:], n_draws=100, seed=seed), default=float))
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(cal))
    return cal


def fit_rest(bold, connectome, *, tr_ms: float | None = None, mapping=None, prior: Prior | None = None,
             n_sims: int = 200, n_ppc: int = 20, n_draws: int = 1000, dt: float = 0.05, skip_ms: float = 20_000.0,
             gradient=None, cache_dir=".braintwin-cache", seed: int = 0, max_times: int | None = None,
             refine_rounds: int = 0, n_per_round: int | None = None, features=REST_FEATURES_FC,
             n_components: int | None = 10, regression_summaries: int | None = 1, campaign_workers: int | None = None,
             segments: int | str = 1, progress: bool = True, log=print, **simulator_options) -> RestFit:
    """Fit the resting-state twin (MPR + BOLD) to one person's BOLD by neural posterior estimation.

    Parameters
    ----------
    bold : BoldSeries or array (n_times, n_regions)
        Parcellated BOLD (:func:`braintwin.observe.read_bold`); an array must be in
        the connectome's region order.
    connectome : Connectome or str
        Normalised to max 1, zero diagonal, here.
    tr_ms : float, optional
        Repetition time (ms); default from ``bold``.
    prior : Prior, optional
        Default :func:`default_prior` (with ``eta_gradient`` when ``gradient`` is given).
    n_sims : int
        Campaign size (simulations from the prior).
    n_ppc : int
        Posterior predictive simulations for the twin's FC and FCD.
    dt, skip_ms : float
        Integration step and transient (ms), see :class:`RestSimulator`.
    gradient : array (n_regions,), optional
        Regional term: eta varies along this map (e.g. the first FC gradient).
    cache_dir : path
        Campaign, estimator and calibration cache (keyed by configuration).
    max_times : int, optional
        Use the first ``max_times`` samples only: every simulation is as long as
        the recording compared (1,200 HCP volumes are 14 min of simulated time each).
    features : tuple of str
        ``REST_FEATURES_FC`` (default: the FC summaries, FCD statistics and the FC upper
        triangle) or :data:`~braintwin.workflows.resting.REST_FEATURES` (without the FC
        entries), see :class:`RestSimulator`.
    n_components, regression_summaries : int or None
        The estimator's reduction of the features (:class:`~braintwin.infer.sbi.NPE`):
        the first 10 principal components of the z-scored features, then one linear
        regression summary per parameter (Fearnhead & Prangle 2012).  Why this default
        (measured 2026-12-04, ``benchmarks/rest_fc_features_ab.py 200 100``: one campaign
        of 100 prior simulations at 200 volumes, 80 for training, 10 predictive runs, the
        ceiling 0.898; load 3-6 on 2 cores): fc_r_ratio 0.790 / 0.896 / 0.682 (predictive
        seeds 0 / 1 / 2) against 0.740 / 0.700 / 0.489 with the summaries alone (``REST_FEATURES``, no
        reduction); eta's median -4.86 against -5.44 (truth -4.8); G's 90% interval wider
        ([0.069, 0.242] against [0.087, 0.218]), truth inside every interval in both.
        Other reductions of the same features did worse (seed 0): a ridge summary on all
        2,861 features 0.689, 5 components with degree 2 0.603; 10 components without
        the regression summary gave a degenerate posterior (G [0, 0.006]).  At 833 volumes
        (100 simulations) it tied: fc_r_ratio 0.796 against 0.795 (``benchmarks/rest_twin.py``).
    segments : int or "auto"
        Train on simulations as long as one of ``segments`` equal parts of the
        recording, and condition on all parts at once (their posteriors multiplied,
        :func:`~braintwin.infer.sbi.joint_posterior`: parts a few BOLD autocorrelation
        times apart are close to independent given the parameters).  The campaign's
        simulations are ``segments`` times shorter, so the same CPU time buys about as
        many times more of them; the posterior predictive check and the twin use the
        whole recording.  1 (default): condition on the whole recording.  ``"auto"``:
        ``len(bold) // SEGMENT_VOLUMES`` (200) parts, at least 1 (so 1 below 400
        volumes; 4 for 10 min at TR 720 ms), and 1 when ``refine_rounds`` is set
        (:func:`auto_segments`).  Why not the default: the product of K posteriors
        keeps the estimator's bias while its width shrinks by sqrt(K), so it needs a
        better-trained estimator than one posterior does.  Measured on tvb76, 833
        volumes, 4 segments (one person, one seed each): 400 simulations put every
        truth inside its 90% interval (fc_r_ratio 0.957); 200 simulations gave
        fc_r_ratio 0.969 but G's interval [0.158, 0.238] missed its truth 0.15.
        Use it with 400 simulations or more.
    campaign_workers : int, optional
        Run the campaign on this many local worker processes (one simulation thread each);
        the script that calls this needs an ``if __name__ == "__main__":`` guard.
    refine_rounds, n_per_round : int
        Per-person refinement (TSNPE, Deistler et al. 2022): ``refine_rounds``
        rounds of ``n_per_round`` (default ``n_sims // 2``) simulations drawn from
        the prior truncated to this person's posterior, the estimator retrained on
        everything.  Why: the FC of MPR on tvb76 is sharply peaked in (G, eta) (at
        the synthetic person, r with its FC falls from 0.72 to 0.40-0.48 for G
        +-0.05 and to 0.35-0.44 for eta +-0.4, 200 volumes), so simulations spent far
        from the person teach the estimator little about what matters there.  The
        refined estimator is this recording's only (not cached, not amortised).
        Measured at 100 prior + 30 refined simulations (200 volumes): no gain (the
        posterior came out wider, fc_r_ratio 0.59 against 0.74 amortised, see
        ``benchmarks/rest_twin.py``), so it is off by default; meant for campaigns
        in the thousands.

    Returns
    -------
    RestFit

    References
    ----------
    Montbrio E, Pazo D, Roxin A (2015) Phys Rev X 5:021028.  Greenberg D et al. (2019)
    ICML (NPE).  Hashemi M et al. (2024) Simulation-based inference on virtual brain
    models of disorders. Mach Learn Sci Technol 5:035019.

    Example
    -------
    >>> fit = bt.resting.fit_rest(bt.observe.read_bold("rest.tsv", tr_s=0.72), "tvb76")  # doctest: +SKIP
    >>> fit.summary()["fc_r_twin"]  # doctest: +SKIP
    """
    conn = as_connectome(connectome).normalized("max").with_zero_diagonal()
    y, tr = as_bold(bold, conn, tr_ms=tr_ms, mapping=mapping)
    y = y[: max_times or len(y)]
    sim = RestSimulator(conn, tr_ms=tr, n_times=len(y), dt=dt, skip_ms=skip_ms, gradient=gradient, features=features,
                        **simulator_options)
    if segments == "auto":
        segments = auto_segments(len(y), refine_rounds)
        if segments > 1:
            log(f"segments: {segments} parts of {len(y) // segments} samples (auto: one per {SEGMENT_VOLUMES} volumes)")
    for name, v, least in (("refine_rounds", refine_rounds, 0), ("n_per_round", n_per_round, 1), ("segments", segments, 1)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < least):
            raise InputError(f"{name} must be an integer >= {least}, got {v!r}", field=name)
    if segments > 1 and refine_rounds:
        raise InputError("refine_rounds needs segments=1 (TSNPE refines for one observation)", field="segments")
    prior = prior or default_prior(gradient=gradient is not None)
    est, cal, paths, timings = rest_estimator(segment_simulator(sim, len(y), segments), prior, n_sims=n_sims, cache_dir=cache_dir, seed=seed,
                                              n_components=n_components, regression_summaries=regression_summaries,
                                              n_workers=campaign_workers, progress=progress, log=log)
    if refine_rounds:
        t0 = time.perf_counter()
        est = refine_for(est, sim, y, paths["campaign"], rounds=refine_rounds,
                         n_per_round=int(n_per_round or max(20, n_sims // 2)), seed=seed, log=log)
        timings["refinement"] = time.perf_counter() - t0
    post, ppc, t = posterior_and_ppc(est, sim, y, n_draws=n_draws, n_ppc=n_ppc, seed=seed, calibration=cal, log=log,
                                     segments=segments)
    # file names only (folders can carry a person's name); an update looks them up in its cache_dir
    post.info.update(estimator_file=Path(paths["estimator"]).name, campaign_file=Path(paths["campaign"]).name)
    timings.update(t)
    return RestFit(post, est, sim, ppc, y, tr, cal, timings)


def refine_for(est, sim: RestSimulator, y: np.ndarray, campaign_path, *, rounds: int, n_per_round: int,
               seed: int = 0, log=print):
    """TSNPE for one recording: the campaign's simulations plus ``rounds`` x ``n_per_round`` from the truncated prior.

    Returns an estimator valid for ``y``'s features only (:meth:`NPE.truncated_sequential`).
    """
    from ...infer.sbi import read_campaign

    camp = read_campaign(campaign_path)
    theta, x, _ = camp.training_data()
    log(f"refinement (TSNPE): {rounds} round(s) of {n_per_round} simulations where this person's posterior lies")
    s = est.settings  # the same estimator settings as the amortised one (flow, reduction, scaling)
    npe = NPE(est.prior, flow=s["flow"], n_transforms=s["n_transforms"], hidden=s["hidden"], depth=s["depth"],
              n_bins=s["n_bins"], ensemble=s["ensemble"], n_components=s.get("n_components"),
              standardize=s.get("standardize", "zscore"), regression_summaries=s.get("regression_summaries"))
    return (npe.append_simulations(theta, x, feature_names=camp.feature_names, config=camp.config)
            .truncated_sequential(sim, sim.features_of(y), rounds=int(rounds), n_per_round=int(n_per_round), seed=seed))


def posterior_and_ppc(est, sim: RestSimulator, y: np.ndarray, *, n_draws: int, n_ppc: int, seed: int,
                      calibration=None, log=print, segments: int = 1):
    """The posterior of one recording and its posterior predictive check; ``(posterior, ppc, timings)``.

    ``segments > 1``: ``est`` was trained on one of that many equal parts of ``y`` (:func:`fit_rest`).
    """
    t0 = time.perf_counter()
    diag = {"calibration": calibration} if calibration else None
    seg = segment_simulator(sim, len(y), segments)
    if seg is sim:
        post = est.posterior(sim.features_of(y), n=n_draws, seed=seed, feature_names=sim.feature_names, diagnostics=diag)
    else:  # each part's features on the estimator's (segment) length, then their joint posterior
        L = seg.n_times
        parts = np.stack([seg.features_of(y[k * L:(k + 1) * L]) for k in range(int(segments))])  # the tail < L is left out
        post = joint_posterior(est, parts, n_draws, seed, feature_names=seg.feature_names, diagnostics=diag)
        log(f"posterior of {len(parts)} segments of {L} samples: importance ESS {post.info['joint']['importance_ess']:.0f}")
    post.info.update(updater=UPDATER, rest=rest_settings(sim, segments))
    t1 = time.perf_counter()
    log(f"posterior: {n_draws} draws; posterior predictive: {n_ppc} simulations")
    ppc = rest_ppc(sim, post, y, n_sims=n_ppc, seed=seed)
    return post, ppc, {"posterior": t1 - t0, "ppc": time.perf_counter() - t1}


def auto_segments(n_times: int, refine_rounds: int = 0) -> int:
    """``segments="auto"``: ``n_times // SEGMENT_VOLUMES`` parts, at least 1; 1 with TSNPE rounds.

    >>> auto_segments(833), auto_segments(399), auto_segments(833, refine_rounds=1)
    (4, 1, 1)
    """
    return 1 if refine_rounds else max(1, int(n_times) // SEGMENT_VOLUMES)


def segment_simulator(sim: RestSimulator, n_times: int, segments: int = 1) -> RestSimulator:
    """The simulator an estimator is trained with: ``sim`` itself, or one for one of ``segments`` parts of ``n_times``."""
    return sim if int(segments) == 1 else sim.with_length(int(n_times) // int(segments))


def rest_settings(sim: RestSimulator, segments: int = 1) -> dict:
    """What rebuilds the simulator from a twin (stored in ``posterior.info["rest"]``)."""
    n = sim.net
    return {"tr_ms": sim.tr_ms, "n_times": sim.n_times, "segments": int(segments), "dt": n.dt, "skip_ms": n.skip_ms, "speed": n.speed,
            "fcd_window": sim.fcd_window, "fcd_step": sim.fcd_step, "noise_weights": n.noise_weights.tolist(),
            "model_params": {k: float(v) for k, v in n.model.values.items() if np.ndim(v) == 0},
            "gradient": None if sim.gradient is None else sim.gradient.tolist(), "features": list(sim.features)}
