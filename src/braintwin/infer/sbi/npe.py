"""Neural posterior estimation (NPE) with normalising flows from flowjax.

A conditional flow ``q(u | x)`` is trained by maximum likelihood on simulated pairs
``(theta, x)`` drawn from the prior (Papamakarios & Murray 2016; Greenberg et al.
2019).  Parameters are learnt in the prior's unbounded space ``u = T(theta)``
(:meth:`Prior.to_unbounded`) and z-scored there; features are z-scored with the
training mean and standard deviation.  The density of ``theta`` includes the
bijection's Jacobian:

.. math::

    \\log q(\\theta | x) = \\log q_u(T(\\theta) | x) - \\log|\\det \\partial T^{-1}/\\partial u|,

so :meth:`Estimator.log_prob` is a density over the parameters the user wrote.

- :class:`NPE` -- ``NPE(prior).append_simulations(theta, x).train()``; ``flow="maf"``
  (masked autoregressive flow, affine) or ``"nsf"`` (autoregressive rational-quadratic
  spline flow, Durkan et al. 2019); ``ensemble=K`` trains K flows (a uniform mixture);
  :meth:`NPE.truncated_sequential` refines one person's posterior (TSNPE, Deistler
  et al. 2022);
- :class:`Estimator` -- ``sample``, ``log_prob``, ``posterior`` (a
  :class:`~braintwin.infer.Posterior` with ``method="npe"``); refuses observations
  whose features, connectome or contact set differ from the training data's;
- :func:`~.estimator_file.write_estimator` / :func:`~.estimator_file.read_estimator` -- one ``.npe`` file (a zip of
  ``metadata.json`` and the flows' weights from ``equinox.tree_serialise_leaves``).
"""

from __future__ import annotations

import functools
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import BraintwinWarning, InputError
from ..._versions import package_versions
from ..posterior import Posterior
from .priors import Prior
from .standardize import rank_gauss, training_quantiles
from .summaries import apply_summaries, fit_summaries, principal_axes

__all__ = ["NPE", "Estimator", "FLOWS", "COMPATIBILITY_KEYS"]

FLOWS = ("maf", "nsf")
FORMAT = "braintwin-npe"
#: Rounds of redrawing non-finite posterior draws before they are reported as such.
MAX_REDRAWS = 10
FORMAT_VERSION = 1
#: configuration entries that must agree between an estimator and the data it is used on
COMPATIBILITY_KEYS = ("connectome_sha256", "gain_sha256", "feature_sets", "feature_options", "features", "observation")


# ----------------------------------------------------------------------------- flows
def _flow_settings(flow: str, n_transforms: int, hidden: int, depth: int, n_bins: int, ensemble: int) -> dict:
    if flow not in FLOWS:
        raise InputError(f"unknown flow {flow!r}; choose one of {', '.join(FLOWS)}", field="flow")
    for name, v, lo in (("n_transforms", n_transforms, 1), ("hidden", hidden, 1), ("depth", depth, 0),
                        ("n_bins", n_bins, 2), ("ensemble", ensemble, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise InputError(f"{name} must be an integer >= {lo}, got {v!r}", field=name)
    return {"flow": flow, "n_transforms": int(n_transforms), "hidden": int(hidden), "depth": int(depth),
            "n_bins": int(n_bins), "ensemble": int(ensemble)}


def _build_flow(key, dim: int, cond_dim: int, s: Mapping[str, Any]):
    """An untrained conditional flow over ``dim`` z-scored unbounded parameters."""
    import jax.numpy as jnp
    from flowjax.bijections import RationalQuadraticSpline
    from flowjax.distributions import Normal
    from flowjax.flows import masked_autoregressive_flow

    # splines act on [-5, 5] (z-scored units) and are the identity outside
    transformer = RationalQuadraticSpline(knots=s["n_bins"], interval=5.0) if s["flow"] == "nsf" else None
    return masked_autoregressive_flow(key, base_dist=Normal(jnp.zeros(dim)), transformer=transformer,
                                      cond_dim=cond_dim, flow_layers=s["n_transforms"], nn_width=s["hidden"],
                                      nn_depth=s["depth"])


def _int_seed(seed: int | np.random.Generator | None) -> int:
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**31 - 1))
    if seed is None:
        return 0
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InputError(f"seed must be an integer or a numpy Generator, got {seed!r}", field="seed")
    return int(seed)


@functools.lru_cache(maxsize=1)
def _jitted_sample():
    """``(flow, key, condition, n) -> draws``, compiled once per flow structure and shape (``n`` static)."""
    import equinox as eqx

    return eqx.filter_jit(lambda flow, key, cond, n: flow.sample(key, (n,), condition=cond))


def _versions() -> dict:
    return package_versions(("numpy", "jax", "flowjax", "equinox", "optax"))


# ----------------------------------------------------------------------- estimator
@dataclass
class Estimator:
    """A trained neural posterior estimator: ``q(theta | x)`` for any observation ``x``.

    Attributes
    ----------
    prior : Prior
    flows : list
        The ensemble's flowjax distributions over z-scored unbounded parameters.
    feature_names : list of str
    x_mean, x_std : ndarray (n_features,)
        Feature standardisation (constant features get ``x_std = 1``).
    u_mean, u_std : ndarray (dim,)
        Standardisation of the unbounded parameters.
    settings : dict
        Flow settings (``flow``, ``n_transforms``, ``hidden``, ``depth``, ``n_bins``, ``ensemble``).
    config : dict
        The simulator's configuration (checksums of connectome and gain, feature sets).
    training : dict
        Counts of simulations, epochs, final losses, seeds.
    truncated_for : ndarray or None
        For a TSNPE estimator, the observation it was refined for (valid for that one only).
    projection : ndarray (n_features, n_components) or None
        Linear embedding of the z-scored features (principal axes of the training
        features) when ``NPE(n_components=...)``; the flow conditions on ``z @ projection``.
    x_quantiles : ndarray (n_levels, n_features) or None
        With ``NPE(standardize="rank")``: the training features' quantiles at levels
        ``(k + 0.5) / n_levels``; features are mapped by :func:`rank_gauss` instead of z-scored.
    summaries : dict or None
        With ``NPE(regression_summaries=degree)``: the ridge fit of
        :func:`~.summaries.fit_summaries`; the flow conditions on its predicted
        parameters ``s(z)`` (one per parameter) instead of on the features.

    Examples
    --------
    >>> est = NPE(prior).append_simulations(theta, x).train()        # doctest: +SKIP
    >>> post = est.posterior(x_obs, n=2000, seed=1)                   # doctest: +SKIP
    """

    prior: Prior
    flows: list
    feature_names: list
    x_mean: np.ndarray
    x_std: np.ndarray
    u_mean: np.ndarray
    u_std: np.ndarray
    settings: dict
    config: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    truncated_for: np.ndarray | None = None
    projection: np.ndarray | None = None
    x_quantiles: np.ndarray | None = None
    summaries: dict | None = None

    @property
    def n_features(self) -> int:
        """Number of features the estimator conditions on."""
        return len(self.feature_names)

    # -- checks --------------------------------------------------------------------
    def check_compatible(self, *, feature_names: Sequence[str] | None = None, config: Mapping | None = None,
                         source: str | None = None) -> None:
        """Refuse data made differently from the training data.

        Parameters
        ----------
        feature_names : sequence of str, optional
            The data's features, in order; must equal the estimator's.
        config : mapping, optional
            The data's simulator/recording configuration; every entry of
            :data:`COMPATIBILITY_KEYS` present on both sides must agree (another
            connectome, contact set or feature set is refused).
        source : str, optional
            Named in the error.

        Raises
        ------
        InputError
        """
        if feature_names is not None:
            names = [str(n) for n in feature_names]
            if names != list(self.feature_names):
                extra = [n for n in names if n not in self.feature_names][:3]
                missing = [n for n in self.feature_names if n not in names][:3]
                raise InputError(
                    f"features differ from the estimator's ({len(names)} given, {self.n_features} expected; "
                    f"unexpected {extra or 'none'}, missing {missing or 'none'}"
                    f"{'; same names in another order' if not extra and not missing else ''})",
                    source=source, field="feature_names")
        for key in COMPATIBILITY_KEYS:
            if config and key in config and key in self.config and config[key] != self.config[key]:
                what = {"connectome_sha256": "another connectome", "gain_sha256": "another contact set / gain matrix"}
                raise InputError(f"{what.get(key, 'another ' + key)}: the estimator was trained with "
                                 f"{_short(self.config[key])}, the data has {_short(config[key])}",
                                 source=source, field=key)

    def _standardise(self, x_obs, source: str | None = None) -> np.ndarray:
        x = np.asarray(x_obs, dtype=np.float64)
        if x.ndim not in (1, 2) or x.shape[-1] != self.n_features:
            raise InputError(f"expected {self.n_features} features per observation, got shape {x.shape}",
                             source=source, field="x_obs")
        bad = ~np.isfinite(x)
        if bad.all(axis=-1).any():
            raise InputError("every feature of the observation is NaN/inf (a failed or diverged recording?); "
                             "refusing to condition on it", source=source, field="x_obs")
        if bad.any():
            names = [self.feature_names[i] for i in np.flatnonzero(bad.reshape(-1, self.n_features).any(0))][:5]
            raise InputError(f"{int(bad.sum())} non-finite feature value(s) ({', '.join(names)}); "
                             "the estimator needs every feature", source=source, field="x_obs")
        z = (x - self.x_mean) / self.x_std if self.x_quantiles is None else rank_gauss(x, self.x_quantiles)
        z = z if self.projection is None else z @ self.projection
        return z if self.summaries is None else apply_summaries(z, self.summaries)

    # -- density and sampling ------------------------------------------------------
    def _sample_u(self, z: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` z-scored unbounded draws per condition row: ``(n, *z.shape[:-1], dim)``."""
        import jax.random as jr

        sample = _jitted_sample()
        counts = rng.multinomial(int(n), np.full(len(self.flows), 1.0 / len(self.flows)))
        parts = [np.asarray(sample(flow, jr.key(int(rng.integers(2**31 - 1))), z.astype(np.float32), int(c)),
                            dtype=np.float64) for flow, c in zip(self.flows, counts) if c]
        # a uniform mixture: multinomial member counts, then the draws shuffled
        return np.concatenate(parts)[rng.permutation(int(n))]

    def sample(self, x_obs, n: int, seed: int | np.random.Generator | None = 0, *,
               feature_names: Sequence[str] | None = None, config: Mapping | None = None) -> np.ndarray:
        """Draws from ``q(theta | x_obs)`` in the parameters' own units, columns as ``prior.labels``.

        Parameters
        ----------
        x_obs : array_like (n_features,) or (m, n_features)
            Observed features (finite), in the estimator's feature order; several
            observations at once give draws for each (used by calibration).
        n : int
            Draws per observation.
        seed : int or numpy.random.Generator, optional
        feature_names, config : optional
            Checked with :meth:`check_compatible` when given.

        Returns
        -------
        ndarray
            ``(n, dim)`` for one observation, ``(m, n, dim)`` for ``m``.

        Examples
        --------
        >>> est.sample(x_obs, 1000, seed=0).shape          # doctest: +SKIP
        (1000, 3)
        """
        self.check_compatible(feature_names=feature_names, config=config)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"n must be a positive integer, got {n!r}", field="n")
        z = self._standardise(x_obs)
        rng = np.random.default_rng(_int_seed(seed))
        theta = self._draw(z, int(n), rng)
        # a flow evaluated in float32 can overflow in its far tails: such draws are redrawn (counted, said)
        bad = ~np.isfinite(theta).all(axis=-1)
        n_bad = int(bad.sum())
        for _ in range(MAX_REDRAWS):
            if not bad.any():
                break
            theta[bad] = self._draw(z, int(n), rng)[bad]
            bad = ~np.isfinite(theta).all(axis=-1)
        if n_bad:
            warnings.warn(f"NPE: {n_bad} of {bad.size} posterior draws were not finite (flow overflow) and were redrawn"
                          + (f"; {int(bad.sum())} still are" if bad.any() else ""), BraintwinWarning, stacklevel=2)
        return theta

    def _draw(self, z: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        u = self._sample_u(z, n, rng)
        if z.ndim == 2:
            u = np.swapaxes(u, 0, 1)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(self.prior.from_unbounded(u * self.u_std + self.u_mean), dtype=np.float64)

    def log_prob(self, theta, x_obs, *, feature_names: Sequence[str] | None = None,
                 config: Mapping | None = None) -> np.ndarray:
        """``log q(theta | x_obs)`` in the parameters' own units, ``(n,)``.

        Parameters
        ----------
        theta : array_like (n, dim) or (dim,)
        x_obs : array_like (n_features,) or (n, n_features)
            One observation for every ``theta``, or one per row.

        Returns
        -------
        ndarray (n,)
            ``-inf`` outside the prior's support; an ensemble's density is the
            mixture ``logsumexp_k log q_k - log K``.
        """
        from scipy.special import logsumexp

        self.check_compatible(feature_names=feature_names, config=config)
        z = self._standardise(x_obs).astype(np.float32)
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        with np.errstate(all="ignore"):
            u = np.asarray(self.prior.to_unbounded(theta), dtype=np.float64)
        inside = np.all(np.isfinite(u), axis=-1)
        u = np.where(inside[:, None], u, 0.0)
        w = ((u - self.u_mean) / self.u_std).astype(np.float32)
        members = np.stack([np.asarray(f.log_prob(w, z), dtype=np.float64) for f in self.flows])
        lp = logsumexp(members, axis=0) - math.log(len(self.flows))
        lp = lp - np.sum(np.log(self.u_std)) - np.asarray(self.prior.log_abs_det_jacobian(u), dtype=np.float64)
        return np.where(inside, lp, -np.inf)

    def posterior(self, x_obs, n: int = 1000, seed: int | np.random.Generator | None = 0, *,
                  feature_names: Sequence[str] | None = None, config: Mapping | None = None,
                  diagnostics: Mapping | None = None) -> Posterior:
        """The posterior of one observation as a :class:`~braintwin.infer.Posterior` (``method="npe"``).

        Parameters
        ----------
        x_obs : array_like (n_features,)
        n : int, optional
            Number of draws.
        seed : optional
        feature_names, config : optional
            Checked against the training data (see :meth:`check_compatible`).
        diagnostics : mapping, optional
            E.g. ``{"calibration": calibrate(...)}`` (see :mod:`.calibration`).

        Returns
        -------
        Posterior
            Draws named after the prior's parameters (per-region ones labelled with
            the regions), ``info`` with the estimator's settings.
        """
        if self.truncated_for is not None and not np.allclose(np.asarray(x_obs, float), self.truncated_for):
            warnings.warn("this estimator was refined (TSNPE) for another observation; its posterior for this "
                          "one is only valid inside the truncated region", BraintwinWarning, stacklevel=2)
        theta = self.sample(x_obs, n, seed, feature_names=feature_names, config=config)
        return self.posterior_of_draws(theta, x_obs, diagnostics)

    def posterior_of_draws(self, theta, x_obs, diagnostics: Mapping | None = None, **info) -> Posterior:
        """Draws ``(n, dim)`` (prior's column order) as a :class:`~braintwin.infer.Posterior` of ``x_obs`` (``info`` added)."""
        samples = self.prior.unflatten(np.asarray(theta, float))
        labels = {k: list(self.prior.region_labels) for k in samples
                  if self.prior.per_region.get(k) and self.prior.region_labels}
        info = {"estimator": dict(self.settings), "n_train": self.training.get("n_train"),
                "feature_names": list(self.feature_names), "x_obs": np.asarray(x_obs, float).tolist(),
                "truncated": self.truncated_for is not None, **info}
        return Posterior(samples, method="npe", labels=labels, info=info, diagnostics=diagnostics)

    def to_metadata(self) -> dict:
        """JSON-ready description (everything but the weights)."""
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "prior": self.prior.to_dict(),
                "feature_names": list(self.feature_names), "settings": dict(self.settings),
                "config": dict(self.config), "training": dict(self.training),
                "standardisation": {k: np.asarray(getattr(self, k)).tolist()
                                    for k in ("x_mean", "x_std", "u_mean", "u_std", "x_quantiles")
                                    if getattr(self, k) is not None},
                "truncated_for": None if self.truncated_for is None else np.asarray(self.truncated_for).tolist(),
                "summaries": None if self.summaries is None else
                {k: np.asarray(v).tolist() for k, v in self.summaries.items()},
                "parameter_order": list(self.prior.names),  # JSON objects are written sorted: keep the columns' order
                "versions": _versions()}


def _short(v: Any) -> str:
    s = json.dumps(v, sort_keys=True, default=str)
    return s if len(s) <= 24 else s[:20] + "..."


# ----------------------------------------------------------------------- training
class NPE:
    """Neural posterior estimation: simulations in, a trained :class:`Estimator` out.

    Parameters
    ----------
    prior : Prior
        The prior the simulations were drawn from (its bijection defines the flow's space).
    flow : {"maf", "nsf"}, optional
        Masked autoregressive flow with affine transforms (default; Papamakarios et al.
        2017) or with rational-quadratic splines (neural spline flow, Durkan et al. 2019).
    n_transforms : int, optional
        Number of flow layers.
    hidden, depth : int, optional
        Width and number of hidden layers of each layer's conditioner network.
    n_bins : int, optional
        Spline knots (``"nsf"`` only).
    ensemble : int, optional
        Number of independently initialised and trained flows; the estimator is
        their uniform mixture (Lakshminarayanan et al. 2017).
    n_components : int, optional
        Condition on the first ``n_components`` principal components of the z-scored
        features (a linear embedding for many features, e.g. the 2,850 FC entries of
        76 regions) instead of on every feature.
    standardize : {"zscore", "rank"}, optional
        How features are scaled for the flow: z-scored with the training mean and
        sd (default), or mapped through their training distribution to a standard
        normal (:func:`rank_gauss`), which keeps the resolution of features whose
        spread is dominated by a few distant values (e.g. a BOLD level that is
        bimodal across the prior, where a z-score squeezes one mode into a sliver).
    regression_summaries : int, optional
        Condition the flow on semi-automatic summaries (Fearnhead & Prangle 2012): a
        ridge regression of the parameters on the standardised features' monomials up
        to this degree (1-3), cross-fitted on the training rows (see
        :mod:`.summaries`).  One input per parameter instead of one per feature: sharper
        posteriors from few simulations when the features are many or noisy.

    Examples
    --------
    >>> est = NPE(prior).append_simulations(theta, x, feature_names=names).train(seed=0)   # doctest: +SKIP
    >>> est.sample(x_obs, 1000).shape                                                    # doctest: +SKIP
    (1000, 3)
    """

    def __init__(self, prior: Prior, *, flow: str = "maf", n_transforms: int = 5, hidden: int = 50,
                 depth: int = 1, n_bins: int = 8, ensemble: int = 1, n_components: int | None = None,
                 standardize: str = "zscore", regression_summaries: int | None = None):
        if not isinstance(prior, Prior):
            raise InputError(f"expected a braintwin Prior, got {type(prior).__name__}", field="prior")
        self.prior = prior
        self.settings = _flow_settings(flow, n_transforms, hidden, depth, n_bins, ensemble)
        if n_components is not None:
            if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
                raise InputError(f"n_components must be a positive integer, got {n_components!r}", field="n_components")
            self.settings["n_components"] = int(n_components)
        if standardize not in ("zscore", "rank"):
            raise InputError(f"standardize must be 'zscore' or 'rank', got {standardize!r}", field="standardize")
        if standardize == "rank":
            self.settings["standardize"] = "rank"
        if regression_summaries is not None:
            if (isinstance(regression_summaries, bool) or not isinstance(regression_summaries, (int, np.integer))
                    or not 1 <= regression_summaries <= 3):
                raise InputError(f"regression_summaries must be a degree 1, 2 or 3, got {regression_summaries!r}",
                                 field="regression_summaries")
            self.settings["regression_summaries"] = int(regression_summaries)
        self.theta = np.empty((0, prior.dim))
        self.x: np.ndarray | None = None
        self.feature_names: list[str] | None = None
        self.config: dict = {}
        self.counts: dict = {"n_appended": 0, "n_dropped": 0}

    def append_simulations(self, theta, x, *, feature_names: Sequence[str] | None = None,
                           config: Mapping | None = None, source: str | None = None) -> "NPE":
        """Add simulated pairs; rows with non-finite features or parameters outside the prior are dropped (counted).

        Parameters
        ----------
        theta : array_like (n, dim)
            Parameters, columns as ``prior.labels``.
        x : array_like (n, n_features)
            Features.
        feature_names : sequence of str, optional
            Defaults to ``f0, f1, ...``; must match earlier appends.
        config : mapping, optional
            The simulator's configuration (checksums, feature sets); must match earlier appends.

        Returns
        -------
        NPE
            ``self``, so that calls chain.
        """
        theta = np.asarray(theta, dtype=np.float64)
        x = np.asarray(x, dtype=np.float64)
        if theta.ndim != 2 or theta.shape[1] != self.prior.dim:
            raise InputError(f"theta must be (n, {self.prior.dim}), got {theta.shape}", source=source, field="theta")
        if x.ndim != 2 or x.shape[0] != theta.shape[0]:
            raise InputError(f"x must be (n, n_features) with n = {theta.shape[0]}, got {x.shape}",
                             source=source, field="x")
        names = [str(n) for n in feature_names] if feature_names is not None else [f"f{i}" for i in range(x.shape[1])]
        if len(names) != x.shape[1]:
            raise InputError(f"{len(names)} feature names for {x.shape[1]} features", source=source, field="feature_names")
        if self.feature_names is not None:
            Estimator.check_compatible(self._shell(), feature_names=names, config=config, source=source)
        self.feature_names, self.config = names, dict(config or self.config)
        with np.errstate(all="ignore"):
            ok = np.all(np.isfinite(x), axis=1) & np.isfinite(np.asarray(self.prior.log_prob(theta)))
        self.theta = np.concatenate([self.theta, theta[ok]])
        self.x = x[ok] if self.x is None else np.concatenate([self.x, x[ok]])
        self.counts["n_appended"] += int(theta.shape[0])
        self.counts["n_dropped"] += int((~ok).sum())
        return self

    def append_campaign(self, campaign) -> "NPE":
        """Add a campaign's usable rows (status ok and finite); its counts go to the training record.

        Parameters
        ----------
        campaign : Campaign
            From :func:`braintwin.infer.sbi.read_campaign` (anything with
            ``training_data()``, ``feature_names`` and ``config``).

        Returns
        -------
        NPE
        """
        src = str(getattr(campaign, "path", "") or "") or None
        if getattr(campaign, "prior", self.prior) != self.prior:
            raise InputError("the campaign was drawn from another prior than this NPE's", source=src, field="prior")
        theta, x, counts = campaign.training_data()
        self.counts.update({f"campaign_{k}": int(v) for k, v in counts.items()})
        return self.append_simulations(theta, x, feature_names=campaign.feature_names, config=campaign.config,
                                       source=src)

    def _shell(self) -> Estimator:
        d = self.prior.dim
        return Estimator(self.prior, [], list(self.feature_names or []), np.zeros(0), np.ones(0), np.zeros(d),
                         np.ones(d), dict(self.settings), dict(self.config))

    def train(self, *, seed: int = 0, max_epochs: int = 500, patience: int = 20, batch_size: int = 128,
              learning_rate: float = 1e-3, val_fraction: float = 0.1, restarts: int = 1,
              progress: bool = False) -> Estimator:
        """Fit the flow(s) by maximum likelihood with a validation split and early stopping.

        Parameters
        ----------
        seed : int, optional
            Seeds initialisation, the split and the batches (member ``k`` uses ``seed + k``).
        max_epochs : int, optional
        patience : int, optional
            Stop after this many epochs without a better validation loss; the best weights are kept.
        batch_size : int, optional
            Clipped to the validation set's size.
        learning_rate : float, optional
            Adam's step size.
        val_fraction : float, optional
            Share of the simulations held out for early stopping (0 < f < 1).
        restarts : int, optional
            Train each member from this many initialisations on the same split and
            batches and keep the one with the best validation loss.  With a few hundred
            simulations early stopping sometimes ends a run on an early plateau (measured
            on the resting-state calibration benchmark: 32-53 epochs and a posterior
            half as sharp, against 110-150 epochs for the others); the best of 3 avoids it.
        progress : bool, optional
            Show flowjax's progress bar.

        Returns
        -------
        Estimator
        """
        import jax.random as jr
        from flowjax.train import fit_to_data

        n = 0 if self.x is None else self.x.shape[0]
        if not 0 < val_fraction < 1:
            raise InputError(f"val_fraction must lie in (0, 1), got {val_fraction!r}", field="val_fraction")
        n_val = int(n * val_fraction)
        if n < 20 or n_val < 2:
            raise InputError(f"{n} usable simulations; NPE needs at least 20 (and 2 for validation)", field="x")
        if isinstance(restarts, bool) or not isinstance(restarts, (int, np.integer)) or restarts < 1:
            raise InputError(f"restarts must be a positive integer, got {restarts!r}", field="restarts")
        u = np.asarray(self.prior.to_unbounded(self.theta), dtype=np.float64)
        x_mean, x_std = self.x.mean(0), self.x.std(0)
        x_std = np.where(x_std > 1e-12 * np.maximum(1.0, np.abs(x_mean)), x_std, 1.0)  # constant features -> 0
        u_mean, u_std = u.mean(0), np.where(u.std(0) > 0, u.std(0), 1.0)
        x_q = training_quantiles(self.x) if self.settings.get("standardize") == "rank" else None
        z = (self.x - x_mean) / x_std if x_q is None else rank_gauss(self.x, x_q)
        projection = principal_axes(z, self.settings.get("n_components"))
        if projection is not None:
            z = z @ projection
        w = (u - u_mean) / u_std
        summaries = None
        if self.settings.get("regression_summaries"):
            # cross-fitted: a row's summary never comes from a fit that saw it
            summaries, z = fit_summaries(z, w, degree=self.settings["regression_summaries"], seed=int(seed))
        data = (w.astype(np.float32), z.astype(np.float32))
        flows, record = [], []
        for k in range(self.settings["ensemble"]):
            init_key, fit_key = jr.split(jr.key(int(seed) + k))
            runs = []
            for r in range(int(restarts)):  # same fit_key: the same split, so the validation losses compare
                flow = _build_flow(jr.fold_in(init_key, r) if r else init_key, self.prior.dim, z.shape[1], self.settings)
                flow, losses = fit_to_data(fit_key, flow, data, max_epochs=int(max_epochs),
                                           max_patience=int(patience), batch_size=int(min(batch_size, n_val)),
                                           learning_rate=float(learning_rate), val_prop=float(val_fraction),
                                           show_progress=progress)
                runs.append((float(min(losses["val"])), flow, losses))
            best, flow, losses = min(runs, key=lambda t: t[0])
            flows.append(flow)
            record.append({"epochs": len(losses["val"]), "best_val_loss": best,
                           "final_train_loss": float(losses["train"][-1]),
                           **({"restart_val_losses": [t[0] for t in runs]} if restarts > 1 else {})})
        training = {"n_train": int(n), "seed": int(seed), "max_epochs": int(max_epochs), "patience": int(patience),
                    "batch_size": int(batch_size), "learning_rate": float(learning_rate),
                    "val_fraction": float(val_fraction), "restarts": int(restarts), "members": record, **self.counts}
        return Estimator(self.prior, flows, list(self.feature_names), x_mean, x_std, u_mean, u_std,
                         dict(self.settings), dict(self.config), training, projection=projection, x_quantiles=x_q,
                         summaries=summaries)

    def truncated_sequential(self, simulator, x_obs, *, rounds: int = 2, n_per_round: int = 1000,
                             epsilon: float = 1e-4, seed: int = 0, **train_kwargs) -> Estimator:
        """Truncated sequential NPE (Deistler et al. 2022): refine the posterior of one observation.

        Round 0 trains on the simulations appended so far (drawn from the prior).  Each
        further round draws ``n_per_round`` parameters from the prior truncated to the
        current posterior's highest-density region of mass ``1 - epsilon`` (rejection
        sampling: prior draws whose ``log q(theta | x_obs)`` is above the
        ``epsilon``-quantile of the posterior draws' log-densities), simulates them,
        appends them and retrains on everything.  Because the proposal is the prior
        restricted to a region holding the posterior, the plain NPE loss stays valid.

        Parameters
        ----------
        simulator : object
            ``simulate(params: dict, seeds) -> (x, status)`` and ``feature_names``
            (the campaign simulator interface).
        x_obs : array_like (n_features,)
        rounds : int, optional
            Number of refining rounds after round 0.
        n_per_round : int, optional
        epsilon : float, optional
            Posterior mass left outside the truncation region.
        seed : int, optional
        **train_kwargs
            Passed to :meth:`train`.

        Returns
        -------
        Estimator
            Valid for ``x_obs`` only (``truncated_for`` records it).
        """
        est = self.train(seed=seed, **train_kwargs)
        rng = np.random.default_rng(seed)
        for r in range(int(rounds)):
            theta = _truncated_prior_draws(est, x_obs, int(n_per_round), epsilon, rng)
            seeds = rng.integers(2**31 - 1, size=theta.shape[0])
            x, status = simulator.simulate(self.prior.unflatten(theta), seeds)
            x = np.where((np.asarray(status) == 0)[:, None], np.asarray(x, dtype=np.float64), np.nan)
            self.append_simulations(theta, x, feature_names=list(simulator.feature_names))
            est = self.train(seed=seed + 1000 * (r + 1), **train_kwargs)
        est.truncated_for = np.asarray(x_obs, dtype=np.float64)
        est.training["tsnpe"] = {"rounds": int(rounds), "n_per_round": int(n_per_round), "epsilon": float(epsilon)}
        return est


def _truncated_prior_draws(est: Estimator, x_obs, n: int, epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """Prior draws inside the ``1 - epsilon`` highest-density region of ``q(theta | x_obs)``."""
    ref = est.log_prob(est.sample(x_obs, 10_000, rng), x_obs)
    threshold = np.quantile(ref, epsilon)
    kept, tried = [], 0
    while sum(len(k) for k in kept) < n:
        if tried > 1000 * n:
            raise InputError(f"the truncation region holds less than 1/1000 of the prior after {tried} draws; "
                             "widen epsilon or use more rounds", field="epsilon")
        cand = est.prior.sample(max(n, 1000), rng)
        tried += cand.shape[0]
        kept.append(cand[est.log_prob(cand, x_obs) >= threshold])
    return np.concatenate(kept)[:n]
