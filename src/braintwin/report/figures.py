"""Figures of the twin report (matplotlib ``Figure`` objects, no pyplot state)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "fit_figure",
    "marginals_figure",
    "glass_brain_figure",
    "figure_png",
]

EZ_COLOR = np.array([0.84, 0.15, 0.16])
PZ_COLOR = np.array([1.0, 0.6, 0.0])
HEALTHY_COLOR = np.array([0.75, 0.75, 0.75])


def figure_png(fig, dpi: int = 96) -> bytes:
    """PNG bytes of a figure."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def fit_figure(times, data, predictive=None, channel_labels=None, *, max_channels: int = 6, ylabel: str = "signal", level: float = 0.9):
    """The recording and, when given, the posterior predictive (median and interval) for the most active channels."""
    from matplotlib.figure import Figure

    data = np.asarray(data, float)
    T, C = data.shape
    t = np.arange(T) if times is None else np.asarray(times, float)
    labels = list(channel_labels) if channel_labels is not None and len(channel_labels) == C else [f"channel {i}" for i in range(C)]
    var = np.nanvar(data, axis=0)
    show = np.argsort(-np.nan_to_num(var, nan=-np.inf), kind="stable")[: min(max_channels, C)]
    n = len(show)
    fig = Figure(figsize=(10, 1.1 + 1.25 * n), layout="constrained")
    axes = np.atleast_1d(fig.subplots(n, 1, sharex=True))
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    for ax, c in zip(axes, show):
        ax.plot(t, data[:, c], color="k", lw=0.9, label="recording")
        if predictive is not None:
            p = np.asarray(predictive, float)[:, :, c]
            ax.fill_between(t, np.nanquantile(p, lo_q, axis=0), np.nanquantile(p, hi_q, axis=0), color="tab:blue", alpha=0.25,
                            label=f"twin, {int(100 * level)}% of versions")
            ax.plot(t, np.nanmedian(p, axis=0), color="tab:blue", lw=1.2, label="twin, median")
        ax.set_ylabel(labels[c], rotation=0, ha="right", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7, loc="upper left", ncols=3)
    axes[-1].set_xlabel("time")
    fig.suptitle(ylabel, fontsize=10)
    return fig


def marginals_figure(samples: dict, region_labels, *, threshold: float | None = None, per_region: str = "x0", label_probs=None):
    """Violins of a per-region parameter (with the EZ threshold when given, a dashed line) and histograms of the global parameters."""
    from matplotlib.figure import Figure

    x = np.asarray(samples[per_region], float) if per_region in samples else None
    scalars = [k for k, v in samples.items() if np.ndim(v) == 1][:6]
    n_reg = 0 if x is None else x.shape[1]
    width = max(9.0, min(24.0, 0.22 * n_reg + 3))
    fig = Figure(figsize=(width, 6.2 if scalars and x is not None else 4.2), layout="constrained")
    if x is not None and scalars:
        gs = fig.add_gridspec(2, len(scalars), height_ratios=[2.2, 1])
        ax = fig.add_subplot(gs[0, :])
        small = [fig.add_subplot(gs[1, i]) for i in range(len(scalars))]
    elif x is not None:
        ax, small = fig.subplots(), []
    else:
        ax, small = None, list(np.atleast_1d(fig.subplots(1, max(len(scalars), 1))))
    if ax is not None:
        parts = ax.violinplot(x, positions=np.arange(n_reg), widths=0.8, showextrema=False, showmedians=True)
        if label_probs is not None:
            cols = _blend(label_probs)
        else:
            cols = np.tile(np.array([0.12, 0.47, 0.71]), (n_reg, 1))
        for body, col in zip(parts["bodies"], cols):
            body.set_facecolor(col)
            body.set_edgecolor("0.3")
            body.set_alpha(0.85)
        parts["cmedians"].set_color("k")
        if threshold is not None:
            ax.axhline(threshold, color="tab:red", ls="--", lw=1)
            ax.text(n_reg - 0.5, threshold, f" seizure threshold ({threshold:g})", color="tab:red", va="bottom", ha="right", fontsize=8)
        ax.set_xticks(np.arange(n_reg), list(region_labels)[:n_reg], rotation=90, fontsize=6 if n_reg > 40 else 8)
        ax.set_xlim(-0.7, n_reg - 0.3)
        ax.set_ylabel(f"{per_region} (excitability)" if per_region == "x0" else per_region)
        ax.set_title(f"posterior of {per_region} in every region (violin: spread of plausible values; line: median)", fontsize=9)
    for a, k in zip(small, scalars):
        a.hist(np.asarray(samples[k], float), bins=30, color="tab:blue", alpha=0.8)
        a.set_title(k, fontsize=9)
        a.tick_params(labelsize=7)
        a.set_yticks([])
    return fig


def _blend(probs: dict) -> np.ndarray:
    ez = np.asarray(probs["EZ"], float)[:, None]
    pz = np.asarray(probs["PZ"], float)[:, None]
    h = np.clip(1.0 - ez - pz, 0.0, 1.0)
    return np.clip(ez * EZ_COLOR + pz * PZ_COLOR + h * HEALTHY_COLOR, 0, 1)


def _outline(ax, pts: np.ndarray) -> None:
    """A faint 'glass brain': the convex hull of the projected region centres, slightly enlarged."""
    from matplotlib.patches import Polygon

    if len(pts) < 3 or np.ptp(pts[:, 0]) == 0 or np.ptp(pts[:, 1]) == 0:
        return
    from scipy.spatial import ConvexHull

    try:
        hull = pts[ConvexHull(pts).vertices]
    except Exception:  # degenerate (collinear) points
        return
    c = pts.mean(axis=0)
    hull = c + 1.15 * (hull - c)
    ax.add_patch(Polygon(hull, closed=True, facecolor="0.95", edgecolor="0.7", lw=1.0, zorder=0))


def glass_brain_figure(centres, region_labels, probs: dict, *, annotate: float = 0.5):
    """Region centres seen from above (axial) and from the side (sagittal), coloured by EZ/PZ probability."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    c = np.asarray(centres, float)
    n = len(region_labels)
    if c.shape != (n, 3) or not np.any(c):
        ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
        c = np.stack([np.cos(ang), np.sin(ang), np.zeros(n)], axis=1) * 60.0
        layout = "no region positions stored: regions on a circle"
    else:
        layout = None
    cols = _blend(probs)
    ez, pz = np.asarray(probs["EZ"], float), np.asarray(probs["PZ"], float)
    size = 30 + 170 * np.maximum(ez, pz)
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for ax, (i, j), title, xl, yl in ((ax1, (0, 1), "seen from above (axial)", "left - right (mm)", "back - front (mm)"),
                                      (ax2, (1, 2), "seen from the side (sagittal)", "back - front (mm)", "bottom - top (mm)")):
        pts = c[:, [i, j]]
        _outline(ax, pts)
        order = np.argsort(np.maximum(ez, pz))  # most likely drawn last (on top)
        ax.scatter(pts[order, 0], pts[order, 1], s=size[order], c=cols[order], edgecolors="0.25", linewidths=0.5, zorder=2)
        for k in np.flatnonzero(np.maximum(ez, pz) >= annotate):
            ax.annotate(region_labels[k], pts[k], fontsize=7, xytext=(4, 4), textcoords="offset points", zorder=3)
        ax.set_aspect("equal")
        ax.set_title(title if layout is None else layout, fontsize=9)
        ax.set_xlabel(xl, fontsize=8)
        ax.set_ylabel(yl, fontsize=8)
        ax.tick_params(labelsize=7)
    handles = [Patch(color=EZ_COLOR, label="likely seizure onset (EZ)"), Patch(color=PZ_COLOR, label="likely spread (PZ)"),
               Patch(color=HEALTHY_COLOR, label="likely not involved")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8)
    return fig
