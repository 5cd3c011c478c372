"""The Virtual Epileptic Patient's what-if: the ``"seizure"`` outcome and its resection search.

Registered in :mod:`braintwin.whatif.outcomes` when :mod:`braintwin.vep` is
imported (``import braintwin`` does), so ``bt.whatif.predict(twin, "resect=lPHC")``,
``compare`` and ``smallest_resection`` measure seizure propagation.

``"seizure"``
    A region is *recruited* when the model's ``seizure_variable`` (``x`` for
    ``VEP2D``, ``x1`` for the Epileptors) crosses ``threshold`` (-0.5: above
    the fold of the resting branch, about -1.33, the region is on the seizure
    branch) at some time in the window.  A draw *propagates* when a region
    outside the epileptogenic zone (EZ) is recruited.  The EZ is the twin's
    (:func:`braintwin.vep.labels.ez_hypothesis`: ``ez=`` if given, else the
    fit's EZ labels stored in the twin, else the threshold rule).  Resected
    regions are never counted.  Reported: the probability of propagation and
    of any seizure (Jeffreys intervals), the number of recruited regions, and
    each region's probability of being recruited.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...whatif.outcomes import Outcome, interval, register
from .labels import ez_hypothesis

__all__ = ["SeizurePropagation"]


def _recruitment(data: np.ndarray, times: np.ndarray, keep: np.ndarray, ez: list[int], threshold: float) -> dict:
    """Per-draw recruitment of ``data`` (n, T, N): who crosses ``threshold``, when, and whether it spreads beyond ``ez``."""
    with np.errstate(invalid="ignore"):
        above = np.nan_to_num(data, nan=-np.inf) > threshold
    recruited = above.any(axis=1) & keep[None, :]
    onset = np.where(recruited, times[np.argmax(above, axis=1)], np.nan)
    outside = keep.copy()
    outside[ez] = False
    return {"recruited": recruited, "onset": onset, "n_recruited": recruited.sum(axis=1).astype(float),
            "propagates": (recruited & outside[None, :]).any(axis=1), "seizure": recruited.any(axis=1)}


def _flip(iv) -> tuple[float, float]:
    """Interval of ``1 - p`` from the interval of ``p``."""
    return tuple(1.0 - v for v in iv[::-1])


@register("seizure", "seizure propagation beyond the epileptogenic zone (probability) and recruited regions",
          options={"threshold": "level of the seizure variable above which a region seizes (-0.5)"}, defaults={"threshold": -0.5})
class SeizurePropagation(Outcome):
    """Spread of the seizure beyond the EZ, per posterior draw (the Virtual Epileptic Patient)."""

    monitor = "subsample"
    percent = True
    columns = (("value", "chance of spread beyond EZ", True), ("p_seizure_free", "chance of no seizure", True),
               ("n_recruited", "regions in seizure", False))
    search_criteria = {"propagation": "propagates", "seizure": "seizure"}
    caption = ("Left: for each region, the chance that it joins the seizure without intervention (grey) and with it (blue). "
               "Right: how many regions the seizure involves across the simulated versions.")

    def output(self, model, variable, outputs):
        variable = variable or model.seizure_variable or model.state_names[0]
        if variable not in model.state_names:
            raise InputError(f"{model.name} has no state variable {variable!r}", source="whatif", field="variable")
        return variable

    def prepare(self, twin, scenario, ez=None):
        return {"ez": ez_hypothesis(twin, scenario, ez)}

    def measure(self, runs):
        ez, thr, v = runs.context["ez"], float(runs.options["threshold"]), runs.valid
        b = _recruitment(runs.base_data[v], runs.times, runs.base.kept, ez, thr)
        t = _recruitment(runs.treated_data[v], runs.times, runs.treated.kept, ez, thr)
        return b, t, {}

    def _side(self, p, d) -> dict:
        pp, ps = p.p(d, "propagates"), p.p(d, "seizure")
        return {"p_propagation": pp["p"], "p_propagation_interval": pp["interval"],
                "p_seizure": ps["p"], "p_seizure_interval": ps["interval"],
                "n_recruited_mean": float(np.mean(d["n_recruited"])), "n_recruited_interval": interval(d["n_recruited"], p.level),
                "recruitment_probability": dict(zip(p.labels, np.mean(d["recruited"], axis=0).round(4).tolist()))}

    def metrics(self, p):
        out = {"baseline": self._side(p, p.baseline), "intervention": self._side(p, p.treated)}
        out["p_stopped"] = 1.0 - out["intervention"]["p_propagation"]
        out["p_stopped_interval"] = _flip(out["intervention"]["p_propagation_interval"])
        return out

    def primary(self, p, m):
        i = m["intervention"]
        return i["p_propagation"], i["p_propagation_interval"], "probability that the seizure spreads beyond the EZ"

    def summary(self, p, m):
        pct = lambda x: f"{100 * x:.0f}%"  # noqa: E731
        b, t = m["baseline"], m["intervention"]
        lo, hi = t["p_propagation_interval"]
        return [f"Without intervention the seizure spreads beyond the epileptogenic zone ({', '.join(p.ez) or 'none identified'}) "
                f"in {pct(b['p_propagation'])} of them (about {b['n_recruited_mean']:.1f} regions involved).",
                f"With it, the seizure spreads in {pct(t['p_propagation'])} (range {pct(lo)}-{pct(hi)} given the number of simulations), "
                f"about {t['n_recruited_mean']:.1f} regions are involved, and no seizure at all occurs in {pct(1 - t['p_seizure'])}."]

    def _row_of(self, side: dict) -> dict:
        return {"p_seizure_free": 1 - side["p_seizure"], "p_seizure_free_interval": _flip(side["p_seizure_interval"]),
                "n_recruited": side["n_recruited_mean"], "n_recruited_interval": side["n_recruited_interval"]}

    def row(self, p, m):
        return self._row_of(m["intervention"])

    def baseline_row(self, p, m):
        b = m["baseline"]
        return {"value": b["p_propagation"], "interval": b["p_propagation_interval"], **self._row_of(b)}

    def rank_key(self, row):
        v = row["value"]
        return (v if np.isfinite(v) else np.inf, row.get("n_recruited", 0.0))

    def search_candidates(self, scenario, n):
        """The ``n`` regions of highest posterior mean excitability ``x0`` (the likeliest EZ and PZ)."""
        try:
            x0 = scenario.parameter("x0")
        except InputError:
            raise InputError("the model has no excitability x0: give the candidate regions", source="whatif", field="candidates") from None
        x0 = np.broadcast_to(np.asarray(x0, float), (1, scenario.n_regions)) if x0.ndim < 2 else x0
        return [int(i) for i in np.argsort(-np.mean(x0, axis=0), kind="stable")[:n]]

    def search_tiebreak(self, p):
        """Prefer removing the source over isolating it: more draws seizure-free."""
        return 1.0 - float(np.mean(p.treated["seizure"]))

    def search_summary(self, s):
        pct = lambda x: f"{100 * x:.0f}%"  # noqa: E731
        head = (f"Without surgery the seizure spreads beyond the EZ in {pct(s.baseline_p_propagation)} of the simulated versions. "
                f"Searched {len(s.tried)} resections among {', '.join(s.candidates)}.")
        what = "stops the spread" if s.criterion == "propagation" else "prevents any seizure"
        if s.found:
            return head + (f" Smallest resection that {what} in at least {pct(s.target)}: {', '.join(s.regions)} "
                           f"({pct(s.p_stopped)}). Model prediction for research, not clinical advice.")
        return head + f" None of the resections tried {what} in {pct(s.target)} of them (best: {pct(s.p_stopped)})."
