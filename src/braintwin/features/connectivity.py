"""Functional connectivity (FC) and its dynamics (FCD), vectorised over batches.

All functions take signals shaped ``(..., n_times, n_channels)`` (any number of
leading batch axes) and return arrays with the same leading axes. Windows and
steps are in samples.

References
----------
.. [1] Friston KJ (2011). Functional and effective connectivity: a review.
   Brain Connectivity 1(1):13-36.
.. [2] Hansen ECA, Battaglia D, Spiegler A, Deco G, Jirsa VK (2015). Functional
   connectivity dynamics: modeling the switching behavior of the resting state.
   NeuroImage 105:525-535.
.. [3] Deco G, Kringelbach ML, Jirsa VK, Ritter P (2017). The dynamics of resting
   fluctuations in the brain: metastability and its dynamical cortical core.
   Scientific Reports 7:3095.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ._validate import SOURCE, as_signal, as_square, positive_int, window_params

__all__ = [
    "fc",
    "fc_triu",
    "fc_corr",
    "fc_distance",
    "fc_stats",
    "upper_triangle",
    "sliding_fc",
    "fcd",
    "fcd_triu",
    "fcd_stats",
    "ks_distance",
    "fc_summaries",
    "FC_SUMMARIES",
]

#: Names of the columns of :func:`fc_summaries`.
FC_SUMMARIES = ("fc_intra_mean", "fc_inter_mean", "scfc_r", "fc_std")


def _corr_rows(a: np.ndarray) -> np.ndarray:
    """Pearson correlation between the rows of ``a`` (..., n, L) over its last axis -> (..., n, n).

    Rows with zero variance give NaN in their row and column (including the diagonal).
    """
    a = a - a.mean(axis=-1, keepdims=True)
    norm = np.sqrt(np.einsum("...i,...i->...", a, a))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = a / norm[..., None]
        r = z @ np.swapaxes(z, -1, -2)
    ok = norm > 0
    np.clip(r, -1.0, 1.0, out=r)
    n = r.shape[-1]
    diag = np.arange(n)
    r[..., diag, diag] = np.where(ok, 1.0, np.nan)
    bad = ~ok
    if bad.any():
        r = np.where(bad[..., :, None] | bad[..., None, :], np.nan, r)
    return r


def upper_triangle(m, k: int = 1) -> np.ndarray:
    """Upper triangle of square matrices as vectors.

    Parameters
    ----------
    m : array_like, shape (..., n, n)
        Matrices (e.g. FC or FCD), any leading batch axes.
    k : int, default 1
        Diagonal offset: ``k=1`` excludes the main diagonal, larger ``k`` excludes
        more diagonals (entries ``m[i, j]`` with ``j - i >= k`` are kept).

    Returns
    -------
    ndarray, shape (..., n_pairs)
        Entries in row-major order of ``numpy.triu_indices(n, k)``;
        ``n_pairs = (n - k)(n - k + 1)/2`` for ``0 <= k <= n``.
    """
    m = as_square(m, "m")
    i, j = np.triu_indices(m.shape[-1], k=int(k))
    return m[..., i, j]


def fc(x) -> np.ndarray:
    """Functional connectivity: Pearson correlation matrix between channels.

    For channels :math:`x_i(t)`, :math:`t = 1..T`,

    .. math:: \\mathrm{FC}_{ij} = \\frac{\\sum_t (x_i - \\bar x_i)(x_j - \\bar x_j)}
              {\\sqrt{\\sum_t (x_i - \\bar x_i)^2 \\sum_t (x_j - \\bar x_j)^2}}

    computed for every batch item at once (one batched matrix product).

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)
        Signals (any units), time in samples.

    Returns
    -------
    ndarray, shape (..., n_channels, n_channels)
        Symmetric, dimensionless, in [-1, 1], unit diagonal. A channel that is
        constant over time has no defined correlation: its row and column are NaN.

    References
    ----------
    Friston KJ (2011). Functional and effective connectivity: a review.
    Brain Connectivity 1(1):13-36.
    """
    x = as_signal(x, min_times=2)
    return _corr_rows(np.swapaxes(x, -1, -2))


def fc_triu(x) -> np.ndarray:
    """Upper triangle (``k=1``, diagonal excluded) of :func:`fc` as a vector.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)
        Signals, time in samples.

    Returns
    -------
    ndarray, shape (..., n_channels * (n_channels - 1) / 2)
        :math:`\\mathrm{FC}_{ij}` for ``i < j`` in the order of
        ``numpy.triu_indices(n_channels, 1)``.
    """
    x = as_signal(x, min_times=2)
    return upper_triangle(fc(x), k=1)


def _pair_triu(fc_a, fc_b) -> tuple[np.ndarray, np.ndarray]:
    a = as_square(fc_a, "fc_a")
    b = as_square(fc_b, "fc_b")
    if a.shape[-1] != b.shape[-1]:
        raise InputError(f"FC matrices differ in size: {a.shape[-2:]} vs {b.shape[-2:]}", source=SOURCE, field="fc_b")
    if a.shape[-1] < 2:
        raise InputError("FC matrices need at least 2 channels", source=SOURCE, field="fc_a")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise InputError(
            f"batch shapes {a.shape[:-2]} and {b.shape[:-2]} do not broadcast", source=SOURCE, field="fc_b"
        ) from None
    return upper_triangle(a), upper_triangle(b)


def fc_corr(fc_a, fc_b) -> np.ndarray:
    """FC-to-FC correlation: Pearson correlation between the upper triangles of two FCs.

    The standard goodness of fit of a simulated FC to an empirical FC [1]_:
    :math:`r = \\mathrm{corr}(\\mathrm{triu}(\\mathrm{FC}_a), \\mathrm{triu}(\\mathrm{FC}_b))`,
    over the ``n (n - 1)/2`` entries above the diagonal.

    Parameters
    ----------
    fc_a, fc_b : array_like, shape (..., n, n)
        FC matrices; leading batch axes broadcast (e.g. a batch of simulated FCs
        ``(B, n, n)`` against one empirical FC ``(n, n)``).

    Returns
    -------
    ndarray, shape (...)
        Dimensionless, in [-1, 1]; NaN where either triangle is constant.

    References
    ----------
    .. [1] Honey CJ et al. (2009). Predicting human resting-state functional
       connectivity from structural connectivity. PNAS 106(6):2035-2040.
    """
    ta, tb = _pair_triu(fc_a, fc_b)
    ta = ta - ta.mean(axis=-1, keepdims=True)
    tb = tb - tb.mean(axis=-1, keepdims=True)
    num = np.sum(ta * tb, axis=-1)
    den = np.sqrt(np.sum(ta * ta, axis=-1) * np.sum(tb * tb, axis=-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / den
    return np.where(den > 0, np.clip(r, -1.0, 1.0), np.nan)


def fc_distance(fc_a, fc_b, metric: str = "rmse") -> np.ndarray:
    """Distance between two FCs over their upper triangles.

    With :math:`d_{ij} = \\mathrm{FC}^a_{ij} - \\mathrm{FC}^b_{ij}` for ``i < j``
    (``P = n (n - 1)/2`` pairs):

    - ``"rmse"``: :math:`\\sqrt{\\frac{1}{P}\\sum_{i<j} d_{ij}^2}`
    - ``"frobenius"``: :math:`\\sqrt{\\sum_{i<j} d_{ij}^2}` (the Frobenius norm of
      the upper triangle, i.e. :math:`\\|\\mathrm{FC}^a - \\mathrm{FC}^b\\|_F / \\sqrt 2`)

    Parameters
    ----------
    fc_a, fc_b : array_like, shape (..., n, n)
        FC matrices; leading batch axes broadcast.
    metric : {"rmse", "frobenius"}
        Which distance.

    Returns
    -------
    ndarray, shape (...)
        Non-negative, in units of correlation.
    """
    ta, tb = _pair_triu(fc_a, fc_b)
    sq = np.sum((ta - tb) ** 2, axis=-1)
    if metric == "rmse":
        return np.sqrt(sq / ta.shape[-1])
    if metric == "frobenius":
        return np.sqrt(sq)
    raise InputError(f"unknown metric {metric!r}; valid: 'rmse', 'frobenius'", source=SOURCE, field="metric")


def fc_stats(fc_matrix, *, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95), sc=None) -> dict[str, np.ndarray]:
    """Summary statistics of the FC distribution (upper triangle), optionally against the SC.

    A few numbers that carry what global parameters change in an FC matrix: its
    level (the mean FC grows with the global coupling G), its spread and shape
    (quantiles), and how closely it follows the structural connectivity [1]_
    (``sc_corr``, the FC-SC correlation of Honey et al. 2009).  An estimator
    trained on a few hundred simulations conditions better on these than on the
    ``n (n - 1)/2`` FC entries themselves.

    Parameters
    ----------
    fc_matrix : array_like, shape (..., n, n)
        FC matrices (:func:`fc`).
    quantiles : sequence of float, default (0.05, 0.25, 0.5, 0.75, 0.95)
        Quantile levels in [0, 1] (linear interpolation).
    sc : array_like, shape (n, n), optional
        Structural weights (any monotone transform of them, e.g. ``log1p``); adds
        ``"sc_corr"``, the Pearson correlation between the upper triangles.

    Returns
    -------
    dict of str to ndarray, each shape (...)
        ``"mean"``, ``"std"`` (ddof=0), one entry per quantile (``"q05"``,
        ``"q50"``, ... as :func:`fcd_stats`), and ``"sc_corr"`` with ``sc``.
        Dimensionless.

    References
    ----------
    .. [1] Honey CJ et al. (2009). Predicting human resting-state functional
       connectivity from structural connectivity. PNAS 106(6):2035-2040.

    Example
    -------
    >>> x = np.random.default_rng(0).standard_normal((200, 4))
    >>> st = fc_stats(fc(x))
    >>> sorted(st)[:3], bool(abs(st["mean"]) < 0.2)
    (['mean', 'q05', 'q25'], True)
    """
    m = as_square(fc_matrix, "fc_matrix")
    v = upper_triangle(m)
    q = np.asarray(quantiles, dtype=np.float64).ravel()
    if np.any(~np.isfinite(q)) or np.any((q < 0) | (q > 1)):
        raise InputError(f"quantiles must lie in [0, 1], got {list(q)}", source=SOURCE, field="quantiles")
    out = {"mean": np.mean(v, axis=-1), "std": np.std(v, axis=-1)}
    for level, val in zip(q, np.quantile(v, q, axis=-1) if q.size else []):
        out[quantile_name(level)] = val
    if sc is not None:
        s = as_square(sc, "sc")
        if s.shape != m.shape[-2:]:
            raise InputError(f"sc must be {m.shape[-2:]}, got {s.shape}", source=SOURCE, field="sc")
        out["sc_corr"] = fc_corr(m, s)
    return out


def sliding_fc(x, window: int, step: int = 1) -> np.ndarray:
    """Sliding-window FC: the upper triangle of the FC in each time window.

    Window ``w`` covers samples ``[w * step, w * step + window)``, for
    ``w = 0 .. n_windows - 1`` with ``n_windows = (n_times - window) // step + 1``.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)
        Signals, time in samples.
    window : int
        Window length in samples (>= 2, <= n_times).
    step : int, default 1
        Shift between consecutive windows in samples.

    Returns
    -------
    ndarray, shape (..., n_windows, n_channels * (n_channels - 1) / 2)
        Windowed FC upper triangles (order of ``numpy.triu_indices(n, 1)``); NaN
        for channels constant within a window.

    References
    ----------
    Hansen ECA et al. (2015). Functional connectivity dynamics: modeling the
    switching behavior of the resting state. NeuroImage 105:525-535.
    """
    x = as_signal(x, min_times=2, min_channels=2)
    window, step, _ = window_params(x.shape[-2], window, step)
    # (..., T - window + 1, C, window) view, every step-th window
    win = np.lib.stride_tricks.sliding_window_view(x, window, axis=-2)[..., ::step, :, :]
    r = _corr_rows(win)
    i, j = np.triu_indices(x.shape[-1], k=1)
    return r[..., i, j]


def fcd(x, window: int, step: int = 1) -> np.ndarray:
    """Functional connectivity dynamics (FCD) matrix.

    The correlation between the windowed FC vectors of :func:`sliding_fc`:

    .. math:: \\mathrm{FCD}_{uv} = \\mathrm{corr}\\big(\\mathrm{FC}(w_u), \\mathrm{FC}(w_v)\\big)

    over the ``n (n - 1)/2`` channel pairs [1]_.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)
        Signals, time in samples.
    window : int
        Window length in samples.
    step : int, default 1
        Shift between windows in samples.

    Returns
    -------
    ndarray, shape (..., n_windows, n_windows)
        Symmetric, dimensionless, in [-1, 1], unit diagonal.

    References
    ----------
    .. [1] Hansen ECA et al. (2015). NeuroImage 105:525-535.
    """
    return _corr_rows(sliding_fc(x, window, step))


def _overlap_offset(window, step) -> int:
    window = positive_int(window, "window")
    step = positive_int(step, "step")
    return max(1, math.ceil(window / step))


def fcd_triu(fcd_matrix, *, window: int | None = None, step: int | None = None, exclude_overlap: bool = True) -> np.ndarray:
    """The FCD distribution: the upper triangle of an FCD matrix as a vector.

    Parameters
    ----------
    fcd_matrix : array_like, shape (..., W, W)
        FCD matrices from :func:`fcd`.
    window, step : int, optional
        The window and step (samples) the FCD was computed with. When both are
        given and ``exclude_overlap`` is true, pairs of windows that share samples
        (``|u - v| * step < window``) are left out, i.e. the diagonal offset is
        ``k = ceil(window / step)``; otherwise ``k = 1`` (diagonal excluded).
    exclude_overlap : bool, default True
        Whether to drop overlapping window pairs (needs ``window`` and ``step``).

    Returns
    -------
    ndarray, shape (..., n_values)
        FCD values :math:`\\mathrm{FCD}_{uv}`, ``v - u >= k``.
    """
    m = as_square(fcd_matrix, "fcd_matrix")
    n = m.shape[-1]
    k = 1
    if exclude_overlap and window is not None and step is not None:
        k = _overlap_offset(window, step)
    if k >= n:
        raise InputError(
            f"no FCD values left: {n} windows and diagonal offset {k} "
            "(every pair of windows overlaps; use a longer signal, a larger step or exclude_overlap=False)",
            source=SOURCE,
            field="fcd_matrix",
        )
    return upper_triangle(m, k=k)


DEFAULT_FCD_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def fcd_stats(
    fcd_matrix,
    *,
    window: int | None = None,
    step: int | None = None,
    exclude_overlap: bool = True,
    quantiles=DEFAULT_FCD_QUANTILES,
) -> dict[str, np.ndarray]:
    """Summary statistics of the FCD distribution (upper triangle of the FCD).

    The variance of the FCD upper triangle measures how much the FC changes over
    time ("fluidity" / metastability of FC) [1]_, [2]_: stationary dynamics give
    a narrow distribution.

    Parameters
    ----------
    fcd_matrix : array_like, shape (..., W, W)
        FCD matrices from :func:`fcd`.
    window, step : int, optional
        See :func:`fcd_triu`: with both given and ``exclude_overlap`` true, pairs
        of overlapping windows are excluded.
    exclude_overlap : bool, default True
        Drop overlapping window pairs.
    quantiles : sequence of float, default (0.05, 0.25, 0.5, 0.75, 0.95)
        Quantile levels in [0, 1] (linear interpolation).

    Returns
    -------
    dict of str to ndarray, each shape (...)
        ``"var"`` (population variance, ddof=0), ``"mean"``, and one entry per
        quantile named ``"q05"``, ``"q50"``, ... (level in percent, two digits;
        ``"q12.5"`` style for non-integer percents). Dimensionless.

    References
    ----------
    .. [1] Hansen ECA et al. (2015). NeuroImage 105:525-535.
    .. [2] Deco G et al. (2017). Scientific Reports 7:3095.
    """
    v = fcd_triu(fcd_matrix, window=window, step=step, exclude_overlap=exclude_overlap)
    q = np.asarray(quantiles, dtype=np.float64).ravel()
    if np.any(~np.isfinite(q)) or np.any((q < 0) | (q > 1)):
        raise InputError(f"quantiles must lie in [0, 1], got {list(q)}", source=SOURCE, field="quantiles")
    out = {"var": np.var(v, axis=-1), "mean": np.mean(v, axis=-1)}
    if q.size:
        qs = np.quantile(v, q, axis=-1)
        for level, val in zip(q, qs):
            out[quantile_name(level)] = val
    return out


def quantile_name(level: float) -> str:
    """Name of a quantile level: 0.05 -> 'q05', 0.5 -> 'q50', 0.125 -> 'q12.5'."""
    pct = 100.0 * float(level)
    if abs(pct - round(pct)) < 1e-9:
        return f"q{int(round(pct)):02d}"
    return f"q{pct:g}"


def ks_distance(a, b) -> np.ndarray:
    """Two-sample Kolmogorov-Smirnov distance, vectorised over a batch.

    .. math:: D = \\sup_z |F_a(z) - F_b(z)|

    with :math:`F_a, F_b` the empirical CDFs of the samples. Used to compare a
    simulated FCD distribution (:func:`fcd_triu`) with an empirical one.
    Equal to ``scipy.stats.ks_2samp(a, b).statistic``.

    Parameters
    ----------
    a : array_like, shape (..., n)
        Samples, one set per batch item (e.g. simulated FCD values).
    b : array_like, shape (..., m)
        Reference samples; leading axes broadcast against ``a`` (typically one
        empirical distribution ``(m,)``).

    Returns
    -------
    ndarray, shape (...)
        In [0, 1]; NaN where a sample set contains NaN.

    References
    ----------
    Hodges JL (1958). The significance probability of the Smirnov two-sample test.
    Arkiv for Matematik 3:469-486.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim < 1 or b.ndim < 1 or a.shape[-1] == 0 or b.shape[-1] == 0:
        raise InputError(f"need non-empty samples along the last axis, got shapes {a.shape} and {b.shape}", source=SOURCE, field="a")
    try:
        batch = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    except ValueError:
        raise InputError(f"batch shapes {a.shape[:-1]} and {b.shape[:-1]} do not broadcast", source=SOURCE, field="b") from None
    n, m = a.shape[-1], b.shape[-1]
    a = np.broadcast_to(a, batch + (n,))
    b = np.broadcast_to(b, batch + (m,))
    z = np.concatenate([a, b], axis=-1)
    order = np.argsort(z, axis=-1, kind="stable")
    zs = np.take_along_axis(z, order, axis=-1)
    from_a = order < n
    # empirical CDFs from integer counts (exact, like scipy.stats.ks_2samp)
    d = np.cumsum(from_a, axis=-1) / n - np.cumsum(~from_a, axis=-1) / m
    # evaluate the CDF difference only after the last element of each group of ties
    last = np.ones(zs.shape, dtype=bool)
    last[..., :-1] = zs[..., 1:] != zs[..., :-1]
    D = np.max(np.where(last, np.abs(d), 0.0), axis=-1)
    nan = np.isnan(a).any(axis=-1) | np.isnan(b).any(axis=-1)
    return np.where(nan, np.nan, np.minimum(D, 1.0))


def fc_summaries(fc_upper, sc, hemispheres) -> np.ndarray:
    """Four numbers per FC: mean FC within and between hemispheres, SC-FC Pearson r, std of FC.

    A few targeted summaries identify global parameters (coupling G, excitability,
    noise, interhemispheric scaling) with a few hundred simulations far better
    than the R (R - 1) / 2 entries of the FC (2,850 for 76 regions), which a
    density estimator cannot condition on with so few examples (measured on the
    resting-state twin: 136 simulations, FC principal components gave posteriors
    wider than the prior; these summaries plus FCD statistics covered the truth).
    Lavanga et al. (2023) summarise FC the same way.  :func:`fc_stats` gives the
    FC distribution's quantiles instead of the hemispheric split.

    Parameters
    ----------
    fc_upper : array (..., R (R - 1) / 2)
        FC upper triangles in ``numpy.triu_indices(R, 1)`` order (:func:`fc_triu`).
    sc : array (R, R)
        Structural weights (the SC of the SC-FC correlation).
    hemispheres : array (R,) of bool
        Hemisphere of each region (e.g. ``Connectome.hemispheres``).

    Returns
    -------
    array (..., 4)
        Columns as :data:`FC_SUMMARIES`.

    Example
    -------
    >>> f = np.array([0.5, 0.1, 0.1, 0.1, 0.1, 0.5])          # 4 regions, 2 per hemisphere
    >>> fc_summaries(f, np.ones((4, 4)) - np.eye(4), [True, True, False, False])[:2].round(2).tolist()
    [0.5, 0.1]
    """
    f = np.asarray(fc_upper, dtype=np.float64)
    sc = as_square(sc, "sc")
    iu = np.triu_indices(sc.shape[0], 1)
    if f.shape[-1] != len(iu[0]):
        raise InputError(f"expected {len(iu[0])} FC values per row for {sc.shape[0]} regions, got {f.shape[-1]}",
                         source=SOURCE, field="fc")
    hemi = np.asarray(hemispheres, dtype=bool)
    if hemi.shape != (sc.shape[0],):
        raise InputError(f"expected {sc.shape[0]} hemisphere flags, got shape {hemi.shape}", source=SOURCE, field="hemispheres")
    inter = (hemi[:, None] != hemi[None, :])[iu]
    w = sc[iu]
    w_z = (w - w.mean()) / w.std()
    f_z = (f - f.mean(axis=-1, keepdims=True)) / f.std(axis=-1, keepdims=True)
    between = f[..., inter].mean(axis=-1) if inter.any() else np.zeros(f.shape[:-1])
    return np.stack([f[..., ~inter].mean(axis=-1), between, f_z @ w_z / w.size, f.std(axis=-1)], axis=-1)
