"""What the flow conditions on: principal components or regression summaries of the features.

:func:`principal_axes` is the linear (PCA) embedding of ``NPE(n_components=k)``; the rest
of this module is the regression summaries of ``NPE(regression_summaries=degree)``,
semi-automatic summary statistics (Fearnhead & Prangle 2012).

Many noisy features make a flow with a few hundred simulations learn slowly: each
feature adds inputs whose relation to the parameters the flow must find by itself.
Fearnhead & Prangle (2012, JRSS B 74:419) showed that the posterior means
``E[theta | x]`` are optimal low-dimensional summaries (for the posterior mean's
quadratic loss), and that a regression of the simulated parameters on the features
estimates them.  Here that regression is a ridge fit of the (z-scored, unbounded)
parameters on the monomials of the (standardised) features up to ``degree``::

    s(z) = P(z) @ B,     P(z) = [z_i, z_i z_j, ...] (standardised),  B = ridge(P, u)

and the flow conditions on ``s(z)``, one number per parameter.  Any summary keeps NPE
calibrated (the posterior is exact given the summary), so this trades nothing in
validity; it gains sharpness when the features' information is smooth in them.

The training rows' summaries are *cross-fitted*: each row's ``s`` comes from the fit on
the other folds, so the flow never sees summaries that fit their own noise (which
would make it overconfident on new data); new observations use the fit on every row.
The ridge penalty is the one with the smallest out-of-fold error on a log grid.

- :func:`fit_summaries` -- the fit (and the cross-fitted training summaries);
- :func:`apply_summaries` -- ``s(z)`` for new standardised features.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np

from ...errors import InputError

__all__ = ["fit_summaries", "apply_summaries", "monomials", "principal_axes"]

#: ridge penalties tried (per row of standardised monomials: ``alpha * n`` is added to the Gram diagonal)
ALPHAS = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def principal_axes(z: np.ndarray, k: int | None) -> np.ndarray | None:
    """The first ``k`` principal axes of z-scored features, ``(n_features, k)`` (None: no embedding)."""
    if k is None:
        return None
    if k > min(z.shape):
        raise InputError(f"n_components={k} exceeds min(n_sims, n_features) = {min(z.shape)}", field="n_components")
    _, _, vt = np.linalg.svd(z - z.mean(0), full_matrices=False)
    return vt[:k].T.copy()


def monomials(z: np.ndarray, degree: int) -> np.ndarray:
    """Every product of ``1..degree`` columns of ``z`` (no constant): ``(n, n_terms)``.

    Example
    -------
    >>> monomials(np.array([[2.0, 3.0]]), 2).tolist()
    [[2.0, 3.0, 4.0, 6.0, 9.0]]
    """
    z = np.asarray(z, dtype=np.float64)
    cols = []
    for d in range(1, int(degree) + 1):
        for idx in combinations_with_replacement(range(z.shape[-1]), d):
            cols.append(np.prod(z[..., list(idx)], axis=-1))
    return np.stack(cols, axis=-1)


def _ridge(p: np.ndarray, u: np.ndarray, alpha: float) -> np.ndarray:
    gram = p.T @ p + alpha * len(p) * np.eye(p.shape[1])
    return np.linalg.solve(gram, p.T @ u)


def fit_summaries(z: np.ndarray, u: np.ndarray, *, degree: int = 2, folds: int = 5,
                  seed: int = 0) -> tuple[dict, np.ndarray]:
    """Fit the regression summaries on training features ``z`` and parameters ``u``.

    Parameters
    ----------
    z : ndarray (n, n_features)
        Standardised features (z-scored or rank-Gaussian).
    u : ndarray (n, dim)
        Z-scored unbounded parameters.
    degree : int, optional
        Highest monomial degree (1: linear; 2, the default: quadratic, as Fearnhead &
        Prangle found enough for most models; 3: cubic).
    folds : int, optional
        Cross-fitting folds for the training rows' summaries and the penalty.
    seed : int, optional
        Seeds the fold assignment.

    Returns
    -------
    fit : dict
        ``degree``, ``alpha``, ``p_mean``, ``p_std`` (monomial standardisation),
        ``u_mean`` and ``coef`` ``(n_terms, dim)``: what :func:`apply_summaries` needs.
    s_train : ndarray (n, dim)
        Cross-fitted summaries of the training rows.

    Raises
    ------
    InputError
        A degree below 1 or above 3, or fewer than two rows per fold.
    """
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or not 1 <= degree <= 3:
        raise InputError(f"the summaries' degree must be 1, 2 or 3, got {degree!r}", field="summary_degree")
    n = len(z)
    if n < 2 * folds:
        raise InputError(f"{n} simulations are too few for {folds}-fold regression summaries", field="x")
    p = monomials(z, degree)
    p_mean, p_std = p.mean(0), p.std(0)
    p_std = np.where(p_std > 1e-12, p_std, 1.0)
    p = (p - p_mean) / p_std
    u_mean = u.mean(0)
    uc = u - u_mean
    fold = np.random.default_rng(seed).permutation(n) % folds
    oof = {a: np.empty_like(uc) for a in ALPHAS}
    for k in range(folds):
        tr, te = fold != k, fold == k
        for a in ALPHAS:
            oof[a][te] = p[te] @ _ridge(p[tr], uc[tr], a)
    # the penalty with the smallest out-of-fold error, summed over the parameters
    alpha = min(ALPHAS, key=lambda a: float(np.sum((oof[a] - uc) ** 2)))
    fit = {"degree": int(degree), "alpha": float(alpha), "p_mean": p_mean, "p_std": p_std, "u_mean": u_mean,
           "coef": _ridge(p, uc, alpha)}
    return fit, oof[alpha] + u_mean


def apply_summaries(z: np.ndarray, fit: dict) -> np.ndarray:
    """The summaries ``s(z)`` of standardised features (``(..., dim)``) from a :func:`fit_summaries` fit."""
    p = (monomials(z, fit["degree"]) - fit["p_mean"]) / fit["p_std"]
    return p @ fit["coef"] + fit["u_mean"]
