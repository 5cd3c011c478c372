"""Alzheimer's disease: a per-region amyloid/tau burden modulates inhibition; EEG slowing what-ifs.

Stefanovski et al. (2019) linked each region's amyloid-beta PET burden to the
inhibitory time constant of a Jansen-Rit node (more amyloid, slower inhibition)
and reproduced the EEG slowing of Alzheimer's disease.  Here the burden table
(TSV/CSV of region label and value, :func:`read_burden`) is scaled to
``beta_i = value_i / max(value)`` in [0, 1] and sets each region's inhibitory rate

.. math:: b_i = b_0\\,(1 - k\\,\\beta_i),

with ``b_0 = 0.05`` 1/ms (Jansen & Rit's 20 ms inhibitory time constant) and
``k`` the *E/I sensitivity* (``ei_gain``, dimensionless), inferred with ``G``
from EEG spectra (relative band power and peak frequency per channel, through
the tvb-data EEG lead field).  Jansen-Rit uses Jansen & Rit's threshold
``v0 = 6`` mV (alpha at about 10.5 Hz); lowering ``b`` below about 0.04 1/ms
moves a node into its slower (theta) regime.

What-ifs under the posterior: higher burden (``beta`` x factor, capped at 1)
and a drug that restores E/I balance (``b`` moved back toward ``b_0`` by a
fraction), both :class:`EIDeficit` interventions on the draws of ``b``.  Outcome:
``"slowing"`` (registered here), the theta/alpha power ratio with intervals.

References
----------
Stefanovski L, Triebkorn P, Spiegler A, et al. (2019) Linking molecular pathways
and large-scale computational modeling to assess candidate disease mechanisms
and pharmacodynamics in Alzheimer's disease. Front Comput Neurosci 13:54.
Jansen BH, Rit VG (1995) Biol Cybern 73:357-366.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

from ..errors import InputError
from ..whatif import Intervention, Outcome, register_outcome
from ..whatif.outcomes import interval
from ._disorders import workflow_section, fit_sbi, plot_spectra, posterior_words, read_region_table, region_spectra, run_workflow, say

__all__ = ["B0", "model", "read_burden", "normalise_burden", "inhibitory_rate", "simulator", "prior",
           "synthetic_person", "fit", "what_ifs", "EIDeficit", "SlowingOutcome", "SIMULATION"]

#: Healthy inhibitory rate b0 (1/ms): Jansen & Rit's 20 ms inhibitory time constant.
B0 = 0.05
#: Simulation settings (ms); noise (TVB nsig) only on the input derivative y4, as Jansen & Rit's p(t).
SIMULATION = {"dt": 0.2, "duration": 8000.0, "noise": [0.0, 0.0, 0.0, 0.0, 1e-3, 0.0], "method": "heun",
              "delays": True, "speed": 5.0}
_SKIP_MS = 1000.0


def model():
    """Jansen-Rit with ``v0 = 6`` mV (the classic alpha rhythm; TVB's 5.52 gives 7 Hz)."""
    from ..models import JansenRit

    return JansenRit(v0=6.0)


def read_burden(path, labels, *, mapping: Mapping[str, str] | None = None, missing: float | None = 0.0) -> np.ndarray:
    """A burden table (amyloid or tau PET: region label and value) as one value per region.

    Unknown labels, duplicates and non-numeric values raise
    :class:`~braintwin.errors.InputError` (one line listing them); regions not in
    the table get ``missing`` (0: no burden; None: every region required).

    Example
    -------
    >>> burden = read_burden("amyloid.tsv", conn.labels)     # doctest: +SKIP
    """
    v = read_region_table(path, labels, what="burden", missing=missing, mapping=mapping)
    if np.any(v < 0):
        raise InputError("burden values must be >= 0", source=str(path), field="value")
    return v


def normalise_burden(burden) -> np.ndarray:
    """``beta = burden / max(burden)`` in [0, 1] (all zeros when there is no burden)."""
    b = np.asarray(burden, float)
    if b.ndim != 1 or np.any(~np.isfinite(b)) or np.any(b < 0):
        raise InputError("burden must be finite values >= 0, one per region", field="burden")
    return b / b.max() if b.max() > 0 else np.zeros_like(b)


def inhibitory_rate(ei_gain, beta) -> np.ndarray:
    """``b = B0 (1 - ei_gain beta)``: ``(n, n_regions)`` for ``n`` values of ``ei_gain``.

    Example
    -------
    >>> inhibitory_rate([0.0, 0.5], [0.0, 1.0]).tolist()
    [[0.05, 0.05], [0.05, 0.025]]
    """
    k = np.atleast_1d(np.asarray(ei_gain, float))
    return B0 * (1.0 - k[:, None] * np.asarray(beta, float)[None, :])


class _BurdenSimulation:
    """``fn(params, seeds)``: ``G`` and ``ei_gain`` -> per-region ``b`` -> one Jansen-Rit batch (picklable)."""

    def __init__(self, network, beta):
        self.network, self.beta = network, np.asarray(beta, float)

    def __call__(self, params, seeds):
        p = {"G": np.asarray(params["G"], float), "b": inhibitory_rate(params["ei_gain"], self.beta)}
        return self.network.simulate(p, np.asarray(seeds))


def _network(connectome, monitor: str, features: Sequence[str], duration: float | None = None):
    from ..infer.sbi import NetworkSimulator

    dur = float(duration or SIMULATION["duration"])
    return NetworkSimulator(connectome, model(), list(features), monitor=monitor, duration=dur,
                            skip_ms=min(_SKIP_MS, dur / 4), dt=SIMULATION["dt"], noise=SIMULATION["noise"],
                            speed=SIMULATION["speed"],
                            feature_options={"nperseg": 500, "psd_fmin": 2.0, "psd_fmax": 30.0, "band_relative": True})


def simulator(connectome, burden, *, monitor: str = "eeg:period=4", features: Sequence[str] = ("band_power", "psd_peak"),
              duration: float | None = None):
    """The Alzheimer's campaign simulator: burden-modulated Jansen-Rit -> EEG -> spectral features.

    Example
    -------
    >>> sim = simulator(conn, burden)          # doctest: +SKIP
    """
    from ..infer.sbi import FunctionSimulator

    beta = normalise_burden(burden)
    if beta.shape != (connectome.n_regions,):
        raise InputError(f"burden needs {connectome.n_regions} values, got {beta.shape}", field="burden")
    net = _network(connectome, monitor, features, duration)
    net.simulate({"G": np.array([1.0])}, np.array([0]))  # one short run gives the feature names
    return FunctionSimulator(_BurdenSimulation(net, beta), net.feature_names,
                             {"workflow": "alzheimers", "beta": beta.tolist(), "B0": B0, **net.config()})


def prior(G: tuple[float, float] = (0.0, 5.0), ei_gain: tuple[float, float] = (0.0, 0.5)):
    """Uniform prior over ``G`` (SigmoidalJansenRit coupling scale) and ``ei_gain``."""
    from ..infer.sbi import Prior, Uniform

    return Prior({"G": Uniform(*G), "ei_gain": Uniform(*ei_gain)})


def synthetic_person(connectome, burden, *, G: float = 2.0, ei_gain: float = 0.3, seed: int = 7,
                     monitor: str = "eeg:period=4", duration: float | None = None):
    """Features of a synthetic person with known ``G`` and ``ei_gain``: ``(x_obs, names)``."""
    sim = simulator(connectome, burden, monitor=monitor, duration=duration)
    x, status = sim.simulate({"G": np.array([G]), "ei_gain": np.array([ei_gain])}, np.array([seed]))
    if status[0] != 0:
        raise InputError("the synthetic person's simulation diverged", field="truth")
    return x[0], list(sim.feature_names)


def fit(connectome, burden, x_obs, *, n_sims: int = 300, seed: int = 0, monitor: str = "eeg:period=4",
        subject_id: str = "alzheimers", progress=True, campaign_path=None, duration: float | None = None):
    """An Alzheimer's twin: the posterior over ``G`` and ``ei_gain`` given the burden and EEG features.

    The burden (and ``beta``) is kept in ``posterior.info``; the posterior's
    ``b`` draws (per region) are what the what-ifs change.

    Example
    -------
    >>> twin = fit(conn, burden, x_obs, n_sims=300)       # doctest: +SKIP
    """
    from ..infer import Posterior
    from ..twin import Twin

    sim = simulator(connectome, burden, monitor=monitor, duration=duration)
    post, _, _ = fit_sbi(sim, prior(), x_obs, n_sims=n_sims, seed=seed, progress=progress,
                              campaign_path=campaign_path, npe_options={"n_components": 10})
    beta = normalise_burden(burden)
    samples = {**post.samples, "b": inhibitory_rate(post.samples["ei_gain"], beta)}
    post = Posterior(samples, method=post.method, diagnostics=post.diagnostics,
                     info={**post.info, "workflow": "alzheimers", "burden": np.asarray(burden, float).tolist(),
                           "beta": beta.tolist(), "monitor": monitor})
    sim_settings = {**SIMULATION, "duration": float(duration or SIMULATION["duration"])}
    return Twin(subject_id, connectome, model(), posterior=post, simulation=sim_settings)


@dataclasses.dataclass(frozen=True, repr=False)
class EIDeficit(Intervention):
    """Scale the E/I deficit ``b0 - b`` of every region by ``factor`` (in the model and every draw).

    ``factor > 1``: the burden's effect grows (higher burden, ``beta`` x factor,
    with ``b`` kept >= ``b0 (1 - cap)``); ``factor < 1``: a drug restores
    inhibition by ``1 - factor`` of the deficit; 0 restores ``b0``.
    """

    factor: float
    b0: float = B0
    cap: float = 0.9
    kind: ClassVar[str] = "ei_deficit"

    def __post_init__(self):
        if not (np.isfinite(self.factor) and self.factor >= 0):
            raise InputError(f"factor must be >= 0, got {self.factor}", field="factor")

    def apply(self, scenario):
        lo = self.b0 * (1.0 - self.cap)
        fn = lambda b: np.maximum(self.b0 - (self.b0 - np.asarray(b, float)) * self.factor, lo)  # noqa: E731
        return self._record(scenario.with_param("b", fn))

    def describe(self):
        if self.factor >= 1:
            return f"higher burden (E/I deficit x{self.factor:g})"
        return f"E/I-restoring drug ({1 - self.factor:.0%} of the inhibitory deficit restored)"


def what_ifs(twin, *, n_samples: int = 16, burden_factor: float = 1.5, drug_restores: float = 0.5, seed: int = 0,
             progress=False, n_workers: int | None = None) -> dict:
    """Higher burden and an E/I-restoring drug on posterior draws; outcome ``"slowing"``.

    Returns ``{(what-if name, "slowing"): Prediction}``.
    """
    from ..whatif import predict

    scen = {"higher burden": EIDeficit(burden_factor), "E/I drug": EIDeficit(1.0 - drug_restores)}
    out = {}
    opts = {k: twin.simulation[k] for k in ("dt", "noise", "method", "delays", "duration", "speed")}
    for name, op in scen.items():
        say(progress, f"what-if: {op.describe()}, outcome slowing, {n_samples} posterior draws")
        out[(name, "slowing")] = predict(twin, op, n_samples=n_samples, seed=seed, outcome="slowing",
                                         transient=_SKIP_MS, sample_period=4.0, n_workers=n_workers, **opts)
    return out


@register_outcome("slowing", "EEG-like spectral slowing: theta (4-8 Hz) / alpha (8-13 Hz) power ratio and peak frequency",
                  options={"transient": "ms ignored at the start (0)", "theta": "theta band, Hz ((4, 8))",
                           "alpha": "alpha band, Hz ((8, 13))"},
                  defaults={"transient": 0.0, "theta": (4.0, 8.0), "alpha": (8.0, 13.0)})
class SlowingOutcome(Outcome):
    """Theta/alpha power ratio of the region-averaged spectrum in both runs, per draw (higher: slower)."""

    caption = ("Left: the spectrum of activity averaged over regions (shaded: 90% of versions). "
               "Right: the theta/alpha ratio in each version, baseline against intervention.")

    def measure(self, runs):
        from ..features import band_power, peak_frequency

        f, sb, st = region_spectra(runs)
        bands = {"theta": tuple(runs.options["theta"]), "alpha": tuple(runs.options["alpha"])}

        def stats(s):
            bp = band_power(f, s[..., None], bands)
            return {"theta_alpha": bp["theta"][..., 0] / bp["alpha"][..., 0],
                    "peak": peak_frequency(f, s[..., None], 2.0, 20.0)[..., 0]}

        b, t = stats(sb), stats(st)
        t["log_ratio_change"] = np.log(t["theta_alpha"] / b["theta_alpha"])
        b["log_ratio_change"] = np.zeros_like(b["theta_alpha"])
        return b, t, {"spectra": (f, sb, st)}

    def metrics(self, p):
        out = {name: {"theta_alpha": float(np.nanmedian(d["theta_alpha"])),
                      "theta_alpha_interval": interval(d["theta_alpha"], p.level),
                      "peak_hz": float(np.nanmean(d["peak"])), "peak_interval": interval(d["peak"], p.level)}
               for name, d in (("baseline", p.baseline), ("intervention", p.treated))}
        r = np.exp(p.treated["log_ratio_change"])
        out["theta_alpha_factor"] = float(np.exp(np.nanmean(p.treated["log_ratio_change"])))
        out["theta_alpha_factor_interval"] = interval(r, p.level)
        return out

    def primary(self, p, m):
        return m["theta_alpha_factor"], m["theta_alpha_factor_interval"], "factor on the theta/alpha ratio"

    def baseline_row(self, p, m):
        return {"value": 1.0, "interval": (1.0, 1.0)}

    def summary(self, p, m):
        b, t = m["baseline"], m["intervention"]
        lo, hi = m["theta_alpha_factor_interval"]
        return [f"The theta/alpha ratio goes from {b['theta_alpha']:.3g} to {t['theta_alpha']:.3g} (median over versions; "
                f"x{m['theta_alpha_factor']:.2f}, 90% between x{lo:.2f} and x{hi:.2f}); the spectral peak from "
                f"{b['peak_hz']:.1f} Hz to {t['peak_hz']:.1f} Hz."]

    def plot(self, p, fig, ax1, ax2):
        plot_spectra(ax1, *p.extra["spectra"], fmax=30.0, color="tab:red")
        ax2.boxplot([p.baseline["theta_alpha"], p.treated["theta_alpha"]])
        ax2.set_xticks([1, 2], ["baseline", "intervention"])
        ax2.set_yscale("log")
        ax2.set_ylabel("theta/alpha power ratio")


@workflow_section("alzheimers", "Alzheimer's disease: burden and excitation/inhibition")
def _report_section(twin, level: float) -> str:
    """Plain words for the report: the inferred E/I sensitivity to the burden, and what the what-ifs mean."""
    return (posterior_words(twin, {"ei_gain": "how strongly the regional burden slows inhibition (0: not at all)",
                                   "G": "global coupling between regions"}, level)
            + "<p>Each region's inhibition is slowed in proportion to its PET burden (Stefanovski et al. 2019); the "
              "sensitivity was read from the EEG spectrum. The what-ifs raise the burden's effect or restore part of "
              "the inhibition (a drug acting on E/I balance) and report the theta/alpha ratio: higher means a slower "
              "EEG.</p>")


#: Settings of :func:`run` (the TOML example ``examples/alzheimers.toml`` has the same keys).
DEFAULTS = {"subject_id": "ad-demo", "connectome": "tvb76", "monitor": "eeg:period=4", "burden": None, "n_sims": 300,
            "seed": 0, "synthetic": {"G": 2.0, "ei_gain": 0.3, "seed": 7},
            "whatif": {"n_samples": 16, "burden_factor": 1.5, "drug_restores": 0.5}}

#: Label fragments of tvb76 regions given a high burden in the demo (temporal, hippocampal, cingulate, parietal).
_DEMO_HIGH = ("HC", "PHC", "AMYG", "TC", "CC", "PC")


def demo_burden(connectome) -> np.ndarray:
    """An amyloid-like demo burden: SUVR 2.0 in temporal, hippocampal, cingulate and parietal regions, 1.2 elsewhere."""
    return np.array([2.0 if any(t in lab.upper() for t in _DEMO_HIGH) else 1.2 for lab in connectome.labels])


def write_burden(path, labels, values) -> None:
    """Write a burden table (TSV: ``region`` and ``value`` columns), atomically."""
    from pathlib import Path

    from .._io import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_text("region\tvalue\n" + "".join(f"{l}\t{v:.6g}\n" for l, v in zip(labels, values)))


def run(config=None, out="alzheimers_out", *, x_obs=None, progress=True) -> dict:
    """The Alzheimer's workflow end to end: burden table -> EEG features -> twin (SBI) -> what-ifs -> report.

    ``config``: keys of :data:`DEFAULTS`; ``burden`` is a TSV path (None: the
    demo burden, written to ``out/burden.tsv`` and read back); without
    ``x_obs`` the person is synthetic (``config["synthetic"]``).

    Example
    -------
    >>> summary = run({"n_sims": 200}, "ad_out")     # doctest: +SKIP
    """
    return run_workflow(
        config, DEFAULTS, out, x_obs=x_obs, progress=progress, prepare=_prepare_burden,
        synthetic=lambda conn, syn, cfg, burden: synthetic_person(conn, burden, G=float(syn["G"]),
                                                                  ei_gain=float(syn["ei_gain"]), seed=int(syn["seed"]),
                                                                  monitor=cfg["monitor"])[0],
        fit=lambda conn, x, cfg, burden: fit(conn, burden, x, n_sims=int(cfg["n_sims"]), seed=int(cfg["seed"]),
                                             monitor=cfg["monitor"], subject_id=str(cfg["subject_id"]), progress=progress),
        what_ifs=what_ifs)


def _prepare_burden(conn, cfg, out, progress) -> dict:
    """The burden of ``cfg["burden"]`` (a table), or the demo burden written to ``out/burden.tsv`` and read back."""
    from pathlib import Path

    path = cfg.get("burden")
    if path is None:
        path = Path(out) / "burden.tsv"
        write_burden(path, conn.labels, demo_burden(conn))
    burden = read_burden(path, conn.labels)
    say(progress, f"burden {path}: {int((burden > 0).sum())} regions, max {burden.max():.3g}")
    return {"burden": burden}
