"""Predictions under uncertainty: what an intervention does across the posterior.

:func:`predict` runs the baseline and the intervened scenario on the *same*
posterior draws, with the same noise seeds, in one batched simulation each
(:func:`braintwin.simulate_batch`, the parallel numba engine), and measures an
outcome in every draw:

``"seizure"`` (the Virtual Epileptic Patient)
    A region is *recruited* when its fast variable (``x`` for ``VEP2D``,
    ``x1`` for the Epileptors) crosses ``threshold`` (-0.5: above the fold of
    the resting branch, about -1.33, the region is on the seizure branch) at
    some time in the window.  A draw *propagates* when a region outside the
    epileptogenic zone (EZ) is recruited.  The EZ is the twin's hypothesis:
    ``ez=`` if given, else ``twin.ez``, else the regions whose posterior
    probability of ``x0 > -2.05`` (the critical excitability of the VEP2D at
    ``I1 = 3.1``) is at least 0.5.  Resected regions are never counted.
    Reported: the probability of propagation and of any seizure, the number of
    recruited regions, and each region's probability of being recruited.
``"evoked"`` (stimulation)
    The change of each region's activity (the first output), per draw: the
    root-mean-square difference between the intervened and the baseline run
    (same draw, same noise), over the window after ``transient`` ms.
``"fc"`` (resting state, lesions, ageing)
    Functional connectivity (Pearson correlation of the first output after
    ``transient``) in both runs; the FC-to-FC similarity and the RMS change.
``"spectrum"`` (MEG/EEG-like slowing)
    Welch spectrum of the region-averaged first output; the peak frequency in
    ``[fmin, fmax]`` Hz (default 2-45 Hz, where M/EEG rhythms such as alpha are
    read) and its shift.

Time is in engine milliseconds (model time units for the VEP2D).  Draws whose
simulation diverged (in either run) are left out and counted.

:func:`compare` ranks several interventions by outcome, then by cost, and
:func:`smallest_resection` searches the smallest set of regions whose resection
stops propagation in at least ``target`` of the draws.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .interventions import (
    Intervention,
    NoIntervention,
    Scenario,
    compose,
    parse_intervention,
    resect,
    resolve_regions,
    scenario_cost,
)

__all__ = [
    "OUTCOMES",
    "X0_CRITICAL",
    "PZ_LOWER",
    "Prediction",
    "Comparison",
    "ResectionSearch",
    "predict",
    "compare",
    "smallest_resection",
    "label_probabilities",
    "ez_hypothesis",
]

SOURCE = "whatif"
OUTCOMES = ("seizure", "evoked", "fc", "spectrum")
#: Critical excitability of the VEP2D (``I1 = 3.1``): a region with ``x0`` above it seizes on its own.
X0_CRITICAL = -2.05
#: Lower bound of ``x0`` for the propagation zone (PZ) in :func:`label_probabilities`.
PZ_LOWER = -2.5

#: Simulation settings read from ``twin.simulation``.
_SIM_KEYS = ("dt", "speed", "method", "duration", "delays", "noise", "initial", "engine")
_BATCH_KEYS = {"dt", "speed", "method", "duration", "delays", "noise", "initial", "engine", "n_workers", "progress", "on_divergence", "G"}


# ---------------------------------------------------------------------------
# EZ / PZ


def label_probabilities(x0, ez_threshold: float = X0_CRITICAL, pz_lower: float = PZ_LOWER) -> dict[str, np.ndarray]:
    """Posterior probability of each label per region, from draws of ``x0`` ``(n_draws, n_regions)``.

    EZ: ``x0 > ez_threshold`` (the region seizes on its own); PZ:
    ``pz_lower < x0 <= ez_threshold`` (near-critical, recruited by a seizing
    neighbour); healthy: the rest.  Returns ``{"EZ", "PZ", "healthy"}`` arrays
    ``(n_regions,)`` that sum to one.
    """
    x0 = np.asarray(x0, float)
    if x0.ndim == 1:
        x0 = x0[None, :]
    if x0.ndim != 2:
        raise InputError(f"expected draws shaped (n_draws, n_regions), got {x0.shape}", source=SOURCE, field="x0")
    ez = np.mean(x0 > ez_threshold, axis=0)
    pz = np.mean((x0 > pz_lower) & (x0 <= ez_threshold), axis=0)
    return {"EZ": ez, "PZ": pz, "healthy": 1.0 - ez - pz}


def ez_hypothesis(twin, scenario: Scenario | None = None, ez=None) -> list[int]:
    """Indices of the EZ regions: ``ez`` if given, else ``twin.ez``, else P(x0 > -2.05) >= 0.5 over the draws."""
    sc = scenario if scenario is not None else Scenario.from_twin(twin)
    if ez is None:
        ez = getattr(twin, "ez", None) if not isinstance(twin, Scenario) else None
    if ez is not None:
        if isinstance(ez, (list, tuple, np.ndarray)) and len(ez) == 0:
            return []
        return resolve_regions(sc.connectome, ez, "ez")
    x0 = None
    post = getattr(twin, "posterior", None)
    samples = getattr(post, "samples", None) if post is not None else None
    if samples and "x0" in samples and np.ndim(samples["x0"]) == 2:
        x0 = np.asarray(samples["x0"], float)
    elif "x0" in sc.draws and sc.draws["x0"].ndim == 2:
        x0 = np.asarray(sc.draws["x0"])
    elif sc.model is not None and "x0" in sc.model.parameter_names:
        x0 = np.broadcast_to(np.asarray(sc.model.values["x0"], float), (1, sc.n_regions))
    if x0 is None:
        return []
    return [int(i) for i in np.flatnonzero(np.mean(x0 > X0_CRITICAL, axis=0) >= 0.5)]


# ---------------------------------------------------------------------------
# running


def _interval(x, level: float = 0.9) -> tuple[float, float]:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (float("nan"), float("nan"))
    lo = (1 - level) / 2
    return (float(np.quantile(x, lo)), float(np.quantile(x, 1 - lo)))


def _prob_interval(k: int, n: int, level: float = 0.9) -> tuple[float, float]:
    """Jeffreys interval of a probability estimated from ``k`` of ``n`` draws (Monte Carlo uncertainty)."""
    if n == 0:
        return (float("nan"), float("nan"))
    from scipy.stats import beta

    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k + 0.5, n - k + 0.5))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 0.5, n - k + 0.5))
    return (lo, hi)


@dataclasses.dataclass
class _Raw:
    data: np.ndarray  # (n, T, N) of the measured output
    times: np.ndarray  # (T,) ms
    diverged: np.ndarray  # (n,)


class _Runner:
    """The baseline scenario, the draws' seeds and the simulation settings, shared by every run."""

    def __init__(self, twin, *, n_samples, seed, params, outcome, options: dict):
        if outcome not in OUTCOMES:
            raise InputError(f"unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}", source=SOURCE, field="outcome")
        self.twin = twin
        self.outcome = outcome
        self.base = Scenario.from_twin(twin, n_samples=n_samples, seed=seed, params=params)
        if self.base.model is None:
            raise InputError("the twin has no model", source=SOURCE, field="model")
        model = self.base.model
        self.n = self.base.n_draws or int(n_samples or 1)
        self.seeds = np.array(
            [s.generate_state(1, np.uint32)[0] for s in np.random.SeedSequence(seed).spawn(self.n)], dtype=np.int64
        )
        opts = dict(model.prediction_defaults)
        sim = getattr(twin, "simulation", None) if not isinstance(twin, Scenario) else None
        if isinstance(sim, Mapping):
            opts.update({k: sim[k] for k in _SIM_KEYS if k in sim and sim[k] is not None})
        opts.update(options)
        self.threshold = float(opts.pop("threshold", -0.5))
        self.transient = float(opts.pop("transient", 0.0))
        self.fmin = opts.pop("fmin", None)
        self.fmax = opts.pop("fmax", None)
        self.nperseg = opts.pop("nperseg", None)
        self.level = float(opts.pop("level", 0.9))
        variable = opts.pop("variable", None)
        period = opts.pop("sample_period", None)
        monitor = opts.pop("monitor", None)
        outputs = opts.pop("outputs", None)
        dt = float(opts.get("dt", 0.01))
        if outcome == "seizure":
            variable = variable or model.seizure_variable or model.state_names[0]
            if variable not in model.state_names:
                raise InputError(f"{model.name} has no state variable {variable!r}", source=SOURCE, field="variable")
            self.output = variable
            period = float(period) if period is not None else max(dt, 1.0)
            monitor = monitor or f"subsample:{period:g}"
        else:
            self.output = outputs[0] if outputs else (variable or model.default_outputs[0])
            period = float(period) if period is not None else max(dt, 1.0)
            monitor = monitor or f"tavg:{period:g}"
        if "initial" not in opts and model.rest_state:
            rest = model.rest_state
            opts["initial"] = np.array([np.full(self.base.n_regions, rest[s]) for s in model.state_names])
        unknown = sorted(set(opts) - _BATCH_KEYS)
        if unknown:
            raise InputError(f"unknown option(s) {', '.join(unknown)}", source=SOURCE, field="sim_options")
        opts.setdefault("progress", False)
        opts.setdefault("on_divergence", "flag")
        self.monitor = monitor
        self.opts = opts
        self._base_raw: _Raw | None = None

    def run(self, scenario: Scenario) -> _Raw:
        import braintwin as bt

        if scenario is self.base and self._base_raw is not None:
            return self._base_raw
        params = scenario.batch_params(self.n if scenario.n_draws is not None else None)
        kw = dict(self.opts)
        res = bt.simulate_batch(
            scenario.connectome, scenario.model, params, n_sims=self.n, seeds=self.seeds, coupling=scenario.coupling,
            stimulus=scenario.stimulus, monitors=[self.monitor], outputs=[self.output], dtype=np.float64, **kw,
        )
        ts = next(iter(res.monitors.values()))
        raw = _Raw(np.asarray(ts.data)[:, :, 0, :], np.asarray(ts.time, float), np.asarray(res.diverged, bool))
        if scenario is self.base:
            self._base_raw = raw
        return raw


# ---------------------------------------------------------------------------
# outcomes


def _measure_seizure(runner: _Runner, raw: _Raw, sc: Scenario, ez: list[int]) -> dict[str, np.ndarray]:
    keep = sc.kept
    x = raw.data
    with np.errstate(invalid="ignore"):
        above = np.nan_to_num(x, nan=-np.inf) > runner.threshold
    recruited = above.any(axis=1) & keep[None, :]
    first = np.argmax(above, axis=1)
    onset = np.where(recruited, raw.times[first], np.nan)
    outside = keep.copy()
    outside[ez] = False
    return {
        "recruited": recruited,
        "onset": onset,
        "n_recruited": recruited.sum(axis=1).astype(float),
        "propagates": (recruited & outside[None, :]).any(axis=1),
        "seizure": recruited.any(axis=1),
    }


def _measure_traces(runner: _Runner, raw: _Raw) -> np.ndarray:
    sel = raw.times >= raw.times[0] + runner.transient
    if sel.sum() < 4:
        raise InputError(f"fewer than 4 samples after the transient of {runner.transient} ms; simulate longer", source=SOURCE, field="transient")
    return raw.data[:, sel, :]


@dataclasses.dataclass
class Prediction:
    """Outcome distributions of one intervention next to the baseline, over posterior draws.

    Attributes
    ----------
    outcome : str
        ``"seizure"``, ``"evoked"``, ``"fc"`` or ``"spectrum"``.
    intervention : Intervention
    labels : list of str
        Region labels.
    baseline, treated : dict of str to ndarray
        Per-draw measures (leading axis: the valid draws).
    valid : ndarray of bool (n_draws,)
        Draws whose two simulations both finished (others are left out).
    n_draws : int
    cost : dict
        :func:`~braintwin.whatif.interventions.scenario_cost` of the intervention.
    ez : list of str
        The EZ hypothesis (``"seizure"`` outcome).
    removed, stimulated : list of str
        Regions resected and stimulated by the intervention.
    extra : dict
        Mean traces, spectra and FC matrices for the figures.
    level : float
        Level of the reported intervals (0.9: 5th to 95th percentile).
    """

    outcome: str
    intervention: Intervention
    labels: list
    baseline: dict
    treated: dict
    valid: np.ndarray
    n_draws: int
    cost: dict
    ez: list = dataclasses.field(default_factory=list)
    removed: list = dataclasses.field(default_factory=list)
    stimulated: list = dataclasses.field(default_factory=list)
    extra: dict = dataclasses.field(default_factory=dict)
    level: float = 0.9
    settings: dict = dataclasses.field(default_factory=dict)

    @property
    def n_valid(self) -> int:
        return int(self.valid.sum())

    @property
    def n_diverged(self) -> int:
        return int(self.n_draws - self.n_valid)

    # ---------------------------------------------------------------- numbers
    def _p(self, which: dict, key: str) -> dict:
        v = np.asarray(which[key], bool)
        k, n = int(v.sum()), int(v.size)
        return {"p": k / n if n else float("nan"), "interval": _prob_interval(k, n, self.level), "k": k, "n": n}

    def metrics(self) -> dict[str, Any]:
        """The headline numbers (JSON-ready): baseline and intervention side by side."""
        out: dict[str, Any] = {"outcome": self.outcome, "intervention": self.intervention.describe(), "n_draws": self.n_draws,
                               "n_diverged": self.n_diverged, "cost": self.cost}
        if self.n_valid == 0:
            return out
        if self.outcome == "seizure":
            for name, d in (("baseline", self.baseline), ("intervention", self.treated)):
                pp, ps = self._p(d, "propagates"), self._p(d, "seizure")
                out[name] = {
                    "p_propagation": pp["p"], "p_propagation_interval": pp["interval"],
                    "p_seizure": ps["p"], "p_seizure_interval": ps["interval"],
                    "n_recruited_mean": float(np.mean(d["n_recruited"])),
                    "n_recruited_interval": _interval(d["n_recruited"], self.level),
                    "recruitment_probability": dict(zip(self.labels, np.mean(d["recruited"], axis=0).round(4).tolist())),
                }
            out["p_stopped"] = 1.0 - out["intervention"]["p_propagation"]
            out["p_stopped_interval"] = tuple(1.0 - v for v in out["intervention"]["p_propagation_interval"][::-1])
        elif self.outcome == "evoked":
            r = self.treated["response"]
            mean = np.nanmean(r, axis=0)
            order = np.argsort(-np.nan_to_num(mean, nan=-np.inf))
            out["response_mean"] = dict(zip(self.labels, np.round(mean, 6).tolist()))
            out["response_interval"] = {self.labels[i]: _interval(r[:, i], self.level) for i in range(len(self.labels))}
            out["strongest"] = [self.labels[i] for i in order[:5]]
            if self.stimulated:
                idx = [self.labels.index(l) for l in self.stimulated]
                out["target_response"] = float(np.nanmean(r[:, idx]))
                out["target_response_interval"] = _interval(np.nanmean(r[:, idx], axis=1), self.level)
            out["mean_response"] = float(np.nanmean(r))
            out["mean_response_interval"] = _interval(np.nanmean(r, axis=1), self.level)
        elif self.outcome == "fc":
            for key in ("fc_similarity", "fc_change"):
                out[key] = float(np.nanmean(self.treated[key]))
                out[key + "_interval"] = _interval(self.treated[key], self.level)
            for name, d in (("baseline", self.baseline), ("intervention", self.treated)):
                out[name] = {"mean_fc": float(np.nanmean(d["mean_fc"])), "mean_fc_interval": _interval(d["mean_fc"], self.level),
                             "interhemispheric_fc": float(np.nanmean(d["inter_fc"]))}
        elif self.outcome == "spectrum":
            for name, d in (("baseline", self.baseline), ("intervention", self.treated)):
                out[name] = {"peak_hz": float(np.nanmean(d["peak"])), "peak_interval": _interval(d["peak"], self.level)}
            out["peak_shift_hz"] = float(np.nanmean(self.treated["shift"]))
            out["peak_shift_interval"] = _interval(self.treated["shift"], self.level)
        return out

    def primary(self) -> tuple[float, tuple[float, float], str]:
        """The primary outcome of this prediction: (value, interval, what it is in words)."""
        m = self.metrics()
        if self.n_valid == 0:
            return float("nan"), (float("nan"), float("nan")), "no valid draw"
        if self.outcome == "seizure":
            i = m["intervention"]
            return i["p_propagation"], i["p_propagation_interval"], "probability that the seizure spreads beyond the EZ"
        if self.outcome == "evoked":
            if "target_response" in m:
                return m["target_response"], m["target_response_interval"], "change of activity in the stimulated regions (RMS)"
            return m["mean_response"], m["mean_response_interval"], "mean change of activity over regions (RMS)"
        if self.outcome == "fc":
            return m["fc_change"], m["fc_change_interval"], "change of functional connectivity (RMS)"
        return m["peak_shift_hz"], m["peak_shift_interval"], "shift of the spectral peak (Hz)"

    def summary(self) -> str:
        """A few sentences in plain words."""
        m = self.metrics()
        pct = lambda p: f"{100 * p:.0f}%"  # noqa: E731
        lines = [f"What-if: {self.intervention.describe()} ({self.n_valid} simulated versions of the patient drawn from the twin's uncertainty"
                 + (f"; {self.n_diverged} failed and were left out" if self.n_diverged else "") + ")."]
        if self.n_valid == 0:
            lines.append("No simulation finished: no prediction can be made.")
            return "\n".join(lines)
        if self.outcome == "seizure":
            b, t = m["baseline"], m["intervention"]
            ez = ", ".join(self.ez) or "none identified"
            lines.append(f"Without intervention the seizure spreads beyond the epileptogenic zone ({ez}) in {pct(b['p_propagation'])} of them "
                         f"(about {b['n_recruited_mean']:.1f} regions involved).")
            lo, hi = t["p_propagation_interval"]
            lines.append(f"With it, the seizure spreads in {pct(t['p_propagation'])} (range {pct(lo)}-{pct(hi)} given the number of simulations), "
                         f"about {t['n_recruited_mean']:.1f} regions are involved, and no seizure at all occurs in {pct(1 - t['p_seizure'])}.")
        elif self.outcome == "evoked":
            lines.append(f"The activity changes most in {', '.join(m['strongest'][:3])}.")
            if "target_response" in m:
                lo, hi = m["target_response_interval"]
                lines.append(f"In the stimulated region(s) the change is {m['target_response']:.3g} (90% of versions between {lo:.3g} and {hi:.3g}); "
                             f"averaged over all regions it is {m['mean_response']:.3g}.")
        elif self.outcome == "fc":
            lo, hi = m["fc_change_interval"]
            lines.append(f"Functional connectivity changes by {m['fc_change']:.3f} on average (RMS of correlations; 90% between {lo:.3f} and {hi:.3f}); "
                         f"the pattern stays {m['fc_similarity']:.2f} correlated with the baseline's.")
            lines.append(f"Mean connectivity goes from {m['baseline']['mean_fc']:.3f} to {m['intervention']['mean_fc']:.3f}; "
                         f"between hemispheres from {m['baseline']['interhemispheric_fc']:.3f} to {m['intervention']['interhemispheric_fc']:.3f}.")
        else:
            lo, hi = m["peak_shift_interval"]
            lines.append(f"The spectral peak moves from {m['baseline']['peak_hz']:.1f} Hz to {m['intervention']['peak_hz']:.1f} Hz "
                         f"(shift {m['peak_shift_hz']:+.1f} Hz; 90% between {lo:+.1f} and {hi:+.1f}).")
        lines.append("These are model predictions for research, not clinical advice.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # ---------------------------------------------------------------- figure
    def plot(self):
        """A figure of the outcome distributions, baseline against intervention."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 4.2), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
        title = self.intervention.describe()
        if self.n_valid == 0:
            for ax in (ax1, ax2):
                ax.text(0.5, 0.5, "no valid simulation", ha="center", va="center", transform=ax.transAxes)
            fig.suptitle(title)
            return fig
        if self.outcome == "seizure":
            pb = np.mean(self.baseline["recruited"], axis=0)
            pt = np.mean(self.treated["recruited"], axis=0)
            show = np.flatnonzero((pb > 0) | (pt > 0))
            if show.size == 0:
                show = np.arange(min(10, len(self.labels)))
            show = show[np.argsort(-pb[show], kind="stable")][:30]
            y = np.arange(len(show))
            ax1.barh(y - 0.2, pb[show], 0.4, color="0.6", label="no intervention")
            ax1.barh(y + 0.2, pt[show], 0.4, color="tab:blue", label="with intervention")
            ax1.set_yticks(y, [self.labels[i] + (" (EZ)" if self.labels[i] in self.ez else "") + (" (resected)" if self.labels[i] in self.removed else "") for i in show], fontsize=7)
            ax1.invert_yaxis()
            ax1.set_xlim(0, 1)
            ax1.set_xlabel("probability that the region joins the seizure")
            ax1.legend(loc="lower right", fontsize=8)
            nb, nt = self.baseline["n_recruited"], self.treated["n_recruited"]
            bins = np.arange(-0.5, max(nb.max(), nt.max(), 1) + 1.5)
            ax2.hist(nb, bins=bins, color="0.6", alpha=0.7, label="no intervention")
            ax2.hist(nt, bins=bins, color="tab:blue", alpha=0.7, label="with intervention")
            ax2.set_xlabel("number of regions in the seizure")
            ax2.set_ylabel("simulated versions")
            m = self.metrics()
            ax2.set_title(f"spread beyond EZ: {100 * m['baseline']['p_propagation']:.0f}% -> {100 * m['intervention']['p_propagation']:.0f}%", fontsize=9)
            ax2.legend(fontsize=8)
        elif self.outcome == "evoked":
            r = self.treated["response"]
            mean = np.nanmean(r, axis=0)
            lo, hi = np.nanquantile(r, 0.05, axis=0), np.nanquantile(r, 0.95, axis=0)
            order = np.argsort(-np.nan_to_num(mean, nan=-np.inf))[:30]
            colors = ["tab:red" if self.labels[i] in self.stimulated else "tab:blue" for i in order]
            y = np.arange(len(order))
            ax1.barh(y, mean[order], color=colors, xerr=[mean[order] - lo[order], hi[order] - mean[order]], ecolor="0.3", capsize=2)
            ax1.set_yticks(y, [self.labels[i] for i in order], fontsize=7)
            ax1.invert_yaxis()
            ax1.set_xlabel("change of activity (RMS difference; bars: 90% of versions)")
            ax1.set_title("red: stimulated", fontsize=9)
            tr = self.extra.get("mean_traces")
            if tr is not None:
                t, base, treat = tr
                i = self.labels.index(self.stimulated[0]) if self.stimulated else int(order[0])
                j = int(order[-1])
                ax2.plot(t, base[:, i], color="0.6", lw=1, label=f"{self.labels[i]} before")
                ax2.plot(t, treat[:, i], color="tab:red", lw=1, label=f"{self.labels[i]} with intervention")
                ax2.plot(t, treat[:, j], color="tab:blue", lw=1, label=f"{self.labels[j]} with intervention")
                ax2.set_xlabel("time (ms)")
                ax2.set_ylabel(f"{self.settings.get('output', 'activity')} (mean over versions)")
                ax2.legend(fontsize=7)
        elif self.outcome == "fc":
            fb, ft = self.extra["mean_fc"]
            d = ft - fb
            vmax = np.nanmax(np.abs(d)) or 1.0
            im = ax1.imshow(d, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
            fig.colorbar(im, ax=ax1, label="FC change (intervention - baseline)", shrink=0.8)
            ax1.set_title("change of functional connectivity (mean over versions)", fontsize=9)
            ax1.set_xlabel("region")
            ax1.set_ylabel("region")
            ax2.hist(self.treated["fc_similarity"], bins=20, color="tab:blue")
            ax2.set_xlabel("FC similarity to baseline (correlation)")
            ax2.set_ylabel("simulated versions")
        else:
            f, sb, st = self.extra["spectra"]
            for s, c, lab in ((sb, "0.5", "no intervention"), (st, "tab:blue", "with intervention")):
                mean = np.nanmean(s, axis=0)
                ax1.semilogy(f, mean, color=c, label=lab)
                ax1.fill_between(f, np.nanquantile(s, 0.05, axis=0), np.nanquantile(s, 0.95, axis=0), color=c, alpha=0.2)
            ax1.set_xlabel("frequency (Hz)")
            ax1.set_ylabel("power (region average)")
            ax1.legend(fontsize=8)
            ax2.hist(self.treated["shift"], bins=20, color="tab:blue")
            ax2.axvline(0, color="k", lw=0.8)
            ax2.set_xlabel("peak frequency shift (Hz)")
            ax2.set_ylabel("simulated versions")
        fig.suptitle(title, fontsize=10)
        return fig


def _stimulated(sc: Scenario) -> list[int]:
    return [int(i) for i in np.flatnonzero(np.abs(sc.stimulus_weights()) > 0)]


def _predict_with(runner: _Runner, intervention: Intervention, ez: list[int]) -> Prediction:
    base_sc = runner.base
    treated_sc = intervention.apply(base_sc)
    rb = runner.run(base_sc)
    rt = runner.run(treated_sc)
    valid = ~(rb.diverged | rt.diverged)
    labels = base_sc.labels
    outcome = runner.outcome
    extra: dict[str, Any] = {}
    if outcome == "seizure":
        b = _measure_seizure(runner, rb, base_sc, ez)
        t = _measure_seizure(runner, rt, treated_sc, ez)
    else:
        # measured on the valid draws only (a diverged run is NaN after the divergence)
        xb = _measure_traces(runner, rb)[valid]
        xt = _measure_traces(runner, rt)[valid]
        removed = sorted(treated_sc.removed)
        if outcome == "evoked":
            resp = np.sqrt(np.mean((xt - xb) ** 2, axis=1))
            resp[:, removed] = np.nan
            b = {"response": np.zeros_like(resp), "activity": np.std(xb, axis=1)}
            t = {"response": resp, "activity": np.std(xt, axis=1)}
            ts = rb.times[rb.times >= rb.times[0] + runner.transient]
            if valid.any():
                extra["mean_traces"] = (ts, np.mean(xb, axis=0), np.mean(xt, axis=0))
        elif outcome == "fc":
            from ..features import fc, fc_corr, fc_distance

            keep = treated_sc.kept
            fb = fc(xb[:, :, keep])
            ft = fc(xt[:, :, keep])
            hemi = np.asarray(base_sc.connectome.hemispheres, bool)[keep]
            inter = hemi[:, None] != hemi[None, :]
            iu = np.triu_indices(int(keep.sum()), 1)

            def stats(f):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    return {"mean_fc": np.nanmean(f[:, iu[0], iu[1]], axis=1),
                            "inter_fc": np.nanmean(f[:, inter], axis=1) if inter.any() else np.full(len(f), np.nan)}

            b = stats(fb)
            t = stats(ft)
            t["fc_similarity"] = fc_corr(fb, ft)
            t["fc_change"] = fc_distance(fb, ft)
            b["fc_similarity"] = np.ones(len(fb))
            b["fc_change"] = np.zeros(len(fb))
            full_b = np.full((base_sc.n_regions,) * 2, np.nan)
            full_t = full_b.copy()
            if valid.any():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # a constant region has no correlation (NaN)
                    full_b[np.ix_(keep, keep)] = np.nanmean(fb, axis=0)
                    full_t[np.ix_(keep, keep)] = np.nanmean(ft, axis=0)
            extra["mean_fc"] = (full_b, full_t)
        else:
            from ..features import peak_frequency, psd

            period = float(np.median(np.diff(rb.times))) if len(rb.times) > 1 else 1.0
            keep = treated_sc.kept
            nper = runner.nperseg or min(xb.shape[1], max(64, int(round(2000.0 / period))))
            f, pb = psd(np.nan_to_num(xb[:, :, keep]), dt_ms=period, nperseg=nper)
            _, pt = psd(np.nan_to_num(xt[:, :, keep]), dt_ms=period, nperseg=nper)
            sb, st = pb.mean(axis=-1), pt.mean(axis=-1)  # region-averaged spectra (n, F)
            fmin = float(runner.fmin) if runner.fmin is not None else 2.0
            fmax = float(runner.fmax) if runner.fmax is not None else 45.0
            fmax = min(fmax, float(f[-1]))
            fmin = min(fmin, fmax)
            peak_b = peak_frequency(f, sb[..., None], fmin, fmax)[..., 0]
            peak_t = peak_frequency(f, st[..., None], fmin, fmax)[..., 0]
            b = {"peak": peak_b, "shift": np.zeros_like(peak_b)}
            t = {"peak": peak_t, "shift": peak_t - peak_b}
            extra["spectra"] = (f, sb, st)
    if outcome == "seizure":
        b = {k: np.asarray(v)[valid] for k, v in b.items()}
        t = {k: np.asarray(v)[valid] for k, v in t.items()}
    return Prediction(
        outcome=outcome, intervention=intervention, labels=labels, baseline=b, treated=t, valid=valid, n_draws=runner.n,
        cost=scenario_cost(base_sc, treated_sc), ez=[labels[i] for i in ez],
        removed=[labels[i] for i in sorted(treated_sc.removed)], stimulated=[labels[i] for i in _stimulated(treated_sc)],
        extra=extra, level=runner.level,
        settings={"output": runner.output, "monitor": runner.monitor, "threshold": runner.threshold,
                  **{k: v for k, v in runner.opts.items() if k in ("dt", "duration", "delays", "method", "speed")}},
    )


def _as_intervention(x) -> Intervention:
    if x is None:
        return NoIntervention()
    if isinstance(x, Intervention):
        return x
    if isinstance(x, str):
        return parse_intervention(x)
    if isinstance(x, (list, tuple)):
        return compose(*(_as_intervention(i) for i in x))
    raise InputError(f"expected an Intervention, got {type(x).__name__}", source=SOURCE, field="intervention")


def predict(
    twin,
    intervention: Intervention | str | None = None,
    *,
    n_samples: int | None = 100,
    seed: int = 0,
    outcome: str = "seizure",
    params: Mapping[str, Any] | None = None,
    ez=None,
    **sim_options: Any,
) -> Prediction:
    """Run an intervention on posterior draws and measure its outcome next to the baseline.

    Parameters
    ----------
    twin : twin-like or Scenario
        Anything with ``.connectome``, ``.model`` (and optionally ``.coupling``,
        ``.simulation`` (dict of ``dt``, ``duration``, ``delays``, ``speed``,
        ``method``, ``noise``, ``initial``) and ``.posterior.samples``).
    intervention : Intervention, str or None
        What to do (None: nothing, the baseline against itself); a string is
        parsed by :func:`~braintwin.whatif.interventions.parse_intervention`.
    n_samples : int or None
        Posterior draws used (at random, without replacement; all of them when
        there are fewer, or when None).  Without draws or ``params``: that many copies of
        the model's values (different noise seeds).
    seed : int
        Seed of the draw selection and of each simulation's noise.
    outcome : {"seizure", "evoked", "fc", "spectrum"}
        What to measure (see the module notes).
    params : mapping, optional
        Explicit parameter sets ``name -> (n,)`` or ``(n, n_regions)`` instead
        of the posterior (resting-state, lesion and ageing what-ifs).
    ez : sequence of str or int, optional
        The EZ hypothesis for ``"seizure"`` (default: see the module notes).
    **sim_options
        Simulation settings overriding the twin's (``dt``, ``duration``,
        ``delays``, ``speed``, ``method``, ``noise``, ``initial``, ``engine``,
        ``n_workers``) and measurement settings: ``threshold`` (-0.5),
        ``variable`` (the seizure variable), ``sample_period`` (ms, 1),
        ``monitor``, ``outputs``, ``transient`` (ms ignored at the start of
        evoked/fc/spectrum, 0), ``fmin``/``fmax``/``nperseg`` (spectrum),
        ``level`` (of the intervals, 0.9).

    Returns
    -------
    Prediction
    """
    runner = _Runner(twin, n_samples=n_samples, seed=seed, params=params, outcome=outcome, options=sim_options)
    ez_idx = ez_hypothesis(twin, runner.base, ez) if outcome == "seizure" else []
    return _predict_with(runner, _as_intervention(intervention), ez_idx)


# ---------------------------------------------------------------------------
# comparing


_RANK = {  # metric used to rank, and whether smaller is better
    "seizure": True,
    "evoked": False,
    "fc": True,
    "spectrum": True,
}


def _cost_text(c: Mapping[str, float]) -> str:
    bits = []
    if c.get("regions"):
        n = int(c["regions"])
        bits.append(f"{n} region{'s' if n != 1 else ''} resected" + (f" ({c['area']:.0f} mm²)" if np.isfinite(c.get("area", np.nan)) else ""))
    if c.get("tracts"):
        n = int(c["tracts"])
        bits.append(f"{n} tract{'s' if n != 1 else ''} cut")
    if c.get("stimulated"):
        n = int(c["stimulated"])
        bits.append(f"{n} region{'s' if n != 1 else ''} stimulated")
    return ", ".join(bits) or "none"


def _cost_key(c: Mapping[str, float]) -> tuple:
    area = c.get("area", np.nan)
    return (c.get("regions", 0.0), area if np.isfinite(area) else 0.0, c.get("tracts", 0.0), c.get("stimulated", 0.0))


@dataclasses.dataclass
class Comparison:
    """Interventions ranked by outcome (then cost), with the baseline.

    ``rows`` are dicts (rank, intervention, value, interval, cost, cost_text,
    and outcome-specific numbers), best first; ``predictions`` follow the same order.
    """

    outcome: str
    rows: list
    predictions: list
    baseline: dict
    what: str
    n_draws: int
    level: float = 0.9

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def best(self) -> Prediction:
        return self.predictions[0]

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "what": self.what, "n_draws": self.n_draws, "baseline": self.baseline, "rows": self.rows}

    def _columns(self) -> list[tuple[str, str]]:
        if self.outcome == "seizure":
            return [("p_propagation", "chance of spread beyond EZ"), ("p_seizure_free", "chance of no seizure"), ("n_recruited", "regions in seizure")]
        return [("value", self.what)]

    def table(self) -> str:
        """A plain-text table."""
        pct = self.outcome == "seizure"
        lines = [f"{'rank':<5}{'intervention':<48}{'outcome':>22}  cost"]
        lines.append(f"{'-':<5}{'no intervention (baseline)':<48}{_fmt(self.baseline['value'], self.baseline['interval'], pct):>22}  none")
        for r in self.rows:
            lines.append(f"{r['rank']:<5}{r['intervention'][:47]:<48}{_fmt(r['value'], r['interval'], pct):>22}  {r['cost_text']}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return f"{self.what} ({self.n_draws} posterior draws; {int(100 * self.level)}% intervals)\n" + self.table()

    def summary(self) -> str:
        """Plain words: which intervention does best."""
        if not self.rows:
            return "No intervention was compared."
        r = self.rows[0]
        pct = self.outcome == "seizure"
        s = (f"Best of {len(self.rows)} options: {r['intervention']} ({self.what}: {_fmt(r['value'], r['interval'], pct)}; "
             f"baseline {_fmt(self.baseline['value'], self.baseline['interval'], pct)}; cost: {r['cost_text']}).")
        return s + " Model predictions for research, not clinical advice."

    def to_html(self) -> str:
        """An HTML table (no scripts, no external resources)."""
        pct = self.outcome == "seizure"
        cols = self._columns()
        head = "".join(f"<th>{html.escape(c[1])}</th>" for c in cols)
        out = [f'<table class="comparison"><caption>{html.escape(self.what)}: {self.n_draws} simulated versions of the patient, '
               f"ranges are {int(100 * self.level)}% intervals</caption>",
               f"<thead><tr><th>rank</th><th>intervention</th>{head}<th>cost</th></tr></thead><tbody>"]

        def cells(d):
            if self.outcome == "seizure":
                return (f"<td>{_fmt(d['value'], d['interval'], True)}</td><td>{_fmt(d['p_seizure_free'], d['p_seizure_free_interval'], True)}</td>"
                        f"<td>{_fmt(d['n_recruited'], d['n_recruited_interval'], False)}</td>")
            return f"<td>{_fmt(d['value'], d['interval'], pct)}</td>"

        out.append(f'<tr class="baseline"><td>-</td><td>no intervention (baseline)</td>{cells(self.baseline)}<td>none</td></tr>')
        for r in self.rows:
            out.append(f"<tr><td>{r['rank']}</td><td>{html.escape(r['intervention'])}</td>{cells(r)}<td>{html.escape(r['cost_text'])}</td></tr>")
        out.append("</tbody></table>")
        return "\n".join(out)

    def plot(self):
        """Horizontal bars: the outcome of each option with its interval, the baseline as a line."""
        from matplotlib.figure import Figure

        n = len(self.rows)
        fig = Figure(figsize=(9, 1.4 + 0.6 * max(n, 1)), layout="constrained")
        ax = fig.subplots()
        pct = self.outcome == "seizure"
        scale = 100.0 if pct else 1.0
        y = np.arange(n)
        vals = np.array([r["value"] for r in self.rows], float) * scale
        lo = np.array([r["interval"][0] for r in self.rows], float) * scale
        hi = np.array([r["interval"][1] for r in self.rows], float) * scale
        ax.barh(y, vals, color="tab:blue", xerr=[np.maximum(vals - lo, 0), np.maximum(hi - vals, 0)], ecolor="0.3", capsize=3)
        ax.set_yticks(y, [f"{r['rank']}. {r['intervention'][:50]}\n({r['cost_text']})" for r in self.rows], fontsize=7)
        ax.invert_yaxis()
        bv = self.baseline["value"] * scale
        if np.isfinite(bv):
            ax.axvline(bv, color="0.4", ls="--", lw=1, label="no intervention")
            ax.legend(fontsize=8, loc="lower right")
        ax.set_xlabel(self.what + (" (%)" if pct else ""))
        if pct:
            ax.set_xlim(0, 100)
        return fig


def _fmt(v, interval, pct: bool) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    lo, hi = interval
    if pct:
        return f"{100 * v:.0f}% ({100 * lo:.0f}-{100 * hi:.0f}%)"
    return f"{v:.3g} ({lo:.3g} to {hi:.3g})"


def _row(p: Prediction) -> dict:
    value, interval, what = p.primary()
    row = {"intervention": p.intervention.describe(), "value": value, "interval": tuple(interval), "what": what,
           "cost": dict(p.cost), "cost_text": _cost_text(p.cost), "n_valid": p.n_valid}
    if p.outcome == "seizure" and p.n_valid:
        m = p.metrics()["intervention"]
        row.update(p_seizure_free=1 - m["p_seizure"], p_seizure_free_interval=tuple(1 - v for v in m["p_seizure_interval"][::-1]),
                   n_recruited=m["n_recruited_mean"], n_recruited_interval=m["n_recruited_interval"])
    return row


def _baseline_row(p: Prediction) -> dict:
    """The baseline's primary value (from the baseline side of any prediction)."""
    if p.n_valid == 0:
        return {"value": float("nan"), "interval": (float("nan"), float("nan"))}
    m = p.metrics()
    if p.outcome == "seizure":
        b = m["baseline"]
        return {"value": b["p_propagation"], "interval": b["p_propagation_interval"], "p_seizure_free": 1 - b["p_seizure"],
                "p_seizure_free_interval": tuple(1 - v for v in b["p_seizure_interval"][::-1]),
                "n_recruited": b["n_recruited_mean"], "n_recruited_interval": b["n_recruited_interval"]}
    if p.outcome == "spectrum":
        return {"value": 0.0, "interval": (0.0, 0.0), "peak_hz": m["baseline"]["peak_hz"]}
    return {"value": 0.0, "interval": (0.0, 0.0)}


def compare(
    twin,
    interventions: Sequence[Intervention | str],
    *,
    outcome: str = "seizure",
    n_samples: int | None = 100,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    ez=None,
    **sim_options: Any,
) -> Comparison:
    """Rank candidate interventions by outcome, then by cost, on the same posterior draws.

    The baseline is simulated once; each candidate once (one batch over the
    draws each).  Ranking: for ``"seizure"`` the probability of spread beyond
    the EZ (smaller first), then the mean number of recruited regions; for
    ``"evoked"`` the response of the stimulated regions (larger first); for
    ``"fc"`` the FC change and for ``"spectrum"`` the absolute peak shift
    (smaller first).  Ties go to the cheaper option (fewer regions resected,
    smaller area, fewer tracts cut, fewer regions stimulated).

    Parameters are as for :func:`predict`.

    Returns
    -------
    Comparison
    """
    items = [_as_intervention(i) for i in interventions]
    if not items:
        raise InputError("no interventions to compare", source=SOURCE, field="interventions")
    runner = _Runner(twin, n_samples=n_samples, seed=seed, params=params, outcome=outcome, options=sim_options)
    ez_idx = ez_hypothesis(twin, runner.base, ez) if outcome == "seizure" else []
    preds = [_predict_with(runner, it, ez_idx) for it in items]
    rows = [_row(p) for p in preds]
    smaller = _RANK[outcome]

    def key(k):
        r = rows[k]
        v = r["value"]
        if outcome == "spectrum":
            v = abs(v)
        v = v if np.isfinite(v) else np.inf
        primary = v if smaller else -v
        secondary = r.get("n_recruited", 0.0) if outcome == "seizure" else 0.0
        return (primary, secondary, _cost_key(r["cost"]))

    order = sorted(range(len(rows)), key=key)
    ranked = []
    for rank, k in enumerate(order, 1):
        r = dict(rows[k])
        r["rank"] = rank
        ranked.append(r)
    what = preds[0].primary()[2]
    return Comparison(outcome, ranked, [preds[k] for k in order], _baseline_row(preds[0]), what, runner.n, runner.level)


# ---------------------------------------------------------------------------
# resection search


@dataclasses.dataclass
class ResectionSearch:
    """Result of :func:`smallest_resection`.

    Attributes
    ----------
    regions : list of str or None
        The smallest resection found that stops propagation in at least
        ``target`` of the draws (None when none was found).
    p_stopped : float
        Fraction of draws without propagation after that resection (or after the best one tried).
    target : float
    candidates : list of str
        Regions searched.
    tried : list of dict
        Every resection simulated: ``regions``, ``p_stopped``, ``cost``.
    prediction : Prediction or None
        The prediction of the resection found (or of the best tried).
    baseline_p_propagation : float
    method : str
    """

    regions: list | None
    p_stopped: float
    target: float
    candidates: list
    tried: list
    prediction: Prediction | None
    baseline_p_propagation: float
    method: str
    criterion: str = "propagation"

    @property
    def found(self) -> bool:
        return self.regions is not None

    def summary(self) -> str:
        pct = lambda p: f"{100 * p:.0f}%"  # noqa: E731
        head = (f"Without surgery the seizure spreads beyond the EZ in {pct(self.baseline_p_propagation)} of the simulated versions. "
                f"Searched {len(self.tried)} resections among {', '.join(self.candidates)}.")
        what = "stops the spread" if self.criterion == "propagation" else "prevents any seizure"
        if self.found:
            return head + (f" Smallest resection that {what} in at least {pct(self.target)}: {', '.join(self.regions)} "
                           f"({pct(self.p_stopped)}). Model prediction for research, not clinical advice.")
        return head + f" None of the resections tried {what} in {pct(self.target)} of them (best: {pct(self.p_stopped)})."

    def __str__(self) -> str:
        return self.summary()


def smallest_resection(
    twin,
    candidates: Sequence | None = None,
    *,
    target: float = 0.95,
    max_regions: int = 3,
    n_candidates: int = 6,
    method: str = "exhaustive",
    criterion: str = "propagation",
    n_samples: int | None = 100,
    seed: int = 0,
    ez=None,
    **sim_options: Any,
) -> ResectionSearch:
    """The smallest resection that stops seizure propagation in at least ``target`` of the posterior draws.

    Parameters
    ----------
    twin : twin-like or Scenario
        As for :func:`predict` (outcome ``"seizure"``).
    candidates : sequence of str or int, optional
        Regions that may be resected.  Default: the ``n_candidates`` regions with
        the highest posterior mean excitability ``x0`` (the likeliest EZ and PZ).
    target : float
        Required fraction of draws in which the seizure no longer spreads
        beyond the EZ (0.95).
    max_regions : int
        Largest resection tried.
    method : {"exhaustive", "greedy"}
        ``"exhaustive"`` tries every subset of the candidates, smallest first
        (within a size: most draws stopped, then smallest cost);
        ``"greedy"`` adds, one at a time, the region that stops the most draws.
        Ties go to the resection leaving more draws seizure-free, then to the
        cheaper one.
    criterion : {"propagation", "seizure"}
        What must stop: spread beyond the EZ (default), or any seizure
        (seizure freedom, which requires removing the EZ itself).
    **kwargs
        As for :func:`predict`.

    Returns
    -------
    ResectionSearch
    """
    if not 0 < float(target) <= 1:
        raise InputError(f"target must be in (0, 1], got {target!r}", source=SOURCE, field="target")
    if method not in ("exhaustive", "greedy"):
        raise InputError(f"unknown method {method!r}; use 'exhaustive' or 'greedy'", source=SOURCE, field="method")
    if int(max_regions) < 1:
        raise InputError(f"max_regions must be >= 1, got {max_regions!r}", source=SOURCE, field="max_regions")
    if criterion not in ("propagation", "seizure"):
        raise InputError(f"unknown criterion {criterion!r}; use 'propagation' or 'seizure'", source=SOURCE, field="criterion")
    measure = "propagates" if criterion == "propagation" else "seizure"
    runner = _Runner(twin, n_samples=n_samples, seed=seed, params=None, outcome="seizure", options=sim_options)
    base = runner.base
    ez_idx = ez_hypothesis(twin, base, ez)
    labels = base.labels
    if candidates is None:
        try:
            x0 = base.parameter("x0")
        except InputError:
            raise InputError("the model has no excitability x0: give the candidate regions", source=SOURCE, field="candidates") from None
        x0 = np.broadcast_to(np.asarray(x0, float), (1, base.n_regions)) if x0.ndim < 2 else x0
        mean = np.mean(x0, axis=0)
        cand = [int(i) for i in np.argsort(-mean, kind="stable")[: int(n_candidates)]]
    else:
        cand = resolve_regions(base.connectome, candidates, "candidates")
    tried: list[dict] = []
    cache: dict[tuple, Prediction] = {}

    def evaluate(subset: tuple[int, ...]) -> Prediction:
        key = tuple(sorted(subset))
        if key not in cache:
            p = _predict_with(runner, resect([labels[i] for i in key]), ez_idx)
            cache[key] = p
            stopped = 1.0 - float(np.mean(p.treated[measure])) if p.n_valid else float("nan")
            tried.append({"regions": [labels[i] for i in key], "p_stopped": stopped, "cost": p.cost})
        return cache[key]

    def stopped(p: Prediction) -> float:
        return 1.0 - float(np.mean(p.treated[measure])) if p.n_valid else -1.0

    def cost_key(p: Prediction) -> tuple:
        # most draws stopped, then most draws seizure-free (prefer removing the source over isolating it), then cheapest
        free = 1.0 - float(np.mean(p.treated["seizure"])) if p.n_valid else -1.0
        return (-free, *_cost_key(p.cost))

    found: tuple | None = None
    best: tuple | None = None
    if method == "exhaustive":
        for size in range(1, min(int(max_regions), len(cand)) + 1):
            results = [(subset, evaluate(subset)) for subset in itertools.combinations(cand, size)]
            ok = [(s, p) for s, p in results if stopped(p) >= target]
            pool = ok or results
            s, p = min(pool, key=lambda sp: (-stopped(sp[1]), cost_key(sp[1])))
            if best is None or stopped(p) > stopped(cache[best]):
                best = tuple(sorted(s))
            if ok:
                found = tuple(sorted(s))
                break
    else:
        chosen: list[int] = []
        for _ in range(min(int(max_regions), len(cand))):
            options = [(tuple(chosen + [c]), evaluate(tuple(chosen + [c]))) for c in cand if c not in chosen]
            s, p = min(options, key=lambda sp: (-stopped(sp[1]), cost_key(sp[1])))
            chosen = list(s)
            best = tuple(sorted(s))
            if stopped(p) >= target:
                found = best
                break
    baseline_pp = float(np.mean(next(iter(cache.values())).baseline["propagates"])) if cache else float("nan")
    pick = found if found is not None else best
    pred = cache.get(pick) if pick is not None else None
    return ResectionSearch(
        regions=[labels[i] for i in found] if found is not None else None,
        p_stopped=stopped(pred) if pred is not None else float("nan"),
        target=float(target),
        candidates=[labels[i] for i in cand],
        tried=tried,
        prediction=pred,
        baseline_p_propagation=baseline_pp,
        method=method,
        criterion=criterion,
    )
