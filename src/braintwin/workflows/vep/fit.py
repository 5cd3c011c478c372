"""Fit the Bayesian VEP to an SEEG observation: posterior of x0, EZ/PZ/healthy labels, diagnostics.

:func:`fit` runs NUTS (:func:`braintwin.infer.run_nuts`: MAP + Laplace start,
dense mass matrix, short warm-up, chains vectorised or split over devices) on
:func:`braintwin.vep.model.vep_model`, then labels every region from
posterior-predictive simulations:

* **EZ**: the region seizes *on its own* and seizes in the recording: simulated
  with ``K = 0`` from the draw's initial state over the observation window, its
  ``x`` crosses the seizure threshold, and it also crosses it in the coupled
  network simulation (``ez_rule="simulation"``, the definition of the synthetic
  truth), or its ``x0 >= -2.05`` (``ez_rule="threshold"``, the critical value at
  ``I1 = 3.1``);
* **PZ**: not EZ, and recruited: it seizes in the coupled network
  (``pz_rule="recruited"``), or ``-2.45 <= x0 < -2.05`` (``"threshold"``), or either
  (``"either"``);
* **healthy**: the rest.

Each label comes with its posterior probability (the fraction of draws giving
it); a region's label is the most probable one.  Why ``ez_rule="simulation"``
by default: the recruited regions of a propagating seizure sit at the
bifurcation (their ``x0`` is identified to +-0.01 around -2.06, right at the
threshold -2.05), so a threshold splits them between EZ and PZ at random,
while "seizes on its own within the window" separates them.

Why an EZ must also seize in the network: the difference coupling
``-K sum_j w_ij (x_j - x_i)`` of resting neighbours (``x_j`` below the knee
``x = -4/3`` of the ``x`` nullcline) holds a region at rest up to its *network*
critical excitability ``x0c + (K/4) sum_j w_ij (-4/3 - x_j)``, above the isolated
``x0c = -2.062`` (about -1.93 to -2.0 on tvb76 with ``K = 0.1``).  A region the
SEEG barely sees can have posterior draws in that band: it rests in the
network, as the data say, but would seize with ``K = 0``.  Nothing in the
recording shows such a latent focus, so it is not called EZ (it is healthy: it
does not seize in the network either).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ...errors import InputError
from .labels import NOT_OBSERVABLE, PZ_THRESHOLD, RHAT_DISAGREE, UNDETERMINED, mark_unobservable, LabelTable, chain_disagreement, label_regions, refuse_labels
from .model import (X0_CRITICAL, PersonPrior, VEPPriors, VEPProblem, observe_sources, recording_suffix,
                    unconstrain, vep_model)

__all__ = ["LabelTable", "VEPFit", "fit", "fit_patient", "initial_guess", "label_regions", "PZ_THRESHOLD"]

DIAG_SITES = ("x0", "K", "amplitude", "offset", "eps")


def _ppc_simulations(problem: VEPProblem, draws: Mapping[str, np.ndarray], *, noise_seed: int = 0, alone: bool = True):
    """Posterior-predictive network and isolated simulations of the given draws (inside x64).

    ``alone=False`` skips the isolated runs (``xa`` is then the network's ``x``).
    """
    import jax
    import jax.numpy as jnp

    fwd = problem.forward()

    def one(x0, K, xi, zi, amp, off):
        init = jnp.stack([xi, zi])
        x = fwd(x0, K, problem.tau0, problem.I1, init)
        xa = fwd(x0, 0.0 * K, problem.tau0, problem.I1, init) if alone else x
        return x, xa, observe_sources(x, problem, amp, off, m=jnp)

    f = jax.jit(jax.vmap(one))
    args = [jnp.asarray(draws[k]) for k in ("x0", "K", "x_init", "z_init", "amplitude", "offset")]
    outs = [f(*[a[i:i + 100] for a in args]) for i in range(0, len(args[0]), 100)]
    x, xa, env = (np.concatenate([np.asarray(o[j]) for o in outs]) for j in range(3))
    rng = np.random.default_rng(noise_seed)
    pred = env + np.asarray(draws["eps"])[:, None, None] * rng.standard_normal(env.shape)
    return x, xa, env, pred


def initial_guess(problem: VEPProblem, *, smooth: int = 5, fractions: Sequence[float] = (0.6, 0.8, 0.45, 0.3),
                  K_values: Sequence[float] = (0.1, 0.3)) -> list[dict]:
    """Data-driven starting points for the MAP search (physical parameter values).

    The seizure is located by inverting the envelope's rise sample by sample:
    with the prior amplitude ``a`` and an offset ``b`` from the first tenth of
    the samples, ``exp((y_t - b) / a) - exp((y_0 - b) / a) = gain (e^{x_t} - e^{x_0})``
    is solved for a non-negative rise of every region (non-negative least
    squares, after a moving average of ``smooth`` samples).  Regions whose rise
    reaches a fraction of the largest one (each of ``fractions`` gives a start)
    are started as seizing: the earliest ones (onset within a few samples of the
    first) as EZ (``x0 = -1.7``), the later ones as recruited (``x0 = -2.05``);
    the others at ``x0 = -2.7``; ``K`` takes each of ``K_values`` for the first
    fraction.  The MAP search keeps the best optimum of all its starts, so a
    poor guess costs time, not correctness.
    """
    if problem.montage is not None:  # bipolar differences: no non-negative inversion; the MAP starts from the prior
        return []
    T = problem.n_times
    S, off = _rise_series(problem, smooth)
    mx = S.max(axis=0)
    out: list[dict] = []
    if not np.any(mx > 0):
        return out
    onset = np.array([int(np.argmax(S[:, i] >= 0.5 * mx[i])) if mx[i] > 0 else T for i in range(problem.n_regions)])
    gap = max(3, T // 15)
    seen = set()
    for j, frac in enumerate(fractions):
        seizing = np.flatnonzero(mx >= frac * mx.max())
        key = tuple(seizing)
        if key in seen:
            continue
        seen.add(key)
        early = seizing[onset[seizing] <= onset[seizing].min() + gap]
        x0 = np.full(problem.n_regions, -2.7)
        x0[seizing] = -2.05
        x0[early] = -1.7
        for K in (K_values if j == 0 else K_values[:1]):
            out.append({"x0": x0.copy(), "offset": off, "K": float(K)})
    return out


def _rise_series(problem: VEPProblem, smooth: int = 5) -> tuple[np.ndarray, float]:
    """Each region's non-negative rise above the first tenth of the samples (n_times, n_regions), and the offset guess.

    ``exp((y_t - b) / a) - exp((y_0 - b) / a) = gain (e^{x_t} - e^{x_0})`` solved sample by sample
    by non-negative least squares after a moving average of ``smooth`` samples (monopolar only).
    """
    import scipy.ndimage
    import scipy.optimize

    y = scipy.ndimage.uniform_filter1d(problem.observation, size=max(1, int(smooth)), axis=0, mode="nearest")
    k = max(2, problem.n_times // 10)
    E, off = _linear_power(problem, y, k)
    dE = np.maximum(E - E[:k].mean(axis=0), 0.0)
    return np.stack([scipy.optimize.nnls(problem.gain, e)[0] for e in dE]), off


def region_rise(problem: VEPProblem, smooth: int = 5) -> np.ndarray:
    """How much each region's activity rises during the recording (n_regions,), from the envelope alone.

    The largest over time of the non-negative inversion of the gain (see :func:`initial_guess`):
    the seizing regions rise, the others stay near zero.  Used to start the MAP search and to
    choose the regions a refinement spends its simulations on
    (:func:`braintwin.vep.refine.refine_posterior`).  Needs the monopolar envelope.
    """
    if problem.montage is not None:
        raise InputError("the rise inversion needs the monopolar envelope, not bipolar differences",
                         source="VEP fit", field="montage")
    return _rise_series(problem, smooth)[0].max(axis=0)


def _linear_power(problem: VEPProblem, y: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """The data back on the scale of ``G e^x`` (for the rise inversion) and the offset guess."""
    pr = problem.priors
    a = pr.amp_loc if problem.fit_scale else 1.0
    if problem.observe == "linear":
        off = float(problem.offset_loc()) if problem.fit_scale else 0.0
        return np.maximum((y - off) / a, 0.0), off
    base = np.log(np.exp(pr.x_init_loc) * problem.gain.sum(axis=1))
    off = float(np.median(y[:k] - a * base[None])) if problem.fit_scale else 0.0
    return np.exp(np.clip((y - off) / a, -50, 50)), off


@dataclass
class VEPFit:
    """A fitted Bayesian VEP.

    Attributes
    ----------
    problem : VEPProblem
    samples : dict of str to ndarray (n_chains, n_draws, ...)
        Posterior draws of every site (``x0``, ``K``, ``amplitude``, ``offset``,
        ``eps``, ``x_init``, ``z_init`` and the ``*_star`` coordinates).
    labels : LabelTable
    diagnostics : Diagnostics
    ppc : dict
        Posterior-predictive ``envelope`` quantiles ``(3, n_times, n_contacts)``
        (5 %, 50 %, 95 % of the noisy prediction), ``seize_network`` and
        ``seize_alone`` probabilities per region, and the draws used.
    timings : dict of str to float
        Seconds spent in each stage (``map``, ``laplace``, ``compile``, ``warmup``,
        ``sampling``, ``ppc``, ``total``).
    truth : object, optional
        The synthetic patient when the truth is known.
    nuts : NUTSResult
    problems : list of VEPProblem
        Every recording of the fit, oldest first (``problem`` is the last).
    posterior : Posterior, optional
        The amortised fit's ``Posterior(method="npe")`` (:func:`braintwin.vep.fit_npe`);
        None for NUTS (the twin builds it from ``samples``).
    estimator_info : dict, optional
        The amortised fit's estimator: cache key, path, whether it was trained by this call.
    """

    problem: VEPProblem
    samples: dict
    labels: LabelTable
    diagnostics: Any
    ppc: dict
    timings: dict
    nuts: Any = None
    truth: Any = None
    problems: list = field(default_factory=list)
    posterior: Any = None
    estimator_info: dict = field(default_factory=dict)

    @property
    def x0_samples(self) -> np.ndarray:
        """Posterior draws of x0 with chains merged: ``(n_chains * n_draws, n_regions)``."""
        x = self.samples["x0"]
        return x.reshape(-1, x.shape[-1])

    @property
    def regions(self) -> tuple[str, ...]:
        return self.problem.labels

    @property
    def ok(self) -> bool:
        """Whether the diagnostics passed and the labels were not withheld."""
        return bool(self.diagnostics.ok) and not self.labels.refused

    @property
    def ess_per_second(self) -> float:
        return self.diagnostics.ess_per_second

    def accuracy(self) -> dict | None:
        """Label agreement with the truth (synthetic patients), else None."""
        if self.truth is None:
            return None
        return self.labels.compare(self.truth.labels)

    def summary(self) -> dict:
        """A JSON-ready summary: diagnostics, labels, timings, accuracy when the truth is known."""
        x0 = self.x0_samples
        out = {
            "n_regions": self.problem.n_regions,
            "n_contacts": self.problem.n_contacts,
            "n_times": self.problem.n_times,
            "ez": self.labels.ez,
            "pz": self.labels.pz,
            "diagnostics": self.diagnostics.to_dict(),
            "timings": {k: round(float(v), 3) for k, v in self.timings.items()},
            "x0": {r: {"mean": float(m), "sd": float(s)} for r, m, s in zip(self.regions, x0.mean(0), x0.std(0))},
            "K": {"mean": float(self.samples["K"].mean()), "sd": float(self.samples["K"].std())},
            "eps": {"mean": float(self.samples["eps"].mean()), "floor": float(self.problem.eps_floor),
                    "data_sd": float(np.std(self.problem.observation))} if "eps" in self.samples else None,
            "labels": self.labels.to_dict(),
            "labels_refused": self.labels.refused,
            "observe": {"model": self.problem.observe, "fit_scale": bool(self.problem.fit_scale),
                        "montage": "monopolar" if self.problem.montage is None else "bipolar",
                        "dt": self.problem.dt, "steps_per_sample": self.problem.steps_per_sample},
        }
        acc = self.accuracy()
        if acc is not None:
            out["accuracy"] = acc
        return out

    def plot(self):
        """Figure: EZ/PZ map on the region centres, x0 posterior per region, predictive check of the envelope."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(13, 8.5), constrained_layout=True)
        gs = fig.add_gridspec(2, 3)
        self._plot_map(fig.add_subplot(gs[0, 0]))
        self._plot_x0(fig.add_subplot(gs[0, 1:]))
        self._plot_ppc(fig.add_subplot(gs[1, :2]))
        self._plot_probs(fig.add_subplot(gs[1, 2]))
        d = self.diagnostics
        check = (f"{'calibration OK' if d.ok else 'CALIBRATION FAILED'} (NPE)" if self.posterior is not None else
                 f"{'diagnostics OK' if d.ok else 'DIAGNOSTICS FAILED'} (max R-hat {d.max_rhat():.3f}, {d.divergences} div.)")
        fig.suptitle(
            f"Bayesian VEP: EZ {', '.join(self.labels.ez) or '-'} | PZ {', '.join(self.labels.pz) or '-'} | "
            f"{check}"
            + (" | NO LABELS: chains disagree" if self.labels.refused else ""),
            fontsize=10, color="k" if d.ok else "r",
        )
        return fig

    def plot_ppc(self, n_contacts: int = 12):
        """Figure: posterior predictive check of the SEEG envelope, contact by contact."""
        from matplotlib.figure import Figure

        y = self.problem.observation
        idx = np.argsort(-(y.max(0) - y.min(0)))[:n_contacts]
        ncol = 4
        nrow = int(np.ceil(len(idx) / ncol))
        fig = Figure(figsize=(3.2 * ncol, 2.2 * nrow), constrained_layout=True)
        axs = np.atleast_1d(fig.subplots(nrow, ncol, sharex=True)).ravel()
        t = self.problem.times
        q = self.ppc["envelope"]
        for ax, c in zip(axs, idx):
            ax.fill_between(t, q[0, :, c], q[2, :, c], color="tab:blue", alpha=0.3, lw=0)
            ax.plot(t, q[1, :, c], color="tab:blue", lw=1)
            ax.plot(t, y[:, c], "k.", ms=1.5)
            ax.set_title(f"contact {c}", fontsize=8)
        for ax in axs[len(idx):]:
            ax.set_visible(False)
        fig.suptitle("posterior predictive check: observed (dots), 90% predictive band", fontsize=9)
        return fig

    # -- panels
    _COLORS = {"EZ": "tab:red", "PZ": "tab:orange", "healthy": "0.75", UNDETERMINED: "tab:purple", NOT_OBSERVABLE: "white"}

    def _plot_map(self, ax):
        c = self.ppc.get("centres")
        lab = self.labels.label
        if c is None:
            ax.text(0.5, 0.5, "no region centres", ha="center", va="center", transform=ax.transAxes)
            return
        c = np.asarray(c)
        p = self.labels.probability
        for l in ("healthy", NOT_OBSERVABLE, UNDETERMINED, "PZ", "EZ"):
            m = lab == l
            ax.scatter(c[m, 0], c[m, 1], s=20 + 120 * p[m], color=self._COLORS[l], edgecolor="k", lw=0.3, label=l)
        if self.truth is not None:
            t = np.asarray(self.truth.labels)
            bad = t != lab
            ax.scatter(c[bad, 0], c[bad, 1], s=160, facecolor="none", edgecolor="b", lw=1.2, label="wrong vs truth")
        ax.set_aspect("equal")
        ax.set_title("EZ/PZ map (top view; size = P(label))", fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
        ax.set_xticks([])
        ax.set_yticks([])

    def _plot_x0(self, ax):
        x0 = self.x0_samples
        order = np.argsort(-np.median(x0, axis=0))
        n = len(order)
        parts = ax.violinplot(x0[:, order], positions=np.arange(n), widths=0.8, showextrema=False)
        for b, i in zip(parts["bodies"], order):
            b.set_facecolor(self._COLORS[self.labels.label[i]])
            b.set_alpha(0.8)
        if self.truth is not None:
            ax.plot(np.arange(n), np.asarray(self.truth.x0)[order], "k_", ms=8, label="truth")
            ax.legend(fontsize=7)
        ax.axhline(X0_CRITICAL, color="r", lw=0.8, ls="--")
        ax.axhline(PZ_THRESHOLD, color="orange", lw=0.8, ls=":")
        ax.set_xticks(np.arange(n))
        ax.set_xticklabels([self.regions[i] for i in order], rotation=90, fontsize=6 if n > 30 else 8)
        ax.set_ylabel("x0 (posterior)")
        ax.set_title("excitability posterior per region (colour = label)", fontsize=9)

    def _plot_ppc(self, ax):
        y = self.problem.observation
        t = self.problem.times
        idx = np.argsort(-(y.max(0) - y.min(0)))[:6]
        q = self.ppc["envelope"]
        for k, c in enumerate(idx):
            col = f"C{k}"
            ax.fill_between(t, q[0, :, c], q[2, :, c], color=col, alpha=0.25, lw=0)
            ax.plot(t, y[:, c], ".", color=col, ms=2)
        ax.set_xlabel("time (model units)")
        ax.set_ylabel("SEEG log power")
        ax.set_title("posterior predictive check: 6 most active contacts (dots: data; band: 90%)", fontsize=9)

    def _plot_probs(self, ax):
        lt = self.labels
        order = np.lexsort((-lt.p_pz, -lt.p_ez))[: min(15, len(lt.regions))]
        y = np.arange(len(order))
        ax.barh(y, lt.p_ez[order], color=self._COLORS["EZ"], label="P(EZ)")
        ax.barh(y, lt.p_pz[order], left=lt.p_ez[order], color=self._COLORS["PZ"], label="P(PZ)")
        ax.barh(y, lt.p_healthy[order], left=lt.p_ez[order] + lt.p_pz[order], color=self._COLORS["healthy"], label="P(healthy)")
        ax.set_yticks(y)
        ax.set_yticklabels([lt.regions[i] for i in order], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.legend(fontsize=7, loc="lower right")
        ax.set_title("label probabilities (top regions)", fontsize=9)


def _problems(observation, gain, connectome, labels, *, dt, steps_per_sample, tau0, I1, priors, person_prior, engine="auto",
              **obs) -> list[VEPProblem]:
    """One :class:`VEPProblem` per recording, sharing the weights, the labels and one person prior."""
    W = np.asarray(getattr(connectome, "weights", connectome), float)
    regs = tuple(labels) if labels is not None else tuple(getattr(connectome, "labels", ()) or ())
    obs_list = list(observation) if isinstance(observation, (list, tuple)) else [observation]
    gains = list(gain) if isinstance(gain, (list, tuple)) else [gain] * len(obs_list)
    if len(gains) != len(obs_list):
        raise InputError(f"{len(gains)} gains for {len(obs_list)} recordings", source="VEP fit", field="gain")
    problems: list[VEPProblem] = []
    for y, g in zip(obs_list, gains):  # one person prior for all (the default depends on the first gain)
        problems.append(VEPProblem(observation=y, gain=g, weights=W, dt=dt, steps_per_sample=steps_per_sample, tau0=tau0, I1=I1,
                                   priors=priors or VEPPriors(), labels=regs, engine=engine,
                                   person_prior=problems[0].person_prior if problems else person_prior, **obs))
    return problems


def _prior_sd(problem: VEPProblem, person_prior: PersonPrior | None, seed: int) -> dict:
    """Prior standard deviations (for the shrinkage diagnostic); of a given person prior by sampling it."""
    prior_sd = problem.priors.prior_sd()
    if person_prior is not None:
        x0_p, K_p = person_prior.sample_x0_K(20_000, problem.priors.x0_bounds, seed=seed)
        prior_sd.update(x0=x0_p.std(axis=0), K=float(K_p.std()))
    return prior_sd


def _map_inits(problems: list[VEPProblem]) -> list[np.ndarray]:
    """Flattened unconstrained MAP starts from :func:`initial_guess` of the last recording (x0, K shared; its offset)."""
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    problem = problems[-1]
    inits = []
    for g in initial_guess(problem):
        star = {}
        for r, p in enumerate(problems):
            # data-driven offsets are per recording; x0/K come from the guess
            own = {k: v for k, v in g.items() if k in ("x0", "K")}
            if "offset" in g and p is problem:
                own["offset"] = g["offset"]
            star.update(unconstrain(p, own, recording_suffix(r)))
        inits.append(np.asarray(ravel_pytree({k: jnp.asarray(v, dtype=jnp.float64) for k, v in star.items()})[0]))
    return inits


def fit(
    observation,
    gain,
    connectome,
    *,
    dt: float = 0.25,
    tau0: float = 20.0,
    I1: float = 3.1,
    steps_per_sample: int = 1,
    priors: VEPPriors | None = None,
    num_chains: int = 4,
    num_warmup: int = 300,
    num_samples: int = 500,
    seed: int = 0,
    map_starts: int = 3,
    data_init: bool = True,
    chain_method: str = "auto",
    progress: bool = False,
    n_ppc: int = 200,
    ez_rule: str = "simulation",
    pz_rule: str = "recruited",
    seizure_threshold: float = -0.5,
    ez_threshold: float = X0_CRITICAL,
    pz_threshold: float = PZ_THRESHOLD,
    rhat_max: float = 1.01,
    ess_min: float = 100.0,
    truth=None,
    labels: Sequence[str] | None = None,
    warn: bool = True,
    person_prior: PersonPrior | None = None,
    observe: str = "log",
    fit_scale: bool = True,
    montage=None,
    max_dt: float | None = None,
    rhat_refuse: float = RHAT_DISAGREE,
    min_shrinkage: float | None = None,
    engine: str = "auto",
    **nuts_kwargs,
) -> VEPFit:
    """Infer each region's excitability from an SEEG envelope and label EZ / PZ / healthy.

    Parameters
    ----------
    observation : array (n_times, n_contacts), or a list of them
        SEEG log-power envelope (e.g. :func:`braintwin.features.seeg_log_power`
        of a recording, or a synthetic patient's observation).  A list of
        recordings of the same person gives a joint fit: ``x0`` and ``K`` are
        shared, every recording has its own initial state, amplitude, offset
        and noise (see :func:`braintwin.vep.model.vep_model`); the labels and
        the predictive check are those of the last recording.
    gain : array (n_contacts, n_regions), or a list (one per recording)
        Monopolar gain (non-negative).
    connectome : Connectome or array (n_regions, n_regions)
        Structural weights, used as given (normalise first; the CLI divides by the
        maximum and zeroes the diagonal).
    dt : float
        Heun step in model time units; sample ``t`` is at ``(t + 1) * steps_per_sample * dt``.
    tau0, I1 : float
        Fixed VEP2D parameters (slow time scale, input current).
    steps_per_sample : int
        Heun steps per observed sample.
    priors : VEPPriors, optional
    num_chains, num_warmup, num_samples : int
        NUTS chains, warm-up (step-size adaptation) and kept draws per chain.
    seed : int
    map_starts : int
        MAP starts besides the data-driven ones.
    data_init : bool
        Add the starts of :func:`initial_guess` to the MAP search.
    chain_method : {"auto", "vectorized", "parallel", "sequential"}
        See :func:`braintwin.infer.run_nuts`.
    progress : bool
        Progress bars on stderr.
    n_ppc : int
        Posterior draws used for the predictive check and the labels.
    ez_rule, pz_rule : str
        Label definitions (see the module docstring).
    seizure_threshold : float
        ``x`` above which a region counts as seizing.
    ez_threshold, pz_threshold : float
        Thresholds of the threshold rules.
    rhat_max, ess_min : float
        Diagnostic thresholds (R-hat of every reported parameter, ESS).
    truth : SyntheticPatient, optional
        For z-scores, shrinkage and label accuracy.
    labels : sequence of str, optional
        Region labels (default: the connectome's).
    warn : bool
        Warn when the diagnostics fail (the result is flagged either way).
    person_prior : PersonPrior, optional
        Prior of ``x0`` and ``K`` (default: from ``priors``); a twin update
        passes a Gaussian fitted to its current posterior
        (:meth:`PersonPrior.from_draws`); the MAP search then starts from its
        centre, the current posterior mean (a warm start).
    observe : {"log", "linear"}
        Observation model (:data:`braintwin.vep.model.OBSERVATIONS`): ``"log"``,
        ``a log(G e^x) + b``, for a log-power envelope (of a raw recording, or the
        log of sensor-level data); ``"linear"``, ``a G e^x + b``, for sensor-level
        data as given (e.g. :func:`braintwin.vep.clinical_patient`).
    fit_scale : bool
        Fit the amplitude ``a`` and offset ``b`` (True), or fix ``a = 1, b = 0``
        (data already on the model's scale, as the published benchmark).
    montage : array (n_observed, n_contacts), optional
        Bipolar montage ``M`` (:func:`braintwin.observe.seeg.bipolar_montage`): the
        observation is ``M G e^x``; needs ``observe="linear"``.  Use it for bipolar
        recordings (less volume conduction: each pair sees the regions near it).
    max_dt : float, optional
        Largest Heun step; default :func:`~braintwin.vep.model.max_step` from the
        model's time scales (``tau0`` and the fast rate of ``x`` from the prior
        start up to the seizure branch).  A ``dt`` above it is split into equal
        sub-steps (``steps_per_sample`` grows, the sample times stay) with a
        warning, so a coarse step never silently distorts the fit.
    rhat_refuse : float
        R-hat of a region's ``x0`` above which the chains are said to disagree:
        then no region is labelled (:func:`~braintwin.vep.labels.refuse_labels`),
        the fit says it failed and which regions disagree.
    min_shrinkage : float or None
        A region labelled healthy whose x0 posterior shrank less than this
        (``1 - var_post / var_prior``) is labelled "not observable" instead
        (:func:`~braintwin.vep.labels.mark_unobservable`; ``braintwin vep fit``
        uses 0.5).  Default None keeps "healthy", so label accuracy against a
        synthetic truth (benchmarks, tests) is unchanged.
    engine : {"auto", "jax", "numba"}
        Who integrates the forward model (:class:`~braintwin.vep.model.VEPProblem`):
        ``"auto"`` uses the numba adjoint (:func:`braintwin.simulate.adjoint.heun_ode`)
        on a CPU, JAX's scan elsewhere.  Both integrate the same steps (trajectories
        and gradients equal to ~1e-12), but chains amplify round-off, so a fit's
        individual draws differ between engines while its posterior does not.
    **nuts_kwargs
        Passed to :func:`braintwin.infer.run_nuts` (e.g. ``target_accept_prob``,
        ``max_tree_depth``, ``mass``).

    Returns
    -------
    VEPFit
        With ``problems`` listing every recording's :class:`VEPProblem`.
    """
    from ...infer.nuts import run_nuts, x64

    t_all = time.perf_counter()
    dt, steps_per_sample = _integration(dt, steps_per_sample, tau0, I1, priors or VEPPriors(), max_dt)
    problems = _problems(observation, gain, connectome, labels, dt=dt, steps_per_sample=steps_per_sample, tau0=tau0, I1=I1,
                         priors=priors, person_prior=person_prior, observe=observe, fit_scale=fit_scale, montage=montage,
                         engine=engine)
    problem = problems[-1]
    sfx = recording_suffix(len(problems) - 1)
    prior_sd = _prior_sd(problem, person_prior, seed)
    truth_vals = truth.truth if truth is not None else None
    if truth_vals is not None and len(problems) > 1:  # per-recording truths are not known for the others
        truth_vals = {k: truth_vals[k] for k in ("x0", "K") if k in truth_vals}
    diag_sites = ["x0", "K"] + [k + recording_suffix(r) for r in range(len(problems)) for k in DIAG_SITES[2:]]
    with x64():
        fwds = [p.forward() for p in problems]
        inits = _map_inits(problems) if data_init else []
        res = run_nuts(
            vep_model, (problems if len(problems) > 1 else problem, fwds if len(problems) > 1 else fwds[0]),
            num_chains=num_chains, num_warmup=num_warmup, num_samples=num_samples, seed=seed,
            map_starts=map_starts + len(inits), map_inits=inits, chain_method=chain_method, progress=progress,
            diagnose_sites=diag_sites, truth=truth_vals, prior_sd=prior_sd, rhat_max=rhat_max, ess_min=ess_min, warn=False,
            what="VEP fit", **nuts_kwargs,
        )
        # posterior predictive simulations on thinned draws of the last recording
        t0 = time.perf_counter()
        total = res.n_chains * res.n_draws
        take = np.linspace(0, total - 1, min(int(n_ppc), total)).astype(int)
        draws = {k: res.flat(k if k in ("x0", "K") else k + sfx)[take]
                 for k in ("x0", "K", "x_init", "z_init", "amplitude", "offset", "eps")}
        x, xa, env, pred = _ppc_simulations(problem, draws, noise_seed=seed)
    seize_net = np.any(x > seizure_threshold, axis=1)
    seize_alone = np.any(xa > seizure_threshold, axis=1)
    table = label_regions(draws["x0"], seize_net, seize_alone, problem.labels, ez_rule=ez_rule, pz_rule=pz_rule,
                          ez_threshold=ez_threshold, pz_threshold=pz_threshold)
    table.rules["seizure_threshold"] = seizure_threshold
    if min_shrinkage is not None:  # regions the implant cannot see: "not observable", not "healthy"
        table = mark_unobservable(table, res.flat("x0"), prior_sd["x0"], min_shrinkage)
    disagree = chain_disagreement(res.samples["x0"], problem.labels, rhat_refuse)
    if disagree:
        table = refuse_labels(table, disagree, rhat_refuse)
    ppc = {
        "envelope": np.quantile(pred, [0.05, 0.5, 0.95], axis=0),
        "envelope_mean": env.mean(axis=0),
        "seize_network": seize_net.mean(axis=0),
        "seize_alone": seize_alone.mean(axis=0),
        "draws": take,
        "centres": getattr(connectome, "centres", None),
    }
    timings = dict(res.timings)
    timings["ppc"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    out = VEPFit(problem, res.samples, table, res.diagnostics, ppc, timings, nuts=res, truth=truth, problems=problems)
    if warn:
        res.diagnostics.warn("VEP fit")
    return out


def _integration(dt: float, steps_per_sample: int, tau0: float, I1: float, priors: VEPPriors, max_dt) -> tuple[float, int]:
    """``(dt, steps_per_sample)`` with ``dt`` split into sub-steps no larger than the model allows (warns when it splits)."""
    import warnings

    from ...errors import BraintwinWarning
    from .model import max_step

    x_range = (min(priors.x_init_loc, -4.0 / 3.0), 1.0)  # from the prior start to the top of the seizure branch
    limit = float(max_dt) if max_dt is not None else max_step(tau0, I1, x_range)
    if not (np.isfinite(limit) and limit > 0):
        raise InputError(f"max_dt must be > 0, got {max_dt}", source="VEP fit", field="max_dt")
    n = max(1, int(np.ceil(float(dt) / limit - 1e-9)))
    if n > 1:
        warnings.warn(f"dt {dt:g} exceeds the largest stable Heun step {limit:.3g} of the VEP2D (tau0 {tau0:g}, fast rate of x): "
                      f"integrating with {n} sub-steps of {dt / n:.3g} per step", BraintwinWarning, stacklevel=3)
    return float(dt) / n, int(steps_per_sample) * n


def fit_patient(patient, **kwargs) -> VEPFit:
    """:func:`fit` on a :class:`~braintwin.vep.SyntheticPatient` (its dt, tau0, I1, truth)."""
    kw = dict(dt=patient.dt, tau0=patient.tau0, I1=patient.I1, steps_per_sample=patient.steps_per_sample, truth=patient)
    kw.update(kwargs)
    return fit(patient.observation, patient.gain, patient.connectome, **kw)
