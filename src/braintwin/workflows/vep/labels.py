"""The EZ / PZ rule of the Virtual Epileptic Patient, defined once.

A region is

* **EZ** (epileptogenic zone) when it seizes on its own: in posterior draws,
  ``x0 >= X0_CRITICAL`` (-2.05, the critical excitability of the VEP2D at
  ``I1 = 3.1``, Hashemi et al. 2020), or, by simulation, it seizes with
  ``K = 0`` and in the network (:func:`label_regions`, ``ez_rule``);
* **PZ** (propagation zone) when it is not EZ and is recruited by a seizing
  neighbour: it seizes in the network simulation, or
  ``PZ_THRESHOLD <= x0 < X0_CRITICAL`` (-2.45 to -2.05);
* **healthy** otherwise.

Each label has its posterior probability (the fraction of draws giving it) and
a region's label is the most probable one (:class:`LabelTable`).

How this relates to the published convention.  The VEP papers (Jirsa et al.
2017; Hashemi et al. 2020) call a region EZ when its fitted ``x0`` (posterior
mean or mode) lies above a fixed threshold (about -2.05) and PZ in a band below
it: a hard rule on a point estimate, so a region fitted at -2.052 against a
truth of -2.06 flips to EZ by 0.002.  Here every posterior draw is classified
(by the same thresholds with ``ez_rule="threshold"``, or by simulation, the
default) and the label is the most probable class, shown with its probability:
such a region gets P(EZ) near 0.5, and the table says so.  The probabilities are
only as trustworthy as the chains that produced them; when the chains disagree,
no label is given at all (:func:`chain_disagreement`, :func:`refuse_labels`).  A fit's table
is stored with the twin (``twin.posterior.info["region_labels"]``, see
:func:`labels_to_info`); for a twin without one the threshold rule is
registered as a labeller (:mod:`braintwin.whatif.labels`), so the demo,
what-if (:func:`ez_hypothesis`) and the report all read the same map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ...errors import InputError
from ...whatif import Scenario, resolve_regions
from ...whatif.labels import register_labeller, region_labels

__all__ = ["X0_CRITICAL", "PZ_THRESHOLD", "LABELS", "UNDETERMINED", "NOT_OBSERVABLE", "MIN_SHRINKAGE", "mark_unobservable", "RHAT_DISAGREE", "chain_disagreement", "refuse_labels",
           "LabelTable", "label_regions", "label_probabilities", "ez_hypothesis",
           "labels_to_info", "twin_labels", "label_summary"]

#: The EZ threshold of the Bayesian VEP at ``I1 = 3.1`` (Hashemi et al. 2020): regions with ``x0``
#: above about -2.05 seize on their own (the exact saddle-node value is :func:`~braintwin.vep.critical_x0`, -2.062).
X0_CRITICAL = -2.05
#: Lower x0 bound of the PZ band of the threshold rule.
PZ_THRESHOLD = -2.45
LABELS = ("EZ", "PZ", "healthy")
#: The label of every region of a fit whose chains disagree (:func:`refuse_labels`): no verdict.
UNDETERMINED = "undetermined"
#: The label of a region whose x0 the data do not inform (:func:`mark_unobservable`): not "healthy", unknown.
NOT_OBSERVABLE = "not observable"
#: Posterior shrinkage of x0 (``1 - posterior var / prior var``) below which a region counts as not observed.
MIN_SHRINKAGE = 0.5
#: R-hat of a region's x0 above which its chains are said to disagree (Gelman & Rubin's classic 1.1; the stricter
#: ``rhat_max`` of the diagnostics, 1.01, flags a fit as not converged, this one withholds its labels).
RHAT_DISAGREE = 1.1


@dataclass
class LabelTable:
    """EZ / PZ / healthy label of every region with its posterior probability.

    Attributes
    ----------
    regions : tuple of str
    label : ndarray of str (n_regions,)
        The most probable label.
    p_ez, p_pz, p_healthy : ndarray (n_regions,)
        Posterior probabilities (sum to 1 per region).
    rules : dict
        How the labels were defined (``ez_rule``, ``pz_rule``, thresholds).
    """

    regions: tuple
    label: np.ndarray
    p_ez: np.ndarray
    p_pz: np.ndarray
    p_healthy: np.ndarray
    rules: dict = field(default_factory=dict)

    @property
    def probability(self) -> np.ndarray:
        """Posterior probability of each region's label."""
        if self.refused:
            return np.zeros(len(self.regions))
        # a region not observed keeps the probability of the class it would otherwise have (healthy)
        idx = np.array([LABELS.index(str(l)) if str(l) in LABELS else 2 for l in self.label], dtype=int)
        return np.stack([self.p_ez, self.p_pz, self.p_healthy])[idx, np.arange(idx.size)]

    @property
    def refused(self) -> dict | None:
        """``{"reason", "regions": [{"region", "rhat", "chain_means"}]}`` when the labels were withheld, else None."""
        return self.rules.get("refused")

    @property
    def ez(self) -> list[str]:
        return [r for r, l in zip(self.regions, self.label) if l == "EZ"]

    @property
    def pz(self) -> list[str]:
        return [r for r, l in zip(self.regions, self.label) if l == "PZ"]

    def to_dict(self) -> dict:
        return {
            "rules": dict(self.rules),
            "regions": [
                {"region": r, "label": str(l), "p_ez": float(a), "p_pz": float(b), "p_healthy": float(c)}
                for r, l, a, b, c in zip(self.regions, self.label, self.p_ez, self.p_pz, self.p_healthy)
            ],
        }

    def compare(self, truth: Sequence[str]) -> dict:
        """Agreement with true labels: accuracy, and precision/recall of EZ and PZ."""
        t = np.asarray(truth, dtype=str)
        if t.shape != self.label.shape:
            raise InputError(f"{t.size} true labels for {self.label.size} regions", source="LabelTable", field="truth")
        out: dict[str, Any] = {"correct": int((t == self.label).sum()), "n_regions": int(t.size),
                               "all_correct": bool((t == self.label).all())}
        for lab in ("EZ", "PZ"):
            tp = int(((self.label == lab) & (t == lab)).sum())
            npred, ntrue = int((self.label == lab).sum()), int((t == lab).sum())
            out[f"{lab.lower()}_tp"], out[f"{lab.lower()}_predicted"], out[f"{lab.lower()}_true"] = tp, npred, ntrue
            out[f"{lab.lower()}_precision"] = tp / npred if npred else (1.0 if ntrue == 0 else 0.0)
            out[f"{lab.lower()}_recall"] = tp / ntrue if ntrue else 1.0
        out["mismatches"] = [(r, str(a), str(b)) for r, a, b in zip(self.regions, t, self.label) if a != b]
        out["not_observable"] = [r for r, l in zip(self.regions, self.label) if l == NOT_OBSERVABLE]
        return out

    def __str__(self) -> str:
        if self.refused:
            bad = ", ".join(f"{d['region']} (R-hat {d['rhat']:.2f}, chain means {', '.join(f'{m:.2f}' for m in d['chain_means'])})"
                            for d in self.refused["regions"])
            return f"NO LABELS: {self.refused['reason']}; regions whose chains disagree: {bad}"
        lines = [f"{'region':<12}{'label':<9}{'P(EZ)':>7}{'P(PZ)':>7}{'P(healthy)':>11}"]
        order = np.lexsort((-self.p_pz, -self.p_ez))
        for i in order:
            lines.append(f"{self.regions[i]:<12}{self.label[i]:<9}{self.p_ez[i]:>7.2f}{self.p_pz[i]:>7.2f}{self.p_healthy[i]:>11.2f}")
        return "\n".join(lines)


def label_regions(
    x0: np.ndarray,
    seize_network: np.ndarray | None,
    seize_alone: np.ndarray | None,
    regions: Sequence[str],
    *,
    ez_rule: str = "simulation",
    pz_rule: str = "recruited",
    ez_threshold: float = X0_CRITICAL,
    pz_threshold: float = PZ_THRESHOLD,
) -> LabelTable:
    """Labels from posterior draws: ``x0`` (n_draws, n_regions) and seizing indicators.

    Parameters
    ----------
    x0 : array (n_draws, n_regions)
    seize_network, seize_alone : bool arrays (n_draws, n_regions)
        Whether the region seizes in the draw's network simulation, and on its own (``K = 0``).
        With ``ez_rule="simulation"`` a draw makes a region EZ when it seizes in both (on its own
        only, when ``seize_network`` is None).
    regions : sequence of str
    ez_rule : {"simulation", "threshold"}
    pz_rule : {"recruited", "threshold", "either"}
    ez_threshold, pz_threshold : float

    Returns
    -------
    LabelTable
    """
    if ez_rule not in ("simulation", "threshold"):
        raise InputError(f"ez_rule must be simulation or threshold, got {ez_rule!r}", source="labels", field="ez_rule")
    if pz_rule not in ("recruited", "threshold", "either"):
        raise InputError(f"pz_rule must be recruited, threshold or either, got {pz_rule!r}", source="labels", field="pz_rule")
    x0 = np.asarray(x0, float)
    if ez_rule == "simulation":  # seizes on its own, and in the recording (see the module docstring)
        ez = np.asarray(seize_alone, bool)
        if seize_network is not None:
            ez = ez & np.asarray(seize_network, bool)
    else:
        ez = x0 >= ez_threshold
    band = (x0 >= pz_threshold) & (x0 < ez_threshold)
    rec = np.asarray(seize_network, bool) if pz_rule != "threshold" else None
    if pz_rule == "recruited":
        pz = rec & ~ez
    elif pz_rule == "threshold":
        pz = band & ~ez
    else:
        pz = (rec | band) & ~ez
    p_ez, p_pz = ez.mean(axis=0), pz.mean(axis=0)
    p_h = 1.0 - p_ez - p_pz
    P = np.stack([p_ez, p_pz, p_h])
    label = np.array(LABELS)[np.argmax(P, axis=0)]
    rules = {"ez_rule": ez_rule, "pz_rule": pz_rule, "ez_threshold": ez_threshold, "pz_threshold": pz_threshold,
             "n_draws": int(x0.shape[0])}
    return LabelTable(tuple(regions), label, p_ez, p_pz, p_h, rules)


def chain_disagreement(x0_chains, regions: Sequence[str], rhat_max: float = RHAT_DISAGREE) -> list[dict]:
    """Regions whose chains disagree on ``x0``: split R-hat above ``rhat_max`` *and* chains
    that would label the region differently.

    A chain's label of a region is read from its median ``x0`` against the labelling
    thresholds (EZ above :data:`X0_CRITICAL`, PZ above :data:`PZ_THRESHOLD`).  Chains
    that differ only inside one label class (e.g. -3.1 and -3.3, both healthy) change
    no verdict: the fit still reports its failed R-hat, but its labels stand.  Chains
    that straddle a threshold are a disagreement on the conclusion itself, and then
    no region is labelled (:func:`refuse_labels`).

    Parameters
    ----------
    x0_chains : array (n_chains, n_draws, n_regions)
    regions : sequence of str
    rhat_max : float

    Returns
    -------
    list of dict
        ``{"region", "rhat", "chain_means"}`` per disagreeing region, worst first.

    Example
    -------
    >>> x = -3.0 + 0.05 * np.random.default_rng(0).normal(size=(2, 100, 2)); x[1, :, 0] += 1.0   # -3 (healthy) vs -2 (PZ)
    >>> [d["region"] for d in chain_disagreement(x, ["a", "b"])]
    ['a']
    """
    from ...infer.diagnostics import rhat

    x = np.asarray(x0_chains, float)
    if x.ndim != 3 or x.shape[2] != len(regions):
        raise InputError(f"expected x0 draws (n_chains, n_draws, {len(regions)}), got {x.shape}", source="labels", field="x0")
    if x.shape[0] < 2:
        return []
    r = np.asarray(rhat(x), float)
    med = np.median(x, axis=1)  # (n_chains, n_regions)
    cls = (med > PZ_THRESHOLD).astype(int) + (med > X0_CRITICAL)  # 0 healthy, 1 PZ, 2 EZ, per chain
    split = (cls.min(axis=0) != cls.max(axis=0)) | ~np.isfinite(med).all(axis=0)
    bad = np.flatnonzero(~(r <= rhat_max) & split)  # NaN R-hat counts as disagreement
    return [{"region": str(regions[i]), "rhat": float(r[i]), "chain_means": [float(m) for m in x[:, :, i].mean(axis=1)]}
            for i in bad[np.argsort(-np.nan_to_num(r[bad], nan=np.inf))]]


def mark_unobservable(table: LabelTable, x0_draws, prior_sd, min_shrinkage: float = MIN_SHRINKAGE) -> LabelTable:
    """``table`` with the "healthy" regions whose x0 the data do not inform relabelled :data:`NOT_OBSERVABLE`.

    The posterior shrinkage ``1 - var_post(x0_i) / var_prior(x0_i)`` (Betancourt 2018) says how much the
    recording taught about region ``i``: near 0 for a region no contact sees (its posterior is its prior),
    near 1 for a well-observed one.  A region called healthy only because its prior sits at healthy
    values is "not observable"; EZ and PZ labels are kept (the data put them there).

    Parameters
    ----------
    table : LabelTable
    x0_draws : array (n_draws, n_regions)
    prior_sd : float or array (n_regions,)
        Prior standard deviation of each x0.
    min_shrinkage : float

    Example
    -------
    >>> x0 = np.stack([np.full(400, -3.5), np.random.default_rng(0).uniform(-4, -1, 400)], axis=1)
    >>> t = label_regions(x0, None, None, ["seen", "unseen"], ez_rule="threshold", pz_rule="threshold")
    >>> [str(l) for l in mark_unobservable(t, x0, 0.8).label]
    ['healthy', 'not observable']
    """
    x = np.asarray(x0_draws, float)
    sd = np.broadcast_to(np.asarray(prior_sd, float), (x.shape[1],))
    shrink = 1.0 - x.var(axis=0) / np.maximum(sd ** 2, 1e-300)
    hidden = (np.asarray(table.label) == "healthy") & (shrink < min_shrinkage)
    rules = dict(table.rules)
    rules["not_observable"] = {"min_shrinkage": float(min_shrinkage), "regions": [str(table.regions[i]) for i in np.flatnonzero(hidden)],
                               "shrinkage": [float(v) for v in shrink]}
    label = np.where(hidden, NOT_OBSERVABLE, np.asarray(table.label, dtype=object)).astype(str)
    return LabelTable(table.regions, label, table.p_ez, table.p_pz, table.p_healthy, rules)


def refuse_labels(table: LabelTable, disagree: list[dict], rhat_max: float = RHAT_DISAGREE) -> LabelTable:
    """``table`` with every label withheld (:data:`UNDETERMINED`) because the chains disagree.

    The pooled probabilities are kept for inspection, but no region is EZ, PZ or
    healthy: pooled draws of chains in different modes are not a posterior.
    """
    rules = dict(table.rules)
    rules["refused"] = {"reason": f"the chains disagree (R-hat of x0 above {rhat_max:g} in {len(disagree)} region(s)): "
                                  "the fit failed, no labels", "rhat_max": float(rhat_max), "regions": list(disagree)}
    return LabelTable(table.regions, np.full(len(table.regions), UNDETERMINED), table.p_ez, table.p_pz, table.p_healthy, rules)


def label_probabilities(x0, ez_threshold: float = X0_CRITICAL, pz_lower: float = PZ_THRESHOLD) -> dict[str, np.ndarray]:
    """Posterior probability of each label per region by the threshold rule, from draws of ``x0`` ``(n_draws, n_regions)``.

    EZ: ``x0 >= ez_threshold`` (the region seizes on its own); PZ:
    ``pz_lower <= x0 < ez_threshold`` (near-critical, recruited by a seizing
    neighbour); healthy: the rest (:func:`label_regions` with both rules
    ``"threshold"``).  Returns ``{"EZ", "PZ", "healthy"}`` arrays ``(n_regions,)``
    that sum to one.

    Example
    -------
    >>> label_probabilities([[-1.6, -2.2, -3.5]])["PZ"]
    array([0., 1., 0.])
    """
    x0 = np.asarray(x0, float)
    if x0.ndim == 1:
        x0 = x0[None, :]
    if x0.ndim != 2:
        raise InputError(f"expected draws shaped (n_draws, n_regions), got {x0.shape}", source="labels", field="x0")
    t = label_regions(x0, None, None, [str(i) for i in range(x0.shape[1])], ez_rule="threshold", pz_rule="threshold",
                      ez_threshold=ez_threshold, pz_threshold=pz_lower)
    return {"EZ": t.p_ez, "PZ": t.p_pz, "healthy": t.p_healthy}


def labels_to_info(table: LabelTable) -> dict[str, Any]:
    """The JSON form stored in ``Posterior.info["region_labels"]`` (read by the report without importing ``vep``).

    ``{"classes": ["EZ", "PZ", "healthy"], "regions": [...], "label": [...],
    "probability": {"EZ": [...], "PZ": [...], "healthy": [...]}, "rules": {...}}``.
    """
    return {"classes": list(LABELS), "regions": list(table.regions), "label": [str(l) for l in table.label],
            "probability": {"EZ": [float(v) for v in table.p_ez], "PZ": [float(v) for v in table.p_pz],
                            "healthy": [float(v) for v in table.p_healthy]},
            "rules": dict(table.rules)}


@register_labeller("vep_threshold", "EZ: x0 >= -2.05, PZ: -2.45 <= x0 < -2.05, from the posterior draws of x0 (VEP)")
def threshold_labels(twin) -> dict | None:
    """The threshold rule's table for a twin with per-region ``x0`` draws and a seizure model (None otherwise)."""
    model = getattr(twin, "model", None)
    post = getattr(twin, "posterior", None)
    samples = getattr(post, "samples", None) if post is not None else None
    conn = getattr(twin, "connectome", None)
    if getattr(model, "seizure_variable", None) is None or not samples or "x0" not in samples or conn is None:
        return None
    x0 = np.asarray(samples["x0"], float)
    if x0.ndim != 2 or x0.shape[1] != len(conn.labels):
        return None
    return labels_to_info(label_regions(x0, None, None, list(conn.labels), ez_rule="threshold", pz_rule="threshold"))


def twin_labels(twin) -> LabelTable | None:
    """The twin's label table: the fit's, stored with its posterior, else the threshold rule's (None without x0 draws)."""
    d = region_labels(twin)
    if not d:
        return None
    p = d["probability"]
    return LabelTable(tuple(d["regions"]), np.array(d["label"]), np.asarray(p["EZ"], float), np.asarray(p["PZ"], float),
                      np.asarray(p["healthy"], float), dict(d.get("rules", {})))


def label_summary(twin) -> str:
    """One line of the twin's EZ/PZ map, as the demo and the CLI print it: ``"EZ rTCC, rTCV; PZ rTCI"``."""
    table = twin_labels(twin)
    if table is None:
        return "EZ/PZ: not labelled"
    if table.refused:
        return "EZ/PZ: not labelled (" + table.refused["reason"] + ")"
    return f"EZ {', '.join(table.ez) or 'none'}; PZ {', '.join(table.pz) or 'none'}"


def _x0_draws(twin, scenario) -> np.ndarray | None:
    post = getattr(twin, "posterior", None)
    samples = getattr(post, "samples", None) if post is not None else None
    if samples and "x0" in samples and np.ndim(samples["x0"]) == 2:
        return np.asarray(samples["x0"], float)
    if "x0" in scenario.draws and scenario.draws["x0"].ndim == 2:
        return np.asarray(scenario.draws["x0"])
    if scenario.model is not None and "x0" in scenario.model.parameter_names:
        return np.broadcast_to(np.asarray(scenario.model.values["x0"], float), (1, scenario.n_regions))
    return None


def ez_hypothesis(twin, scenario=None, ez=None) -> list[int]:
    """Indices of the EZ regions a what-if uses.

    ``ez`` if given; else the regions labelled EZ in the twin's table
    (:func:`twin_labels`: the fit's map stored with the twin, else the
    threshold rule on its ``x0`` draws); for a scenario, the regions whose
    threshold-rule probability of EZ (:func:`label_probabilities`) is at least 0.5.
    """
    sc = scenario if scenario is not None else Scenario.from_twin(twin)
    if ez is None and not isinstance(twin, Scenario):
        table = twin_labels(twin)
        ez = table.ez if table is not None else None
    if ez is not None:
        if isinstance(ez, (list, tuple, np.ndarray)) and len(ez) == 0:
            return []
        return resolve_regions(sc.connectome, ez, "ez")
    x0 = _x0_draws(twin, sc)
    if x0 is None:
        return []
    return [int(i) for i in np.flatnonzero(label_probabilities(x0)["EZ"] >= 0.5)]
