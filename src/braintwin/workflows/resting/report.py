"""The report's resting-state sections (registered with :func:`braintwin.report.register_section`).

``rest-fit``     the person's FC and FCD beside the twin's, the FC correlation with its
                 interval against the SC-FC baseline, the FCD KS distance, calibration;
``rest-visits``  the parameters' medians and 90% intervals across visits.
"""

from __future__ import annotations

import html

import numpy as np

from ...infer.sbi.calibration import Check
from ...report import register_section
from .twin import visits

__all__ = ["fc_figure", "fcd_figure", "visits_figure"]


def _heat(ax, m, title: str, vmin=-1.0, vmax=1.0):
    im = ax.imshow(np.asarray(m, float), vmin=vmin, vmax=vmax, cmap="RdBu_r", interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def fc_figure(rest: dict):
    """Empirical FC, the twin's (mean of its posterior predictive simulations) and their upper triangles."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.6), layout="constrained")
    ax = fig.subplots(1, 3)
    _heat(ax[0], rest["fc_emp"], "person's FC")
    im = _heat(ax[1], rest["fc_twin"], "twin's FC (posterior predictive mean)")
    fig.colorbar(im, ax=ax[:2], shrink=0.8, label="Pearson r")
    iu = np.triu_indices(np.asarray(rest["fc_emp"]).shape[0], 1)
    ax[2].plot(np.asarray(rest["fc_emp"])[iu], np.asarray(rest["fc_twin"])[iu], ".", ms=2, alpha=0.5)
    ax[2].set_xlabel("person's FC")
    ax[2].set_ylabel("twin's FC")
    ax[2].set_title(f"r = {float(rest['fc_r_twin']):.2f} (SC-FC baseline {float(rest['sc_fc_r']):.2f})", fontsize=10)
    return fig


def fcd_figure(rest: dict):
    """Empirical and twin FCD matrices and the distributions of their values (KS distance in the title)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.6), layout="constrained")
    ax = fig.subplots(1, 3)
    _heat(ax[0], rest["fcd_emp"], "person's FCD", vmin=0.0)
    _heat(ax[1], rest["fcd_twin"], "twin's FCD (one predictive simulation)", vmin=0.0)
    bins = np.linspace(-0.2, 1.0, 40)
    ax[2].hist(np.asarray(rest["fcd_emp_values"]), bins=bins, density=True, alpha=0.6, label="person")
    ax[2].hist(np.asarray(rest["fcd_twin_values"]), bins=bins, density=True, alpha=0.6, label="twin")
    ax[2].set_xlabel("FCD value (correlation of window FCs)")
    ax[2].set_title(f"KS distance {float(rest['fcd_ks_median']):.2f} (median over simulations)", fontsize=10)
    ax[2].legend()
    return fig


def visits_figure(twin, level: float = 0.9):
    """Each global parameter's posterior median and central interval at every visit (one panel each)."""
    from matplotlib.figure import Figure

    vs = visits(twin)
    names = [k for k, v in vs[-1]["samples"].items() if np.ndim(v) == 1]
    fig = Figure(figsize=(3.4 * len(names), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(names)))
    q = [(1 - level) / 2, 0.5, (1 + level) / 2]
    k = [int(v["visit"]) for v in vs]
    for ax, name in zip(axes, names):
        lo, med, hi = np.array([np.quantile(np.asarray(v["samples"][name], float), q) for v in vs]).T
        ax.errorbar(k, med, yerr=[med - lo, hi - med], fmt="o-", capsize=4)
        ax.set_xticks(k)
        ax.set_xlabel("visit")
        ax.set_title(name, fontsize=10)
    return fig


def _calibration_html(twin, figs) -> str:
    cal = ((twin.posterior.diagnostics or {}) if twin.posterior is not None else {}).get("calibration")
    if not isinstance(cal, dict) or "sbc" not in cal:
        return "<p class=\"na\">No calibration of the estimator is stored with this twin.</p>"
    verdict = "passed" if cal.get("ok") else "did not pass"
    cls = "verdict-ok" if cal.get("ok") else "verdict-warn"
    body = (f'<p class="{cls}">On simulations held out of training, the estimator\'s calibration checks {verdict} '
            "(simulation-based calibration per parameter and TARP): its intervals "
            f"{'can' if cal.get('ok') else 'cannot yet'} be read at face value.</p>")
    for key in ("sbc", "tarp"):
        if isinstance(cal.get(key), dict):
            body += figs.html(Check(cal[key]).plot(), f"fig-rest-{key}", f"{key} calibration",
                              "SBC: ranks of the true values among posterior draws should be uniform; TARP: the "
                              "coverage curve should follow the diagonal." if key == "sbc" else
                              "TARP coverage: expected against observed coverage of the posterior's regions.")
    return body


@register_section("rest-fit", after="posterior")
def _rest_section(twin, figs, level):
    rest = (getattr(twin, "data", None) or {}).get("rest")
    if not isinstance(rest, dict) or "fc_emp" not in rest:
        return None
    r, lo, hi, base = (float(rest[k]) for k in ("fc_r_twin", "fc_r_low", "fc_r_high", "sc_fc_r"))
    lvl = int(round(100 * float(rest.get("level", 0.9))))
    text = (f"<p>The twin was personalised on this person's resting-state BOLD by simulation-based inference. "
            f"Its functional connectivity (FC) correlates with the person's at r = {r:.2f} "
            f"({lvl}% of its simulations between {lo:.2f} and {hi:.2f}); the structural connectome alone reaches "
            f"r = {base:.2f}. The distribution of the FC dynamics (FCD) differs from the person's by a "
            f"Kolmogorov-Smirnov distance of {float(rest['fcd_ks_median']):.2f} (0: same, 1: disjoint).</p>"
            "<table><tr><th>measure</th><th>twin</th><th>baseline (SC-FC)</th></tr>"
            f"<tr><td>FC correlation</td><td>{r:.2f} [{lo:.2f}, {hi:.2f}]</td><td>{base:.2f}</td></tr>"
            f"<tr><td>FCD KS distance</td><td>{float(rest['fcd_ks_median']):.2f}</td><td>-</td></tr></table>")
    body = text + figs.html(fc_figure(rest), "fig-rest-fc", "person's and twin's FC",
                            html.escape("Left: the person's FC; middle: the twin's; right: each region pair, "
                                        "person against twin.")) \
        + figs.html(fcd_figure(rest), "fig-rest-fcd", "person's and twin's FCD",
                    html.escape("How the FC changes over time (FCD): similar matrices and histograms mean the twin "
                                "reproduces the person's dynamics.")) + _calibration_html(twin, figs)
    return "Resting-state fit: connectivity and its dynamics", body


@register_section("rest-visits", after="rest-fit")
def _visits_section(twin, figs, level):
    vs = visits(twin) if isinstance(getattr(twin, "data", None), dict) else []
    if not vs:
        return None
    n = len(vs)
    cap = html.escape(f"Median and {int(round(100 * level))}% interval of each parameter at each of the {n} visit(s); "
                      "a shift larger than the intervals suggests a real change in the person.")
    body = (f"<p>The twin has learnt from {n} recording(s); each visit's posterior is kept.</p>"
            + figs.html(visits_figure(twin, level), "fig-rest-visits", f"parameters across {n} visits", cap))
    return "The twin across visits", body
