"""Comparing interventions: ranked by outcome, then by cost, on the same posterior draws."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .interventions import Intervention
from .outcomes import get_outcome
from .predict import Prediction, _as_intervention, _context, _predict_with, _Runner

__all__ = ["Comparison", "compare"]

SOURCE = "whatif"


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

    @property
    def _pct(self) -> bool:
        return get_outcome(self.outcome).percent

    def _columns(self) -> list[tuple[str, str, bool]]:
        spec = get_outcome(self.outcome)
        return list(spec.columns) or [("value", self.what, spec.percent)]

    def table(self) -> str:
        """A plain-text table."""
        pct = self._pct
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
        pct = self._pct
        s = (f"Best of {len(self.rows)} options: {r['intervention']} ({self.what}: {_fmt(r['value'], r['interval'], pct)}; "
             f"baseline {_fmt(self.baseline['value'], self.baseline['interval'], pct)}; cost: {r['cost_text']}).")
        return s + " Model predictions for research, not clinical advice."

    def to_html(self) -> str:
        """An HTML table (no scripts, no external resources)."""
        cols = self._columns()
        head = "".join(f"<th>{html.escape(c[1])}</th>" for c in cols)
        out = [f'<table class="comparison"><caption>{html.escape(self.what)}: {self.n_draws} simulated versions of the patient, '
               f"ranges are {int(100 * self.level)}% intervals</caption>",
               f"<thead><tr><th>rank</th><th>intervention</th>{head}<th>cost</th></tr></thead><tbody>"]

        def cells(d):
            return "".join(f"<td>{_fmt(d.get(k), d.get('interval' if k == 'value' else k + '_interval'), p)}</td>" for k, _, p in cols)

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
        pct = self._pct
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
    if p.n_valid:
        row.update(p.spec.row(p, p.metrics()))
    return row


def _baseline_row(p: Prediction) -> dict:
    """The baseline's primary value (from the baseline side of any prediction)."""
    if p.n_valid == 0:
        return {"value": float("nan"), "interval": (float("nan"), float("nan"))}
    return p.spec.baseline_row(p, p.metrics())


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
    draws each).  Ranking is the outcome's (:meth:`Outcome.rank_key`): for
    ``"seizure"`` the probability of spread beyond the EZ (smaller first),
    then the mean number of recruited regions; for ``"evoked"`` the response
    of the stimulated regions (larger first); for ``"fc"`` the FC change and
    for ``"spectrum"`` the absolute peak shift (smaller first).  Ties go to
    the cheaper option (fewer regions resected, smaller area, fewer tracts
    cut, fewer regions stimulated).

    Parameters are as for :func:`predict`.

    Returns
    -------
    Comparison
    """
    items = [_as_intervention(i) for i in interventions]
    if not items:
        raise InputError("no interventions to compare", source=SOURCE, field="interventions")
    runner = _Runner(twin, n_samples=n_samples, seed=seed, params=params, outcome=outcome, options=sim_options)
    context = _context(runner, twin, ez)
    preds = [_predict_with(runner, it, context) for it in items]
    rows = [_row(p) for p in preds]
    order = sorted(range(len(rows)), key=lambda k: (*runner.spec.rank_key(rows[k]), _cost_key(rows[k]["cost"])))
    ranked = []
    for rank, k in enumerate(order, 1):
        r = dict(rows[k])
        r["rank"] = rank
        ranked.append(r)
    what = preds[0].primary()[2]
    return Comparison(outcome, ranked, [preds[k] for k in order], _baseline_row(preds[0]), what, runner.n, runner.level)
