"""``braintwin features`` and ``braintwin plot``: summaries and figures of recorded or simulated signals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import typer

from ..errors import InputError
from . import app


def load_signals(path: Path, monitor: Optional[str], output: Optional[str], fs: Optional[float]):
    """Signals ``(n_times, n_channels)``, sampling interval (ms) and labels from a file.

    Accepts a braintwin simulation file (``.h5``; pick ``--monitor`` and ``--output``),
    ``.npy`` (time x channel) or ``.csv``/``.tsv`` (time x channel, optional header of
    channel names) with ``--fs`` in Hz.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=str(path))
    suffix = path.suffix.lower()
    if suffix in (".h5", ".hdf5"):
        from ..simulate import read_simulation

        res = read_simulation(path)
        if np.any(res["diverged"]):
            d = (res["divergences"] or [{}])[0]
            raise InputError(
                f"the simulation diverged (t = {d.get('time_ms', float('nan')):g} ms, region {d.get('label', '?')}); refusing to summarise a diverged run",
                source=str(path), field="diverged",
            )
        mons = res["monitors"]
        name = monitor or next(iter(mons))
        if name not in mons:
            raise InputError(f"no monitor {name!r}; the file has {', '.join(mons)}", source=str(path), field="monitor")
        ts = mons[name]
        out = output or ts.outputs[0]
        if out not in ts.outputs:
            raise InputError(f"no output {out!r}; the monitor has {', '.join(ts.outputs)}", source=str(path), field="output")
        x = ts[out]
        if x.ndim == 3:  # a batch file: first simulation
            x = x[0]
        if len(ts.time) < 2:
            raise InputError(f"monitor {name!r} has {len(ts.time)} sample(s); simulate longer", source=str(path), field="monitor")
        return x, float(ts.dt), list(ts.labels), f"{name}: {out}"
    if fs is None or not fs > 0:
        raise InputError("give the sampling rate with --fs (Hz) for array files", source=str(path), field="fs")
    if suffix == ".npy":
        try:
            x = np.load(path, allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - any unreadable file is a user error here
            raise InputError(f"not a readable .npy file ({e})", source=str(path)) from None
        labels = [f"ch{i}" for i in range(x.shape[-1])] if x.ndim == 2 else None
    elif suffix in (".csv", ".tsv", ".txt"):
        delim = "\t" if suffix == ".tsv" else ("," if suffix == ".csv" else None)
        first = path.read_text().splitlines()[:1]
        if not first:
            raise InputError("empty file", source=str(path))
        head = first[0].split(delim)
        try:
            [float(v) for v in head]
            skip, labels = 0, None
        except ValueError:
            skip, labels = 1, [h.strip() for h in head]
        try:
            x = np.loadtxt(path, delimiter=delim, skiprows=skip, ndmin=2)
        except ValueError as e:
            raise InputError(f"not a numeric table ({e})", source=str(path)) from None
    else:
        raise InputError(f"unknown file type {suffix!r}: use .h5 (braintwin), .npy, .csv or .tsv", source=str(path))
    if x.ndim != 2:
        raise InputError(f"expected a 2-D array (time x channel), got shape {x.shape}", source=str(path))
    if labels is None or len(labels) != x.shape[1]:
        labels = [f"ch{i}" for i in range(x.shape[1])]
    if not np.all(np.isfinite(x)):
        raise InputError("contains NaN or infinite values", source=str(path))
    return x, 1000.0 / fs, labels, path.name


@app.command("features")
def features_cmd(
    input: Path = typer.Argument(..., help="Simulation .h5, or .npy/.csv/.tsv (time x channel) with --fs."),
    sets: str = typer.Option("fc,fcd_stats", "--set", "-s", help="Comma-separated feature sets (see --list)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write features to this HDF5 file."),
    monitor: Optional[str] = typer.Option(None, "--monitor", help="Monitor of a simulation file."),
    output: Optional[str] = typer.Option(None, "--output", help="Output (state variable) of a simulation file."),
    fs: Optional[float] = typer.Option(None, "--fs", help="Sampling rate (Hz) of array files."),
    skip_ms: float = typer.Option(0.0, "--skip-ms", help="Discard this initial transient (ms)."),
    list_sets: bool = typer.Option(False, "--list", help="List the feature sets and exit."),
):
    """Compute named feature sets (FC, FCD, spectra, seizure features) of a recording."""
    from .. import features as F
    from .._io import atomic_path

    if list_sets:
        for name, desc in F.available().items():
            typer.echo(f"{name:16s} {desc}")
        return
    x, dt_ms, labels, what = load_signals(input, monitor, output, fs)
    skip = int(round(skip_ms / dt_ms))
    if skip >= x.shape[0]:
        raise InputError(f"--skip-ms {skip_ms} removes the whole recording ({x.shape[0] * dt_ms:g} ms)", source=str(input), field="skip-ms")
    x = x[skip:]
    names = [s.strip() for s in sets.split(",") if s.strip()]
    fv = F.compute(x, names, dt_ms=dt_ms, labels=labels)
    if out is not None:
        import h5py

        with atomic_path(out) as tmp:
            with h5py.File(tmp, "w") as f:
                f.attrs["kind"] = "braintwin.features"
                f.attrs["source"] = str(input)
                f.attrs["signal"] = what
                f.attrs["sets"] = json.dumps(names)
                f.create_dataset("values", data=fv.values)
                f.create_dataset("names", data=np.array(fv.names, dtype=object), dtype=h5py.string_dtype())
        typer.echo(f"wrote {out}: {len(fv.names)} features ({', '.join(names)}) of {what}", err=True)
    else:
        for n, v in zip(fv.names, np.ravel(fv.values)):
            typer.echo(f"{n}\t{v:.6g}")


@app.command("plot")
def plot_cmd(
    input: Path = typer.Argument(..., help="Simulation .h5, or .npy/.csv/.tsv (time x channel) with --fs."),
    out: Path = typer.Argument(..., help="PNG file to write."),
    kind: str = typer.Option("timeseries", "--kind", "-k", help="timeseries, fc, fcd or psd."),
    monitor: Optional[str] = typer.Option(None, "--monitor", help="Monitor of a simulation file."),
    output: Optional[str] = typer.Option(None, "--output", help="Output (state variable) of a simulation file."),
    fs: Optional[float] = typer.Option(None, "--fs", help="Sampling rate (Hz) of array files."),
    skip_ms: float = typer.Option(0.0, "--skip-ms", help="Discard this initial transient (ms)."),
    window_ms: Optional[float] = typer.Option(None, "--window-ms", help="FCD window (ms) [about 1/10 of the recording]."),
):
    """Plot a recording as a PNG: time series, FC matrix, FCD matrix or spectra."""
    from matplotlib.figure import Figure

    from .. import features as F
    from .._io import atomic_path

    x, dt_ms, labels, what = load_signals(input, monitor, output, fs)
    x = x[int(round(skip_ms / dt_ms)):]
    if x.shape[0] < 4:
        raise InputError("too few samples to plot", source=str(input))
    t = np.arange(x.shape[0]) * dt_ms + skip_ms
    fig = Figure(figsize=(8, 6))
    ax = fig.add_subplot()
    kind = kind.lower()
    if kind == "timeseries":
        idx = np.linspace(0, x.shape[1] - 1, min(20, x.shape[1])).astype(int)
        scale = t / 1000.0 if t[-1] > 5000 else t
        ax.plot(scale, x[:, idx], lw=0.7)
        ax.set_xlabel("time (s)" if t[-1] > 5000 else "time (ms)")
        ax.set_ylabel(what)
        ax.set_title(f"{what}: {len(idx)} of {x.shape[1]} channels")
    elif kind == "fc":
        im = ax.imshow(F.fc(x), vmin=-1, vmax=1, cmap="RdBu_r")
        fig.colorbar(im, ax=ax, label="Pearson r")
        ax.set_title(f"functional connectivity ({what})")
        ax.set_xlabel("region")
        ax.set_ylabel("region")
    elif kind == "fcd":
        n = x.shape[0]
        w = int(round(window_ms / dt_ms)) if window_ms else max(3, n // 10)
        if w >= n:
            raise InputError(f"FCD window ({w} samples) must be shorter than the recording ({n} samples)", source=str(input), field="window-ms")
        step = max(1, w // 2)
        M = F.fcd(x, w, step)
        im = ax.imshow(M, vmin=-1, vmax=1, cmap="viridis", extent=(0, M.shape[0] * step * dt_ms / 1000, M.shape[0] * step * dt_ms / 1000, 0))
        fig.colorbar(im, ax=ax, label="correlation of windowed FC")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("time (s)")
        ax.set_title(f"FCD, window {w * dt_ms / 1000:g} s ({what})")
    elif kind == "psd":
        f, p = F.psd(x, 1000.0 / dt_ms)
        ax.semilogy(f[1:], p[1:, :] if p.shape[0] == f.shape[0] else p[..., 1:].T, lw=0.6, alpha=0.6)
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("power spectral density")
        ax.set_title(f"Welch spectra ({what})")
    else:
        raise InputError(f"unknown plot kind {kind!r}; use timeseries, fc, fcd or psd", source="command line", field="kind")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    typer.echo(f"wrote {out}", err=True)
