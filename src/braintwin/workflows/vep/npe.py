"""The amortised VEP: x0 of every region and K by neural posterior estimation (Hashemi et al. 2023).

:func:`fit_npe` is :func:`braintwin.vep.fit` with simulation-based inference in
place of NUTS.  One estimator serves every recording made with the same
connectome, contact set (gain), model constants, feature options and prior:

1. a campaign (:func:`braintwin.infer.sbi.run_campaign`) draws ``x0`` per region
   and ``K`` from the prior, runs the VEP2D network
   (:func:`braintwin.infer.sbi.vep_simulator`), observes it by SEEG log power
   and computes the ``vep_sbi`` features;
2. a flow (:class:`braintwin.infer.sbi.NPE`) is trained on all but the last
   ``n_test`` rows, and calibrated on those (SBC and TARP,
   :func:`braintwin.infer.sbi.calibrate`);
3. both are cached in ``cache_dir`` under a key made of the simulator's
   configuration (it holds the SHA-256 of the connectome and the gain), the
   prior, the number of simulations and the flow settings; the next call with
   the same key loads the estimator and runs no campaign (the campaign file's
   key leaves out the flow settings, so training another flow reuses it).

The posterior of the observation's features is then labelled exactly as a NUTS
fit (:func:`braintwin.vep.labels.label_regions`: posterior draws simulated in
the network and alone) and returned as a :class:`~braintwin.vep.VEPFit`, so
:func:`~braintwin.vep.workflow.twin_from_fit`, what-if and the report use it
unchanged.

Reference: Hashemi M, Vattikonda AN, Jha J, Sip V, Woodman MM, Bartolomei F,
Jirsa VK (2023) Amortized Bayesian inference on generative dynamical network
models of epilepsy using deep neural density estimators. Neural Networks
163:178-194.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ...errors import BraintwinWarning, InputError
from .fit import VEPFit, _ppc_simulations
from .labels import label_regions
from .model import VEPProblem

__all__ = ["fit_npe", "default_prior", "NPEDiagnostics", "vep_npe_estimator", "estimator_key"]

SOURCE = "VEP fit (npe)"

#: Default prior of the amortised VEP (see :func:`default_prior`).
X0_PRIOR = {"dist": "truncated_normal", "loc": -3.0, "scale": 0.7, "low": -4.0, "high": -1.4}
#: K's upper edge sits above the strongest coupling the synthetic patients use (3.0): a uniform prior whose
#: edge lies on a plausible value pins the posterior inside it, biasing K low and, through the trade-off
#: between coupling and recruitment time, a recruited region's x0 high (see :mod:`.refine`).
K_PRIOR = {"dist": "uniform", "low": 0.0, "high": 4.0}


def default_prior(region_labels: Sequence[str], *, x0: Mapping | None = None, K: Mapping | None = None):
    """The prior of the amortised VEP: x0 per region and the global coupling K.

    ``x0_i ~ TruncatedNormal(-3.0, 0.7; [-4, -1.4])`` independently, ``K ~ U(0, 4)``.
    Why not ``U(-4, -1.4)`` per region: with 76 regions a uniform prior puts
    ~25 % of them above the critical ``x0 = -2.05`` in every draw (19 foci:
    whole-brain seizures, nothing like a patient), so the training set holds
    almost no simulation resembling a recording with 1-3 foci.  The truncated
    normal keeps 8.6 % above -2.05 (about 6 of 76: focal seizures with
    recruitment), 11 % in the PZ band [-2.45, -2.05], and the bulk healthy,
    while its support still covers every x0 of the NUTS prior's range.

    Parameters
    ----------
    region_labels : sequence of str
    x0, K : mapping, optional
        Other distributions (:class:`braintwin.infer.sbi.Prior` entries).

    Returns
    -------
    Prior

    Example
    -------
    >>> default_prior(["a", "b"]).labels
    ['x0[a]', 'x0[b]', 'K']
    """
    from ...infer.sbi import Prior

    spec = {"x0": {**(dict(x0) if x0 else X0_PRIOR), "per_region": True}, "K": dict(K) if K else dict(K_PRIOR)}
    return Prior(spec, model="VEP2D", region_labels=list(region_labels))


@dataclass
class NPEDiagnostics:
    """Diagnostics of an amortised posterior: the estimator's calibration on held-out simulations.

    Attributes
    ----------
    calibration : dict
        :func:`braintwin.infer.sbi.calibrate` output (``sbc``, ``tarp``,
        ``zscore_shrinkage``, ``ok``).
    training : dict
        The estimator's training record (simulations, epochs, losses).
    problems : list of str
        Why the calibration failed (empty when it passed).
    """

    calibration: dict
    training: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    divergences: int = 0  # no sampler: kept so that VEPFit's plots and summaries read both kinds alike

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def ess_per_second(self) -> float:
        return float("nan")

    def max_rhat(self, site: str | None = None) -> float:
        """NaN: independent draws from a flow have no R-hat."""
        return float("nan")

    def min_ess(self, site: str | None = None) -> float:
        return float("nan")

    def to_dict(self) -> dict:
        return {"method": "npe", "ok": self.ok, "problems": list(self.problems), "calibration": self.calibration,
                "training": self.training}

    def summary(self) -> str:
        c = self.calibration
        return (f"NPE calibration on {c['sbc'].get('n_sims', '?')} held-out simulations: SBC min KS p "
                f"{c['sbc']['ks_min_p']:.3g}, TARP max deviation {c['tarp']['max_deviation']:.3f} -> "
                f"{'OK' if self.ok else 'FAILED (' + '; '.join(self.problems) + ')'}")

    def warn(self, what: str = SOURCE) -> None:
        if not self.ok:
            warnings.warn(f"{what}: calibration failed: {'; '.join(self.problems)}", BraintwinWarning, stacklevel=3)

    def plot(self):
        """The SBC rank histograms (the TARP and z-score figures are in ``calibration``)."""
        from ...infer.sbi.calibration import Check

        return Check(self.calibration["sbc"]).plot()


def _problems_of(cal: Mapping, tarp_tolerance: float) -> list[str]:
    out = []
    sbc = cal["sbc"]
    if not sbc["ok"]:
        level = sbc["alpha"] / max(1, len(sbc["ks_p"]))  # Bonferroni over the parameters, as sbc() decides
        worst = [lab for lab, p in zip(sbc["labels"], sbc["ks_p"]) if p <= level]
        out.append(f"SBC KS p {sbc['ks_min_p']:.3g} <= {level:.2g} for {', '.join(worst[:5])}")
    if cal["tarp"]["max_deviation"] > tarp_tolerance:
        out.append(f"TARP deviation {cal['tarp']['max_deviation']:.3f} > {tarp_tolerance}")
    return out


def estimator_key(config: Mapping, prior, n_sims: int, npe_settings: Mapping) -> str:
    """SHA-256 (hex) naming a cached estimator: simulator configuration, prior, size and flow settings.

    The configuration holds the SHA-256 of the connectome and of the gain, the
    feature sets and their options, the model constants and the integration,
    so another contact set, connectome or feature option gives another key.

    Example
    -------
    >>> estimator_key({"gain_sha256": "ab"}, default_prior(["a"]), 100, {}) != \\
    ...     estimator_key({"gain_sha256": "cd"}, default_prior(["a"]), 100, {})
    True
    """
    blob = json.dumps({"config": config, "prior": prior.to_dict(), "n_sims": int(n_sims), "npe": dict(npe_settings)},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _simulator(connectome, gain, problem: VEPProblem, *, obs_noise: float, feature_options, contact_labels):
    """The campaign simulator of this recording's set-up (model constants, sampling, SEEG gain)."""
    from ...infer.sbi import vep_simulator

    return vep_simulator(connectome, problem.gain, tau0=problem.tau0, I1=problem.I1, dt=problem.dt,
                         n_times=problem.n_times, steps_per_sample=problem.steps_per_sample, obs_noise=obs_noise,
                         feature_options=feature_options, contact_labels=contact_labels)


def _train(sim, prior, n_sims: int, n_test: int, path: Path, *, seed: int, progress: bool, npe_kwargs: Mapping,
           train_kwargs: Mapping, n_cal_draws: int, tarp_tolerance: float):
    """Campaign -> NPE on all but the last ``n_test`` usable rows -> calibration on those; the estimator."""
    from ...infer.sbi import NPE, calibrate, run_campaign

    t0 = time.perf_counter()
    # the campaign's own key leaves out the flow settings: retraining another flow reuses the simulations
    camp_key = estimator_key(sim.config(), prior, int(n_sims) + int(n_test), {"seed": seed})
    camp = run_campaign(sim, prior, int(n_sims) + int(n_test), path.parent / f"vep_campaign_{camp_key[:16]}.h5",
                        chunk_size=100, seed=seed,
                        progress=progress)
    t_sim = time.perf_counter() - t0
    theta, x, counts = camp.training_data()
    cut = len(theta) - int(n_test)
    if cut < 20:
        raise InputError(f"only {len(theta)} usable simulations of {counts['n_total']} ({counts}); cannot train and "
                         f"hold out {n_test}", source=SOURCE, field="n_sims")
    t1 = time.perf_counter()
    est = (NPE(prior, **dict(npe_kwargs))
           .append_simulations(theta[:cut], x[:cut], feature_names=camp.feature_names, config=camp.config, source=SOURCE)
           .train(seed=seed, progress=progress, **dict(train_kwargs)))
    t_train = time.perf_counter() - t1
    t2 = time.perf_counter()
    cal = calibrate(est, theta[cut:], x[cut:], n_draws=n_cal_draws, seed=seed, tarp_tolerance=tarp_tolerance)
    est.training.update(calibration=cal, campaign_counts={k: int(v) for k, v in counts.items()},
                        seconds={"campaign": t_sim, **{k: float(v) for k, v in sim.seconds.items()}, "train": t_train,
                                 "calibrate": time.perf_counter() - t2})
    return est


def vep_npe_estimator(connectome, gain, problem: VEPProblem, *, prior=None, n_sims: int = 10_000, n_test: int = 200,
                      cache_dir=None, estimator=None, obs_noise: float = 0.1, feature_options=None,
                      contact_labels=None, npe_kwargs: Mapping | None = None, train_kwargs: Mapping | None = None,
                      n_cal_draws: int = 200, tarp_tolerance: float = 0.1, seed: int = 0, progress: bool = False):
    """The amortised-VEP estimator of a set-up: given, cached, or trained now (campaign, NPE, calibration).

    Parameters
    ----------
    connectome : Connectome
        Normalised, zero diagonal.
    gain : array (n_contacts, n_regions)
    problem : VEPProblem
        Supplies dt, tau0, I1, the number of samples and steps per sample.
    prior : Prior, optional
        Default :func:`default_prior`.
    n_sims, n_test : int
        Training simulations and held-out simulations for the calibration.
    cache_dir : path, optional
        Where estimators and campaigns are kept (default ``~/.cache/braintwin/vep_npe``).
    estimator : Estimator or path, optional
        Use this one (refused when made for another connectome, contact set or features).
    obs_noise : float
        Measurement noise sd added to the simulated envelopes (the synthetic patients' 0.1).
    npe_kwargs, train_kwargs : mapping, optional
        For :class:`~braintwin.infer.sbi.NPE` (default ``n_components=64``) and its ``train``.

    Returns
    -------
    (Estimator, simulator, dict)
        The estimator, the simulator that defines its features, and ``{"key",
        "path", "trained": bool, "seconds"}``.
    """
    from ...infer.sbi import read_estimator, write_estimator
    from ...infer.sbi.npe import Estimator

    sim = _simulator(connectome, gain, problem, obs_noise=obs_noise, feature_options=feature_options,
                     contact_labels=contact_labels)
    prior = prior if prior is not None else default_prior(problem.labels)
    npe_kwargs = {"n_components": 64, **dict(npe_kwargs or {})}
    t0 = time.perf_counter()
    if estimator is not None:
        est = estimator if isinstance(estimator, Estimator) else read_estimator(estimator)
        est.check_compatible(config=sim.config(), source=str(estimator) if not isinstance(estimator, Estimator) else SOURCE)
        return est, sim, {"key": None, "path": None if isinstance(estimator, Estimator) else str(estimator),
                          "trained": False, "seconds": time.perf_counter() - t0}
    key = estimator_key(sim.config(), prior, n_sims, {**npe_kwargs, **dict(train_kwargs or {}), "n_test": n_test,
                                                       "seed": seed})
    cache = Path(cache_dir) if cache_dir is not None else Path.home() / ".cache" / "braintwin" / "vep_npe"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"vep_{key[:16]}.npe"
    trained = not path.exists()
    if trained:
        est = _train(sim, prior, n_sims, n_test, path, seed=seed, progress=progress, npe_kwargs=npe_kwargs,
                     train_kwargs=train_kwargs or {}, n_cal_draws=n_cal_draws, tarp_tolerance=tarp_tolerance)
        write_estimator(est, path)
    else:
        est = read_estimator(path)
        est.check_compatible(config=sim.config(), source=str(path))
    return est, sim, {"key": key, "path": str(path), "trained": trained, "seconds": time.perf_counter() - t0}


def _labels_and_ppc(problem: VEPProblem, x0: np.ndarray, K: np.ndarray, *, obs_noise: float, n_ppc: int, seed: int,
                    ez_rule: str, pz_rule: str, seizure_threshold: float):
    """The VEP's labels and predictive check from ``n_ppc`` posterior draws (simulated as :func:`fit` does)."""
    from ...infer.nuts import x64

    take = np.linspace(0, len(x0) - 1, min(int(n_ppc), len(x0))).astype(int)
    n, R = take.size, problem.n_regions
    # the simulator's fixed initial state (-2, 4), unit amplitude, zero offset and its measurement noise
    draws = {"x0": x0[take], "K": K[take], "x_init": np.full((n, R), -2.0), "z_init": np.full((n, R), 4.0),
             "amplitude": np.ones(n), "offset": np.zeros(n), "eps": np.full(n, float(obs_noise))}
    with x64():
        x, xa, env, pred = _ppc_simulations(problem, draws, noise_seed=seed)
    seize_net, seize_alone = np.any(x > seizure_threshold, axis=1), np.any(xa > seizure_threshold, axis=1)
    table = label_regions(draws["x0"], seize_net, seize_alone, problem.labels, ez_rule=ez_rule, pz_rule=pz_rule)
    table.rules["seizure_threshold"] = seizure_threshold
    ppc = {"envelope": np.quantile(pred, [0.05, 0.5, 0.95], axis=0), "envelope_mean": env.mean(axis=0),
           "seize_network": seize_net.mean(axis=0), "seize_alone": seize_alone.mean(axis=0), "draws": take}
    return table, ppc


def fit_npe(observation, gain, connectome, *, estimator=None, n_sims: int = 10_000, n_test: int = 200,
            cache_dir=None, prior=None, dt: float = 0.25, tau0: float = 20.0, I1: float = 3.1, steps_per_sample: int = 1,
            obs_noise: float = 0.1, feature_options: Mapping | None = None, n_draws: int = 1000, n_ppc: int = 200,
            seed: int = 0, progress: bool = False, npe_kwargs: Mapping | None = None,
            train_kwargs: Mapping | None = None, tarp_tolerance: float = 0.1, ez_rule: str = "simulation",
            pz_rule: str = "recruited", seizure_threshold: float = -0.5, contact_labels: Sequence[str] | None = None,
            labels: Sequence[str] | None = None, truth=None, warn: bool = True, refine_rounds: int = 0,
            refine_options: Mapping | None = None) -> VEPFit:
    """The amortised VEP: x0 of every region and K by neural posterior estimation, then EZ / PZ labels.

    The estimator of this connectome + contact set (+ model constants, feature
    options and prior) is loaded from ``cache_dir``, or trained there first
    (campaign with a progress bar, NPE, calibration on ``n_test`` held-out
    simulations; see the module docstring).  The observation's ``vep_sbi``
    features condition it; ``n_draws`` draws of ``(x0, K)`` form the posterior;
    ``n_ppc`` of them are simulated in the network and alone to label each
    region by the VEP's rule (:func:`braintwin.vep.labels.label_regions`).

    Parameters
    ----------
    observation : array (n_times, n_contacts)
        SEEG log-power envelope, as for :func:`braintwin.vep.fit`.
    gain : array (n_contacts, n_regions)
    connectome : Connectome
        Normalised, zero diagonal (as for :func:`braintwin.vep.fit`).
    estimator : Estimator or path, optional
        A trained amortised-VEP estimator; refused with an :class:`InputError`
        when it was trained for another connectome or contact set.
    n_sims, n_test : int
        Size of the training campaign and of the held-out calibration set (when training).
    cache_dir : path, optional
        Estimator cache (default ``~/.cache/braintwin/vep_npe``).
    prior : Prior, optional
        Over ``x0`` (per region) and ``K``; default :func:`default_prior`.
    dt, tau0, I1, steps_per_sample : float
        VEP2D constants and sampling, as for :func:`braintwin.vep.fit` (part of the cache key).
    obs_noise : float
        Measurement-noise sd of the simulated envelopes.
    feature_options : mapping, optional
        Options of the ``vep_sbi`` feature set.
    n_draws, n_ppc : int
        Posterior draws, and how many of them are simulated for the labels.
    seed : int
    npe_kwargs, train_kwargs : mapping, optional
        :class:`~braintwin.infer.sbi.NPE` settings (default ``n_components=64``) and ``train`` options.
    tarp_tolerance : float
        Largest TARP distance from the diagonal still called calibrated.
    ez_rule, pz_rule, seizure_threshold
        As for :func:`braintwin.vep.fit`.
    truth : SyntheticPatient, optional
        For label accuracy.
    refine_rounds : int
        0 (default): the amortised posterior.  ``n > 0``: refine it for this recording by
        ``n`` rounds of truncated sequential NPE over the regions whose envelope rises
        (:func:`braintwin.vep.refine.refine_posterior`; 6 rounds of 3,000 simulations
        took 134-201 s per tvb76 patient on 2 cores; over the benchmark's 10 patients EZ
        precision 1.0 and 0.95 (two seeds), EZ recall 1.0, PZ recall 1.0, against
        0.57 / 0.4 / 0 amortised).
        The amortised calibration stays in the diagnostics; the refinement's rounds
        are in ``posterior.info["refinement"]``.
    refine_options : mapping, optional
        Keyword arguments of :func:`~braintwin.vep.refine.refine_posterior`.

    Returns
    -------
    VEPFit
        ``samples`` ``{"x0": (1, n_draws, n_regions), "K": (1, n_draws)}``,
        ``diagnostics`` an :class:`NPEDiagnostics` (the calibration; a failed
        one warns and makes ``fit.ok`` False), ``posterior`` the
        ``Posterior(method="npe")`` with the calibration in its diagnostics,
        ``timings`` (``estimator``, ``features``, ``posterior``, ``refine``, ``ppc``, ``total``).

    Example
    -------
    >>> p = bt.vep.synthetic_patient(net, ez=["rTCC"], n_contacts=16, seed=1)           # doctest: +SKIP
    >>> f = bt.vep.fit_npe(p.observation, p.gain, p.connectome, tau0=p.tau0, n_sims=2000) # doctest: +SKIP
    >>> f.labels.ez, f.diagnostics.ok                                                    # doctest: +SKIP
    """
    t_all = time.perf_counter()
    W = np.asarray(getattr(connectome, "weights", connectome), float)
    regs = tuple(labels) if labels is not None else tuple(getattr(connectome, "labels", ()) or ())
    problem = VEPProblem(observation=observation, gain=gain, weights=W, dt=dt, steps_per_sample=steps_per_sample,
                         tau0=tau0, I1=I1, labels=regs)
    est, sim, info = vep_npe_estimator(connectome, gain, problem, prior=prior, n_sims=n_sims, n_test=n_test,
                                       cache_dir=cache_dir, estimator=estimator, obs_noise=obs_noise,
                                       feature_options=feature_options, contact_labels=contact_labels,
                                       npe_kwargs=npe_kwargs, train_kwargs=train_kwargs, tarp_tolerance=tarp_tolerance,
                                       seed=seed, progress=progress)
    t0 = time.perf_counter()
    x_obs = sim.features_of(problem.observation)
    t1 = time.perf_counter()
    cal = est.training.get("calibration")
    diag = NPEDiagnostics(cal or {}, {k: v for k, v in est.training.items() if k != "calibration"},
                          _problems_of(cal, tarp_tolerance) if cal else ["the estimator holds no calibration"])
    post = est.posterior(x_obs, n=n_draws, seed=seed, feature_names=sim.feature_names, config=sim.config(),
                         diagnostics=diag.to_dict())
    post.info.update(estimator_key=info["key"], estimator_path=info["path"])
    t_ref = 0.0
    if refine_rounds:
        from .refine import refine_posterior

        t_ref = time.perf_counter()
        ref = refine_posterior(problem, rounds=refine_rounds, obs_noise=obs_noise, n_draws=n_draws, seed=seed,
                               progress=progress, **dict(refine_options or {}))
        post = est.posterior_of_draws(np.column_stack([ref.x0, ref.K]), x_obs, diag.to_dict(),
                                      estimator_key=info["key"], estimator_path=info["path"], refinement=ref.to_dict())
        t_ref = time.perf_counter() - t_ref
    t2 = time.perf_counter()
    x0, K = np.asarray(post["x0"], float), np.asarray(post["K"], float)
    table, ppc = _labels_and_ppc(problem, x0, K, obs_noise=obs_noise, n_ppc=n_ppc, seed=seed, ez_rule=ez_rule,
                                 pz_rule=pz_rule, seizure_threshold=seizure_threshold)
    ppc["centres"] = getattr(connectome, "centres", None)
    timings = {"estimator": info["seconds"], "features": t1 - t0, "posterior": t2 - t1 - t_ref, "refine": t_ref,
               "ppc": time.perf_counter() - t2, "total": time.perf_counter() - t_all}
    out = VEPFit(problem, {"x0": x0[None], "K": K[None]}, table, diag, ppc, timings, truth=truth, problems=[problem],
                 posterior=post, estimator_info={k: v for k, v in info.items() if k != "seconds"})
    if warn:
        diag.warn(SOURCE)
    return out
