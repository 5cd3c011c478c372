"""``braintwin vep``: the Virtual Epileptic Patient from the command line.

* ``braintwin vep demo``: a synthetic patient end to end (simulation, SEEG,
  NUTS, labels, figures of the EZ/PZ map and the posterior, diagnostics);
* ``braintwin vep fit --seeg FILE (--gain FILE | --contacts FILE) --connectome SOURCE``:
  the same inference on a user's data (``--method npe``: the amortised VEP, an
  estimator trained once per connectome and contact set and cached).

Chains run in parallel on the CPU cores: the command sets JAX's host device
count (``numpyro.set_host_device_count``) before JAX starts.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError
from . import app

vep_app = typer.Typer(
    name="vep",
    help="Virtual Epileptic Patient: infer where seizures start (EZ) and spread (PZ) from SEEG.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(vep_app, name="vep")

#: A right temporal sub-network of tvb76 whose seizure propagates (demo default: about a minute).
DEMO_REGIONS = ("rAMYG", "rPHC", "rHC", "rTCI", "rTCV", "rTCPOL", "rTCC", "rTCS", "rIA", "rV1")
DEMO_EZ = ("rTCC", "rTCV")
DEMO_PZ = ("rTCI", "rAMYG", "rTCPOL", "rTCS")


def _devices(n_chains: int) -> None:
    """Let JAX see one CPU device per core (up to the number of chains), before JAX starts."""
    if "jax" in __import__("sys").modules:
        return
    try:
        import numpyro
    except ImportError:
        raise InputError("the VEP needs JAX and NumPyro (pip install 'braintwin[jax]')", source="braintwin vep", field="dependencies") from None
    numpyro.set_host_device_count(max(1, min(int(n_chains), os.cpu_count() or 1)))


def _save_fig(fig, path: Path) -> str:
    from .._io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return str(path)


def _write_outputs(out: Path, f, extra: dict, con) -> dict:
    """Write summary.json, labels.csv, posterior.npz and figures; return the summary."""
    import numpy as np

    from .._io import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    summary = f.summary()
    summary.update(extra)
    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=1, default=float))
    lt = f.labels
    rows = ["region,label,p_ez,p_pz,p_healthy,x0_mean,x0_sd"]
    x0 = f.x0_samples
    for i, r in enumerate(lt.regions):
        rows.append(f"{r},{lt.label[i]},{lt.p_ez[i]:.4f},{lt.p_pz[i]:.4f},{lt.p_healthy[i]:.4f},{x0[:, i].mean():.4f},{x0[:, i].std():.4f}")
    with atomic_path(out / "labels.csv") as tmp:
        tmp.write_text("\n".join(rows) + "\n")
    with atomic_path(out / "posterior.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **{k: v for k, v in f.samples.items() if not k.endswith("_star")},
                                regions=np.array(lt.regions), labels=lt.label, p_ez=lt.p_ez, p_pz=lt.p_pz, p_healthy=lt.p_healthy)
    figs = {
        "vep_fit.png": f.plot(),
        "vep_ppc.png": f.plot_ppc(),
        "vep_diagnostics.png": f.diagnostics.plot(),
    }
    for name, fig in figs.items():
        con.print("figure:", _save_fig(fig, out / name))
    con.print(f"wrote {out / 'summary.json'}, {out / 'labels.csv'}, {out / 'posterior.npz'}")
    return summary


def _report(f, con) -> None:
    d = f.diagnostics
    con.print(d.summary())
    con.print(str(f.labels))
    if not d.ok:
        what = "calibration" if getattr(f, "posterior", None) is not None else "diagnostics"
        con.print(f"[bold red]{what} FAILED[/]: " + "; ".join(d.problems))


@vep_app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("vep_demo"), "--out", "-o", help="Folder for the outputs."),
    network: str = typer.Option("small", "--network", help="'small' (10-region temporal sub-network of tvb76, about a minute) or 'tvb76' (all 76 regions, several minutes)."),
    chains: int = typer.Option(4, "--chains", help="NUTS chains."),
    warmup: int = typer.Option(300, "--warmup", help="Warm-up iterations per chain."),
    samples: int = typer.Option(300, "--samples", help="Kept draws per chain."),
    seed: int = typer.Option(0, "--seed", help="Seed of the patient and of the sampler."),
    target_accept: float = typer.Option(0.99, "--target-accept", help="NUTS target acceptance (high: small steps near the "
                                        "seizure threshold's ridges, fewer divergences)."),
):
    """Synthetic patient end to end: simulate a seizure, observe it by SEEG, infer x0, label EZ/PZ."""
    _devices(chains)
    from rich.console import Console

    import braintwin as bt
    import braintwin.vep as vep

    con = Console(stderr=True)
    t_all = time.perf_counter()
    con.rule("[bold]1/3 synthetic patient")
    if network == "small":
        conn = bt.Connectome.builtin("tvb76").subset(list(DEMO_REGIONS))
        p = vep.synthetic_patient(conn, ez=list(DEMO_EZ), pz=list(DEMO_PZ), dt=0.25, n_times=80, n_contacts=16, tau0=20.0, seed=seed)
    elif network == "tvb76":
        p = _tvb76_patient(seed)
    else:
        raise InputError(f"unknown network {network!r}; use small or tvb76", source="braintwin vep demo", field="network")
    s = p.summary()
    con.print(f"{s['n_regions']} regions, {s['n_contacts']} SEEG contacts, {s['n_times']} samples; "
              f"EZ {', '.join(s['ez'])}; PZ (recruited) {', '.join(s['pz'])}; K={p.K:.3g}, tau0={p.tau0:g}")
    out.mkdir(parents=True, exist_ok=True)
    con.print("figure:", _save_fig(p.plot(), out / "patient.png"))
    con.rule("[bold]2/3 Bayesian VEP (NUTS)")
    f = vep.fit_patient(p, num_chains=chains, num_warmup=warmup, num_samples=samples, seed=seed, progress=True,
                      target_accept_prob=target_accept)
    _report(f, con)
    acc = f.accuracy()
    con.print(f"labels vs truth: {acc['correct']}/{acc['n_regions']} correct; EZ precision {acc['ez_precision']:.2f} "
              f"recall {acc['ez_recall']:.2f}; PZ precision {acc['pz_precision']:.2f} recall {acc['pz_recall']:.2f}")
    con.rule("[bold]3/3 outputs")
    _write_outputs(out, f, {"patient": s, "seconds_total": round(time.perf_counter() - t_all, 2)}, con)
    con.print(f"done in {time.perf_counter() - t_all:.1f} s")


def _tvb76_patient(seed: int):
    """A tvb76 patient whose seizure recruits at least 3 regions (EZ pairs drawn until one does)."""
    import braintwin.vep as vep
    from ..errors import InputError as _IE

    last = None
    for k in range(200):
        try:
            return vep.synthetic_patient("tvb76", x0_healthy=-2.3, n_pz=6, dt=0.25, n_times=150, n_contacts=100,
                                         tau0=(15.0, 20.0, 30.0), min_pz=3, seed=seed + k)
        except _IE as e:
            last = e
    raise last


def _read_inputs(seeg: Path, connectome: str, gain: Optional[Path], contacts: Optional[str], *, envelope: str, fs, baseline: float,
                 n_times: int, recording, window, parcellation, lut, observation: str, scale: str, montage: str, con, source: str):
    """The SEEG observation, gain and connectome of ``vep fit`` / ``vep compare``, read and checked as the options say.

    Returns ``(y, gain, connectome, contact_labels, observation_kwargs, channels, recording)``.
    """
    import braintwin as bt
    import braintwin.vep as vep

    if (gain is None) == (contacts is None):
        raise InputError("give exactly one of --gain and --contacts", source=source, field="gain")
    conn = bt.connectome.as_connectome(connectome).normalized("max").with_zero_diagonal()
    from .data import parse_options

    rec = vep.read_seeg(seeg, recording_options=parse_options(recording, "recording") or None,
                        window=parse_options(window, "window") or None)
    raw = rec.fs_hz is not None if envelope == "auto" else envelope == "no"  # MNE formats give fs: raw signals
    if envelope not in ("auto", "yes", "no"):
        raise InputError(f"--envelope must be auto, yes or no; got {envelope!r}", source=source, field="envelope")
    y = rec.data
    labels = rec.labels
    if gain is not None:
        gain_m, rows, cols = vep.read_gain(gain, n_contacts=y.shape[1], n_regions=conn.n_regions)
        if rows is not None and set(rows) == set(labels) and tuple(rows) != labels:
            order = [list(rows).index(l) for l in labels]
            gain_m = gain_m[order]
    else:
        sensors = vep.read_contacts_file(contacts)
        pos = {l: i for i, l in enumerate(sensors.labels)}
        missing = [l for l in labels if l not in pos]
        if missing and len(sensors.labels) == len(labels):
            keep = list(range(len(labels)))  # no names in common: same order
        elif missing:
            raise InputError(f"{len(missing)} SEEG contact(s) have no position (e.g. {missing[:3]})", source=str(contacts), field="contacts")
        else:
            keep = [pos[l] for l in labels]
        if parcellation is not None:  # 1/d^2 over the voxels of each region, columns matched to the connectome by name
            from ..observe import seeg_gain_from_parcellation

            gain_m = seeg_gain_from_parcellation(sensors.subset(keep), parcellation, lut=lut, labels=conn.labels)[0].gain
        else:
            gain_m, _, _ = vep.patient_gain(conn, sensors.subset(keep), None)
    from ..vep.io import envelope_from_recording, resample_envelope

    if observation == "envelope":
        y = envelope_from_recording(rec, baseline=baseline, n_times=n_times, fs_hz=fs) if raw else resample_envelope(y, n_times)
    elif n_times:
        y = resample_envelope(y, n_times)
    y, okw, channels = vep.io.observation_options(y, labels, observation=observation, scale=scale, montage=montage,
                                                  source=source)
    con.print(f"SEEG {rec.source}: {y.shape[1]} channels ({observation}, {montage}), {y.shape[0]} samples; "
              f"connectome {conn.n_regions} regions")
    return y, gain_m, conn, labels, okw, channels, rec


#: Options shared by ``vep fit`` and ``vep compare`` (declared once).
_OPTS = {
    "seeg": typer.Option(..., "--seeg", help="SEEG file: .npy/.npz/.csv/.tsv (time x contact), .edf/.bdf/.vhdr/.fif or a BIDS folder (MNE)."),
    "connectome": typer.Option(..., "--connectome", "-c", help="Connectome file or built-in name (weights divided by their maximum, diagonal zeroed)."),
    "gain": typer.Option(None, "--gain", help="Monopolar gain file (contacts x regions, rows in the SEEG's contact order)."),
    "contacts": typer.Option(None, "--contacts", help="Contact positions (label x y z, mm; or a BIDS electrodes.tsv) or 'seeg_588': the inverse-square gain is computed."),
    "envelope": typer.Option("auto", "--envelope", help="'yes': the file holds the log-power envelope; 'no': raw SEEG (its envelope is computed); 'auto': raw for EDF."),
    "fs": typer.Option(None, "--fs", help="Sampling rate of raw SEEG in Hz (EDF gives it)."),
    "baseline": typer.Option(5.0, "--baseline", help="Baseline length in s for the envelope of raw SEEG."),
    "n_times": typer.Option(150, "--n-times", help="Resample the envelope to this many samples (0: keep)."),
    "dt": typer.Option(0.25, "--dt", help="Model time between samples; split into integration sub-steps when above the step the model allows (see --max-dt)."),
    "tau0": typer.Option(20.0, "--tau0", help="Slow time scale of the VEP2D."),
    "chains": typer.Option(4, "--chains"),
    "warmup": typer.Option(300, "--warmup", help="Warm-up iterations per chain (about 76 regions: 500, so that the "
                           "pooled mass matrix is estimated from enough draws; benchmarks/vep_fit.py)."),
    "samples": typer.Option(500, "--samples", help="Kept draws per chain (about 76 regions: 1200 for R-hat <= 1.01)."),
    "seed": typer.Option(0, "--seed"),
    "progress": typer.Option(True, "--progress/--no-progress"),
    "recording": typer.Option([], "--recording", help="Reading options, e.g. kind=seeg,subject=01,task=seizure (BIDS)."),
    "window": typer.Option([], "--window", help="Seizure window, e.g. annotation=seizure_onset,offset=20,baseline=5."),
    "parcellation": typer.Option(None, "--parcellation", help="With --contacts: gain over this label image's voxels (NIfTI)."),
    "lut": typer.Option(None, "--lut", help="Lookup table naming the parcellation's regions."),
    "observation": typer.Option("envelope", "--observation", help="'envelope' (log-power envelope, real recordings), "
                                    "'sensor' (y = gain exp(x) on its raw scale; bipolar possible) or 'sensor-log' (log y)."),
    "scale": typer.Option("fit", "--scale", help="'fit' an amplitude and offset, or 'fixed' (1 and 0: data on the model's scale)."),
    "montage": typer.Option("monopolar", "--montage", help="'monopolar' or 'bipolar' (neighbouring contacts of an electrode; with --observation sensor)."),
    "max_dt": typer.Option(None, "--max-dt", help="Largest integration step (default: from tau0 and the fast time scale); a larger --dt is sub-stepped."),
    "target_accept": typer.Option(0.9, "--target-accept", help="NUTS target acceptance probability."),
}


@vep_app.command("fit")
def fit_cmd(
    seeg: Path = _OPTS["seeg"],
    connectome: str = _OPTS["connectome"],
    gain: Optional[Path] = _OPTS["gain"],
    contacts: Optional[str] = _OPTS["contacts"],
    out: Path = typer.Option(Path("vep_fit"), "--out", "-o", help="Folder for the outputs."),
    envelope: str = _OPTS["envelope"],
    fs: Optional[float] = _OPTS["fs"],
    baseline: float = _OPTS["baseline"],
    n_times: int = _OPTS["n_times"],
    dt: float = _OPTS["dt"],
    tau0: float = _OPTS["tau0"],
    chains: int = _OPTS["chains"],
    warmup: int = _OPTS["warmup"],
    samples: int = _OPTS["samples"],
    seed: int = _OPTS["seed"],
    progress: bool = _OPTS["progress"],
    recording: List[str] = _OPTS["recording"],
    window: List[str] = _OPTS["window"],
    parcellation: Optional[Path] = _OPTS["parcellation"],
    lut: Optional[Path] = _OPTS["lut"],
    method: str = typer.Option("nuts", "--method", help="'nuts' (Bayesian VEP, gradient-based) or 'npe' (amortised VEP: "
                               "neural posterior estimation on the vep_sbi features; trains once per connectome and contact set)."),
    n_sims: int = typer.Option(10_000, "--n-sims", help="With --method npe: simulations of the training campaign (when no estimator is cached)."),
    estimator: Optional[Path] = typer.Option(None, "--estimator", help="With --method npe: a trained estimator file (refused if made for another connectome or contact set)."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="With --method npe: estimator cache (default ~/.cache/braintwin/vep_npe)."),
    max_epochs: int = typer.Option(200, "--max-epochs", help="With --method npe: most training epochs (early stopping decides)."),
    refine_rounds: int = typer.Option(0, "--refine-rounds", min=0, help="With --method npe: refine the amortised posterior for this recording "
                                      "by N rounds of truncated sequential NPE over the regions that rise (6 recommended: ~200 s for tvb76 on 2 cores; "
                                      "on the benchmark's 10 patients EZ precision 0.95-1.0, recall 1.0, PZ recall 1.0; 0: amortised only)."),
    observation: str = _OPTS["observation"],
    scale: str = _OPTS["scale"],
    montage: str = _OPTS["montage"],
    max_dt: Optional[float] = _OPTS["max_dt"],
    x_init: Optional[float] = typer.Option(None, "--x-init", help="Prior centre of every region's initial x (default -2; "
                                           "refused with --initial slow, where x(0) follows z(0))."),
    z_init: float = typer.Option(4.0, "--z-init", help="Prior centre of every region's initial z."),
    initial: str = typer.Option("prior", "--initial", help="Initial-state prior: 'prior' (x and z free around --x-init, "
                                "--z-init), 'rest' (the network's resting state plus deviations) or 'slow' (the window starts "
                                "interictal: z free around --z-init, kept above the knee, x relaxed onto the lower branch; "
                                "--x-init unused; for real recordings and the clinical benchmark, see VEPPriors.initial)."),
    target_accept: float = _OPTS["target_accept"],
    map_maxiter: int = typer.Option(1000, "--map-maxiter", help="L-BFGS iterations of each MAP start (the chains start around "
                                    "the best MAP; a sharp posterior needs several thousand)."),
    eps_floor: Optional[float] = typer.Option(None, "--eps-floor", help="Floor of the observation noise in units of the data's sd "
                                              "(model error the ODE cannot follow; default 0.1 for --observation sensor, 0 otherwise)."),
    min_shrinkage: float = typer.Option(0.5, "--min-shrinkage", help="A healthy region whose x0 posterior shrank less than this "
                                        "(1 - var_post / var_prior) is labelled 'not observable' (0: never)."),
    ez_rule: str = typer.Option("simulation", "--ez-rule", help="EZ per posterior draw: 'simulation' (seizes on its own and in "
                                "the network) or 'threshold' (x0 >= -2.05, the published VEP convention)."),
    pz_rule: str = typer.Option("recruited", "--pz-rule", help="PZ per draw: 'recruited' (seizes in the network simulation), "
                                "'threshold' (-2.45 <= x0 < -2.05, the published convention: also a region the recording "
                                "ends before recruiting) or 'either'."),
    chain_method: str = typer.Option("auto", "--chain-method", help="How the NUTS chains share the CPU devices: 'auto' "
                                     "(= sequential on CPU), 'parallel' (vmapped in lockstep on each device), 'sequential' (one "
                                     "after the other on each device: ~1.5x faster on large networks, see braintwin.infer.run_nuts)."),
    step_pool: str = typer.Option("min", "--step-pool", help="Step size the chains sample with after warm-up: 'min' (the "
                                  "smallest adapted step, for every chain), 'median', or 'chain' (each its own; see "
                                  "braintwin.infer.run_nuts)."),
):
    """Infer x0 and the EZ/PZ map from a patient's SEEG; writes the fit's files and twin.h5.

    --dt is the model time between samples: it is split into integration sub-steps when it exceeds the step the
    model's time scales allow (tau0 and the fast rate of x), so a coarse --dt never silently distorts the fit.
    """
    from ..workflows.vep.priors import INITIAL_STATES

    if method not in ("nuts", "npe"):
        raise InputError(f"--method must be nuts or npe, got {method!r}", source="braintwin vep fit", field="method")
    for name, value, allowed in (("ez_rule", ez_rule, ("simulation", "threshold")),
                                 ("pz_rule", pz_rule, ("recruited", "threshold", "either")),
                                 ("chain_method", chain_method, ("auto", "parallel", "sequential", "vectorized")),
                                 ("step_pool", step_pool, ("min", "median", "chain")),
                                 ("initial", initial, INITIAL_STATES)):
        if value not in allowed:  # checked before the fit, not after minutes of sampling
            raise InputError(f"--{name.replace('_', '-')} must be {' or '.join(allowed)}, got {value!r}",
                             source="braintwin vep fit", field=name)
    if initial == "slow" and x_init is not None:  # x(0) relaxes onto z(0) there: the value would be silently ignored
        raise InputError("--x-init has no effect with --initial slow (x(0) relaxes onto z(0)); drop it",
                         source="braintwin vep fit", field="x_init")
    if method == "npe" and (observation != "envelope" or montage != "monopolar"):
        raise InputError("--method npe is trained on the monopolar log-power envelope (vep_sbi features); "
                         "use --observation envelope --montage monopolar", source="braintwin vep fit", field="observation")
    _devices(chains)
    from rich.console import Console

    import braintwin.vep as vep

    con = Console(stderr=True)
    y, gain_m, conn, labels, okw, channels, rec = _read_inputs(
        seeg, connectome, gain, contacts, envelope=envelope, fs=fs, baseline=baseline, n_times=n_times, recording=recording,
        window=window, parcellation=parcellation, lut=lut, observation=observation, scale=scale, montage=montage, con=con,
        source="braintwin vep fit")
    if method == "npe":
        f = vep.fit_npe(y, gain_m, conn, dt=dt, tau0=tau0, estimator=estimator, n_sims=n_sims, cache_dir=cache_dir, seed=seed,
                        progress=progress, contact_labels=list(labels), train_kwargs={"max_epochs": max_epochs},
                        ez_rule=ez_rule, pz_rule=pz_rule, refine_rounds=refine_rounds)
    else:
        f = vep.fit(y, gain_m, conn, dt=dt, tau0=tau0, num_chains=chains, num_warmup=warmup, num_samples=samples, seed=seed,
                    progress=progress, priors=vep.VEPPriors(x_init_loc=-2.0 if x_init is None else x_init, z_init_loc=z_init, eps_floor=eps_floor, initial=initial), max_dt=max_dt,
                    target_accept_prob=target_accept, min_shrinkage=min_shrinkage or None, map_maxiter=map_maxiter,
                    ez_rule=ez_rule, pz_rule=pz_rule, chain_method=chain_method, step_pool=step_pool, **okw)
    _report(f, con)
    _write_outputs(out, f, {"seeg": rec.source, "contacts": list(labels), "channels": list(channels), "method": method,
                            "observation": observation, "scale": scale, "montage": montage}, con)
    from ..workflows.vep.workflow import twin_from_fit

    twin = twin_from_fit(f, conn, tau0=tau0, contact_labels=list(labels), seeds={method: seed})
    con.print("twin:", twin.save(out / "twin.h5"))
    return 0 if f.ok else 1


def _hypotheses_from_cli(specs: List[str], toml_file: Optional[Path]) -> dict:
    """``--hypothesis "name=rA,rB"`` (or ``"name=rA,rB;pz=rC"``) and/or a TOML file of ``[name] ez = [...] pz = [...]``."""
    src = "braintwin vep compare"
    out: dict = {}
    if toml_file is not None:
        import tomllib

        try:
            doc = tomllib.loads(Path(toml_file).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"not valid TOML: {e}", source=str(toml_file), field="hypotheses") from None
        doc = doc.get("hypotheses", doc)
        for name, spec in doc.items():
            if not isinstance(spec, dict):
                raise InputError(f"hypothesis {name!r} must be a table with 'ez' (and optionally 'pz')", source=str(toml_file),
                                 field="hypotheses")
            out[str(name)] = spec
    for spec in specs:
        name, sep, rest = spec.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--hypothesis {spec!r}: expected name=REGION,REGION[;pz=REGION,...]", source=src, field="hypothesis")
        ez, _, pz = rest.partition(";pz=")
        if name.strip() in out:
            raise InputError(f"hypothesis {name.strip()!r} given twice", source=src, field="hypothesis")
        out[name.strip()] = {"ez": [r.strip() for r in ez.split(",") if r.strip()], "pz": [r.strip() for r in pz.split(",") if r.strip()]}
    return out


def _write_comparison(out: Path, cmp, con) -> None:
    """hypotheses.json (table and sentence), hypotheses.csv and hypotheses.png."""
    from .._io import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "hypotheses.json") as tmp:
        tmp.write_text(json.dumps({**cmp.to_tree(), "sentence": cmp.sentence()}, indent=1, default=float))
    cols = ["rank", "name", "elpd_loo", "se", "d_elpd", "dse", "weight", "p_loo", "pareto_k_bad", "pareto_k_max", "diagnostics_ok"]
    lines = [",".join(cols + ["ez", "pz"])]
    for r in cmp.table:
        lines.append(",".join([str(r[c]) for c in cols] + [" ".join(r["ez"]), " ".join(r["pz"])]))
    with atomic_path(out / "hypotheses.csv") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    con.print("figure:", _save_fig(cmp.plot(), out / "hypotheses.png"))


@vep_app.command("compare")
def compare_cmd(
    seeg: Path = _OPTS["seeg"],
    connectome: str = _OPTS["connectome"],
    hypothesis: List[str] = typer.Option([], "--hypothesis", help="A clinical hypothesis: name=REGION,REGION (its EZ), "
                                         "optionally ;pz=REGION,... Give at least two (or --hypotheses)."),
    hypotheses: Optional[Path] = typer.Option(None, "--hypotheses", help="TOML file: one table per hypothesis, [name] ez = [...] pz = [...]."),
    gain: Optional[Path] = _OPTS["gain"],
    contacts: Optional[str] = _OPTS["contacts"],
    out: Path = typer.Option(Path("vep_compare"), "--out", "-o", help="Folder for the outputs."),
    envelope: str = _OPTS["envelope"],
    fs: Optional[float] = _OPTS["fs"],
    baseline: float = _OPTS["baseline"],
    n_times: int = _OPTS["n_times"],
    dt: float = _OPTS["dt"],
    tau0: float = _OPTS["tau0"],
    chains: int = _OPTS["chains"],
    warmup: int = _OPTS["warmup"],
    samples: int = _OPTS["samples"],
    seed: int = _OPTS["seed"],
    progress: bool = _OPTS["progress"],
    recording: List[str] = _OPTS["recording"],
    window: List[str] = _OPTS["window"],
    parcellation: Optional[Path] = _OPTS["parcellation"],
    lut: Optional[Path] = _OPTS["lut"],
    observation: str = _OPTS["observation"],
    scale: str = _OPTS["scale"],
    montage: str = _OPTS["montage"],
    max_dt: Optional[float] = _OPTS["max_dt"],
    target_accept: float = _OPTS["target_accept"],
    ez_prior: str = typer.Option("-1.8,0.3", "--ez-prior", help="Mean,sd of x0 at a hypothesised EZ."),
    pz_prior: str = typer.Option("-2.25,0.2", "--pz-prior", help="Mean,sd of x0 at a hypothesised PZ."),
):
    """Compare clinical EZ hypotheses: each enters the Bayesian VEP as a prior on x0; PSIS-LOO ranks them.

    Writes hypotheses.json/.csv/.png, twin.h5 (the best hypothesis's fit, with the comparison) and report.html.
    """
    src = "braintwin vep compare"
    hyps = _hypotheses_from_cli(hypothesis, hypotheses)
    priors_xy = []
    for opt, text in (("ez_prior", ez_prior), ("pz_prior", pz_prior)):
        try:
            m, sd = (float(v) for v in text.split(","))
        except ValueError:
            raise InputError(f"expected mean,sd, got {text!r}", source=src, field=opt) from None
        priors_xy.append((m, sd))
    _devices(chains)
    from rich.console import Console

    import braintwin as bt
    import braintwin.vep as vep
    from ..workflows.vep.hypotheses import parse_hypotheses

    parse_hypotheses(hyps, bt.connectome.as_connectome(connectome).labels)  # refuse bad labels before reading or fitting
    con = Console(stderr=True)
    y, gain_m, conn, labels, okw, channels, rec = _read_inputs(
        seeg, connectome, gain, contacts, envelope=envelope, fs=fs, baseline=baseline, n_times=n_times, recording=recording,
        window=window, parcellation=parcellation, lut=lut, observation=observation, scale=scale, montage=montage, con=con,
        source=src)
    cmp = vep.compare_hypotheses(y, hyps, gain=gain_m, connectome=conn, ez_prior=priors_xy[0], pz_prior=priors_xy[1], dt=dt,
                                 tau0=tau0, num_chains=chains, num_warmup=warmup, num_samples=samples, seed=seed, progress=progress,
                                 max_dt=max_dt, target_accept_prob=target_accept, **okw)
    con.print(str(cmp))
    _write_comparison(out, cmp, con)
    from ..workflows.vep.workflow import twin_from_fit

    best = cmp.fits[cmp.best]
    twin = cmp.attach(twin_from_fit(best, conn, tau0=tau0, contact_labels=list(labels), seeds={"nuts": seed}))
    con.print("twin:", twin.save(out / "twin.h5"))
    con.print("report:", bt.report.write_report(twin, out / "report.html"))
    return 0 if all(r["diagnostics_ok"] for r in cmp.table) else 1
