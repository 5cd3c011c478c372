r"""Clinical hypotheses compared: a clinician's EZ enters as a prior on x0, PSIS-LOO ranks the hypotheses.

A hypothesis names the regions a clinician believes to be the epileptogenic zone
(EZ), and optionally the propagation zone (PZ).  It becomes an informative prior
on the excitability ``x0`` of those regions; every other region keeps the
default prior of :class:`~braintwin.vep.VEPPriors` (logit-normal, median -3,
wide).  Each hypothesis is fitted by the Bayesian VEP (:func:`braintwin.vep.fit`,
same data, same settings), and the fits are ranked by their expected log
predictive density estimated by Pareto-smoothed importance-sampling leave-one-out
cross-validation (PSIS-LOO; Vehtari, Gelman & Gabry 2017, *Statistics and
Computing* 27:1413), computed by ArviZ (``az.loo``, ``az.compare``; stacking weights,
Yao et al. 2018).

**The priors** (:data:`EZ_PRIOR`, :data:`PZ_PRIOR`, in units of ``x0``):

- hypothesised EZ: ``x0 ~ N(-1.8, 0.3)``.  The centre lies between the isolated
  critical excitability ``x0c = -2.06`` (at ``I1 = 3.1``; above it a region seizes
  on its own) and the EZ value of the published VEP studies (-1.6; Jirsa et al.
  2017, Hashemi et al. 2020); the sd leaves ``P(x0 < x0c)`` about 0.2, so the data
  can still say "not an EZ" -- a hypothesis is a belief, not a constraint;
- hypothesised PZ: ``x0 ~ N(-2.25, 0.2)``: the band between the PZ threshold
  (-2.45) and ``x0c`` where regions are recruited but do not start seizures,
  +-1 sd covering it;
- elsewhere: the default prior (a hypothesis does not claim the rest is healthy).

``x0`` is bounded to ``[lo, hi]`` and sampled through ``u = logit((x0 - lo) / (hi - lo))``
(:class:`~braintwin.vep.model.PersonPrior`), so a normal ``N(m, s)`` in ``x0`` is
entered as the logit-normal with the same median and the same slope there:
``u ~ N(logit p, s / ((hi - lo) p (1 - p)))``, ``p = (m - lo) / (hi - lo)``.

**The pointwise log-likelihood is per time sample** (the sum over contacts of
``log N(y_tc | mu_tc, eps)`` at one sample ``t``), from the model's own observation
site (:func:`pointwise_log_likelihood`).  Why not per sample and contact: the
contacts at one instant all see the same source state ``x(t)`` through the gain,
so their pointwise terms share the model's error at ``t`` and are correlated;
LOO's standard errors assume independent terms and would be too small.  A time
sample is the natural new observation (the whole implant at a held-out instant).
Successive samples still follow one trajectory, so the LOO of a time series is
somewhat optimistic; it ranks hypotheses on the same data fairly, it is not a
forecast score.

Example::

    import braintwin as bt, braintwin.vep as vep
    net = bt.Connectome.builtin("tvb76").subset(
        ["rAMYG", "rPHC", "rHC", "rTCI", "rTCV", "rTCPOL", "rTCC", "rTCS", "rIA", "rV1"])
    p = vep.synthetic_patient(net, ez=["rTCC", "rTCV"], pz=["rTCI", "rAMYG", "rTCPOL", "rTCS"], n_times=80,
                              n_contacts=16, tau0=20.0, seed=1)
    cmp = vep.compare_hypotheses(p, {"temporal": ["rTCC", "rTCV"], "mesial": ["rHC", "rPHC"]},
                                 num_chains=2, num_warmup=200, num_samples=200)
    print(cmp)                       # ranking, elpd_loo +- se, d_elpd +- dse, weights, Pareto-k warnings
    cmp.plot().savefig("hypotheses.png")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import html

import numpy as np

from ...errors import InputError
from ...report import register_section
from .model import PersonPrior, VEPPriors, eigenbasis, vep_model

__all__ = ["EZ_PRIOR", "PZ_PRIOR", "Hypothesis", "HypothesisComparison", "compare_hypotheses", "hypothesis_prior",
           "parse_hypotheses", "pointwise_log_likelihood", "DATA_KEY"]

#: Prior ``(mean, sd)`` of ``x0`` at a hypothesised EZ (see the module docstring for why).
EZ_PRIOR = (-1.8, 0.3)
#: Prior ``(mean, sd)`` of ``x0`` at a hypothesised PZ.
PZ_PRIOR = (-2.25, 0.2)
#: Key of the comparison in ``twin.data`` (the report's "hypotheses" section reads it).
DATA_KEY = "hypotheses"
#: Pareto k above which PSIS-LOO is unreliable for that observation (Vehtari et al. 2017, 2024).
PARETO_K_MAX = 0.7


@dataclass(frozen=True)
class Hypothesis:
    """A clinical hypothesis: its name, the regions believed EZ and (optionally) PZ."""

    name: str
    ez: tuple[str, ...]
    pz: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"ez": list(self.ez), "pz": list(self.pz)}


def _as_hypothesis(name: str, spec, regions: Sequence[str]) -> Hypothesis:
    """One hypothesis from a list of EZ labels or ``{"ez": [...], "pz": [...]}``, checked against ``regions``."""
    src = f"hypothesis {name!r}"
    if isinstance(spec, str):
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"ez", "pz"}
        if unknown:
            raise InputError(f"unknown key(s) {sorted(unknown)}; use 'ez' and 'pz'", source=src, field="hypotheses")
        ez, pz = spec.get("ez", ()), spec.get("pz", ())
    else:
        ez, pz = spec, ()
    ez, pz = [tuple(str(r) for r in ([x] if isinstance(x, str) else list(x))) for x in (ez, pz)]
    if not ez:
        raise InputError("names no EZ region", source=src, field="ez")
    for what, regs in (("ez", ez), ("pz", pz)):
        bad = [r for r in regs if r not in regions]
        if bad:
            raise InputError(f"unknown region label(s) {', '.join(bad)} in its {what.upper()}; the connectome has "
                             f"{', '.join(regions[:12])}{' ...' if len(regions) > 12 else ''}", source=src, field=what)
    both = sorted(set(ez) & set(pz))
    if both:
        raise InputError(f"{', '.join(both)} named both EZ and PZ", source=src, field="pz")
    return Hypothesis(str(name), ez, pz)


def parse_hypotheses(hypotheses, regions: Sequence[str]) -> list[Hypothesis]:
    """Check and normalise hypotheses: a mapping ``name -> [EZ labels]`` or ``name -> {"ez": [...], "pz": [...]}``.

    Raises
    ------
    InputError
        Fewer than 2 hypotheses, an empty EZ, an unknown region label, a region both EZ and PZ.

    Example
    -------
    >>> parse_hypotheses({"a": ["r1"], "b": {"ez": ["r2"], "pz": ["r1"]}}, ["r1", "r2"])[1].pz
    ('r1',)
    """
    if not isinstance(hypotheses, Mapping):
        raise InputError("hypotheses must be a mapping name -> EZ region labels", source="compare_hypotheses", field="hypotheses")
    if len(hypotheses) < 2:
        raise InputError(f"need at least 2 hypotheses to compare, got {len(hypotheses)}", source="compare_hypotheses",
                         field="hypotheses")
    regions = list(regions)
    return [_as_hypothesis(str(k), v, regions) for k, v in hypotheses.items()]


def _logit_normal(mean: float, sd: float, bounds: tuple[float, float]) -> tuple[float, float]:
    """``(loc, scale)`` of ``u = logit((x0 - lo) / (hi - lo))`` matching ``N(mean, sd)`` in x0 at its median and slope."""
    lo, hi = bounds
    p = (float(mean) - lo) / (hi - lo)
    if not (0.0 < p < 1.0 and sd > 0):
        raise InputError(f"prior N({mean}, {sd}) must have its mean inside the x0 bounds {bounds} and sd > 0",
                         source="compare_hypotheses", field="ez_prior")
    return float(np.log(p / (1.0 - p))), float(sd) / ((hi - lo) * p * (1.0 - p))


def hypothesis_prior(hypothesis: Hypothesis, regions: Sequence[str], gain, priors: VEPPriors | None = None, *,
                     ez_prior: tuple[float, float] = EZ_PRIOR, pz_prior: tuple[float, float] = PZ_PRIOR) -> PersonPrior:
    """The :class:`PersonPrior` of a hypothesis: ``ez_prior`` at its EZ, ``pz_prior`` at its PZ, the default elsewhere.

    In the unconstrained coordinates ``theta = (u_1 .. u_n, log K)`` the prior is
    independent across regions, ``u_i ~ N(m_i, s_i)``; ``scale = diag(s) V`` keeps the
    default's rotation by the gain's eigenvectors ``V`` (same covariance, same
    non-centred geometry); ``log K`` keeps its default prior.

    Example
    -------
    >>> pp = hypothesis_prior(Hypothesis("a", ("r1",)), ["r1", "r2"], np.eye(2))
    >>> round(float(-4 + 3 / (1 + np.exp(-pp.loc[0]))), 3)     # median x0 at the EZ
    -1.8
    """
    pr = priors or VEPPriors()
    regions = list(regions)
    n = len(regions)
    loc = np.full(n, pr.u_loc)
    sd = np.full(n, pr.x0_scale)
    for regs, (m, s) in ((hypothesis.ez, ez_prior), (hypothesis.pz, pz_prior)):
        u, su = _logit_normal(m, s, pr.x0_bounds)
        idx = [regions.index(r) for r in regs]
        loc[idx], sd[idx] = u, su
    S = np.zeros((n + 1, n + 1))
    S[:n, :n] = sd[:, None] * eigenbasis(gain)
    S[n, n] = pr.K_scale
    return PersonPrior(np.concatenate([loc, [np.log(pr.K_loc)]]), S, f"hypothesis {hypothesis.name}")


def pointwise_log_likelihood(fit, chunk: int = 100) -> np.ndarray:
    """Log-likelihood of every time sample under every posterior draw: ``(n_chains, n_draws, n_times)``.

    Each draw's sample sites are substituted into :func:`braintwin.vep.model.vep_model`
    and its observation site's base distribution gives ``log N(y_tc | mu_tc, eps)``
    per sample and contact, summed over contacts (see the module docstring for
    why per time sample).  A joint fit of several recordings gives their samples
    one after the other.  Never silent: a non-finite value raises.
    """
    import jax
    import jax.numpy as jnp
    from numpyro import handlers

    from ...infer.nuts import x64

    probs = list(fit.problems) or [fit.problem]
    names = [k for k in fit.samples if k.endswith("_star")]
    n_ch, n_dr = fit.samples[names[0]].shape[:2]
    with x64():
        fwds = [p.forward() for p in probs]
        args = (probs, fwds) if len(probs) > 1 else (probs[0], fwds[0])

        def one(draw):
            tr = handlers.trace(handlers.substitute(vep_model, data=draw)).get_trace(*args)
            sites = [s for s in tr.values() if s["type"] == "sample" and s.get("is_observed")]
            return jnp.concatenate([s["fn"].base_dist.log_prob(s["value"]).sum(-1) for s in sites])

        f = jax.jit(jax.vmap(one))
        flat = {k: np.asarray(fit.samples[k]).reshape((n_ch * n_dr,) + fit.samples[k].shape[2:]) for k in names}
        parts = [np.asarray(f({k: jnp.asarray(v[i:i + chunk]) for k, v in flat.items()})) for i in range(0, n_ch * n_dr, chunk)]
    ll = np.concatenate(parts).reshape(n_ch, n_dr, -1)
    if not np.all(np.isfinite(ll)):
        raise InputError(f"{int((~np.isfinite(ll)).sum())} non-finite pointwise log-likelihood values", source="compare_hypotheses",
                         field="log_likelihood")
    return ll


@dataclass
class HypothesisComparison:
    """Clinical hypotheses ranked by PSIS-LOO (:func:`compare_hypotheses`).

    Attributes
    ----------
    hypotheses : list of Hypothesis
        In the order given.
    table : list of dict
        One row per hypothesis, best first: ``rank`` (0 = best), ``name``, ``elpd_loo``
        and its ``se``, ``d_elpd`` (difference to the best, >= 0) and its ``dse``,
        ``weight`` (stacking), ``p_loo``, ``pareto_k_bad`` (time samples with k > 0.7),
        ``pareto_k_max``, ``warning`` (ArviZ's flag), ``ez``, ``pz``, and the fit's
        ``diagnostics_ok``, ``max_rhat``, ``divergences``, ``labels_ez`` (its EZ labels).
    fits : dict of str to VEPFit
        The fit of each hypothesis (empty when read back from a twin).
    settings : dict
        Priors and pointwise unit used.
    """

    hypotheses: list
    table: list
    fits: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    @property
    def best(self) -> str:
        return self.table[0]["name"]

    @property
    def ranking(self) -> list[str]:
        return [r["name"] for r in self.table]

    def row(self, name: str) -> dict:
        return next(r for r in self.table if r["name"] == name)

    def sentence(self) -> str:
        """The result in plain words: which hypothesis the data favour, and whether by more than about 2 dse."""
        return comparison_sentence(self.table)

    def __str__(self) -> str:
        head = f"{'rank':>4}  {'hypothesis':<16} {'elpd_loo':>10} {'se':>7} {'d_elpd':>8} {'dse':>7} {'weight':>7}  k>0.7  fit"
        rows = [head]
        for r in self.table:
            rows.append(f"{r['rank']:>4}  {r['name'][:16]:<16} {r['elpd_loo']:>10.1f} {r['se']:>7.1f} {r['d_elpd']:>8.1f} "
                        f"{r['dse']:>7.1f} {r['weight']:>7.2f}  {r['pareto_k_bad']:>5}  "
                        f"{'ok' if r['diagnostics_ok'] else 'FAILED'}")
        return "\n".join(rows + [self.sentence()])

    def plot(self, ax=None):
        """elpd_loo of each hypothesis with +-1 se (dots) and the difference to the best with +-1 dse (triangles)."""
        return hypotheses_figure(self.table, ax=ax)

    def to_tree(self) -> dict:
        """JSON-ready form, stored by :meth:`attach` in ``twin.data["hypotheses"]``."""
        return {"table": [dict(r) for r in self.table], "settings": dict(self.settings)}

    @classmethod
    def from_tree(cls, tree: Mapping) -> "HypothesisComparison":
        table = [dict(r) for r in tree["table"]]
        hyps = [Hypothesis(r["name"], tuple(r["ez"]), tuple(r["pz"])) for r in table]
        return cls(hyps, table, {}, dict(tree.get("settings", {})))

    def attach(self, twin):
        """Store the comparison in ``twin.data["hypotheses"]`` (the report shows it); returns the twin."""
        from ..._tree import canonical_tree

        twin.data[DATA_KEY] = canonical_tree(self.to_tree(), DATA_KEY)
        return twin


def comparison_sentence(table: Sequence[Mapping]) -> str:
    """Plain-language reading of a ranked table (best first)."""
    best = table[0]
    parts = [f"The data favour hypothesis '{best['name']}' (EZ: {', '.join(best['ez'])})."]
    for r in table[1:]:
        d, dse = float(r["d_elpd"]), float(r["dse"])
        clear = d > 2.0 * dse
        parts.append(f"Its lead over '{r['name']}' is {d:.1f} +- {dse:.1f} in expected log predictive density: "
                     + ("more than twice its standard error, a clear preference." if clear
                        else "within about two standard errors, so the data do not clearly tell them apart."))
    shaky = [r["name"] for r in table if int(r["pareto_k_bad"]) > 0]
    if shaky:
        parts.append(f"PSIS-LOO is unreliable at some time samples (Pareto k > {PARETO_K_MAX}) for {', '.join(shaky)}: "
                     "read those estimates with caution.")
    failed = [r["name"] for r in table if not r["diagnostics_ok"]]
    if failed:
        parts.append(f"The sampler's diagnostics failed for {', '.join(failed)}: its estimate is not trustworthy.")
    return " ".join(parts)


def hypotheses_figure(table: Sequence[Mapping], ax=None):
    """Figure of a ranked table: elpd_loo +- se per hypothesis, and d_elpd +- dse below the best."""
    from matplotlib.figure import Figure

    fig = None
    if ax is None:
        fig = Figure(figsize=(6.5, 0.6 * len(table) + 1.6), layout="constrained")
        ax = fig.subplots()
    y = np.arange(len(table))
    elpd = np.array([r["elpd_loo"] for r in table], float)
    ax.errorbar(elpd, y, xerr=[r["se"] for r in table], fmt="o", color="k", capsize=3, label="elpd_loo +- se")
    best = elpd[0]
    ax.errorbar(best - np.array([r["d_elpd"] for r in table[1:]]), y[1:] + 0.2, xerr=[r["dse"] for r in table[1:]], fmt="^",
                color="C1", capsize=3, label="best - d_elpd +- dse")
    ax.axvline(best, color="0.6", lw=0.8, ls="--")
    ax.set_yticks(y)
    ax.set_yticklabels([r["name"] for r in table])
    ax.invert_yaxis()
    ax.set_xlabel("expected log predictive density (PSIS-LOO; higher is better)")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("clinical hypotheses ranked by PSIS-LOO", fontsize=9)
    return fig if fig is not None else ax.figure


def _rank(names: list[str], lls: list[np.ndarray], fits: list, hyps: list[Hypothesis]) -> list[dict]:
    """``az.compare`` of the pointwise log-likelihoods -> rows best first, with Pareto k counts and the fits' diagnostics."""
    import warnings

    import arviz as az

    data = {n: az.from_dict(posterior={"x0": f.samples["x0"]}, log_likelihood={"obs": ll}) for n, ll, f in zip(names, lls, fits)}
    with warnings.catch_warnings():  # ArviZ's own Pareto-k warning is reported per row (pareto_k_bad); pandas deprecations
        warnings.simplefilter("ignore")
        df = az.compare(data, ic="loo", method="stacking", scale="log")
        ks = {n: np.asarray(az.loo(data[n], pointwise=True).pareto_k) for n in names}
    rows = []
    for name, rec in df.iterrows():
        i = names.index(name)
        k = ks[name]
        f, h = fits[i], hyps[i]
        d = f.diagnostics
        rows.append({"rank": int(rec["rank"]), "name": name, "elpd_loo": float(rec["elpd_loo"]), "se": float(rec["se"]),
                     "d_elpd": float(rec["elpd_diff"]), "dse": float(rec["dse"]), "weight": float(rec["weight"]),
                     "p_loo": float(rec["p_loo"]), "pareto_k_bad": int(np.sum(k > PARETO_K_MAX)),
                     "pareto_k_max": float(np.max(k)), "warning": bool(rec["warning"]), "ez": list(h.ez), "pz": list(h.pz),
                     "diagnostics_ok": bool(f.ok), "max_rhat": float(d.max_rhat()), "divergences": int(d.divergences),
                     "labels_ez": list(f.labels.ez)})
    return sorted(rows, key=lambda r: r["rank"])


def compare_hypotheses(data, hypotheses: Mapping[str, Any], *, gain=None, connectome=None, priors: VEPPriors | None = None,
                       ez_prior: tuple[float, float] = EZ_PRIOR, pz_prior: tuple[float, float] = PZ_PRIOR,
                       labels: Sequence[str] | None = None, keep_fits: bool = True, **fit_kwargs) -> HypothesisComparison:
    """Fit the Bayesian VEP once per clinical hypothesis and rank the hypotheses by PSIS-LOO.

    Parameters
    ----------
    data : SyntheticPatient or array (n_times, n_contacts)
        A patient (its observation, gain, connectome, dt, tau0, I1 and truth are
        used, as :func:`~braintwin.vep.fit_patient`), or an observation (then ``gain``
        and ``connectome`` are required, as :func:`~braintwin.vep.fit`).
    hypotheses : mapping
        ``name -> [EZ region labels]`` or ``name -> {"ez": [...], "pz": [...]}``; at least 2.
    gain, connectome : optional
        With an observation array: see :func:`braintwin.vep.fit`.
    priors : VEPPriors, optional
        The default priors (of every region outside a hypothesis, and of the rest of the model).
    ez_prior, pz_prior : (float, float)
        ``(mean, sd)`` of ``x0`` at a hypothesised EZ / PZ (default :data:`EZ_PRIOR`, :data:`PZ_PRIOR`).
    labels : sequence of str, optional
        Region labels (default: the connectome's).
    keep_fits : bool
        Keep every :class:`~braintwin.vep.VEPFit` in ``fits``.
    **fit_kwargs
        Passed to every fit (``num_chains``, ``num_warmup``, ``num_samples``, ``seed``,
        ``target_accept_prob``, ``observe``, ...); the same for every hypothesis.

    Returns
    -------
    HypothesisComparison
        ``table`` best first (rank, elpd_loo, se, d_elpd, dse, weight, Pareto-k
        warnings), ``plot()``, ``sentence()``, ``attach(twin)`` for the report.

    Raises
    ------
    InputError
        Fewer than 2 hypotheses, an unknown region label, an empty EZ (before any fit runs).
    """
    from .fit import fit, fit_patient

    patient = hasattr(data, "observation") and hasattr(data, "gain")
    conn = data.connectome if patient else connectome
    g = data.gain if patient else gain
    if g is None or conn is None:
        raise InputError("give gain and connectome with an observation array", source="compare_hypotheses", field="gain")
    g0 = np.asarray(g[0] if isinstance(g, (list, tuple)) else g, float)
    regions = list(labels) if labels is not None else list(getattr(conn, "labels", ()) or [f"region{i}" for i in range(g0.shape[1])])
    hyps = parse_hypotheses(hypotheses, regions)
    fits, lls = [], []
    for h in hyps:
        pp = hypothesis_prior(h, regions, g0, priors, ez_prior=ez_prior, pz_prior=pz_prior)
        kw = dict(fit_kwargs, priors=priors, person_prior=pp, labels=labels)
        f = fit_patient(data, **kw) if patient else fit(data, gain, connectome, **kw)
        fits.append(f)
        lls.append(pointwise_log_likelihood(f))
    names = [h.name for h in hyps]
    table = _rank(names, lls, fits, hyps)
    settings = {"ez_prior": list(ez_prior), "pz_prior": list(pz_prior), "pointwise": "time sample (summed over contacts)",
                "ic": "PSIS-LOO (arviz)", "weights": "stacking"}
    return HypothesisComparison(hyps, table, dict(zip(names, fits)) if keep_fits else {}, settings)


# ---------------------------------------------------------------------------
# the report's section (after the VEP's EZ map and diagnostics)


def _behind(r: Mapping) -> str:
    return "-" if int(r["rank"]) == 0 else f"{float(r['d_elpd']):.1f} &plusmn; {float(r['dse']):.1f}"


@register_section("hypotheses", after="diagnostics")
def _hypotheses_section(twin, figs, level):
    """Report section: the ranking of the clinical hypotheses with its standard errors, in plain words."""
    tree = (getattr(twin, "data", None) or {}).get(DATA_KEY)
    if not isinstance(tree, Mapping) or not tree.get("table"):
        return None
    table = [dict(r) for r in tree["table"]]
    esc = html.escape
    rows = "".join(
        f"<tr><td>{int(r['rank']) + 1}</td><td>{esc(r['name'])}</td><td>{esc(', '.join(r['ez']))}"
        f"{esc('; PZ ' + ', '.join(r['pz'])) if r['pz'] else ''}</td><td>{r['elpd_loo']:.1f} &plusmn; {r['se']:.1f}</td>"
        f"<td>{_behind(r)}</td>"
        f"<td>{r['weight']:.2f}</td><td>{int(r['pareto_k_bad'])}</td><td>{'ok' if r['diagnostics_ok'] else 'FAILED'}</td></tr>"
        for r in table)
    head = ("<tr><th>rank</th><th>hypothesis</th><th>regions believed EZ (PZ)</th><th>elpd_loo &plusmn; se</th>"
            "<th>behind the best &plusmn; se</th><th>weight</th><th>time samples with Pareto k &gt; 0.7</th><th>sampler</th></tr>")
    ez, pz = (tree.get("settings") or {}).get("ez_prior", EZ_PRIOR), (tree.get("settings") or {}).get("pz_prior", PZ_PRIOR)
    body = (f"<p>{esc(comparison_sentence(table))}</p><table>{head}{rows}</table>"
            f"<p>Each hypothesis was entered as a prior belief on the excitability x0 of its regions (EZ: normal, mean "
            f"{ez[0]:g}, sd {ez[1]:g}; PZ: mean {pz[0]:g}, sd {pz[1]:g}; other regions: the default prior) and fitted to the "
            "same recording. Hypotheses are ranked by how well their fitted twin predicts each time sample of the recording "
            "when that sample is left out (PSIS-LOO, expected log predictive density: higher is better). A difference "
            "smaller than about twice its standard error does not favour one hypothesis over the other.</p>")
    body += figs.html(hypotheses_figure(table), "fig-hypotheses", "clinical hypotheses ranked by PSIS-LOO",
                      esc("Each hypothesis's expected log predictive density with +-1 standard error (dots), and the "
                          "best minus each one's difference with +-1 standard error of the difference (triangles)."))
    return "Clinical hypotheses compared", body
