"""``braintwin twin build|update|info``, ``braintwin whatif`` and ``braintwin report``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import numpy as np
import typer

from ..errors import InputError
from . import app

twin_app = typer.Typer(help="Build and inspect twin files.", no_args_is_help=True, add_completion=False)
app.add_typer(twin_app, name="twin")

BUILD_KEYS = {"seeg", "gain", "contacts", "connectome", "subject_id", "out", "dt", "tau0", "I1", "chains", "warmup", "samples", "seed", "metadata",
              "recording", "window", "parcellation", "lut", "tractography", "n_times", "baseline", "workflow",
              "observation", "scale", "montage", "max_dt", "x_init", "z_init", "initial", "eps_floor"}


@twin_app.command("build")
def build_cmd(config: Path = typer.Argument(..., help="TOML: the person's files (seeg = ... for epilepsy, bold = ... for "
                                                      "resting state), connectome, inference settings, out.")):
    """Build a twin from a person's files: epilepsy (SEEG, Bayesian VEP) or resting state (BOLD, MPR by NPE)."""
    from ..workflows.resting.build import REST_KEYS
    from .simulate import load_config

    cfg = load_config(config, BUILD_KEYS | REST_KEYS)
    kind = cfg.get("workflow") or ("rest" if "bold" in cfg else "vep")
    if kind not in _BUILDERS:
        raise InputError(f"unknown workflow {kind!r}; choose {', '.join(_BUILDERS)}", source=str(config), field="workflow")
    load_config(config, REST_KEYS if kind == "rest" else BUILD_KEYS)  # the chosen workflow's keys only
    _BUILDERS[kind](config, cfg)


def _build_rest(config: Path, cfg: dict) -> None:
    """The resting-state twin: connectome + parcellated BOLD -> MPR posterior by NPE -> twin (+ report)."""
    from ..report import write_report
    from ..workflows.resting.build import build_rest_twin

    echo = lambda m: typer.echo(m, err=True)  # noqa: E731
    try:
        twin, fit = build_rest_twin(cfg, config.parent, log=echo)
    except InputError as e:  # a bad setting of the file (segments, prior, ...): the line names the file
        if e.source:
            raise
        raise InputError(e.problem, source=str(config), field=e.field) from None
    out = Path(cfg.get("out", "twin.h5"))
    twin.save(out)
    echo(f"wrote {out}: twin {twin.subject_id}; {_rest_line(fit.summary())}")
    if cfg.get("report"):
        echo(f"report: {write_report(twin, Path(cfg['report']))}")


def _rest_line(s: dict) -> str:
    """Posterior medians [90% interval], FC r [interval] vs the SC-FC baseline, FCD KS: one line."""
    params = "; ".join(f"{k} {v[1]:.3g} [{v[0]:.3g}, {v[2]:.3g}]" for k, v in s["parameters_q05_q50_q95"].items())
    return (f"{params}; FC r {s['fc_r_twin']:.2f} [{s['fc_r_low']:.2f}, {s['fc_r_high']:.2f}] vs SC-FC "
            f"{s['sc_fc_r']:.2f}; FCD KS {s['fcd_ks_median']:.2f}")


def _build_vep(config: Path, cfg: dict) -> None:
    """The epilepsy twin (data + connectome + Bayesian VEP fit -> twin file)."""
    from .vep import _devices

    for key in ("seeg", "connectome"):
        if key not in cfg and not (key == "connectome" and "tractography" in cfg):
            raise InputError(f"missing required key {key!r}", source=str(config), field=key)
    if "connectome" not in cfg and "tractography" in cfg:
        cfg["connectome"] = cfg["tractography"]
    if "gain" not in cfg and "contacts" not in cfg:
        raise InputError("give 'gain' (a matrix file) or 'contacts' (label x y z)", source=str(config), field="gain")
    from ..workflows.vep.priors import INITIAL_STATES

    initial = cfg.get("initial", "prior")
    if initial not in INITIAL_STATES:  # checked before the data are read and the chains run
        raise InputError(f"must be {' or '.join(INITIAL_STATES)}, got {initial!r}", source=str(config), field="initial")
    if initial == "slow" and "x_init" in cfg:  # x(0) follows z(0) there: an x_init would be silently ignored
        raise InputError("x_init has no effect with initial = \"slow\" (x(0) relaxes onto z(0)); remove it",
                         source=str(config), field="x_init")
    chains = int(cfg.get("chains", 4))
    _devices(chains)
    import braintwin as bt
    import braintwin.vep as vep
    from ..workflows.vep.labels import label_summary
    from ..workflows.vep.workflow import twin_from_fit

    base = config.parent
    path = lambda k: str((base / cfg[k]).resolve()) if not Path(cfg[k]).is_absolute() else cfg[k]  # noqa: E731
    if "tractography" in cfg:  # a connectome from streamlines + the parcellation image
        from ..connectome import connectome_from_tractography

        conn = connectome_from_tractography(path("tractography"), path("parcellation"), lut=cfg.get("lut") and path("lut"))
    else:
        conn = bt.connectome.as_connectome(cfg["connectome"] if cfg["connectome"].startswith("tvb") else path("connectome"))
    conn = conn.normalized("max").with_zero_diagonal()
    rec = vep.read_seeg(path("seeg"), recording_options=cfg.get("recording"), window=cfg.get("window"))
    obs = vep.io.envelope_from_recording(rec, baseline=cfg.get("baseline", 5.0), n_times=int(cfg.get("n_times", 150))) \
        if rec.fs_hz is not None else rec.data  # raw signals (EDF, BIDS, ...) -> the VEP envelope
    if "gain" in cfg:
        gain, contact_names, _ = vep.read_gain(path("gain"), n_regions=conn.n_regions)
    else:
        from ..observe import ChannelMatch, match_channels, seeg_gain_from_parcellation
        from ..observe.seeg import seeg_gain

        sensors = vep.read_contacts_file(path("contacts"))
        try:
            match = match_channels(rec.labels, sensors)
        except InputError:
            if len(sensors) != len(rec.labels):
                raise
            match = ChannelMatch(tuple(rec.labels), sensors)  # unnamed columns (C1, C2, ...): the contacts' order
        obs = obs[:, [rec.labels.index(c) for c in match.channels]]
        contacts, contact_names = match.contacts, list(match.channels)
        if "parcellation" in cfg:
            gain = seeg_gain_from_parcellation(contacts, path("parcellation"), lut=cfg.get("lut") and path("lut"),
                                               labels=conn.labels)[0].gain
        else:
            gain = seeg_gain(contacts.positions, centres=conn.centres, n_regions=conn.n_regions, method="centres")
    obs, okw, _ = vep.io.observation_options(obs, contact_names if contact_names is not None else rec.labels,
                                             observation=cfg.get("observation", "envelope"), scale=cfg.get("scale", "fit"),
                                             montage=cfg.get("montage", "monopolar"), source=str(config))
    max_dt = cfg.get("max_dt")
    f = vep.fit(obs, gain, conn, dt=float(cfg.get("dt", 0.25)), tau0=float(cfg.get("tau0", 20.0)), I1=float(cfg.get("I1", 3.1)),
                num_chains=chains, num_warmup=int(cfg.get("warmup", 300)), num_samples=int(cfg.get("samples", 300)),
                seed=int(cfg.get("seed", 0)), progress=True, max_dt=None if max_dt is None else float(max_dt),
                priors=vep.VEPPriors(x_init_loc=float(cfg.get("x_init", -2.0)), z_init_loc=float(cfg.get("z_init", 4.0)),
                                     eps_floor=None if cfg.get("eps_floor") is None else float(cfg["eps_floor"]),
                                     initial=initial), **okw)
    twin = twin_from_fit(f, conn, subject_id=cfg.get("subject_id"), tau0=float(cfg.get("tau0", 20.0)), I1=float(cfg.get("I1", 3.1)),
                         contact_labels=contact_names, seeds={"fit": int(cfg.get("seed", 0))}, config=cfg, metadata=cfg.get("metadata"))
    for k in ("seeg", "gain", "contacts", "parcellation", "tractography"):
        if k in cfg and Path(path(k)).is_file():
            twin.record_input(path(k))
    out = Path(cfg.get("out", "twin.h5"))
    twin.save(out)
    typer.echo(f"wrote {out}: twin {twin.subject_id}; {label_summary(twin)}; "
               f"diagnostics {'ok' if f.ok else 'FAILED (see report)'}", err=True)


_BUILDERS = {"vep": _build_vep, "rest": _build_rest}


@twin_app.command("update")
def update_cmd(
    twin: Path = typer.Argument(..., help="Twin file (updated in place unless --out is given)."),
    seeg: Optional[Path] = typer.Option(None, "--seeg", help="The new SEEG: log-power envelope NPY, CSV/TSV (time x contact), or raw EDF/BDF/BrainVision/FIF/BIDS."),
    bold: Optional[Path] = typer.Option(None, "--bold", help="Resting-state twin: the new parcellated BOLD (TSV/CSV, header = labels, or 4-D NIfTI)."),
    tsnpe: bool = typer.Option(False, "--tsnpe", help="Resting-state twin: refine the estimator for this recording (TSNPE) instead of the amortised one."),
    cache_dir: Path = typer.Option(Path(".braintwin-cache"), "--cache-dir", help="Resting-state twin: the build's cache folder (campaign, estimator)."),
    gain: Optional[Path] = typer.Option(None, "--gain", help="Gain of a new implantation (default: the twin's)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the updated twin here instead."),
    chains: Optional[int] = typer.Option(None, "--chains", help="NUTS chains (default: as the twin's fit)."),
    samples: Optional[int] = typer.Option(None, "--samples", help="Draws per chain (default: as the twin's fit)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed (default: the fit's seed plus the update number)."),
):
    """Update a twin with a new recording: its posterior becomes the prior of a warm-started re-fit.

    Exits with status 1 when the update's diagnostics fail (the twin is still written, its history records the failure).
    """
    from ..twin import Twin
    from ..workflows.vep.labels import label_summary

    t = Twin.load(twin)
    if t.posterior is None:
        raise InputError("the twin has no posterior to update", source=str(twin), field="posterior")
    if bold is not None:
        return _update_rest(t, twin, bold, out=out, tsnpe=tsnpe, seed=seed, cache_dir=cache_dir)
    if seeg is None:
        raise InputError("give the new recording: --seeg (epilepsy twin) or --bold (resting-state twin)", field="seeg")
    from .vep import _devices

    _devices(int(chains or t.posterior.n_chains))
    import braintwin.vep as vep

    rec = vep.read_seeg(seeg)
    data = {"seeg_envelope": vep.io.envelope_from_recording(rec) if rec.fs_hz is not None else rec.data}  # raw (EDF, BIDS): its envelope
    if gain is not None:
        data["gain"] = vep.read_gain(gain, n_regions=t.n_regions)[0]
    g = data.get("gain", (t.observation or {}).get("gain"))
    if g is None:
        raise InputError("the twin stores no SEEG gain; give the new implantation's with --gain", source=str(twin),
                         field="observation.gain")
    n_c = np.shape(g)[0]
    if np.ndim(data["seeg_envelope"]) != 2 or np.shape(data["seeg_envelope"])[1] != n_c:
        raise InputError(f"expected (time x {n_c} contacts), got shape {np.shape(data['seeg_envelope'])}", source=str(seeg),
                         field="seeg")
    f = t.update(data, num_chains=chains, num_samples=samples, seed=seed, progress=True)
    for p in (seeg, gain):
        if p is not None:
            t.record_input(p)
    dest = out or twin
    t.save(dest)
    d = f.diagnostics
    typer.echo(f"wrote {dest}: update {t.posterior.info.get('n_recordings', 2) - 1}; {label_summary(t)}; diagnostics {'ok' if d.ok else 'FAILED'} "
               f"(max R-hat {d.max_rhat('x0'):.3f}, {d.divergences} divergences); {f.timings['total']:.0f} s", err=True)
    if not d.ok:  # as `braintwin vep fit`: the twin is written (and its history says so), the exit status flags it
        raise typer.Exit(1)


def _update_rest(t, twin: Path, bold: Path, *, out, tsnpe: bool, seed, cache_dir: Path) -> None:
    """A resting-state twin's new visit (the ``npe`` updater), written in place or to ``out``."""
    from ..observe import read_bold
    from ..workflows.resting import visits

    rec = read_bold(bold, tr_s=t.posterior.info.get("rest", {}).get("tr_ms", 0) / 1000.0 or None, labels=list(t.connectome.labels))
    f = t.update(rec, tsnpe=tsnpe, seed=seed, cache_dir=cache_dir, log=lambda m: typer.echo(m, err=True))
    t.record_input(bold)
    dest = out or twin
    t.save(dest)
    typer.echo(f"wrote {dest}: visit {len(visits(t))}; {_rest_line(f.summary())}", err=True)


@twin_app.command("info")
def info_cmd(twin: Path = typer.Argument(..., help="Twin file."), as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Summarise a twin file (verifies its checksum)."""
    from ..twin import Twin

    t = Twin.load(twin)
    if as_json:
        typer.echo(json.dumps(t.info(), indent=2, default=str))
    else:
        typer.echo(t.summary_text())


def _interventions(resect, disconnect, lesion, stimulate, set_params, scale_params, compare):
    from ..whatif import parse_intervention, parse_interventions

    items = []
    one = parse_interventions(resect=resect or None, disconnect=disconnect or None, lesion=lesion or None,
                              stimulate=stimulate or None, set_params=set_params or None, scale_params=scale_params or None)
    if one is not None:
        items.append(one)
    items += [parse_intervention(c) for c in compare]
    return items


@app.command("whatif")
def whatif_cmd(
    twin: Path = typer.Argument(..., help="Twin file."),
    resect: List[str] = typer.Option([], "--resect", help="Regions to resect, e.g. lA1,lA2."),
    disconnect: List[str] = typer.Option([], "--disconnect", help="Edges to cut, e.g. lA1-lA2."),
    lesion: List[str] = typer.Option([], "--lesion", help="Lesion, e.g. all:weight=0.8,speed=0.7."),
    stimulate: List[str] = typer.Option([], "--stimulate", help="Stimulation, e.g. rA1:pulse:amp=1,period=100."),
    set_params: List[str] = typer.Option([], "--set", help="Parameter values, e.g. x0[lPHC]=-3."),
    scale_params: List[str] = typer.Option([], "--scale", help="Parameter factors, e.g. K=0.8."),
    compare: List[str] = typer.Option([], "--compare", help="A candidate to compare, e.g. 'resect=lA1' (repeatable)."),
    outcome: str = typer.Option("seizure", "--outcome", help="seizure, evoked, fc or spectrum."),
    n_samples: int = typer.Option(100, "--n-samples", help="Posterior draws to simulate."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the comparison table (HTML)."),
):
    """Predict interventions on a twin under its posterior uncertainty, ranked against the baseline."""
    from .._io import atomic_path
    from ..twin import Twin
    from ..whatif import compare as compare_fn

    t = Twin.load(twin)
    items = _interventions(resect, disconnect, lesion, stimulate, set_params, scale_params, compare)
    if not items:
        raise InputError("no intervention given (use --resect, --stimulate, --compare, ...)", source="command line", field="intervention")
    cmp = compare_fn(t, items, outcome=outcome, n_samples=n_samples)
    typer.echo(cmp.summary())
    if out is not None:
        with atomic_path(out) as tmp:
            tmp.write_text(cmp.to_html())
        typer.echo(f"wrote {out}", err=True)


@app.command("report")
def report_cmd(
    twin: Path = typer.Argument(..., help="Twin file."),
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="HTML file to write."),
    compare: List[str] = typer.Option([], "--compare", help="Candidate interventions (default: three resections from the posterior)."),
    n_samples: int = typer.Option(100, "--n-samples", help="Posterior draws per prediction."),
):
    """Write a self-contained HTML report of a twin: fit, EZ/PZ map, diagnostics and what-if comparison."""
    from ..report import write_report
    from ..twin import Twin
    from ..workflows.vep.workflow import candidate_resections
    from ..whatif import compare as compare_fn, parse_intervention, smallest_resection

    t = Twin.load(twin)
    cmp = search = None
    if t.posterior is not None and "x0" in t.posterior.samples:
        specs = list(compare) or candidate_resections(t)
        cmp = compare_fn(t, [parse_intervention(s) for s in specs], n_samples=n_samples)
        search = smallest_resection(t, n_samples=n_samples)
    write_report(t, out, comparison=cmp, search=search)
    typer.echo(f"wrote {out}", err=True)
