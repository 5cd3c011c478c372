"""A one-figure overview of a connectome: weights matrix and glass brain.

Uses :class:`matplotlib.figure.Figure` directly (no pyplot state), so it works
headless and in threads.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._io import atomic_path
from ..errors import InputError

__all__ = ["plot_connectome"]

_RIGHT, _LEFT = "#d62728", "#1f77b4"


def _strongest_pairs(weights: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices and strengths of the strongest undirected pairs (``i < j``)."""
    sym = np.maximum(weights, weights.T)
    i, j = np.triu_indices_from(sym, k=1)
    s = sym[i, j]
    keep = s > 0
    i, j, s = i[keep], j[keep], s[keep]
    if s.size == 0:
        return i, j, s
    k = max(1, int(np.ceil(fraction * s.size)))
    top = np.argsort(s)[::-1][:k]
    return i[top], j[top], s[top]


def plot_connectome(conn, out: str | os.PathLike | None = None, *, top_fraction: float = 0.05):
    """Draw the weights matrix and a glass-brain view of the strongest tracts.

    Left: ``weights`` (rows = targets, columns = sources) on a log colour scale,
    zeros blank.  Right: region centres seen from above (axial, x-y) and from the
    side (sagittal, y-z), coloured by hemisphere, with the strongest
    ``top_fraction`` of connected pairs drawn as lines.

    Parameters
    ----------
    conn : Connectome
        The connectome.
    out : str or path, optional
        Also save the figure there; the format follows the extension
        (``.png``, ``.pdf``, ``.svg``, ...).  Written atomically.
    top_fraction : float
        Fraction of the connected region pairs to draw (default 5 %).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(14, 4.8), layout="constrained")
    ax_w, ax_ax, ax_sag = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})

    w = np.asarray(conn.weights)
    positive = w[w > 0]
    if positive.size:
        norm = LogNorm(vmin=positive.min(), vmax=positive.max()) if positive.min() < positive.max() else None
        im = ax_w.imshow(np.ma.masked_less_equal(w, 0), norm=norm, cmap="viridis", interpolation="nearest")
        fig.colorbar(im, ax=ax_w, label="weight (log scale)", shrink=0.85)
    else:
        ax_w.imshow(np.zeros_like(w), cmap="Greys", vmin=0, vmax=1)
    ax_w.set_title(f"weights: {conn.n_regions} regions, {conn.n_edges} edges")
    ax_w.set_xlabel("source region")
    ax_w.set_ylabel("target region")
    if conn.n_regions <= 40:
        ticks = np.arange(conn.n_regions)
        ax_w.set_xticks(ticks, conn.labels, rotation=90, fontsize=6)
        ax_w.set_yticks(ticks, conn.labels, fontsize=6)

    c = np.asarray(conn.centres)
    colours = np.where(conn.hemispheres, _RIGHT, _LEFT)
    i, j, s = _strongest_pairs(w, top_fraction)
    strength = w.sum(axis=0) + w.sum(axis=1)
    sizes = 10 + 50 * (strength / strength.max() if strength.max() > 0 else strength)
    for ax, (a, b), title in (
        (ax_ax, (0, 1), "axial (x-y, from above)"),
        (ax_sag, (1, 2), "sagittal (y-z, from the side)"),
    ):
        if s.size:
            segments = np.stack([c[i][:, [a, b]], c[j][:, [a, b]]], axis=1)
            widths = 0.4 + 2.0 * s / s.max()
            ax.add_collection(LineCollection(segments, linewidths=widths, colors="0.35", alpha=0.45, zorder=1))
        ax.scatter(c[:, a], c[:, b], s=sizes, c=colours, edgecolors="k", linewidths=0.3, zorder=2)
        ax.set_title(title)
        ax.set_xlabel("xyz"[a] + " (mm)")
        ax.set_ylabel("xyz"[b] + " (mm)")
        ax.set_aspect("equal", adjustable="datalim")
        ax.autoscale_view()
        if not np.any(c):
            ax.text(0.5, 0.9, "no region centres", transform=ax.transAxes, ha="center")
    ax_sag.legend(
        handles=[
            Line2D([], [], marker="o", ls="", color=_LEFT, label="left"),
            Line2D([], [], marker="o", ls="", color=_RIGHT, label="right"),
            Line2D([], [], color="0.35", label=f"strongest {top_fraction:.0%} of pairs"),
        ],
        loc="lower right",
        fontsize=7,
    )
    fig.suptitle(str(conn.source))
    if out is not None:
        _save(fig, out)
    return fig


def _save(fig, out: str | os.PathLike) -> Path:
    """Save a figure atomically; the format follows the extension."""
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise InputError(
            f"unknown image format {out.suffix or '(no extension)'!r}; use one of .{', .'.join(sorted(supported))}",
            source=str(out),
            field="path",
        )
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format=fmt, dpi=150)
    return out
