"""``braintwin connectome``: inspect, convert and plot connectomes.

SOURCE is anywhere :meth:`braintwin.Connectome.load` reads from: a built-in name
(``tvb76``), a TVB ``.zip``, an ``.h5``, an ``.npz``, a folder of matrices, or an
MRtrix3 ``tck2connectome`` matrix (``.csv``/``.tsv``/``.txt``, with
``--lengths`` and ``--labels``).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import BraintwinWarning
from . import app

connectome_app = typer.Typer(
    name="connectome",
    help="Inspect, convert and plot connectomes (weights, tract lengths, labels, centres).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(connectome_app, name="connectome")

Source = Annotated[str, typer.Argument(help="Built-in name (tvb66, tvb68, tvb76, tvb96, tvb192), file or folder.")]
Lengths = Annotated[
    Optional[Path],
    typer.Option("--lengths", help="MRtrix: mean tract-length matrix (tck2connectome -scale_length -stat_edge mean)."),
]
Labels = Annotated[
    Optional[Path], typer.Option("--labels", help="Region names: one per line, or a lookup table 'index name ...'.")
]
AllowZero = Annotated[
    bool,
    typer.Option("--allow-zero-lengths", help="Accept tracts with a weight but zero length (co-located regions)."),
]


def _load(source: str, lengths: Path | None = None, labels: Path | None = None, allow_zero_lengths: bool = False):
    """Load a connectome, printing its warnings as ``braintwin: warning:`` lines on stderr."""
    from ..connectome import Connectome

    kwargs: dict = {}
    if lengths is not None:
        kwargs["lengths"] = lengths
    if labels is not None:
        kwargs["labels"] = labels
    if allow_zero_lengths:
        kwargs["allow_zero_lengths"] = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BraintwinWarning)
        conn = Connectome.load(source, **kwargs)
    for w in caught:
        if issubclass(w.category, BraintwinWarning):
            print(f"braintwin: warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return conn


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(value) if value else "none"
    return str(value)


@connectome_app.command("info")
def info_cmd(
    source: Source,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    speed: Annotated[float, typer.Option("--speed", help="Conduction speed in mm/ms (= m/s) for the delay range.")] = 3.0,
    lengths: Lengths = None,
    labels: Labels = None,
    allow_zero_lengths: AllowZero = False,
):
    """Summarise a connectome: size, density, weight, length and delay ranges."""
    conn = _load(source, lengths, labels, allow_zero_lengths)
    summary = conn.summary(speed=speed)
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"connectome {summary['source']}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    rows = [
        ("regions", summary["n_regions"]),
        ("edges (nonzero off-diagonal)", summary["n_edges"]),
        ("density", summary["density"]),
        ("symmetric", summary["symmetric"]),
        ("self-connections", summary["self_connections"]),
        ("disconnected regions", summary["disconnected_regions"]),
        ("weights (nonzero)", f"{_fmt(summary['weight_min'])} .. {_fmt(summary['weight_max'])}"),
        ("tract lengths (mm)", f"{_fmt(summary['tract_length_min'])} .. {_fmt(summary['tract_length_max'])}"),
        (
            f"delays at {_fmt(summary['speed_mm_per_ms'])} mm/ms (ms)",
            f"{_fmt(summary['delay_min_ms'])} .. {_fmt(summary['delay_max_ms'])}",
        ),
        ("hemispheres (left / right)", f"{summary['n_left']} / {summary['n_right']}"),
        ("cortical regions", summary["n_cortical"]),
    ]
    for name, value in rows:
        table.add_row(name, _fmt(value))
    Console().print(table)


@connectome_app.command("convert")
def convert_cmd(
    source: Source,
    out: Annotated[Path, typer.Argument(help="Output file: .zip (TVB), .h5 (TVB-compatible HDF5) or .npz.")],
    lengths: Lengths = None,
    labels: Labels = None,
    allow_zero_lengths: AllowZero = False,
):
    """Convert a connectome to another format (chosen by OUT's extension)."""
    conn = _load(source, lengths, labels, allow_zero_lengths)
    path = conn.save(out)
    print(f"wrote {path} ({conn.n_regions} regions, {conn.n_edges} edges)")


@connectome_app.command("plot")
def plot_cmd(
    source: Source,
    out: Annotated[Path, typer.Argument(help="Image file (.png, .pdf, .svg, ...).")],
    lengths: Lengths = None,
    labels: Labels = None,
    allow_zero_lengths: AllowZero = False,
):
    """Plot the weights matrix and a glass-brain view of the strongest tracts."""
    conn = _load(source, lengths, labels, allow_zero_lengths)
    conn.plot(out)
    print(f"wrote {out}")
