"""``braintwin sbi train|sample|diagnose``: neural posterior estimation from a campaign file.

* ``train CONFIG.toml [--campaign FILE] [--out FILE.npe] [--flow maf|nsf] [--ensemble K]
  [--condition-on SET,SET] [--standardize zscore|rank] [--summaries DEGREE] ...``: trains on
  the campaign's usable rows (on some of its feature sets with ``condition_on``), keeping
  the last ``n_test`` out for ``diagnose``;
* ``diagnose CONFIG.toml [--estimator FILE.npe] [--out-dir DIR]``: SBC, TARP and
  z-score/shrinkage on the held-out rows -> ``calibration.json`` and one figure each;
* ``sample CONFIG.toml --observed FEATURES.json [--estimator FILE.npe] [--calibration
  calibration.json] [--out posterior.h5] [--ppc N]``: the posterior of one observation;
  ``--ppc N`` adds a posterior predictive check (N simulations with the TOML's
  ``[simulator]``, diagnostics key ``"ppc"``, figure ``<out>.ppc.png``).

The settings live in the TOML file's ``[npe]`` table (flags override them); the
campaign file defaults to ``[campaign] out`` of the same file, the estimator to the
campaign's name with ``.npe``.  An observation file is JSON: ``{"feature_names":
[...], "x": [...], "config": {...}}`` (``config`` optional: connectome/gain checksums
to check) or a ``{name: value}`` table.  :func:`register` adds the commands to the
``sbi`` sub-app.  Outputs are written only after every check passed.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Optional

import typer

from ..errors import InputError

NPE_KEYS = {"campaign", "estimator", "flow", "n_transforms", "hidden", "depth", "n_bins", "ensemble", "seed",
            "max_epochs", "patience", "batch_size", "learning_rate", "val_fraction", "n_test", "n_draws",
            "out_dir", "n_samples", "posterior", "n_components", "condition_on", "standardize",
            "regression_summaries", "restarts"}
TRAIN_DEFAULTS = {"flow": "maf", "n_transforms": 5, "hidden": 50, "depth": 1, "n_bins": 8, "ensemble": 1, "seed": 0,
                  "max_epochs": 500, "patience": 20, "batch_size": 128, "learning_rate": 1e-3, "val_fraction": 0.1,
                  "n_test": 200, "standardize": "zscore", "restarts": 1}


def feature_columns(names: list, condition_on, src: str) -> list[int]:
    """Columns of the features whose set (the name before ``[``) is in ``condition_on`` (all when empty).

    Lets an estimator condition on some of the feature sets a campaign computed (e.g. a
    campaign with FC, FCD and amplitude statistics, an estimator on the amplitudes).
    """
    if not condition_on:
        return list(range(len(names)))
    wanted = [condition_on] if isinstance(condition_on, str) else list(condition_on)
    sets = {str(n).split("[", 1)[0] for n in names}
    unknown = [w for w in wanted if w not in sets]
    if unknown:
        raise InputError(f"unknown feature set(s) {', '.join(map(str, unknown))}; the campaign has "
                         f"{', '.join(sorted(sets))}", source=src, field="npe.condition_on")
    return [i for i, n in enumerate(names) if str(n).split("[", 1)[0] in wanted]


def columns_by_name(names, wanted, src: str, field: str = "feature_names") -> list[int]:
    """Indices of ``wanted`` feature names in ``names`` (an estimator trained on a subset of a campaign's sets)."""
    index = {str(n): i for i, n in enumerate(names)}
    missing = [w for w in wanted if w not in index]
    if missing:
        raise InputError(f"{len(missing)} of the estimator's features are missing (e.g. {missing[0]})",
                         source=src, field=field)
    return [index[w] for w in wanted]


class _Columns:
    """A campaign simulator seen through some of its features (for a subset estimator's predictive check)."""

    def __init__(self, sim, names):
        self.sim, self.cols = sim, columns_by_name(sim.feature_names, names, "simulator")
        self.feature_names = list(names)

    def simulate(self, params, seeds):
        x, status = self.sim.simulate(params, seeds)
        return x[:, self.cols], status


def npe_settings(config: Path, **flags: Any) -> dict:
    """The ``[npe]`` table of ``config`` with defaults, paths resolved, and flags (when not None) on top."""
    src = str(config)
    try:
        d = tomllib.loads(Path(config).read_text())
    except FileNotFoundError:
        raise InputError("file not found", source=src) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"cannot read the TOML file ({e})", source=src) from None
    npe = d.get("npe", {})
    if not isinstance(npe, dict):
        raise InputError("expected a table", source=src, field="npe")
    unknown = sorted(set(npe) - NPE_KEYS)
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(NPE_KEYS))}",
                         source=src, field=f"npe.{unknown[0]}")
    # paths in the TOML file are relative to it; paths given as flags to the working directory
    base = Path(config).parent
    npe = dict(npe)
    for key in ("campaign", "estimator", "out_dir", "posterior"):
        if npe.get(key):
            npe[key] = base / npe[key]
    camp_out = d.get("campaign", {}).get("out")
    s = {**TRAIN_DEFAULTS, **npe, **{k: v for k, v in flags.items() if v is not None}}
    camp = s.get("campaign") or (base / camp_out if camp_out else None)
    if camp is None:
        raise InputError("no campaign file: [npe] campaign, [campaign] out or --campaign", source=src, field="npe.campaign")
    s["campaign"] = Path(camp)
    s["estimator"] = Path(s.get("estimator") or s["campaign"].with_suffix(".npe"))  # default: beside the campaign
    return s


def _split(campaign, n_test: int, src: str):
    """Usable rows of the campaign: training part and the last ``n_test`` (held out), with the counts."""
    theta, x, counts = campaign.training_data()
    if isinstance(n_test, bool) or not isinstance(n_test, int) or n_test < 0 or n_test > len(theta) - 20:
        raise InputError(f"n_test={n_test!r}: need 0 <= n_test <= {len(theta) - 20} ({len(theta)} usable rows)",
                         source=src, field="npe.n_test")
    cut = len(theta) - n_test
    return (theta[:cut], x[:cut]), (theta[cut:], x[cut:]), counts


def train(config: Path, **flags: Any) -> dict:
    """``braintwin sbi train``: the estimator file from the campaign file (returns a JSON-ready summary)."""
    from ..infer.sbi.campaign import read_campaign
    from ..infer.sbi import NPE, write_estimator

    s = npe_settings(config, **flags)
    campaign = read_campaign(s["campaign"])
    (theta, x), _, counts = _split(campaign, int(s["n_test"]), str(s["campaign"]))
    cols = feature_columns(campaign.feature_names, s.get("condition_on"), str(config))
    summ = s.get("regression_summaries")
    npe = NPE(campaign.prior, flow=s["flow"], n_transforms=int(s["n_transforms"]), hidden=int(s["hidden"]),
              depth=int(s["depth"]), n_bins=int(s["n_bins"]), ensemble=int(s["ensemble"]),
              n_components=None if s.get("n_components") is None else int(s["n_components"]),
              standardize=str(s["standardize"]), regression_summaries=None if not summ else int(summ))
    npe.append_simulations(theta, x[:, cols], feature_names=[campaign.feature_names[i] for i in cols],
                           config=campaign.config, source=str(s["campaign"]))
    npe.counts.update({f"campaign_{k}": int(v) for k, v in counts.items()})
    est = npe.train(seed=int(s["seed"]), max_epochs=int(s["max_epochs"]), patience=int(s["patience"]),
                    batch_size=int(s["batch_size"]), learning_rate=float(s["learning_rate"]),
                    val_fraction=float(s["val_fraction"]), restarts=int(s["restarts"]))
    est.training.update({"campaign": str(s["campaign"]), "n_test": int(s["n_test"]), "n_ok": int(counts["n_ok"])})
    write_estimator(est, s["estimator"])
    return {"out": str(s["estimator"]), "n_train": est.training["n_train"], "n_test": int(s["n_test"]),
            "epochs": [m["epochs"] for m in est.training["members"]], **{k: int(v) for k, v in counts.items()}}


def diagnose(config: Path, **flags: Any) -> dict:
    """``braintwin sbi diagnose``: calibration on the held-out rows -> ``calibration.json`` + figures."""
    from .._io import atomic_path
    from ..infer.sbi.calibration import calibrate
    from ..infer.sbi.campaign import read_campaign
    from ..infer.sbi import read_estimator

    s = npe_settings(config, **flags)
    est = read_estimator(s["estimator"])
    n_test, n_ok = est.training.get("n_test", 0), est.training.get("n_ok")
    if not n_test:
        raise InputError("the estimator was trained without held-out rows (n_test = 0)", source=str(s["estimator"]))
    campaign = read_campaign(s["campaign"])
    est.check_compatible(config=campaign.config, source=str(s["campaign"]))
    theta, x, _ = campaign.training_data()
    x = x[:, columns_by_name(campaign.feature_names, est.feature_names, str(s["campaign"]))]
    if n_ok is None or len(theta) < n_ok:
        raise InputError(f"the campaign has {len(theta)} usable rows, the estimator was trained with {n_ok}",
                         source=str(s["campaign"]))
    theta, x = theta[n_ok - n_test:n_ok], x[n_ok - n_test:n_ok]  # rows appended later were never held out
    cal = calibrate(est, theta, x, n_draws=int(s.get("n_draws", 200)), seed=int(s["seed"]))
    out_dir = Path(s.get("out_dir") or s["estimator"].with_suffix(""))
    figures = {k: cal[k].plot() for k in ("sbc", "tarp", "zscore_shrinkage")}
    for name, fig in figures.items():
        with atomic_path(out_dir / f"{name}.png") as tmp:
            fig.savefig(tmp, format="png", dpi=120)
    with atomic_path(out_dir / "calibration.json") as tmp:
        tmp.write_text(json.dumps(cal))
    return {"out": str(out_dir / "calibration.json"), "ok": cal["ok"], "sbc_ks_min_p": cal["sbc"]["ks_min_p"],
            "tarp_max_deviation": cal["tarp"]["max_deviation"],
            "z_median": dict(zip(cal["zscore_shrinkage"]["labels"], cal["zscore_shrinkage"]["z_median"])),
            "shrinkage_median": dict(zip(cal["zscore_shrinkage"]["labels"], cal["zscore_shrinkage"]["shrinkage_median"]))}


def read_observation(path: Path) -> tuple[list | None, list, dict | None]:
    """``(feature_names or None, values, config or None)`` from an observation JSON file."""
    try:
        d = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"not a readable JSON file ({e})", source=str(path)) from None
    if isinstance(d, dict) and "x" in d:
        names, x, cfg = d.get("feature_names"), d["x"], d.get("config")
    elif isinstance(d, dict) and d:
        names, x, cfg = list(d), list(d.values()), None
    else:
        raise InputError('expected {"feature_names": [...], "x": [...]} or a {name: value} table', source=str(path))
    try:
        x = [float("nan") if v is None else float(v) for v in x]
    except (TypeError, ValueError):
        raise InputError("feature values must be numbers (null for missing)", source=str(path), field="x") from None
    return names, x, cfg


def predictive_check(config: Path, est, post, x: list, n_sims: int, seed: int):
    """Posterior predictive check with the simulator of ``config``'s ``[simulator]``/``[features]`` tables.

    The simulator must make the estimator's features with its connectome and gain
    (refused otherwise, before any simulation).
    """
    from ..infer.sbi.calibration import posterior_predictive_check
    from ..infer.sbi.config import simulator_from_dict

    d = tomllib.loads(Path(config).read_text())
    sim = simulator_from_dict(d.get("simulator", {}), d.get("features", {}), source=str(config))
    cfg = sim.config() if hasattr(sim, "config") else {}
    keys = {"connectome_sha256": "connectome_sha256", "gain_sha256": "gain_sha256", "features": "feature_sets",
            "feature_options": "feature_options"}
    est.check_compatible(source=str(config), config={ours: cfg[theirs] for theirs, ours in keys.items() if theirs in cfg})
    if list(sim.feature_names) != list(est.feature_names):
        sim = _Columns(sim, est.feature_names)  # refuses a simulator lacking some of the estimator's features
    return posterior_predictive_check(sim, post, x, n_sims=int(n_sims), seed=int(seed))


def sample(config: Path, observed: Path, *, calibration: Optional[Path] = None, out: Optional[Path] = None,
           ppc: int = 0, **flags: Any) -> dict:
    """``braintwin sbi sample``: the posterior of one observation -> a posterior HDF5 file (+ PPC figure)."""
    from .._io import atomic_path
    from ..infer.posterior import Posterior, write_posterior
    from ..infer.sbi import read_estimator

    s = npe_settings(config, **flags)
    est = read_estimator(s["estimator"])
    names, x, cfg = read_observation(observed)
    if names is not None and len(names) > est.n_features:  # an observation with every set; the estimator uses some
        x = [x[i] for i in columns_by_name(names, est.feature_names, str(observed))]
        names = list(est.feature_names)
    est.check_compatible(feature_names=names, config=cfg, source=str(observed))
    diag = None
    if calibration is not None:
        try:
            diag = {"calibration": json.loads(Path(calibration).read_text())}
        except (OSError, json.JSONDecodeError) as e:
            raise InputError(f"not a readable calibration file ({e})", source=str(calibration)) from None
    try:
        post = est.posterior(x, n=int(s.get("n_samples", 2000)), seed=int(s["seed"]), diagnostics=diag)
    except InputError as e:
        raise InputError(e.problem, source=str(observed), field=e.field) from None
    out = Path(out or s.get("posterior") or Path(observed).with_suffix(".posterior.h5"))
    check = None
    if ppc:
        check = predictive_check(config, est, post, x, ppc, int(s["seed"]))
        post = Posterior(post.samples, method=post.method, labels=post.labels, info=post.info,
                         diagnostics={**post.diagnostics, "ppc": dict(check)})
        with atomic_path(out.with_suffix(".ppc.png")) as tmp:
            check.plot().savefig(tmp, format="png", dpi=120)
    write_posterior(post, out)
    return {"out": str(out), "n_draws": post.n_draws, "ppc_coverage": None if check is None else check["coverage"],
            "mean": {k: v.tolist() for k, v in post.mean().items()}, "sd": {k: v.tolist() for k, v in post.std().items()}}


def _echo(summary: dict, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(summary) if as_json else text)


def register(sbi_app: typer.Typer) -> None:
    """Add ``train``, ``diagnose`` and ``sample`` to the ``braintwin sbi`` sub-app."""

    @sbi_app.command("train")
    def train_cmd(
        config: Path = typer.Argument(..., help="TOML file with [npe] (and [campaign] out)."),
        campaign: Optional[Path] = typer.Option(None, "--campaign", help="Campaign HDF5 file."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Estimator file (.npe)."),
        flow: Optional[str] = typer.Option(None, "--flow", help="maf (default) or nsf."),
        ensemble: Optional[int] = typer.Option(None, "--ensemble", help="Number of flows in the ensemble [1]."),
        n_transforms: Optional[int] = typer.Option(None, "--n-transforms", help="Flow layers [5]."),
        condition_on: Optional[str] = typer.Option(None, "--condition-on",
                                                   help="Comma list of the campaign's feature sets to condition on [all]."),
        standardize: Optional[str] = typer.Option(None, "--standardize", help="Feature scaling: zscore or rank [zscore]."),
        summaries: Optional[int] = typer.Option(None, "--summaries",
                                                help="Condition on regression summaries of this degree (1-3) [off]."),
        n_test: Optional[int] = typer.Option(None, "--n-test", help="Usable rows held out for diagnose [200]."),
        max_epochs: Optional[int] = typer.Option(None, "--max-epochs", help="Most training epochs [500]."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Seed [0]."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON line."),
    ):
        """Train a neural posterior estimator on a campaign's usable simulations."""
        r = train(config, campaign=campaign, estimator=out, flow=flow, ensemble=ensemble, n_transforms=n_transforms,
                  n_test=n_test, max_epochs=max_epochs, seed=seed, standardize=standardize,
                  regression_summaries=summaries,
                  condition_on=None if condition_on is None else [c.strip() for c in condition_on.split(",") if c.strip()])
        _echo(r, as_json, f"wrote {r['out']}: trained on {r['n_train']} simulations ({r['n_test']} held out)")

    @sbi_app.command("diagnose")
    def diagnose_cmd(
        config: Path = typer.Argument(..., help="TOML file with [npe] (and [campaign] out)."),
        estimator: Optional[Path] = typer.Option(None, "--estimator", "-e", help="Estimator file (.npe)."),
        campaign: Optional[Path] = typer.Option(None, "--campaign", help="Campaign HDF5 file."),
        out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Folder for calibration.json and figures."),
        n_draws: Optional[int] = typer.Option(None, "--n-draws", help="Posterior draws per held-out simulation [200]."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON line."),
    ):
        """Calibrate the estimator on its held-out simulations: SBC, TARP, z-score/shrinkage."""
        r = diagnose(config, estimator=estimator, campaign=campaign, out_dir=out_dir, n_draws=n_draws)
        _echo(r, as_json, f"wrote {r['out']}: {'calibrated' if r['ok'] else 'NOT calibrated'} "
                          f"(SBC min KS p {r['sbc_ks_min_p']:.3g}, TARP max deviation {r['tarp_max_deviation']:.3f})")

    @sbi_app.command("sample")
    def sample_cmd(
        config: Path = typer.Argument(..., help="TOML file with [npe] (and [campaign] out)."),
        observed: Path = typer.Option(..., "--observed", help="Observed features (JSON)."),
        estimator: Optional[Path] = typer.Option(None, "--estimator", "-e", help="Estimator file (.npe)."),
        calibration: Optional[Path] = typer.Option(None, "--calibration", help="calibration.json from diagnose."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Posterior file (.h5)."),
        n: Optional[int] = typer.Option(None, "--n", help="Number of draws [2000]."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Seed [0]."),
        ppc: int = typer.Option(0, "--ppc", help="Posterior predictive check with N simulations (the TOML's simulator)."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON line."),
    ):
        """Draw the posterior of one observation; write it as a posterior HDF5 file."""
        r = sample(config, observed, calibration=calibration, out=out, estimator=estimator, n_samples=n, seed=seed,
                   ppc=ppc)
        _echo(r, as_json, f"wrote {r['out']}: {r['n_draws']} draws")
