"""``braintwin disorder run CONFIG.toml`` and ``braintwin demo-disorder --workflow ms|ageing|alzheimers``.

Each disorder workflow (:mod:`braintwin.workflows.ms`, ``ageing``,
``alzheimers``) runs end to end: connectome -> observed features (a synthetic
person, or ``--observed FEATURES.json``) -> twin by simulation-based inference
-> what-ifs under the posterior -> ``twin.h5``, ``report.html``, ``summary.json``.
The TOML file holds the keys of the workflow's ``DEFAULTS`` plus ``workflow = "ms"``
(see ``examples/ms.toml``, ``examples/ageing.toml``, ``examples/alzheimers.toml``).
"""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from . import app

disorder_app = typer.Typer(help="Disorder workflows: multiple sclerosis, ageing, Alzheimer's.", no_args_is_help=True)
app.add_typer(disorder_app, name="disorder")


def _workflows() -> dict:
    from ..workflows import ageing, alzheimers, ms

    return {"ms": ms, "ageing": ageing, "alzheimers": alzheimers}


def _module(name: str, source: str):
    wf = _workflows()
    if name not in wf:
        raise InputError(f"unknown workflow {name!r}; choose one of {', '.join(wf)}", source=source, field="workflow")
    return wf[name]


def read_config(path: Path) -> dict:
    """The TOML file as a dict (``workflow`` required); unknown keys are refused with one line."""
    try:
        cfg = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"not a valid TOML file ({e})", source=str(path)) from None
    mod = _module(str(cfg.pop("workflow", "")), str(path))
    unknown = sorted(set(cfg) - set(mod.DEFAULTS) - {"out"})
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)}; {mod.__name__.rsplit('.', 1)[-1]} takes "
                         f"{', '.join(sorted(mod.DEFAULTS))}, out", source=str(path), field=unknown[0])
    return {"module": mod, **cfg}


def _observed(path: Optional[Path]):
    if path is None:
        return None
    from .sbi_npe import read_observation

    _, x, _ = read_observation(path)
    return x


def _run(mod, cfg: dict, out: Path, observed: Optional[Path]) -> None:
    t0 = time.perf_counter()
    summary = mod.run(cfg, out, x_obs=_observed(observed), progress=True)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    typer.echo(json.dumps({k: summary[k] for k in ("workflow", "posterior", "truth", "truth_in_interval", "seconds")
                           if k in summary}, indent=1, default=str))
    typer.echo(f"outputs in {out}/: twin.h5, report.html, summary.json")


@disorder_app.command("run")
def run_cmd(
    config: Path = typer.Argument(..., help="Workflow TOML file (workflow = \"ms\" | \"ageing\" | \"alzheimers\")."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: the TOML's out)."),
    observed: Optional[Path] = typer.Option(None, "--observed", help="The person's features (JSON, as for sbi sample)."),
    n_sims: Optional[int] = typer.Option(None, "--n-sims", help="Override the campaign size."),
):
    """Run a disorder workflow from its TOML file: twin, what-ifs under the posterior, report."""
    cfg = read_config(config)
    mod = cfg.pop("module")
    if n_sims is not None:
        cfg["n_sims"] = n_sims
    _run(mod, cfg, Path(out or cfg.pop("out", f"{mod.__name__.rsplit('.', 1)[-1]}_out")), observed)


@app.command("demo-disorder")
def demo_disorder_cmd(
    workflow: str = typer.Option(..., "--workflow", "-w", help="ms, ageing or alzheimers."),
    out: Path = typer.Option(Path("demo_disorder"), "--out", "-o", help="Output folder."),
    n_sims: int = typer.Option(300, "--n-sims", help="Simulations for the posterior estimator."),
):
    """A disorder workflow on built-in data (tvb76, a synthetic person): twin, what-ifs, report, in a few minutes."""
    mod = _module(workflow, "--workflow")
    _run(mod, {"n_sims": n_sims}, out, None)
