"""What the disorder workflows (multiple sclerosis, ageing, Alzheimer's) share.

- :func:`fit_sbi`: a campaign (:func:`braintwin.infer.sbi.run_campaign`), NPE
  training and the posterior of one observation, with progress lines;
- :func:`predict_per_draw`: a what-if over posterior draws whose parameters
  change the whole simulation (conduction ``speed``), one batch per draw, pooled
  into one :class:`~braintwin.whatif.Prediction`;
- :func:`region_spectra`: region-averaged Welch spectra of an outcome's runs;
- :func:`read_region_table`: a per-region value table (TSV/CSV of label and
  value) matched to a connectome's labels.

Nothing here is a new stage: it composes ``infer.sbi``, ``whatif`` and ``features``.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..report import register_section

__all__ = ["workflow_section", "say", "fit_sbi", "predict_per_draw", "pool_predictions", "region_spectra", "read_region_table",
           "posterior_words", "connectome_of", "write_outputs", "run_workflow", "plot_spectra"]


#: ``posterior.info["workflow"]`` -> (title, fn(twin, level) -> HTML body), filled by the disorder workflows.
_SECTIONS: dict[str, tuple[str, Any]] = {}


def workflow_section(workflow: str, title: str):
    """Register a disorder workflow's report section (decorator on ``fn(twin, level) -> str`` of HTML).

    Shown after the estimated parameters for twins whose ``posterior.info["workflow"]``
    is ``workflow``; the body says in plain words what was inferred, with what
    uncertainty.  One report section (``id="workflow"``), registered once with
    :func:`braintwin.report.register_section`, serves every disorder.

    Example
    -------
    >>> @workflow_section("ms", "Multiple sclerosis: conduction speed")      # doctest: +SKIP
    ... def _ms_section(twin, level): return "<p>...</p>"
    """
    def deco(fn):
        if workflow in _SECTIONS:
            raise ValueError(f"a report section for workflow {workflow!r} is already registered")
        _SECTIONS[workflow] = (title, fn)
        return fn

    return deco


@register_section("workflow", after="posterior")
def _workflow_section(twin, figs, level):
    info = getattr(getattr(twin, "posterior", None), "info", None) or {}
    entry = _SECTIONS.get(info.get("workflow")) if isinstance(info, Mapping) else None
    if entry is None:
        return None
    title, fn = entry
    return title, fn(twin, level)


def say(progress, message: str) -> None:
    """Print one progress line to stderr when ``progress`` is True (or call it when it is callable)."""
    if callable(progress):
        progress(message)
    elif progress:
        print(f"[braintwin] {message}", file=sys.stderr, flush=True)


def fit_sbi(simulator, prior, x_obs, *, n_sims: int, seed: int = 0, n_draws: int = 1000, campaign_path=None,
            chunk_size: int = 50, npe_options: Mapping[str, Any] | None = None, max_epochs: int = 300,
            progress=True, info: Mapping[str, Any] | None = None):
    """Simulate ``n_sims`` prior draws, train NPE on the usable rows and return the posterior of ``x_obs``.

    Parameters
    ----------
    simulator : NetworkSimulator or FunctionSimulator
    prior : braintwin.infer.sbi.Prior
    x_obs : array (n_features,)
        The person's features, computed like the simulator's.
    n_sims : int
        Campaign size (diverged rows are flagged and left out of training).
    campaign_path : path, optional
        The campaign's HDF5 file (a temporary one when omitted); an existing file resumes.
    npe_options : dict, optional
        Keywords of :class:`~braintwin.infer.sbi.NPE` (``flow``, ``n_components``...).
    info : dict, optional
        Stored in ``Posterior.info`` (e.g. ``{"workflow": "ms"}``).

    Returns
    -------
    (Posterior, Estimator, counts)
        ``counts``: the campaign's row counts (ok, diverged, failed, non-finite).

    Example
    -------
    >>> post, est, counts = fit_sbi(sim, prior, x_obs, n_sims=300)   # doctest: +SKIP
    """
    from ..infer.sbi import NPE, run_campaign

    if int(n_sims) < 20:
        raise InputError(f"n_sims must be >= 20 to train an estimator, got {n_sims}", field="n_sims")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(campaign_path) if campaign_path is not None else Path(tmp) / "campaign.h5"
        say(progress, f"simulating {n_sims} draws from the prior ({', '.join(prior.names)})")
        camp = run_campaign(simulator, prior, int(n_sims), path, chunk_size=int(chunk_size), seed=seed,
                            progress=bool(progress) and not callable(progress))
        theta, x, counts = camp.training_data()
        names = list(camp.feature_names)
    if len(theta) < 20:
        raise InputError(f"only {len(theta)} usable simulations of {n_sims} ({counts}); widen or move the prior",
                         field="prior")
    say(progress, f"training the posterior estimator on {len(theta)} simulations ({counts})")
    est = NPE(prior, **dict(npe_options or {})).append_simulations(theta, x, feature_names=names).train(
        seed=seed, max_epochs=max_epochs)
    x_obs = np.asarray(x_obs, float)
    if x_obs.shape != (len(names),) or not np.all(np.isfinite(x_obs)):
        raise InputError(f"the observed features must be {len(names)} finite values, got shape {x_obs.shape}",
                         field="x_obs")
    post = est.posterior(x_obs, n=int(n_draws), seed=seed)
    post.info.update({**dict(info or {}), "campaign_counts": {k: int(v) for k, v in dict(counts).items()},
                      "n_sims": int(n_sims)})
    say(progress, "posterior: " + ", ".join(f"{k} {np.mean(v):.4g} (90% {np.quantile(v, 0.05):.4g}-"
                                            f"{np.quantile(v, 0.95):.4g})" for k, v in post.samples.items()))
    return post, est, counts


def _pool(values: list, counts: list[int]) -> Any:
    """Join per-prediction pieces: arrays with one row per valid draw are concatenated, others averaged.

    ``counts``: the valid draws of each prediction.  Equal pieces (a frequency
    axis) are kept once; matrices such as mean FC are averaged, weighted by ``counts``.
    """
    first = values[0]
    if isinstance(first, tuple):
        return tuple(_pool([v[i] for v in values], counts) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _pool([v[k] for v in values], counts) for k in first}
    a = [np.asarray(v) for v in values]
    if all(x.ndim >= 1 and x.shape[0] == c for x, c in zip(a, counts)) and all(x.shape[1:] == a[0].shape[1:] for x in a):
        return np.concatenate(a, axis=0)
    if all(x.shape == a[0].shape and np.array_equal(x, a[0], equal_nan=True) for x in a):
        return first
    return np.average(np.stack(a), axis=0, weights=np.asarray(counts, float))


def predict_per_draw(twin, intervention, *, outcome: str, draws: Mapping[str, np.ndarray],
                     per_run: tuple[str, ...] = ("speed",), seed: int = 0, progress=False, **options):
    """A what-if over given draws where some parameters (``per_run``) change the whole simulation.

    :func:`braintwin.whatif.predict` varies model and coupling parameters within
    one batch; a conduction ``speed`` changes every delay, so each draw runs as
    its own batch (same seed per draw for baseline and intervention) and the
    per-draw outcomes are pooled into one :class:`~braintwin.whatif.Prediction`.

    Parameters
    ----------
    twin : twin-like
        As for :func:`~braintwin.whatif.predict`.
    intervention : Intervention or str
    outcome : str
        A registered outcome.
    draws : dict of str to array (n,)
        Per-draw values: ``per_run`` names go to the simulation settings, the
        others are model/coupling parameters (``params=``).
    **options
        Simulation settings and outcome options, as for ``predict``.

    Returns
    -------
    Prediction

    Example
    -------
    >>> predict_per_draw(twin, bt.whatif.lesion("all", speed_factor=0.7), outcome="alpha",
    ...                  draws={"G": g, "speed": s})                       # doctest: +SKIP
    """
    from ..whatif import predict

    draws = {k: np.asarray(v, float) for k, v in draws.items()}
    n = {len(v) for v in draws.values()}
    if len(n) != 1:
        raise InputError("every draw array needs the same length", field="draws")
    preds, n_total = [], n.pop()
    for i in range(n_total):
        params = {k: v[i: i + 1] for k, v in draws.items() if k not in per_run}
        run_opts = {k: float(v[i]) for k, v in draws.items() if k in per_run}
        preds.append(predict(twin, intervention, n_samples=None, seed=seed + i, outcome=outcome,
                             params=params or None, **run_opts, **options))
        say(progress, f"  what-if draw {i + 1}/{n_total}: {preds[-1].intervention.describe()}")
    return pool_predictions(preds, settings={k: [float(x) for x in v] for k, v in draws.items() if k in per_run})


def pool_predictions(preds: list, settings: Mapping[str, Any] | None = None):
    """One :class:`~braintwin.whatif.Prediction` from several of the same outcome and intervention (draws pooled)."""
    p0 = preds[0]
    ok = [p for p in preds if p.n_valid]
    if not ok:
        return dataclasses.replace(p0, valid=np.concatenate([p.valid for p in preds]), n_draws=sum(p.n_draws for p in preds))
    counts = [p.n_valid for p in ok]
    return dataclasses.replace(
        p0, valid=np.concatenate([p.valid for p in preds]), n_draws=sum(p.n_draws for p in preds),
        baseline=_pool([p.baseline for p in ok], counts), treated=_pool([p.treated for p in ok], counts),
        extra=_pool([p.extra for p in ok], counts), settings={**p0.settings, **dict(settings or {})})


def region_spectra(runs, *, nperseg_ms: float = 4000.0):
    """Region-averaged Welch spectra of both runs of an outcome: ``(freqs, base (n, F), treated (n, F))``.

    Regions removed by the intervention are left out; the segment is
    ``nperseg_ms`` long (4 s: 0.25 Hz resolution) or the whole window if shorter.
    """
    from ..features import psd

    xb, xt = runs.traces()
    period = float(np.median(np.diff(runs.times))) if len(runs.times) > 1 else 1.0
    keep = runs.treated.kept
    nper = min(xb.shape[1], max(16, int(round(nperseg_ms / period))))
    f, pb = psd(np.nan_to_num(xb[:, :, keep]), dt_ms=period, nperseg=nper)
    _, pt = psd(np.nan_to_num(xt[:, :, keep]), dt_ms=period, nperseg=nper)
    return f, pb.mean(axis=-1), pt.mean(axis=-1)


def _table_rows(text: str, src: str, what: str):
    """``(line number, label, value)`` of a label/value table; a first row that is not numeric is a header."""
    import re

    seen = False
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p.strip() for p in re.split(r"[\t,;]|\s+", line) if p.strip()]
        if len(parts) < 2:
            raise InputError(f"line {lineno}: expected a region label and a value, got {line!r}", source=src)
        try:
            v = float(parts[-1])
        except ValueError:
            if not seen:  # a header row
                seen = True
                continue
            raise InputError(f"line {lineno}: {what} {parts[-1]!r} is not a number", source=src, field=parts[0]) from None
        seen = True
        if not np.isfinite(v):
            raise InputError(f"line {lineno}: {what} of {parts[0]} is not finite", source=src, field=parts[0])
        yield lineno, parts[0], v


def read_region_table(path, labels, *, what: str = "value", missing: float | None = 0.0,
                      mapping: Mapping[str, str] | None = None) -> np.ndarray:
    """Read a per-region table (TSV or CSV: region label, value) into one value per connectome region.

    Parameters
    ----------
    path : path
        Two columns: a region label and a number; a header row is optional;
        ``#`` starts a comment.  Tab, comma or whitespace separated.
    labels : sequence of str
        The connectome's region labels, in order.
    what : str
        What the value is (for messages), e.g. ``"amyloid SUVR"``.
    missing : float or None
        Value of regions the table does not list (None: every region must be listed).
    mapping : dict, optional
        Table label -> connectome label, for tables from another naming scheme.

    Returns
    -------
    ndarray (n_regions,)

    Raises
    ------
    InputError
        Unknown labels (listed, with close matches), duplicates, non-numeric or
        non-finite values, regions missing when ``missing`` is None.

    Example
    -------
    >>> burden = read_region_table("amyloid.tsv", conn.labels, what="amyloid SUVR")   # doctest: +SKIP
    """
    import difflib

    src = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not a text table", source=src) from None
    labels = [str(lab) for lab in labels]
    index, mapping = set(labels), dict(mapping or {})
    values, unknown = {}, []
    for lineno, raw_label, v in _table_rows(text, src, what):
        label = mapping.get(raw_label, raw_label)
        if label not in index:
            unknown.append(raw_label)
        elif label in values:
            raise InputError(f"line {lineno}: region {label} is listed twice", source=src, field=label)
        else:
            values[label] = v
    if unknown:
        hints = [f"{u} (did you mean {', '.join(difflib.get_close_matches(u, labels, n=2))}?)"
                 if difflib.get_close_matches(u, labels, n=2) else u for u in unknown[:8]]
        more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
        raise InputError(f"{len(unknown)} region(s) not in the connectome: {', '.join(hints)}{more}; "
                         "give a mapping file or fix the labels", source=src, field="labels")
    absent = [lab for lab in labels if lab not in values]
    if absent and missing is None:
        raise InputError(f"{len(absent)} connectome region(s) missing from the table: {', '.join(absent[:8])}"
                         + (" ..." if len(absent) > 8 else ""), source=src, field="labels")
    if not values:
        raise InputError(f"no {what} values in the table", source=src)
    return np.array([values.get(lab, missing if missing is not None else np.nan) for lab in labels], float)


def posterior_words(twin, what: Mapping[str, str], level: float = 0.9) -> str:
    """HTML paragraph: each inferred parameter's median and ``level`` interval, in plain words.

    ``what``: parameter name -> words with unit (e.g. ``{"speed": "conduction speed (m/s)"}``);
    prior bounds are added when the posterior's info has them.
    """
    import html

    post = twin.posterior
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    items = []
    for name, words in what.items():
        v = np.asarray(post.samples[name], float)
        if v.ndim != 1:
            continue
        items.append(f"<li>{html.escape(words)} (<code>{html.escape(name)}</code>): {np.median(v):.4g}, "
                     f"{int(100 * level)}% between {np.quantile(v, lo_q):.4g} and {np.quantile(v, hi_q):.4g}</li>")
    n_sims = f" trained on {post.info['n_sims']} simulations" if "n_sims" in post.info else ""
    return (f"<p>Inferred by simulation-based inference (a neural posterior estimator{n_sims}); "
            f"{len(np.asarray(next(iter(post.samples.values()))))} posterior draws:</p><ul>{''.join(items)}</ul>"
            "<p>The ranges are what the recording leaves uncertain within the model; they do not cover errors of the "
            "model itself. This is a research tool, not a clinical measurement.</p>")


def connectome_of(spec) -> Any:
    """The workflow's connectome: a built-in name or file (Connectome layer), max-normalised, no self-loops."""
    from ..connectome import as_connectome

    return as_connectome(spec).normalized("max").with_zero_diagonal()


def write_outputs(twin, predictions: Mapping, out, *, truth: Mapping[str, float] | None = None, progress=True,
                  level: float = 0.9) -> dict:
    """Write ``twin.h5``, ``report.html`` and ``summary.json`` (posterior, truth, what-if metrics) into ``out``.

    Returns the summary (JSON-ready).
    """
    import json

    from .._io import atomic_path
    from ..report import write_report
    from ..twin import write_twin

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    post = twin.posterior
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    summary = {"workflow": post.info.get("workflow"), "subject_id": twin.subject_id,
               "posterior": {k: {"median": float(np.median(v)), "interval": [float(np.quantile(v, lo)), float(np.quantile(v, hi))]}
                             for k, v in post.samples.items() if np.ndim(v) == 1},
               "truth": dict(truth or {}), "campaign_counts": post.info.get("campaign_counts"),
               "whatif": {f"{name} / {oc}": p.metrics() for (name, oc), p in predictions.items()}}
    if truth:
        summary["truth_in_interval"] = {k: bool(summary["posterior"][k]["interval"][0] <= v <= summary["posterior"][k]["interval"][1])
                                        for k, v in truth.items() if k in summary["posterior"]}
    say(progress, f"writing {out / 'twin.h5'}, {out / 'report.html'}, {out / 'summary.json'}")
    write_twin(out / "twin.h5", twin)
    write_report(twin, out / "report.html", predictions=list(predictions.values()), level=level)
    with atomic_path(out / "summary.json") as tmp:
        Path(tmp).write_text(json.dumps(summary, indent=2, default=lambda o: np.asarray(o).tolist()))
    for p in predictions.values():
        say(progress, p.summary().replace("\n", " "))
    return summary


def run_workflow(config: Mapping[str, Any], defaults: Mapping[str, Any], out, *, synthetic, fit, what_ifs,
                 x_obs=None, prepare=None, progress=True) -> dict:
    """The steps every disorder workflow runs: connectome -> observation -> twin -> what-ifs -> outputs.

    Parameters
    ----------
    config, defaults : dict
        The run's settings over the workflow's defaults (``connectome``,
        ``n_sims``, ``seed``, ``synthetic``, ``whatif``...).
    synthetic : callable ``(conn, syn, cfg, **extra) -> x_obs``
        Features of the synthetic person ``syn`` (used when ``x_obs`` is None;
        its values but ``seed`` are the truth).
    fit : callable ``(conn, x_obs, cfg, **extra) -> Twin``
    what_ifs : callable ``(twin, seed=, progress=, **whatif) -> {(name, outcome): Prediction}``
    prepare : callable ``(conn, cfg, out, progress) -> dict``, optional
        Extra inputs (e.g. the burden table), passed to ``synthetic`` and ``fit``.

    Returns
    -------
    dict : the summary written by :func:`write_outputs`.
    """
    cfg = {**defaults, **dict(config or {})}
    say(progress, f"connectome {cfg['connectome']}")
    conn = connectome_of(cfg["connectome"])
    extra = prepare(conn, cfg, out, progress) if prepare is not None else {}
    truth = None
    if x_obs is None:
        syn = {**defaults["synthetic"], **dict(cfg.get("synthetic") or {})}
        truth = {k: float(v) for k, v in syn.items() if k != "seed"}
        say(progress, "synthetic person: " + ", ".join(f"{k}={v:g}" for k, v in truth.items()))
        x_obs = synthetic(conn, syn, cfg, **extra)
    say(progress, f"twin: simulation-based inference from {len(x_obs)} features")
    twin = fit(conn, np.asarray(x_obs, float), cfg, **extra)
    say(progress, "what-ifs under the posterior")
    preds = what_ifs(twin, **{**defaults["whatif"], **dict(cfg.get("whatif") or {})}, seed=int(cfg["seed"]),
                     progress=progress)
    return write_outputs(twin, preds, out, truth=truth, progress=progress)


def plot_spectra(ax, f, sb, st, *, fmax: float, color: str = "tab:blue") -> None:
    """Region-averaged spectra of baseline and intervention (mean line, 90% band over draws) up to ``fmax`` Hz."""
    sel = f <= fmax
    for s, c, lab in ((sb, "0.5", "baseline"), (st, color, "with intervention")):
        ax.semilogy(f[sel], np.nanmean(s, axis=0)[sel], color=c, label=lab)
        ax.fill_between(f[sel], np.nanquantile(s, 0.05, axis=0)[sel], np.nanquantile(s, 0.95, axis=0)[sel],
                        color=c, alpha=0.2)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power (region average)")
    ax.legend(fontsize=8)
