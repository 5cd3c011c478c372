"""Multiple sclerosis: conduction speed (with G) from EEG/MEG spectra, and lesion what-ifs.

Lesions in multiple sclerosis slow and weaken white-matter tracts; Sorrentino et
al. (2022, 2024) estimated conduction delays from MEG and found that the
estimate tracks disability.  The twin here infers the global conduction speed
``speed`` (mm/ms = m/s) and the coupling ``G`` from sensor spectra simulated
through the tvb-data lead fields (:class:`braintwin.observe.EEG`/``MEG``) and
summarised by the spectral feature sets (``psd_peak``, ``band_power``).

The model is the Stuart-Landau oscillator (:class:`~braintwin.models.SupHopf`,
``a > 0``: every region on a small limit cycle at ``omega / 2 pi`` = 10.5 Hz)
with *linear* delayed coupling, ``c_i = G sum_j w_ij z_j(t - L_ij / speed)``.
Why this model: its collective frequency is set by the delays analytically,
``Omega = omega - G sum_j w_ij sin(Omega tau_ij)`` for phase-locked oscillators
(Yeung & Strogatz 1999; Petkoski & Jirsa 2019), so slower conduction (longer
``tau``, ``Omega tau < pi/2``) lowers the alpha peak, the MS finding; it is
cheap (a 10 s, 76-region run takes about 0.1 s) and has no other slow rhythm
that could mimic the delay effect.  Limits: weaker tracts *raise* the frequency
toward the nodes' own (less delayed feedback), so a lesion's net effect depends
on its weight and speed factors; below about 4 m/s the regions stop
phase-locking and the delay effect is lost.  Jansen-Rit's rhythm is set mainly by its
synaptic time constants (its delay sensitivity was not characterised here);
with difference coupling the Stuart-Landau nodes are damped and the delay
effect washes out (tried).

What-ifs under the posterior (each posterior draw runs with its own speed,
:func:`~braintwin.workflows._disorders.predict_per_draw`): lesion growth
(:func:`braintwin.whatif.lesion` with per-tract weight and speed factors) and
remyelination (speed factor > 1).  Outcomes: ``"alpha"`` (registered here: alpha
peak frequency and relative alpha power, with intervals) and the generic
``"fc"``.

References
----------
Sorrentino P, Petkoski S, Sparaco M, et al. (2022) Whole-brain propagation delays
in multiple sclerosis, a combined tractography-magnetoencephalography study.
J Neurosci 42:8807-8816.
Yeung MKS, Strogatz SH (1999) Time delay in the Kuramoto model of coupled
oscillators. Phys Rev Lett 82:648.
Petkoski S, Jirsa VK (2019) Transmission time delays organize the brain network
synchronization. Phil Trans R Soc A 377:20180132.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from ..whatif import Outcome, register_outcome
from ..whatif.outcomes import interval
from ._disorders import workflow_section, fit_sbi, plot_spectra, posterior_words, predict_per_draw, region_spectra, run_workflow, say

__all__ = ["model", "simulator", "prior", "synthetic_person", "fit", "what_ifs", "AlphaOutcome", "SIMULATION"]

#: Simulation settings of the MS twin (ms; noise is TVB's nsig on x and y).
SIMULATION = {"dt": 0.5, "duration": 12_000.0, "noise": 1e-5, "method": "heun", "delays": True}
_SKIP_MS = 2000.0


def model(omega_hz: float = 10.5, a: float = 0.005):
    """The MS twin's node: Stuart-Landau at ``omega_hz`` on a small limit cycle (``a`` in 1/ms).

    Example
    -------
    >>> model().values["omega"]          # 2 pi 10.5 Hz in rad/ms
    0.06597344572538566
    """
    from ..models import SupHopf

    return SupHopf(a=float(a), omega=2 * np.pi * float(omega_hz) / 1000.0)


def _initial(n_regions: int) -> np.ndarray:
    """A fixed small random start (the origin is unstable for ``a > 0``; noise alone would be slow to leave it)."""
    return np.random.default_rng(12345).uniform(-0.05, 0.05, (2, n_regions))


def simulator(connectome, *, monitor: str = "eeg:period=4", features: Sequence[str] = ("psd_peak", "band_power"),
              duration: float | None = None, omega_hz: float = 10.5):
    """The MS campaign simulator: Stuart-Landau network -> EEG/MEG (tvb-data lead field) -> spectral features.

    Parameters
    ----------
    connectome : Connectome
        Normalised (e.g. ``.normalized("max")``); the built-in lead fields cover tvb76's regions.
    monitor : str
        ``"eeg:period=4"`` (65 EEG channels), ``"meg:period=4"``, or ``"tavg:4"`` (regions).
    features : sequence of str
        Spectral feature sets (``psd_peak``, ``band_power``, ``aperiodic_slope``).

    Example
    -------
    >>> sim = simulator(bt.Connectome.builtin("tvb76").normalized("max"))   # doctest: +SKIP
    """
    from ..infer.sbi import NetworkSimulator

    conn = connectome
    dur = float(duration or SIMULATION["duration"])
    return NetworkSimulator(conn, model(omega_hz), list(features), monitor=monitor, coupling="Linear",
                            duration=dur, skip_ms=min(_SKIP_MS, dur / 4), dt=SIMULATION["dt"], noise=SIMULATION["noise"],
                            initial=_initial(conn.n_regions),
                            feature_options={"nperseg": 500, "psd_fmin": 2.0, "psd_fmax": 40.0, "band_relative": True})


def prior(G: tuple[float, float] = (0.0005, 0.003), speed: tuple[float, float] = (5.0, 20.0)):
    """Uniform prior over ``G`` (1/ms) and the global conduction ``speed`` (mm/ms = m/s).

    Healthy myelinated tracts conduct at about 5-20 m/s.  The model's delay
    effect needs phase-locked regions: below about 4 m/s (tvb76, ``G`` in this
    range) the network desynchronises and the peak returns to the nodes' own
    10.5 Hz, so severe demyelination is outside what this twin represents.
    """
    from ..infer.sbi import Prior, Uniform

    return Prior({"G": Uniform(*G), "speed": Uniform(*speed)})


def synthetic_person(connectome, *, G: float = 0.0016, speed: float = 7.0, seed: int = 7, monitor: str = "eeg:period=4"):
    """Features of a synthetic person with known ``G`` and ``speed`` (for demos and recovery checks).

    Returns ``(x_obs, feature_names)``.
    """
    sim = simulator(connectome, monitor=monitor)
    x, status = sim.simulate({"G": np.array([G]), "speed": np.array([speed])}, np.array([seed]))
    if status[0] != 0:
        raise InputError(f"the synthetic person's simulation diverged (G={G}, speed={speed})", field="truth")
    return x[0], list(sim.feature_names)


def fit(connectome, x_obs, *, n_sims: int = 300, seed: int = 0, monitor: str = "eeg:period=4", subject_id: str = "ms",
        custom_prior=None, progress=True, campaign_path=None):
    """An MS twin: the posterior over ``G`` and ``speed`` given the person's spectral features.

    ``custom_prior`` replaces :func:`prior` (same names, ``G`` and ``speed``);
    ``campaign_path`` keeps the campaign's HDF5 file (and resumes it).
    Returns a :class:`braintwin.Twin` (``posterior.info["workflow"] = "ms"``).

    Example
    -------
    >>> twin = fit(conn, x_obs, n_sims=300)            # doctest: +SKIP
    >>> twin.posterior.quantiles([0.05, 0.95], "speed")  # doctest: +SKIP
    """
    from ..twin import Twin

    sim = simulator(connectome, monitor=monitor)
    pr = custom_prior or prior()
    post, _, _ = fit_sbi(sim, pr, x_obs, n_sims=n_sims, seed=seed, progress=progress, campaign_path=campaign_path,
                              npe_options={"n_components": 10}, info={"workflow": "ms", "monitor": monitor})
    return Twin(subject_id, connectome, model(), "Linear", posterior=post,
                simulation={**SIMULATION, "initial": _initial(connectome.n_regions)})


def what_ifs(twin, *, n_samples: int = 10, lesion_edges: Any = "all", lesion_weight: float = 0.9,
             lesion_speed: float = 0.8, remyelination_speed: float = 1.25, outcomes: Sequence[str] = ("alpha", "fc"),
             seed: int = 0, progress=False, duration: float | None = None) -> dict:
    """Lesion growth and remyelination on ``n_samples`` posterior draws (each with its own speed).

    Parameters
    ----------
    lesion_edges : edges spec
        Tracts the lesions reach (:func:`braintwin.whatif.edge_mask`: ``"all"``,
        ``"interhemispheric"``, pairs ``"a-b"``...).
    lesion_weight, lesion_speed : float
        Lesion growth: weights x ``lesion_weight``, conduction speed x ``lesion_speed``.
    remyelination_speed : float
        Remyelination: conduction speed x this factor on the same tracts.

    Returns
    -------
    dict ``{(what-if name, outcome): Prediction}``
    """
    from ..whatif import lesion

    draws = twin.posterior.draw(int(n_samples), seed=seed)
    scen = {"lesion growth": lesion(lesion_edges, weight_factor=lesion_weight, speed_factor=lesion_speed),
            "remyelination": lesion(lesion_edges, speed_factor=remyelination_speed)}
    opts = {k: twin.simulation[k] for k in ("dt", "noise", "method", "delays", "initial") if k in twin.simulation}
    opts["duration"] = float(duration or twin.simulation.get("duration", SIMULATION["duration"]))
    out = {}
    for name, op in scen.items():
        for oc in outcomes:
            say(progress, f"what-if: {name} ({op.describe()}), outcome {oc}, {n_samples} posterior draws")
            out[(name, oc)] = predict_per_draw(twin, op, outcome=oc, draws={"G": draws["G"], "speed": draws["speed"]},
                                               seed=seed, transient=_SKIP_MS, sample_period=4.0, **opts)
    return out


@register_outcome("alpha", "alpha rhythm: peak frequency and centre of gravity (Hz) of the region-averaged spectrum, relative alpha power",
                  options={"transient": "ms ignored at the start (0)", "fmin": "lowest peak frequency, Hz (6)",
                           "fmax": "highest peak frequency, Hz (14)", "band": "alpha band, Hz ((8, 13))"},
                  defaults={"transient": 0.0, "fmin": 6.0, "fmax": 14.0, "band": (8.0, 13.0)})
class AlphaOutcome(Outcome):
    """Alpha peak frequency and relative alpha-band power (alpha / 1-40 Hz) in both runs, per draw."""

    smaller_is_better = False
    caption = ("Left: the spectrum of activity averaged over regions (shaded: 90% of versions). "
               "Right: how far the alpha peak moves in each version of the person.")

    def measure(self, runs):
        from ..features import band_power, peak_frequency

        f, sb, st = region_spectra(runs)
        o = runs.options
        lo, hi = (float(v) for v in o["band"])
        bands = {"alpha": (lo, hi), "total": (1.0, 40.0)}

        def stats(s):
            bp = band_power(f, s[..., None], bands)
            sel = (f >= float(o["fmin"])) & (f <= float(o["fmax"]))
            return {"peak": peak_frequency(f, s[..., None], float(o["fmin"]), float(o["fmax"]))[..., 0],
                    # centre of gravity (Klimesch 1999): not limited to the Welch frequency resolution
                    "cog": (s[..., sel] @ f[sel]) / s[..., sel].sum(axis=-1),
                    "alpha_power": bp["alpha"][..., 0] / bp["total"][..., 0]}

        b, t = stats(sb), stats(st)
        t["shift"], t["cog_shift"] = t["peak"] - b["peak"], t["cog"] - b["cog"]
        t["power_ratio"] = t["alpha_power"] / b["alpha_power"]
        b["shift"], b["cog_shift"], b["power_ratio"] = np.zeros_like(b["peak"]), np.zeros_like(b["peak"]), np.ones_like(b["peak"])
        return b, t, {"spectra": (f, sb, st)}

    def metrics(self, p):
        out = {name: {"alpha_peak_hz": float(np.nanmean(d["peak"])), "alpha_peak_interval": interval(d["peak"], p.level),
                      "alpha_cog_hz": float(np.nanmean(d["cog"])), "alpha_cog_interval": interval(d["cog"], p.level),
                      "alpha_power": float(np.nanmean(d["alpha_power"])),
                      "alpha_power_interval": interval(d["alpha_power"], p.level)}
               for name, d in (("baseline", p.baseline), ("intervention", p.treated))}
        out["alpha_peak_shift_hz"] = float(np.nanmean(p.treated["shift"]))
        out["alpha_peak_shift_interval"] = interval(p.treated["shift"], p.level)
        out["alpha_cog_shift_hz"] = float(np.nanmean(p.treated["cog_shift"]))
        out["alpha_cog_shift_interval"] = interval(p.treated["cog_shift"], p.level)
        out["alpha_power_ratio"] = float(np.nanmean(p.treated["power_ratio"]))
        out["alpha_power_ratio_interval"] = interval(p.treated["power_ratio"], p.level)
        return out

    def primary(self, p, m):
        return m["alpha_peak_shift_hz"], m["alpha_peak_shift_interval"], "shift of the alpha peak (Hz)"

    def summary(self, p, m):
        lo, hi = m["alpha_peak_shift_interval"]
        b, t = m["baseline"], m["intervention"]
        rl, rh = m["alpha_power_ratio_interval"]
        return [f"The alpha peak moves from {b['alpha_peak_hz']:.2f} Hz to {t['alpha_peak_hz']:.2f} Hz "
                f"(shift {m['alpha_peak_shift_hz']:+.2f} Hz; 90% between {lo:+.2f} and {hi:+.2f}); its centre of gravity by "
                f"{m['alpha_cog_shift_hz']:+.2f} Hz.",
                f"Relative alpha power changes x{m['alpha_power_ratio']:.2f} (90% between x{rl:.2f} and x{rh:.2f})."]

    def baseline_row(self, p, m):
        return {"value": 0.0, "interval": (0.0, 0.0), "alpha_peak_hz": m["baseline"]["alpha_peak_hz"]}

    def plot(self, p, fig, ax1, ax2):
        plot_spectra(ax1, *p.extra["spectra"], fmax=40.0)
        ax2.hist(p.treated["shift"], bins=15, color="tab:blue")
        ax2.axvline(0, color="k", lw=0.8)
        ax2.set_xlabel("alpha peak shift (Hz)")
        ax2.set_ylabel("versions of the person")


@workflow_section("ms", "Multiple sclerosis: conduction speed")
def _report_section(twin, level: float) -> str:
    """Plain words for the report: the inferred speed and G, and what the lesion what-ifs mean."""
    return (posterior_words(twin, {"speed": "global conduction speed along the tracts, m/s",
                                   "G": "global coupling between regions, 1/ms"}, level)
            + "<p>The speed was read from the EEG/MEG spectra: in this model slower conduction lowers the alpha "
              "rhythm's frequency. A lower speed than in healthy people is consistent with demyelination "
              "(Sorrentino et al. 2022); it is not a diagnosis. The what-ifs below slow and weaken the tracts further "
              "(lesion growth) or speed them up (remyelination) in every plausible version of the twin.</p>")


#: Settings of :func:`run` (the TOML example ``examples/ms.toml`` has the same keys).
DEFAULTS = {"subject_id": "ms-demo", "connectome": "tvb76", "monitor": "eeg:period=4", "n_sims": 300, "seed": 0,
            "synthetic": {"G": 0.0016, "speed": 7.0, "seed": 7},
            "whatif": {"n_samples": 10, "lesion_edges": "all", "lesion_weight": 0.9, "lesion_speed": 0.8,
                       "remyelination_speed": 1.25}}


def run(config: Mapping[str, Any] | None = None, out="ms_out", *, x_obs=None, progress=True) -> dict:
    """The MS workflow end to end: connectome -> EEG/MEG features -> twin (SBI) -> what-ifs -> report.

    Parameters
    ----------
    config : dict
        Keys of :data:`DEFAULTS` (missing ones take those values).  Without
        ``x_obs`` the person is synthetic (``config["synthetic"]``: known ``G``,
        ``speed``), so the summary says whether the truth lies in the intervals.
    out : path
        Folder for ``twin.h5``, ``report.html`` and ``summary.json``.
    x_obs : array, optional
        The person's features (as :func:`simulator` computes them).

    Returns
    -------
    dict : the summary written to ``summary.json``.

    Example
    -------
    >>> summary = run({"n_sims": 200}, "ms_out")     # doctest: +SKIP
    """
    return run_workflow(
        config, DEFAULTS, out, x_obs=x_obs, progress=progress,
        synthetic=lambda conn, syn, cfg: synthetic_person(conn, G=float(syn["G"]), speed=float(syn["speed"]),
                                                          seed=int(syn["seed"]), monitor=cfg["monitor"])[0],
        fit=lambda conn, x, cfg: fit(conn, x, n_sims=int(cfg["n_sims"]), seed=int(cfg["seed"]), monitor=cfg["monitor"],
                                     subject_id=str(cfg["subject_id"]), progress=progress),
        what_ifs=what_ifs)
