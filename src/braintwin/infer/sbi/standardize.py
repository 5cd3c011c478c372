"""Feature scaling for neural posterior estimation: the rank-Gaussian (Gaussian-copula) map.

:func:`training_quantiles` summarises the training features; :func:`rank_gauss` maps any
features through them to standard normal scores (``NPE(standardize="rank")``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["rank_gauss", "training_quantiles"]


def training_quantiles(x: np.ndarray, max_levels: int = 1000) -> np.ndarray:
    """Quantiles of each training feature at levels ``(k + 0.5) / m``, ``m = min(n, max_levels)``: ``(m, n_features)``.

    Example
    -------
    >>> training_quantiles(np.arange(4.0)[:, None]).ravel().tolist()
    [0.375, 1.125, 1.875, 2.625]
    """
    m = int(min(len(x), max_levels))
    return np.quantile(x, (np.arange(m) + 0.5) / m, axis=0)


def rank_gauss(x, quantiles) -> np.ndarray:
    """Map features through their training distribution to a standard normal.

    .. math:: z_j = \\Phi^{-1}\\big(\\hat F_j(x_j)\\big)

    where :math:`\\hat F_j` interpolates linearly between the training quantiles
    ``quantiles[k, j]`` at levels :math:`p_k = (k + 1/2)/m` (clipped to
    :math:`[p_0, p_{m-1}]` outside them) and :math:`\\Phi` is the standard normal CDF: the
    Gaussian-copula ("quantile") normalisation.  Monotone in every feature, so no
    ordering information is lost, and robust to outliers and to several modes.  A
    feature constant in training maps to 0.

    Parameters
    ----------
    x : array_like (..., n_features)
    quantiles : array_like (m, n_features)
        Non-decreasing along axis 0 (from the training features).

    Returns
    -------
    ndarray (..., n_features)
        Standard normal scores, in :math:`[\\Phi^{-1}(p_0), \\Phi^{-1}(p_{m-1})]`.

    Example
    -------
    >>> q = np.quantile(np.arange(100.0)[:, None], (np.arange(100) + 0.5) / 100, axis=0)
    >>> float(rank_gauss(np.array([49.5]), q)[0])
    0.0
    """
    from scipy.special import ndtri

    x, q = np.asarray(x, dtype=np.float64), np.asarray(quantiles, dtype=np.float64)
    m = q.shape[0]
    levels = (np.arange(m) + 0.5) / m
    flat = x.reshape(-1, q.shape[1])
    u = np.stack([np.interp(flat[:, j], q[:, j], levels) for j in range(q.shape[1])], axis=1)
    z = ndtri(u)
    z[:, q[0] == q[-1]] = 0.0  # constant in training: no information
    return z.reshape(x.shape)
