"""One self-contained HTML report of a twin: readable by a clinician, no external resources.

The report is a single file: figures are PNG images embedded as base64 ``data:``
URIs, the style sheet is inline, and there is no JavaScript and no link to
anything outside the file (it opens offline and can be archived or e-mailed as
is).  Sections, each with a stable ``id``:

``disclaimer``   the research-tool statement (at the top, and again at the end);
``subject``      the pseudonymous subject ID and what the twin is made of;
``connectome``   the structural network;
``data-fit``     the recording and the twin's reproduction of it (posterior predictive);
``posterior``    the plausible values of every region's excitability (and global parameters);
``ez-map``       the likely seizure onset (EZ) and spread (PZ) regions on a glass brain, and a table;
``diagnostics``  the sampler's checks with a plain-words verdict;
``whatif``       the what-if comparison table and figures.

Every figure has a caption in plain words and shows uncertainty (intervals,
spreads, probabilities).  A section whose inputs the twin lacks says so ("not
available") instead of failing.  The report shows only the pseudonymous subject
ID and a few non-identifying fields (age in years, sex, diagnosis code, site,
atlas): no names, no file paths.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_path
from ..errors import InputError
from ..whatif.labels import region_labels
from .figures import figure_png, fit_figure, glass_brain_figure, marginals_figure

__all__ = ["write_report", "render_report", "register_section", "sections", "SECTIONS", "DISCLAIMER"]

SECTIONS = ("disclaimer", "subject", "connectome", "data-fit", "posterior", "ez-map", "diagnostics", "whatif")

DISCLAIMER = (
    "braintwin is a research tool. It is not a medical device, it has not been approved for clinical use, and its "
    "results must not be used on their own to make clinical decisions. The predictions below come from a computer "
    "model of this person's brain; they carry the uncertainty shown and the limitations of the model."
)

#: Sections that workflows add: ``id -> (anchor, fn)``; ``fn(twin, figs, level)`` returns ``(title, body_html)``
#: or ``None`` (the twin has nothing for it: the section is left out); placed after the ``anchor`` section.
_EXTRA_SECTIONS: dict[str, tuple[str, Any]] = {}


def register_section(sid: str, *, after: str = "diagnostics"):
    """Add a report section (decorator), e.g. a workflow's own results.

    The function receives the twin, a figure helper ``figs`` (``figs.html(fig, fig_id,
    alt, caption_html)`` embeds a matplotlib figure) and the interval level, and
    returns ``(title, body_html)`` or ``None`` when the twin has nothing to show.

    Example
    -------
    >>> @register_section("my-results", after="posterior")            # doctest: +SKIP
    ... def _mine(twin, figs, level):
    ...     return ("My results", "<p>...</p>") if "mine" in twin.data else None
    """
    if after not in SECTIONS and after not in _EXTRA_SECTIONS:
        raise InputError(f"unknown report section {after!r}; known: {', '.join(sections())}", field="after")

    def deco(fn):
        _EXTRA_SECTIONS[str(sid)] = (after, fn)
        return fn

    return deco


def sections() -> list[str]:
    """Ids of every report section, built-in and registered, in order.

    A registered section goes after its anchor and after the sections registered
    before it that already follow that anchor (registration order is kept).
    """
    out = list(SECTIONS)
    for sid, (after, _) in _EXTRA_SECTIONS.items():
        i = out.index(after) + 1 if after in out else len(out)
        while i < len(out) and out[i] in _EXTRA_SECTIONS:
            i += 1
        out.insert(i, sid)
    return out


def _extra_sections(twin, figs, level: float) -> dict[str, str]:
    out = {}
    for sid, (_, fn) in _EXTRA_SECTIONS.items():
        got = fn(twin, figs, level)
        if got is not None:
            out[sid] = _section(sid, got[0], got[1])
    return out


_SHOWN_METADATA = ("age_years", "sex", "diagnosis_code", "site", "atlas", "handedness")
_RHAT_MAX = 1.01
_ESS_MIN = 100.0

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 1.2em 1.5em 3em; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
.disclaimer { border: 2px solid #c0392b; background: #fdecea; padding: 0.8em 1em; border-radius: 6px; font-weight: 600; }
.note { color: #555; font-size: 0.92em; }
.na { color: #777; font-style: italic; background: #f3f3f3; padding: 0.6em 0.9em; border-radius: 4px; }
.verdict-ok { border-left: 5px solid #2e7d32; background: #edf7ee; padding: 0.6em 0.9em; }
.verdict-warn { border-left: 5px solid #e67e22; background: #fff4e5; padding: 0.6em 0.9em; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e3e3; }
figcaption { font-size: 0.93em; color: #333; margin-top: 0.4em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #d6d6d6; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f1f1f1; }
tr.baseline td { background: #f7f7f7; font-style: italic; }
caption { caption-side: top; text-align: left; color: #555; padding-bottom: 0.3em; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
footer { margin-top: 3em; font-size: 0.85em; color: #555; }
"""


# ---------------------------------------------------------------------------
# small helpers


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _na(text: str) -> str:
    return f'<p class="na">{_esc(text)}</p>'


class _Figures:
    def __init__(self, enabled: bool, dpi: int):
        self.enabled = enabled
        self.dpi = dpi
        self.count = 0

    def html(self, fig, fig_id: str, alt: str, caption: str) -> str:
        if not self.enabled:
            return ""
        data = base64.b64encode(figure_png(fig, self.dpi)).decode("ascii")
        self.count += 1
        return (f'<figure id="{_esc(fig_id)}"><img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'
                f"<figcaption>{caption}</figcaption></figure>")


def _samples(twin) -> dict[str, np.ndarray] | None:
    post = getattr(twin, "posterior", None)
    s = getattr(post, "samples", None) if post is not None else None
    if not s:
        return None
    return {k: np.asarray(v, float) for k, v in s.items() if np.asarray(v).dtype.kind in "biuf"}


def _region_labels(twin) -> list[str]:
    conn = getattr(twin, "connectome", None)
    return list(getattr(conn, "labels", []) or [])


def _model_name(twin) -> str:
    m = getattr(twin, "model", None)
    return getattr(m, "name", None) or (str(m) if m is not None else "unknown")


def _diag_dict(diag) -> dict:
    if diag is None:
        return {}
    if hasattr(diag, "to_dict"):
        try:
            return dict(diag.to_dict())
        except Exception:  # pragma: no cover - defensive
            return {}
    return dict(diag) if isinstance(diag, Mapping) else {}


# ---------------------------------------------------------------------------
# sections


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{_esc(title)}</h2>\n{body}\n</section>'


def _subject_section(twin) -> str:
    sid = getattr(twin, "subject_id", None) or "not given"
    conn = getattr(twin, "connectome", None)
    facts = [("Subject (pseudonym)", sid), ("Brain model", _model_name(twin))]
    if conn is not None:
        facts.append(("Brain regions", getattr(conn, "n_regions", len(_region_labels(twin)))))
    post = getattr(twin, "posterior", None)
    if post is not None and getattr(post, "samples", None):
        n = next(iter(post.samples.values())).shape[0]
        facts.append(("Personalisation", f"{getattr(post, 'method', 'unknown')} ({n} posterior draws)"))
        n_rec = (getattr(post, "info", None) or {}).get("n_recordings")
        if n_rec:
            facts.append(("Recordings the twin has learnt from", f"{n_rec} (each update uses the previous posterior as its prior)"
                          if n_rec > 1 else "1"))
    else:
        facts.append(("Personalisation", "not done (no posterior stored)"))
    meta = getattr(twin, "metadata", None) or {}
    for k in _SHOWN_METADATA:
        if isinstance(meta, Mapping) and k in meta and meta[k] not in (None, ""):
            facts.append((k.replace("_", " "), meta[k]))
    prov = getattr(twin, "provenance", None) or {}
    if isinstance(prov, Mapping) and prov.get("created_utc"):
        facts.append(("Twin created (UTC)", prov["created_utc"]))
        ups = [u for u in prov.get("updates", []) if str(u.get("what", "")).startswith("update ")]
        if ups:
            facts.append(("Last updated with a new recording (UTC)", ups[-1].get("time_utc", "")))
    from .._version import __version__

    facts.append(("Report generated (UTC)", _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M")))
    facts.append(("Software", f"braintwin {__version__}"))
    rows = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in facts)
    return _section("subject", "Subject and twin", f'<dl class="facts">{rows}</dl>'
                    '<p class="note">Only a pseudonymous identifier is shown; the twin stores no name or other direct identifier.</p>')


def _connectome_section(twin, figs: _Figures) -> str:
    conn = getattr(twin, "connectome", None)
    if conn is None or not hasattr(conn, "weights"):
        return _section("connectome", "Structural connectome", _na("Not available: the twin has no connectome."))
    try:
        fig = conn.plot()
    except Exception as exc:  # a connectome-like object without plot()
        return _section("connectome", "Structural connectome", _na(f"Figure not available ({type(exc).__name__})."))
    n = getattr(conn, "n_regions", np.shape(conn.weights)[0])
    cap = (f"The brain network used by the twin: {n} regions and the white-matter tracts between them, measured by "
           "diffusion MRI. Left: the strength of every connection (darker = none, brighter = stronger). Middle and right: "
           "region positions seen from above and from the side, with the strongest tracts drawn as lines "
           "(red: right hemisphere, blue: left).")
    return _section("connectome", "Structural connectome", figs.html(fig, "fig-connectome", "connectome weights and glass brain", cap))


def _observed(twin):
    """(times, values (T, C), channel labels, name) from twin.data, or None."""
    data = getattr(twin, "data", None)
    if data is None:
        return None
    if isinstance(data, np.ndarray):
        return (None, data, None, "recording") if data.ndim == 2 else None
    if hasattr(data, "time") and hasattr(data, "data"):  # a TimeSeries
        d = np.asarray(data.data, float)
        d = d[:, 0, :] if d.ndim == 3 else d
        return (np.asarray(data.time, float), d, list(getattr(data, "labels", []) or []), "recording")
    if not isinstance(data, Mapping):
        return None
    prefer = ("seeg_envelope", "observation", "envelope", "seeg", "bold", "eeg", "meg", "data", "y")
    keys = [k for k in prefer if k in data] + [k for k in data if k not in prefer]
    for k in keys:
        v = data[k]
        if isinstance(v, np.ndarray) and v.ndim == 2 and v.dtype.kind in "biuf" and min(v.shape) >= 1 and v.shape[0] >= 2:
            T = v.shape[0]
            times = None
            for tk in ("time_ms", "times", "time", "t"):
                if tk in data and np.ndim(data[tk]) == 1 and len(data[tk]) == T:
                    times = np.asarray(data[tk], float)
                    break
            obs = getattr(twin, "observation", None) or {}
            labels = None
            for lk in ("contacts", "contact_labels", "channels", "sensors"):
                if isinstance(obs, Mapping) and lk in obs and np.ndim(obs[lk]) == 1 and len(obs[lk]) == v.shape[1]:
                    labels = [str(x) for x in obs[lk]]
                    break
            return times, np.asarray(v, float), labels, k
    return None


def _predictive(fit, samples, shape):
    if fit is not None:
        if isinstance(fit, Mapping):
            for k in ("predictive", "prediction", "y_pred", "mu"):
                if k in fit:
                    fit = fit[k]
                    break
        p = np.asarray(fit, float)
        if p.ndim == 2:
            p = p[None]
        if p.ndim != 3 or p.shape[1:] != shape:
            raise InputError(f"posterior predictive shaped {p.shape}, expected (n_draws, {shape[0]}, {shape[1]})", source="report", field="fit")
        return p
    if samples:
        for k in ("y_pred", "predictive", "mu", "prediction", "seeg_pred", "y_hat"):
            if k in samples and samples[k].ndim == 3 and samples[k].shape[1:] == shape:
                return samples[k]
    return None


def _fit_section(twin, fit, figs: _Figures, level: float) -> str:
    obs = _observed(twin)
    samples = _samples(twin)
    if obs is None:
        return _section("data-fit", "Data and fit", _na("Not available: the twin holds no recording to show."))
    times, values, labels, name = obs
    pred = _predictive(fit, samples, values.shape)
    fig = fit_figure(times, values, pred, labels, ylabel=name.replace("_", " "), level=level)
    if pred is None:
        cap = ("The recording the twin was built from (the most active channels, black). The twin's reproduction of it "
               "(posterior predictive) is not available in this report.")
    else:
        cap = (f"Black: the recording (the most active channels). Blue: what the personalised model produces, over "
               f"{pred.shape[0]} plausible versions of it (line: median; band: {int(100 * level)}% of versions). "
               "Where the black line stays inside the blue band, the twin explains the recording; where it leaves it, "
               "the model misses something.")
    return _section("data-fit", "Data and fit", figs.html(fig, "fig-fit", "recording and the twin's reproduction", cap))


def _label_table(twin) -> dict | None:
    """The twin's region labels (:func:`braintwin.whatif.region_labels`) as arrays in the twin's region order."""
    table = region_labels(twin)
    labels = _region_labels(twin)
    if not table or list(table.get("regions", [])) != list(labels):
        return None
    out = {k: np.asarray(v, float) for k, v in table["probability"].items()}
    out["label"] = list(table["label"])
    out["rules"] = dict(table.get("rules", {}))
    return out


def _rule_words(rules: Mapping[str, Any]) -> tuple[str, str]:
    """How EZ and PZ were decided, in words, from the table's rules."""
    thr, pz_thr = rules.get("ez_threshold"), rules.get("pz_threshold")
    ez = (f"excitability above {thr:g}" if rules.get("ez_rule", "threshold") == "threshold"
          else "seizes on its own in the model's simulations")
    pz = (f"excitability between {pz_thr:g} and {thr:g}" if rules.get("pz_rule", "threshold") == "threshold"
          else "recruited by the seizure in the model's simulations")
    return ez, pz


def _posterior_section(twin, figs: _Figures, probs) -> str:
    samples = _samples(twin)
    if not samples:
        return _section("posterior", "Estimated parameters", _na("Not available: the twin has not been personalised (no posterior)."))
    labels = _region_labels(twin)
    n_reg = len(labels)
    per_region = "x0" if "x0" in samples and samples["x0"].ndim == 2 else next(
        (k for k, v in samples.items() if v.ndim == 2 and v.shape[1] == n_reg), None)
    shown = {k: v for k, v in samples.items() if v.ndim == 1 or k == per_region}
    if per_region is None and not any(v.ndim == 1 for v in shown.values()):
        return _section("posterior", "Estimated parameters", _na("Not available: no parameter of the posterior can be drawn per region or globally."))
    thr = (probs or {}).get("rules", {}).get("ez_threshold") if per_region == "x0" else None
    fig = marginals_figure(shown, labels, threshold=thr, per_region=per_region or "",
                           label_probs=probs if per_region == "x0" else None)
    if per_region == "x0":
        line = (f"Regions above the dashed red line (x0 = {thr:g}) can start a seizure on their own; " if thr is not None else "")
        cap = ("Each violin shows the range of plausible excitability values (x0) of one brain region, given the recordings; "
               f"a wide violin means the data say little about that region. {line}"
               "colour: red for likely onset, orange for likely spread, grey otherwise. "
               "The small panels show the global parameters (e.g. K, how strongly regions drive each other).")
    else:
        cap = "The range of plausible values of the twin's parameters, given the data (wider = more uncertain)."
    return _section("posterior", "Estimated parameters", figs.html(fig, "fig-posterior", "posterior distributions of the parameters", cap))


def _ez_section(twin, figs: _Figures, probs) -> str:
    if probs is None:
        return _section("ez-map", "Likely seizure onset and spread", _na(
            "Not available: this needs a posterior of the regions' excitability (x0), as from the Virtual Epileptic Patient fit."))
    refused = probs["rules"].get("refused")
    if refused:  # the fit's chains disagree: no map, say which regions
        bad = ", ".join(f"{_esc(d['region'])} (R-hat {d['rhat']:.2f})" for d in refused.get("regions", []))
        return _section("ez-map", "Likely seizure onset and spread", _na(
            f"Not available: the fit failed. {_esc(refused.get('reason', 'the chains disagree'))}. Regions whose chains "
            f"disagree: {bad}. Re-run the fit (longer warm-up, other starts) before reading any map."))
    labels = _region_labels(twin)
    conn = getattr(twin, "connectome", None)
    centres = getattr(conn, "centres", None)
    fig = glass_brain_figure(centres if centres is not None else np.zeros((len(labels), 3)), labels, probs)
    ez_words, pz_words = _rule_words(probs["rules"])
    cap = ("Brain regions seen from above and from the side. Red: regions likely to start seizures (epileptogenic zone, EZ: "
           f"{ez_words}); orange: regions likely to be drawn into a seizure (propagation zone, PZ: {pz_words}); "
           "grey: likely not involved. Colour and size show how probable that is given the data; regions with a "
           "probability of at least 50% are named. These probabilities are model estimates, to be weighed with all other "
           "clinical evidence.")
    x0 = (_samples(twin) or {}).get("x0")
    order = np.argsort(-(probs["EZ"] + 0.5 * probs["PZ"]), kind="stable")
    top = [i for i in order if probs["EZ"][i] >= 0.05 or probs["PZ"][i] >= 0.05][:20] or list(order[:5])
    q = np.quantile(x0, [0.05, 0.5, 0.95], axis=0) if x0 is not None and np.ndim(x0) == 2 else None
    rows = "".join(
        f"<tr><td>{_esc(labels[i])}</td><td>{_esc(probs['label'][i])}</td><td>{100 * probs['EZ'][i]:.0f}%</td>"
        f"<td>{100 * probs['PZ'][i]:.0f}%</td>"
        + (f"<td>{q[1][i]:.2f} ({q[0][i]:.2f} to {q[2][i]:.2f})</td>" if q is not None else "") + "</tr>" for i in top)
    table = ('<table class="ez-table"><caption>Regions most likely involved (label: the most probable one; probabilities '
             "from the posterior draws" + ("; x0: median and 90% interval" if q is not None else "") + ")</caption><thead><tr>"
             "<th>region</th><th>label</th><th>chance of EZ</th><th>chance of PZ</th>"
             + ("<th>excitability x0</th>" if q is not None else "") + f"</tr></thead><tbody>{rows}</tbody></table>")
    return _section("ez-map", "Likely seizure onset and spread", figs.html(fig, "fig-ez-map", "glass brain of EZ and PZ probabilities", cap) + table)


def _diagnostics_section(twin) -> str:
    post = getattr(twin, "posterior", None)
    if post is None or not getattr(post, "samples", None):
        return _section("diagnostics", "Reliability checks", _na("Not available: the twin has no posterior."))
    d = _diag_dict(getattr(post, "diagnostics", None))
    if not d:
        return _section("diagnostics", "Reliability checks", _na(
            "No sampler diagnostics are stored with this twin, so the reliability of the fit cannot be judged here."))
    rhat_max = float(d.get("rhat_max", _RHAT_MAX))
    ess_min = float(d.get("ess_min", _ESS_MIN))
    rhat = d.get("rhat") if isinstance(d.get("rhat"), Mapping) else d.get("max_rhat") if isinstance(d.get("max_rhat"), Mapping) else {}
    ess = d.get("ess") if isinstance(d.get("ess"), Mapping) else d.get("min_ess") if isinstance(d.get("min_ess"), Mapping) else {}
    names = list(dict.fromkeys(list(rhat) + list(ess)))
    rows, worst_r, worst_e = [], -np.inf, np.inf
    for k in names:
        r = float(np.nanmax(np.atleast_1d(np.asarray(rhat[k], float)))) if k in rhat else float("nan")
        e = float(np.nanmin(np.atleast_1d(np.asarray(ess[k], float)))) if k in ess else float("nan")
        worst_r = max(worst_r, r) if np.isfinite(r) else worst_r
        worst_e = min(worst_e, e) if np.isfinite(e) else worst_e
        flag = "" if (not np.isfinite(r) or r <= rhat_max) and (not np.isfinite(e) or e >= ess_min) else " ⚠"
        rows.append(f"<tr><td>{_esc(k)}{flag}</td><td>{r:.3f}</td><td>{e:.0f}</td></tr>")
    div = d.get("divergences")
    problems = []
    if np.isfinite(worst_r) and worst_r > rhat_max:
        problems.append(f"the independent chains do not fully agree (largest R-hat {worst_r:.3f} > {rhat_max:g})")
    if np.isfinite(worst_e) and worst_e < ess_min:
        problems.append(f"there are too few effectively independent draws (smallest ESS {worst_e:.0f} < {ess_min:g})")
    if div is not None and float(div) > 0:
        problems.append(f"the sampler hit {int(div)} divergent transitions (regions of the posterior it could not explore)")
    for p in d.get("problems", []) or []:
        if not any(p in q for q in problems):
            problems.append(str(p))
    if d.get("ok") is False and not problems:
        problems.append("the fitting method reported a failed check")
    if problems:
        verdict = ('<p class="verdict-warn"><strong>Caution:</strong> ' + "; ".join(_esc(p) for p in problems)
                   + ". The estimates and predictions in this report may be unreliable; the fit should be repeated (longer, "
                   "or with different settings) before they are used.</p>")
    elif rows or div is not None:
        verdict = ('<p class="verdict-ok"><strong>The checks passed:</strong> independent runs of the sampler agree '
                   f"(R-hat at most {rhat_max:g}), there are enough independent draws (ESS at least {ess_min:g})"
                   + (", and there were no divergent transitions" if div is not None else "")
                   + ". This means the posterior was computed reliably; it does not prove that the model is right.</p>")
    else:
        verdict = '<p class="verdict-warn">The stored diagnostics hold no R-hat, ESS or divergence count to judge.</p>'
    table = ""
    if rows:
        table = ('<table class="diagnostics"><caption>Per parameter: the largest R-hat (should be close to 1) and the '
                 "smallest effective sample size, ESS (should be large)</caption><thead><tr><th>parameter</th><th>R-hat</th>"
                 f"<th>ESS</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    other = []
    for k, v in d.items():
        if k in ("rhat", "ess", "max_rhat", "min_ess", "problems", "rhat_max", "ess_min") or isinstance(v, (Mapping, list, np.ndarray)):
            continue
        other.append(f"<tr><td>{_esc(k.replace('_', ' '))}</td><td>{_esc(v)}</td></tr>")
    if other:
        table += f'<table class="diagnostics-other"><caption>Other recorded checks</caption><tbody>{"".join(other)}</tbody></table>'
    method = getattr(post, "method", "unknown")
    return _section("diagnostics", "Reliability checks", f'<p class="note">Fitting method: {_esc(method)}.</p>' + verdict + table)


def _whatif_section(twin, comparison, predictions, search, figs: _Figures) -> str:
    comps = [] if comparison is None else (list(comparison) if isinstance(comparison, (list, tuple)) else [comparison])
    preds = [] if predictions is None else (list(predictions) if isinstance(predictions, (list, tuple)) else [predictions])
    if not comps and not preds and search is None:
        return _section("whatif", "What-if scenarios", _na("No what-if scenario was run for this report."))
    parts = ['<p class="note">Each scenario is simulated on many plausible versions of the patient\'s twin (drawn from '
             "the posterior), so every outcome comes with a range. The ranges reflect what the data leave uncertain; "
             "they do not cover errors of the model itself.</p>"]
    for k, c in enumerate(comps):
        parts.append(f"<h3>Comparison {k + 1}: {_esc(c.what)}</h3>")
        parts.append(f"<p>{_esc(c.summary())}</p>")
        parts.append(c.to_html())
        cap = (f"{_esc(c.what[0].upper() + c.what[1:])} for each option (bars: mean; whiskers: {int(100 * c.level)}% interval), "
               "best first; the dashed line is the outcome without intervention. The cost column (regions resected, tracts cut, "
               "regions stimulated) is a rough measure of how invasive an option is, not a clinical risk.")
        parts.append(figs.html(c.plot(), f"fig-whatif-compare-{k + 1}", "comparison of what-if options", cap))
        if c.predictions:
            best = c.predictions[0]
            parts.append(figs.html(best.plot(), f"fig-whatif-best-{k + 1}", "outcome of the best option",
                                   _prediction_caption(best, "The best-ranked option in detail. ")))
    if search is not None:
        parts.append("<h3>Smallest resection</h3>")
        parts.append(f"<p>{_esc(search.summary())}</p>")
        if search.prediction is not None:
            parts.append(figs.html(search.prediction.plot(), "fig-whatif-resection", "outcome of the smallest resection",
                                   _prediction_caption(search.prediction, "The smallest resection found. ")))
    for k, p in enumerate(preds):
        parts.append(f"<h3>Scenario: {_esc(p.intervention.describe())}</h3>")
        parts.append("<p>" + "<br>".join(_esc(s) for s in p.summary().splitlines()) + "</p>")
        parts.append(figs.html(p.plot(), f"fig-whatif-prediction-{k + 1}", f"outcome of {p.intervention.describe()}", _prediction_caption(p)))
    return _section("whatif", "What-if scenarios", "\n".join(parts))


def _prediction_caption(p, lead: str = "") -> str:
    """The outcome's own plain-words caption of its figure (:attr:`braintwin.whatif.Outcome.caption`)."""
    spec = getattr(p, "spec", None)
    body = getattr(spec, "caption", "") or f"The outcome {p.outcome!r} without intervention and with it, across the simulated versions."
    return _esc(lead + body)


# ---------------------------------------------------------------------------
# entry points


def render_report(
    twin,
    *,
    comparison=None,
    predictions=None,
    search=None,
    fit=None,
    title: str | None = None,
    figures: bool = True,
    dpi: int = 96,
    level: float = 0.9,
) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    figs = _Figures(bool(figures), int(dpi))
    probs = _label_table(twin)
    sid = getattr(twin, "subject_id", None) or "unnamed twin"
    title = title or f"Virtual brain twin report: {sid}"
    parts = {
        "disclaimer": f'<section id="disclaimer"><p class="disclaimer">{_esc(DISCLAIMER)}</p></section>',
        "subject": _subject_section(twin),
        "connectome": _connectome_section(twin, figs),
        "data-fit": _fit_section(twin, fit, figs, level),
        "posterior": _posterior_section(twin, figs, probs),
        "ez-map": _ez_section(twin, figs, probs),
        "diagnostics": _diagnostics_section(twin),
        **_extra_sections(twin, figs, level),
        "whatif": _whatif_section(twin, comparison, predictions, search, figs),
    }
    body = [parts[sid] for sid in sections() if sid in parts]
    foot = (f'<footer><p>{_esc(DISCLAIMER)}</p><p>Made with braintwin. All figures are embedded in this file; it needs no '
            "network connection and runs no scripts.</p></footer>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_esc(title)}</h1>\n" + "\n".join(body) + "\n" + foot + "\n</main>\n</body>\n</html>\n"
    )


def write_report(
    twin,
    path: str | os.PathLike,
    *,
    comparison=None,
    predictions=None,
    search=None,
    fit=None,
    title: str | None = None,
    figures: bool = True,
    dpi: int = 96,
    level: float = 0.9,
) -> Path:
    """Write one self-contained HTML report of a twin.

    Parameters
    ----------
    twin : twin-like
        Anything with ``.connectome``, ``.model`` and optionally
        ``.subject_id``, ``.posterior`` (``.samples``, ``.diagnostics``,
        ``.method``), ``.data`` (e.g. ``{"seeg_envelope": (T, C), "time_ms":
        (T,)}``), ``.observation`` (``{"contacts": [...]}``), ``.metadata``,
        ``.provenance``.  Missing parts give sections that say "not available".
    path : path
        Output file (``.html``), written atomically.
    comparison : Comparison or list of Comparison, optional
        From :func:`braintwin.whatif.compare`: table and figures.
    predictions : Prediction or list, optional
        From :func:`braintwin.whatif.predict`: a figure and summary each.
    search : ResectionSearch, optional
        From :func:`braintwin.whatif.smallest_resection`.
    fit : array (n_draws, T, C) or mapping, optional
        The posterior predictive of the data (``{"predictive": array}``); by
        default taken from posterior samples named ``y_pred``/``mu``/... when
        their shape matches the data.
    title : str, optional
    figures : bool
        Embed figures (False: text and tables only, fast).
    dpi : int
        Resolution of the embedded PNG figures.
    level : float
        Level of the intervals drawn (0.9).

    Returns
    -------
    Path
        The file written (readable by its owner only, as it holds a person's
        data; share it deliberately).
    """
    path = Path(path)
    text = render_report(twin, comparison=comparison, predictions=predictions, search=search, fit=fit, title=title,
                         figures=figures, dpi=dpi, level=level)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return path
