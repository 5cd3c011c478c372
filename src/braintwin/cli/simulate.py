"""``braintwin simulate``: one network simulation from flags or a TOML config, written to HDF5."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, List, Optional

import typer

from ..errors import InputError
from . import app

#: Keys a simulation TOML file may hold (flags override them).
CONFIG_KEYS = {
    "connectome", "normalize", "zero_diagonal", "model", "params", "coupling", "duration", "dt", "speed",
    "method", "noise", "seed", "monitors", "outputs", "observe",
}


def load_config(path: Path, allowed: set[str] = CONFIG_KEYS) -> dict:
    """Read a TOML file and check its keys against ``allowed``; errors name the file and the key."""
    try:
        with open(path, "rb") as f:
            cfg = tomllib.load(f)
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"invalid TOML ({e})", source=str(path)) from None
    unknown = sorted(set(cfg) - allowed)
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}", source=str(path), field=unknown[0])
    for key, typ in (("params", dict), ("coupling", (dict, str)), ("monitors", list), ("outputs", list), ("observe", list)):
        if key in cfg and not isinstance(cfg[key], typ):
            raise InputError(f"expected a {'table' if typ is dict else 'list'}", source=str(path), field=key)
    return cfg


def _parse_assignments(items: list[str], field: str) -> dict[str, float]:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq:
            raise InputError(f"expected NAME=VALUE, got {item!r}", source="command line", field=field)
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"value of {name.strip()} is not a number: {value!r}", source="command line", field=field) from None
    return out


def _parse_noise(text: str) -> Any:
    parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        if all("=" not in p for p in parts):
            vals = [float(p) for p in parts]
            return vals[0] if len(vals) == 1 else vals
        return _parse_assignments(parts, "noise")
    except ValueError:
        raise InputError(f"cannot read noise {text!r}: give NSIG, NSIG1,NSIG2 or var=NSIG,...", source="command line", field="noise") from None


@app.command("simulate")
def simulate_cmd(
    connectome: Optional[str] = typer.Option(None, "--connectome", "-c", help="Connectome file or built-in name (tvb66, tvb68, tvb76, tvb96, tvb192)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name, e.g. MontbrioPazoRoxin, JansenRit, Epileptor."),
    duration: Optional[float] = typer.Option(None, "--duration", "-d", help="Simulated time in ms [1000]."),
    out: Path = typer.Option(Path("simulation.h5"), "--out", "-o", help="Output HDF5 file."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML file with the same settings (flags override)."),
    param: List[str] = typer.Option([], "--param", "-p", help="Model parameter NAME=VALUE (repeatable)."),
    coupling: Optional[str] = typer.Option(None, "--coupling", help="Coupling function (default: the model's)."),
    G: Optional[float] = typer.Option(None, "--G", help="Global coupling scale."),
    dt: Optional[float] = typer.Option(None, "--dt", help="Integration step in ms [0.01]."),
    speed: Optional[float] = typer.Option(None, "--speed", help="Conduction speed in mm/ms [3.0]."),
    method: Optional[str] = typer.Option(None, "--method", help="heun, euler or rk4 [heun]."),
    noise: Optional[str] = typer.Option(None, "--noise", help="Noise intensity nsig: one value, one per state variable, or var=value,..."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed [0]."),
    monitor: List[str] = typer.Option([], "--monitor", help="raw, subsample:PERIOD or tavg:PERIOD (ms) (repeatable) [tavg:1.0]."),
    output: List[str] = typer.Option([], "--output", help="Recorded output: a state variable or an expression (repeatable)."),
    normalize: Optional[str] = typer.Option(None, "--normalize", help="Weight normalisation: max, rowsum, log1p or none [max]."),
    observe: List[str] = typer.Option([], "--observe", help="Observation model: bold:tr=720, eeg, meg, seeg:montage=bipolar (repeatable)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also write a PNG of the first monitor."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
):
    """Simulate a network model on a connectome and write the monitors to HDF5."""
    from .. import models as M
    from ..connectome import as_connectome
    from ..simulate import simulate, write_simulation

    cfg = load_config(config) if config else {}
    src = str(config) if config else "command line"

    def pick(flag, key, default):
        return flag if flag is not None else cfg.get(key, default)

    conn_src = pick(connectome, "connectome", None)
    if conn_src is None:
        raise InputError("no connectome given: use --connectome (e.g. tvb76) or 'connectome' in --config", source=src, field="connectome")
    conn = as_connectome(conn_src, source=src)
    norm = pick(normalize, "normalize", "max")
    conn = conn.normalized(None if str(norm).lower() == "none" else norm)
    if cfg.get("zero_diagonal", False):
        conn = conn.with_zero_diagonal()
    params = dict(cfg.get("params", {}))
    params.update(_parse_assignments(param, "param"))
    model_obj = M.get_model(pick(model, "model", "MontbrioPazoRoxin"), **params)
    cpl_cfg = cfg.get("coupling", {})
    if isinstance(cpl_cfg, str):
        cpl_cfg = {"name": cpl_cfg}
    cpl_cfg = dict(cpl_cfg)
    cpl_name = coupling or cpl_cfg.pop("name", None)
    if G is not None:
        cpl_cfg["a"] = G
    cpl = M.get_coupling(cpl_name, model=model_obj, **cpl_cfg)
    nz = _parse_noise(noise) if noise is not None else cfg.get("noise")
    from ..observe import get_observer

    observers = [get_observer(spec, conn) for spec in (observe or cfg.get("observe", []))]
    res = simulate(
        conn, model_obj, coupling=cpl,
        duration=float(pick(duration, "duration", 1000.0)),
        dt=float(pick(dt, "dt", 0.01)),
        speed=float(pick(speed, "speed", 3.0)),
        method=pick(method, "method", "heun"),
        noise=nz,
        seed=int(pick(seed, "seed", 0)),
        monitors=list(monitor or cfg.get("monitors", ["tavg:1.0"])) + observers,
        outputs=output or cfg.get("outputs") or None,
        progress=not quiet,
        on_divergence="flag",
    )
    write_simulation(out, res)
    if plot:
        from .._io import atomic_path

        fig = res.ts.plot()
        with atomic_path(plot) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
    if not quiet:
        ts = res.ts
        msg = f"wrote {out}: {model_obj.name} on {conn.n_regions} regions, {len(ts.time)} samples of {', '.join(ts.outputs)}"
        typer.echo(msg, err=True)
    if res.diverged:
        typer.echo(f"warning: {res.divergence} (the file records it)", err=True)
        raise typer.Exit(1)
