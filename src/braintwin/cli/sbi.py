"""``braintwin sbi``: simulation-based inference from the command line.

* ``braintwin sbi simulate config.toml [--n N] [--out FILE] [--workers N | --scheduler ADDR]``:
  run (or resume) the campaign the file describes (see
  :mod:`braintwin.infer.sbi.config` and ``examples/sbi_rest.toml``) into one HDF5 file;
* ``train``, ``sample``, ``diagnose`` are added by :mod:`.sbi_npe` when present.

Each step reads the TOML file, flags override it, and writes the file the next step reads.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Optional

import typer

from . import app

sbi_app = typer.Typer(
    name="sbi",
    help="Simulation-based inference: simulation campaigns, neural posterior estimation, calibration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(sbi_app, name="sbi")


@sbi_app.command("simulate")
def simulate_cmd(
    config: Path = typer.Argument(..., help="Campaign TOML file ([simulator], [features], [prior], [campaign])."),
    n: Optional[int] = typer.Option(None, "--n", help="Number of simulations (overrides [campaign] n)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Campaign HDF5 file; an existing one is resumed."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Run on a local Dask cluster of N worker processes."),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size", help="Simulations per chunk / task [64]."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Campaign seed [0]."),
    keep_timeseries: bool = typer.Option(False, "--keep-timeseries", help="Also store the observed signals."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as one JSON line."),
):
    """Draw from the prior, simulate, compute features; write (or resume) one campaign file."""
    from ..errors import BraintwinWarning, InputError
    from ..infer.sbi.campaign import run_campaign
    from ..infer.sbi.config import load_campaign_config

    if scheduler is not None and workers is not None:
        raise InputError("give --scheduler or --workers, not both", source="command line", field="scheduler")
    sim, prior, camp = load_campaign_config(
        config, n=n, out=out, chunk_size=chunk_size, seed=seed, workers=workers, scheduler=scheduler,
        keep_timeseries=keep_timeseries or None,
    )
    if camp["scheduler"] is not None and camp["workers"] is not None and scheduler is None and workers is None:
        raise InputError("give scheduler or workers, not both", source=str(config), field="campaign.workers")
    # a flag chooses the execution: --workers beats the file's scheduler and the other way round
    sched = camp["scheduler"] if workers is None else None
    n_workers = camp["workers"] if scheduler is None else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BraintwinWarning)
        result = run_campaign(sim, prior, int(camp["n"]), Path(camp["out"]), chunk_size=int(camp["chunk_size"]),
                              seed=int(camp["seed"]), scheduler=sched, n_workers=n_workers,
                              keep_timeseries=bool(camp["keep_timeseries"]), progress=not quiet)
    for w in caught:  # one line each, no source location
        if issubclass(w.category, BraintwinWarning):
            typer.echo(f"warning: {w.message}", err=True)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    counts = result.counts()
    if as_json:
        typer.echo(json.dumps({"out": str(result.path), **counts}))
    elif not quiet:
        typer.echo(f"wrote {result.path}: {counts['n_ok']} of {counts['n_total']} simulations usable "
                   f"({counts['n_diverged']} diverged, {counts['n_failed']} failed, {counts['n_nonfinite']} non-finite)",
                   err=True)


try:  # train / sample / diagnose, built alongside (branch sbi-npe)
    from .sbi_npe import register as _register_npe
except ImportError:  # pragma: no cover - depends on what is merged
    _register_npe = None
if _register_npe is not None:
    _register_npe(sbi_app)
