"""Healthy ageing: G and the interhemispheric weight scaling from FC/FCD, and decline what-ifs.

Lavanga et al. (2023)'s virtual ageing brain explains age-related changes of
functional connectivity dynamics by the loss of interhemispheric structural
connectivity, partly compensated by the global coupling.  The twin here infers
``G`` and ``ih`` (the factor on every interhemispheric weight, 1 = the
connectome as given) from FCD statistics (``fcd_stats``) and FC summaries
(:func:`fc_summaries`: mean FC within and between hemispheres, SC-FC r, FC spread).

Model: the Hopf normal form of Deco et al. (2017)
(:class:`~braintwin.models.SupHopf`, ``a = -0.02``, 0.05 Hz, difference
coupling), the standard cheap model of resting BOLD-band dynamics (a 10-minute,
76-region run takes about 0.2 s).  Its parameters are per *second*: the
simulation runs in seconds (``dt = 0.1`` s, samples every 2 s = TR, no
conduction delays, which are milliseconds and irrelevant at 0.05 Hz); FC and FCD
are computed on samples, so the time unit enters nowhere else.

What-ifs under the posterior (each draw with its own ``ih``, one batch per draw):
ten more years of interhemispheric decline, at :data:`DECLINE_PER_DECADE` per
decade (an assumption, see below), and a drug that restores coupling (``G`` x
1.25 on top of the decline).  Outcomes: ``"fcd_scfc"`` (registered here: FCD
variance, SC-FC coupling, interhemispheric FC) and the generic ``"fc"``.

References
----------
Lavanga M, Stumme J, Yalcinkaya BH, et al. (2023) The virtual aging brain:
causal inference supports interhemispheric dedifferentiation in healthy aging.
NeuroImage 283:120403.
Deco G, Kringelbach ML, Jirsa VK, Ritter P (2017) The dynamics of resting
fluctuations in the brain: metastability and its dynamical cortical core.
Sci Rep 7:3095.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError
from ..features import FC_SUMMARIES
from ..features import fc_summaries as _fc_summaries
from ..whatif import Outcome, register_outcome
from ..whatif.outcomes import interval
from ._disorders import workflow_section, fit_sbi, pool_predictions, posterior_words, predict_per_draw, run_workflow, say

__all__ = ["model", "simulator", "prior", "scaled_connectome", "synthetic_person", "fit", "what_ifs",
           "FcdScfcOutcome", "fc_summaries", "SUMMARIES", "DECLINE_PER_DECADE", "SIMULATION"]

#: Interhemispheric weight lost per decade (fraction).  ASSUMPTION, not a fitted
#: value: the corpus callosum loses volume and fibre integrity with age at
#: roughly this order (a few to ten percent per decade after 50); Lavanga et al.
#: (2023) infer a decline of interhemispheric coupling with age but give no
#: per-decade figure.  Pass ``rate_per_decade=`` to :func:`what_ifs` to change it.
DECLINE_PER_DECADE = 0.10

#: Simulation settings; time in seconds (see the module's notes).
SIMULATION = {"dt": 0.1, "duration": 660.0, "noise": 2e-4, "method": "heun", "delays": False}
_SKIP = 60.0
_TR = 2.0
_FEATURE_OPTIONS = {"fcd_window": 20, "fcd_step": 2}


def model():
    """The Hopf node of Deco et al. (2017): ``a = -0.02`` 1/s, ``omega = 2 pi 0.05`` rad/s."""
    from ..models import SupHopf

    return SupHopf(a=-0.02, omega=2 * np.pi * 0.05)


def scaled_connectome(connectome, ih: float):
    """The connectome with every interhemispheric weight multiplied by ``ih`` (:func:`braintwin.whatif.scale_interhemispheric`)."""
    from ..whatif import Scenario, scale_interhemispheric

    return scale_interhemispheric(float(ih)).apply(Scenario(connectome)).connectome


#: Summaries added to ``fcd_stats`` (:data:`braintwin.features.FC_SUMMARIES`).
SUMMARIES = FC_SUMMARIES


def fc_summaries(fc_triu, connectome) -> np.ndarray:
    """``(n, 4)``: :func:`braintwin.features.fc_summaries` against the connectome's SC and hemispheres.

    ``fc_triu``: ``(n, R (R - 1) / 2)`` in ``numpy.triu_indices(R, 1)`` order.
    """
    return np.atleast_2d(_fc_summaries(fc_triu, connectome.weights, connectome.hemispheres))


class _AgeingSimulation:
    """``fn(params, seeds)`` of a FunctionSimulator: one network run per row with its own ``ih`` (picklable).

    Features: ``fcd_stats`` and :func:`fc_summaries` of the run's FC (the SC of the summaries is the
    connectome as given, the person's measured SC).
    """

    def __init__(self, connectome):
        self.connectome = connectome

    def network(self, ih: float):
        from ..infer.sbi import NetworkSimulator

        conn = self.connectome if ih == 1.0 else scaled_connectome(self.connectome, ih)
        return NetworkSimulator(conn, model(), ["fc", "fcd_stats"], monitor=f"tavg:{_TR:g}", duration=SIMULATION["duration"],
                                skip_ms=_SKIP, dt=SIMULATION["dt"], noise=SIMULATION["noise"], delays=False,
                                initial=np.zeros((2, conn.n_regions)), feature_options=_FEATURE_OPTIONS, n_threads=1)

    def features(self, net, params: dict, seeds) -> tuple[np.ndarray, np.ndarray, list]:
        """``(x, status, names)`` of one network's rows."""
        x, status = net.simulate(params, seeds)
        m = self.connectome.n_regions * (self.connectome.n_regions - 1) // 2  # the fc columns come first
        names = list(net.feature_names[m:]) + list(SUMMARIES)
        return np.column_stack([x[:, m:], fc_summaries(x[:, :m], self.connectome)]), status, names

    def __call__(self, params, seeds):
        n = len(seeds)
        ih = np.asarray(params.get("ih", np.ones(n)), float)
        rest = {k: np.asarray(v, float) for k, v in params.items() if k != "ih"}
        rows, status = [], []
        for i in range(n):
            x, s, _ = self.features(self.network(float(ih[i])), {k: v[i: i + 1] for k, v in rest.items()}, seeds[i: i + 1])
            rows.append(x[0])
            status.append(s[0])
        return np.array(rows), np.array(status, np.uint8)


def simulator(connectome):
    """The ageing campaign simulator: Hopf network with scaled interhemispheric weights -> FCD stats + FC summaries.

    Example
    -------
    >>> sim = simulator(bt.Connectome.builtin("tvb76").normalized("max").with_zero_diagonal())   # doctest: +SKIP
    """
    from ..infer.sbi import FunctionSimulator

    fn = _AgeingSimulation(connectome)
    proto = fn.network(1.0)
    _, _, names = fn.features(proto, {"G": np.array([0.0])}, np.array([0]))  # one short run (0.2 s) gives the names
    return FunctionSimulator(fn, names, {"workflow": "ageing", **proto.config()})


def prior(G: tuple[float, float] = (0.01, 0.12), ih: tuple[float, float] = (0.3, 1.2)):
    """Uniform prior over ``G`` (1/s) and the interhemispheric factor ``ih`` (dimensionless)."""
    from ..infer.sbi import Prior, Uniform

    return Prior({"G": Uniform(*G), "ih": Uniform(*ih)})


def synthetic_person(connectome, *, G: float = 0.06, ih: float = 0.6, seed: int = 7):
    """Features (``fcd_stats`` and :func:`fc_summaries`) of a synthetic person with known ``G`` and ``ih``; ``(x_obs, names)``."""
    fn = _AgeingSimulation(connectome)
    x, status, names = fn.features(fn.network(float(ih)), {"G": np.array([G])}, np.array([seed]))
    if status[0] != 0:
        raise InputError(f"the synthetic person's simulation diverged (G={G}, ih={ih})", field="truth")
    return x[0], names


def fit(connectome, x_obs, *, n_sims: int = 300, seed: int = 0, subject_id: str = "ageing", progress=True,
        campaign_path=None):
    """An ageing twin: the posterior over ``G`` and ``ih`` given the person's FC/FCD features.

    Example
    -------
    >>> twin = fit(conn, x_obs, n_sims=300)     # doctest: +SKIP
    """
    from ..twin import Twin

    post, _, _ = fit_sbi(simulator(connectome), prior(), x_obs, n_sims=n_sims, seed=seed, progress=progress,
                              campaign_path=campaign_path,
                              info={"workflow": "ageing"})
    return Twin(subject_id, connectome, model(), "Difference", posterior=post,
                simulation={**SIMULATION, "initial": np.zeros((2, connectome.n_regions))})


def what_ifs(twin, *, n_samples: int = 12, years: float = 10.0, rate_per_decade: float = DECLINE_PER_DECADE,
             drug_G_factor: float = 1.25, outcomes: Sequence[str] = ("fcd_scfc", "fc"), seed: int = 0,
             progress=False) -> dict:
    """Ten more years of interhemispheric decline, and a coupling-restoring drug, on posterior draws.

    The decline multiplies interhemispheric weights by
    ``(1 - rate_per_decade) ** (years / 10)``; the drug adds ``G`` x
    ``drug_G_factor`` to the same decline.  Each draw runs on the connectome
    scaled by its own ``ih``.

    Returns ``{(what-if name, outcome): Prediction}``.
    """
    from ..whatif import Scenario, scale_coupling, scale_interhemispheric

    if not 0 <= rate_per_decade < 1:
        raise InputError(f"rate_per_decade must be in [0, 1), got {rate_per_decade}", field="rate_per_decade")
    factor = (1.0 - rate_per_decade) ** (float(years) / 10.0)
    decline = scale_interhemispheric(factor)
    scen = {f"{years:g} more years": decline, "coupling drug": decline + scale_coupling(drug_G_factor)}
    draws = twin.posterior.draw(int(n_samples), seed=seed)
    opts = {k: twin.simulation[k] for k in ("dt", "noise", "method", "delays", "duration", "initial")}
    out = {}
    for name, op in scen.items():
        for oc in outcomes:
            say(progress, f"what-if: {name} ({op.describe()}), outcome {oc}, {n_samples} posterior draws")
            preds = []
            for i in range(len(draws["G"])):
                sc = Scenario(scaled_connectome(twin.connectome, float(draws["ih"][i])), twin.model, twin.coupling)
                preds.append(predict_per_draw(sc, op, outcome=oc, draws={"G": draws["G"][i: i + 1]}, per_run=(),
                                              seed=seed + i, transient=_SKIP, sample_period=_TR, **opts))
            out[(name, oc)] = pool_predictions(preds)
    return out


@register_outcome("fcd_scfc", "FCD variance, SC-FC coupling (Pearson r) and interhemispheric FC, per draw",
                  options={"transient": "time ignored at the start (0)", "fcd_window": "FCD window, samples (20)",
                           "fcd_step": "FCD step, samples (2)"},
                  defaults={"transient": 0.0, "fcd_window": 20, "fcd_step": 2})
class FcdScfcOutcome(Outcome):
    """Dynamics and structure-function coupling of resting activity, baseline vs intervention.

    ``fcd_var``: variance of the FCD matrix's upper triangle (windows not
    overlapping), the "fluidity" that Lavanga et al. (2023) track with age;
    ``scfc``: Pearson r between the SC weights and FC (upper triangles, the
    baseline connectome's weights); ``inter_fc``: mean FC between hemispheres.
    """

    smaller_is_better = False
    caption = ("Left: FCD variance (how much the connectivity pattern wanders over time) in each version, "
               "baseline against intervention. Right: structure-function coupling.")

    def measure(self, runs):
        from ..features import fc, fcd, fcd_triu

        xb, xt = runs.traces()
        w, s = int(runs.options["fcd_window"]), int(runs.options["fcd_step"])
        if xb.shape[1] < 2 * w:
            raise InputError(f"{xb.shape[1]} samples are too few for FCD windows of {w}", field="fcd_window")
        conn = runs.base.connectome
        iu = np.triu_indices(conn.n_regions, 1)
        hemi = np.asarray(conn.hemispheres, bool)
        inter = (hemi[:, None] != hemi[None, :])[iu]
        sc = np.asarray(conn.weights)[iu]

        def stats(x):
            f = fc(x)[:, iu[0], iu[1]]
            var = np.array([np.nanvar(fcd_triu(fcd(xi, w, s), window=w, step=s)) for xi in x])
            r = np.array([np.corrcoef(sc, fi)[0, 1] for fi in f])
            return {"fcd_var": var, "scfc": r, "inter_fc": np.nanmean(f[:, inter], axis=1)}

        b, t = stats(xb), stats(xt)
        for k in list(t):
            t[k + "_change"] = t[k] - b[k]
        return b, t, {}

    def metrics(self, p):
        out = {}
        for name, d in (("baseline", p.baseline), ("intervention", p.treated)):
            out[name] = {k: float(np.nanmean(d[k])) for k in ("fcd_var", "scfc", "inter_fc")}
            out[name].update({k + "_interval": interval(d[k], p.level) for k in ("fcd_var", "scfc", "inter_fc")})
        for k in ("fcd_var", "scfc", "inter_fc"):
            out[k + "_change"] = float(np.nanmean(p.treated[k + "_change"]))
            out[k + "_change_interval"] = interval(p.treated[k + "_change"], p.level)
        return out

    def primary(self, p, m):
        return m["fcd_var_change"], m["fcd_var_change_interval"], "change of FCD variance"

    def summary(self, p, m):
        b, t = m["baseline"], m["intervention"]
        lines = []
        for k, what in (("fcd_var", "FCD variance"), ("scfc", "SC-FC coupling (r)"), ("inter_fc", "interhemispheric FC")):
            lo, hi = m[k + "_change_interval"]
            lines.append(f"{what}: {b[k]:.4f} -> {t[k]:.4f} (change {m[k + '_change']:+.4f}; 90% between {lo:+.4f} and {hi:+.4f}).")
        return lines

    def plot(self, p, fig, ax1, ax2):
        for ax, k, what in ((ax1, "fcd_var", "FCD variance"), (ax2, "scfc", "SC-FC coupling (r)")):
            ax.boxplot([p.baseline[k], p.treated[k]])
            ax.set_xticks([1, 2], ["baseline", "intervention"])
            ax.set_ylabel(what)


@workflow_section("ageing", "Healthy ageing: coupling between the hemispheres")
def _report_section(twin, level: float) -> str:
    """Plain words for the report: the inferred G and interhemispheric scaling, and the decline assumption."""
    return (posterior_words(twin, {"ih": "strength of the tracts between the hemispheres (1 = the connectome as given)",
                                   "G": "global coupling between regions"}, level)
            + f"<p>Read from resting-state functional connectivity and its dynamics (Lavanga et al. 2023). The "
              f"ten-year what-if assumes the tracts between the hemispheres lose {DECLINE_PER_DECADE:.0%} of their "
              "strength per decade; this rate is an assumption, not a measurement of this person.</p>")


#: Settings of :func:`run` (the TOML example ``examples/ageing.toml`` has the same keys).
DEFAULTS = {"subject_id": "ageing-demo", "connectome": "tvb76", "n_sims": 300, "seed": 0,
            "synthetic": {"G": 0.06, "ih": 0.6, "seed": 7},
            "whatif": {"n_samples": 12, "years": 10.0, "rate_per_decade": DECLINE_PER_DECADE, "drug_G_factor": 1.25}}


def run(config=None, out="ageing_out", *, x_obs=None, progress=True) -> dict:
    """The ageing workflow end to end: connectome -> FC/FCD features -> twin (SBI) -> what-ifs -> report.

    ``config``: keys of :data:`DEFAULTS`; without ``x_obs`` the person is
    synthetic (``config["synthetic"]``: known ``G`` and ``ih``).  Returns the
    summary written to ``out/summary.json``.

    Example
    -------
    >>> summary = run({"n_sims": 200}, "ageing_out")     # doctest: +SKIP
    """
    return run_workflow(
        config, DEFAULTS, out, x_obs=x_obs, progress=progress,
        synthetic=lambda conn, syn, cfg: synthetic_person(conn, G=float(syn["G"]), ih=float(syn["ih"]),
                                                          seed=int(syn["seed"]))[0],
        fit=lambda conn, x, cfg: fit(conn, x, n_sims=int(cfg["n_sims"]), seed=int(cfg["seed"]),
                                     subject_id=str(cfg["subject_id"]), progress=progress),
        what_ifs=what_ifs)
