r"""The posterior of several independent observations of the same parameters, from an estimator trained on one.

An amortised estimator ``q(theta | x)`` trained on single observations (for instance
2.5-minute BOLD segments) can condition on ``K`` of them at once when they are
independent given ``theta`` (segments of one long recording, a few BOLD
autocorrelation times apart):

.. math::

    p(\theta | x_1, \dots, x_K) \propto p(\theta)^{1 - K} \prod_{k=1}^{K} q(\theta | x_k).

:func:`joint_posterior` draws from it by sampling-importance-resampling: proposals
from the mixture of the ``K`` single-part posteriors (which covers the product,
always narrower than each factor), weights ``target / proposal``, then a
resample.  The importance weights' effective sample size is reported in
``posterior.info["joint"]`` and a warning is raised when it is small: a product of
disagreeing parts (a recording that is not stationary, or an estimator that is
not calibrated) is then visible, never a silent, overconfident posterior.

Why not simply condition on the long recording: simulations as long as a 10-minute
recording cost 4 times those of its 2.5-minute segments, so a campaign of the
same CPU time holds ~3.4 times as many (each simulation also pays its transient),
and few, expensive simulations are what limits the resting-state twin
(``benchmarks/rest_twin.py``).  Reference for the factorisation: Geffner T,
Papamakarios G, Mnih A (2023) Compositional score modeling for simulation-based
inference. ICML.
"""

from __future__ import annotations

import math
import warnings
from typing import Mapping, Sequence

import numpy as np

from ...errors import BraintwinWarning, InputError
from ..posterior import Posterior  # noqa: F401  (the return type)

__all__ = ["joint_posterior", "MIN_JOINT_ESS"]

#: Importance ESS below which :func:`joint_posterior` warns (the draws repeat few proposals).
MIN_JOINT_ESS = 200.0


def joint_posterior(estimator, x_parts, n: int = 1000, seed: int = 0, *, n_proposals: int | None = None,
                    feature_names: Sequence[str] | None = None, config: Mapping | None = None,
                    diagnostics: Mapping | None = None) -> Posterior:
    """Posterior of ``K`` independent observations from an estimator of one (see the module docstring).

    Parameters
    ----------
    estimator : Estimator
        Trained on single observations (:class:`~braintwin.infer.sbi.NPE`).
    x_parts : array (K, n_features)
        The observations' features, one row each.
    n : int
        Draws returned (resampled with replacement from the weighted proposals).
    n_proposals : int, optional
        Proposals in all (default ``max(20 n, 20000)``), split evenly over the parts.
    feature_names, config, diagnostics
        As for :meth:`Estimator.posterior`.

    Returns
    -------
    Posterior
        ``method="npe"``; ``info["joint"]``: ``parts``, ``proposals``, ``importance_ess``.

    Example
    -------
    >>> post = joint_posterior(est, np.stack([sim.features_of(seg) for seg in segments]))   # doctest: +SKIP
    """
    from scipy.special import logsumexp

    x = np.atleast_2d(np.asarray(x_parts, float))
    K = len(x)
    if K < 1 or not np.isfinite(x).any(axis=1).all():
        raise InputError("every part needs finite features", source="joint_posterior", field="x_parts")
    if K == 1:
        return estimator.posterior(x[0], n, seed, feature_names=feature_names, config=config, diagnostics=diagnostics)
    rng = np.random.default_rng([int(seed), 11])
    m = int(math.ceil((n_proposals or max(20 * int(n), 20_000)) / K))
    theta = np.concatenate([estimator.sample(xk, m, rng, feature_names=feature_names, config=config) for xk in x])
    theta = theta[np.all(np.isfinite(theta), axis=1)]
    logq = np.stack([estimator.log_prob(theta, xk) for xk in x])  # (K, M)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.asarray(estimator.prior.log_prob(theta), float)
        logw = logq.sum(0) - (K - 1) * logp - (logsumexp(logq, axis=0) - math.log(K))
    logw = np.where(np.isfinite(logw), logw, -np.inf)
    if not np.isfinite(logw).any():
        raise InputError("no proposal has a finite joint density: the parts' posteriors do not overlap",
                         source="joint_posterior", field="x_parts")
    w = np.exp(logw - logw.max())
    w /= w.sum()
    ess = float(1.0 / np.sum(w * w))
    if ess < MIN_JOINT_ESS:
        warnings.warn(f"joint posterior of {K} parts: importance ESS {ess:.0f} of {len(theta)} proposals; the parts "
                      "disagree or the estimator is overconfident, so the draws repeat few proposals",
                      BraintwinWarning, stacklevel=2)
    # systematic resampling: n draws whose counts follow the weights with the least extra noise
    pos = (rng.random() + np.arange(int(n))) / int(n)
    idx = np.minimum(np.searchsorted(np.cumsum(w), pos), len(w) - 1)
    return estimator.posterior_of_draws(theta[idx], x, diagnostics,
                                        joint={"parts": K, "proposals": int(len(theta)), "importance_ess": ess})
