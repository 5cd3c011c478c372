"""Statistical moments of each channel over time, vectorised over batches.

All four moments come from one compiled two-pass kernel (parallel over batch
items), so a batch of 10^4 recordings needs no full-size temporaries.
Definitions follow :func:`scipy.stats.skew` and :func:`scipy.stats.kurtosis`
with their defaults (population, i.e. biased, estimators; Fisher kurtosis).
"""

from __future__ import annotations

import numpy as np

from ._kernels import moments_kernel
from ..errors import InputError
from ._validate import SOURCE, as_signal, flatten_batch

__all__ = ["moments", "mean", "std", "skewness", "kurtosis", "amplitude_stats"]

MOMENT_NAMES = ("mean", "std", "skewness", "kurtosis")


def _moments_array(x) -> np.ndarray:
    """(4, ..., C) array of mean, std, skewness, kurtosis."""
    x = as_signal(x)
    flat, batch = flatten_batch(x)
    out = np.empty((4, flat.shape[0], flat.shape[2]))
    moments_kernel(flat, out)
    return out.reshape((4,) + batch + (flat.shape[2],))


def moments(x) -> dict[str, np.ndarray]:
    """Mean, standard deviation, skewness and excess kurtosis per channel.

    With :math:`\\mu = \\frac1T \\sum_t x_t` and central moments
    :math:`m_k = \\frac1T \\sum_t (x_t - \\mu)^k`:

    - mean :math:`\\mu` (unit U)
    - std :math:`\\sqrt{m_2}` (U; population, ddof=0)
    - skewness :math:`g_1 = m_3 / m_2^{3/2}` (dimensionless)
    - kurtosis :math:`g_2 = m_4 / m_2^2 - 3` (dimensionless, 0 for a Gaussian)

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)
        Signals (unit U), time in samples.

    Returns
    -------
    dict with keys "mean", "std", "skewness", "kurtosis", each ndarray shape (..., n_channels)
        Skewness and kurtosis are NaN for a constant channel.

    References
    ----------
    Joanes DN, Gill CA (1998). Comparing measures of sample skewness and
    kurtosis. J. Royal Stat. Soc. D 47(1):183-189.
    """
    arr = _moments_array(x)
    return dict(zip(MOMENT_NAMES, arr))


def mean(x) -> np.ndarray:
    """Time average of each channel, :math:`\\frac1T \\sum_t x_t`.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)

    Returns
    -------
    ndarray, shape (..., n_channels)
        Same unit as ``x``.
    """
    return np.mean(as_signal(x), axis=-2)


def std(x) -> np.ndarray:
    """Population standard deviation of each channel over time (ddof=0).

    :math:`\\sqrt{\\frac1T \\sum_t (x_t - \\mu)^2}`.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)

    Returns
    -------
    ndarray, shape (..., n_channels)
        Same unit as ``x``.
    """
    return np.std(as_signal(x), axis=-2)


def skewness(x) -> np.ndarray:
    """Skewness :math:`g_1 = m_3 / m_2^{3/2}` of each channel (see :func:`moments`).

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)

    Returns
    -------
    ndarray, shape (..., n_channels)
        Dimensionless; NaN for a constant channel. Equals ``scipy.stats.skew(x, axis=-2)``.
    """
    return _moments_array(x)[2]


def kurtosis(x) -> np.ndarray:
    """Excess (Fisher) kurtosis :math:`g_2 = m_4 / m_2^2 - 3` of each channel (see :func:`moments`).

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)

    Returns
    -------
    ndarray, shape (..., n_channels)
        Dimensionless (0 for Gaussian data); NaN for a constant channel.
        Equals ``scipy.stats.kurtosis(x, axis=-2)``.
    """
    return _moments_array(x)[3]


def amplitude_stats(x, strength=None) -> dict[str, np.ndarray]:
    """Signal level and fluctuation size, summarised over channels, and of the global signal.

    With per-channel time mean :math:`\\mu_c` and standard deviation :math:`\\sigma_c`
    (:func:`moments`) and the global signal :math:`g_t = \\frac1C \\sum_c x_{t,c}`:

    - ``"mean"``, ``"mean_sd"``: mean and standard deviation over channels of :math:`\\mu_c` (U)
    - ``"log_std"``, ``"log_std_sd"``: mean and standard deviation over channels of
      :math:`\\ln \\sigma_c` (log U)
    - ``"global_log_std"``: :math:`\\ln \\operatorname{sd}_t(g_t)` (log U)
    - with ``strength`` :math:`s_c`: ``"strength_slope"``, the least-squares slope of
      :math:`\\mu_c` on :math:`s_c` (U per unit of strength), and ``"strength_corr"``,
      their Pearson correlation

    For a simulated BOLD signal kept on its raw scale these carry the working
    point of the neural masses (the BOLD level follows the mean firing rate, set
    by the excitability ``eta`` and the coupling ``G``) and the noise intensity
    (fluctuation size), which correlation features (FC, FCD) cannot see.  Near a
    fixed point, region ``c`` receives ``G * s_c`` times the mean activity, so the
    slope of the level on the structural in-strength measures the coupling.  A
    recording z-scored per channel has ``mean`` 0 and ``log_std`` 0: use these
    only where the scale means something.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)
        Signals (unit U), time in samples.
    strength : array_like, shape (n_channels,), optional
        Structural in-strength of each channel's region (row sums of the weights).

    Returns
    -------
    dict of str to ndarray, each shape (...)
        ``-inf`` log standard deviations for constant signals; NaN slope and
        correlation for a constant ``strength``.

    Example
    -------
    >>> x = 2.0 + 3.0 * np.random.default_rng(0).standard_normal((4000, 5))
    >>> st = amplitude_stats(x)
    >>> round(float(st["mean"]), 1), round(float(np.exp(st["log_std"])), 1)
    (2.0, 3.0)
    """
    arr = _moments_array(x)  # (4, ..., C)
    mu, sd = arr[0], arr[1]
    with np.errstate(divide="ignore"):
        log_sd = np.log(sd)
        g_sd = np.log(np.std(np.mean(as_signal(x), axis=-1), axis=-1))
    out = {"mean": mu.mean(-1), "mean_sd": mu.std(-1), "log_std": log_sd.mean(-1), "log_std_sd": log_sd.std(-1),
           "global_log_std": g_sd}
    if strength is not None:
        s = np.asarray(strength, dtype=np.float64).ravel()
        if s.shape != mu.shape[-1:]:
            raise InputError(f"strength needs {mu.shape[-1]} values, one per channel, got {s.shape}", source=SOURCE,
                             field="strength")
        ds, dm = s - s.mean(), mu - mu.mean(-1, keepdims=True)
        cov = dm @ ds / s.size
        with np.errstate(divide="ignore", invalid="ignore"):
            out["strength_slope"] = cov / ds.var() if ds.var() > 0 else np.full(cov.shape, np.nan)
            out["strength_corr"] = cov / (ds.std() * mu.std(-1))
    return out
