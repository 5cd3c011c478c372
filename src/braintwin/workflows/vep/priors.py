"""Priors of the Bayesian VEP: :class:`VEPPriors` (per recording) and :class:`PersonPrior` (``x0`` and ``K``).

See :mod:`braintwin.vep.model` for the generative model they enter.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ...errors import InputError

__all__ = ["VEPPriors", "PersonPrior", "EPS_FLOOR", "INITIAL_STATES"]

#: Default model-error floor of the observation noise per observation model, in the data's unit
#: (see ``VEPPriors.eps_floor``; the value for sensor-level data is measured in ``benchmarks/vep_clinical.py``).
EPS_FLOOR = {"log": 0.0, "linear": 0.1}


#: The initial-state priors :class:`VEPPriors` knows (see its ``initial``); the CLI checks against the same tuple.
INITIAL_STATES = ("prior", "rest", "slow")


@dataclass(frozen=True)
class VEPPriors:
    """Priors of the Bayesian VEP (Hashemi et al. 2020, weakly informative).

    Attributes
    ----------
    x0_bounds : (float, float)
        Hard bounds of the excitability ``x0`` (logit-normal prior).
    x0_loc : float
        Prior median of ``x0``.
    x0_scale : float
        Standard deviation of the logit of ``(x0 - lo) / (hi - lo)``.  The default
        1.0 gives a unimodal prior on ``[-4, -1]``: mode -3.33, 90 % interval
        [-3.74, -1.84], P(x0 > -2.05) = 0.095.  Why not wider: a logit-normal
        turns bimodal once its scale passes about sqrt(2), and at 1.5 (the default
        until 2026-12-06) its mode sits at -3.80 against the bound.  Regions the
        contacts barely see keep that prior, so their posterior piled up against
        -4, where the logit stretches; there it traded along a curved ridge with
        a neighbour's x0 (the gain) and with the PZ they drive (the coupling),
        and that ridge set the NUTS step.  Measured on ``benchmarks/vep_fit.py``
        (tvb76, 4 chains x 300/500, seed 0): 1.5: 200 s, 127 leapfrog steps per
        draw, min ESS of x0 81; 1.0: 127 s, 77 steps, min ESS 291; on the clinical
        patient (``benchmarks/vep_clinical.py``) 438 s and 10 divergences against
        216 s and 3, labels exact with both.
    K_loc, K_scale : float
        Median and log-standard deviation of the global coupling ``K``.
    amp_loc, amp_scale : float
        Median and log-standard deviation of the amplitude.
    offset_loc : float or None
        Mean of the offset; ``None``: from the data (the observed baseline minus the
        envelope of the prior initial state).
    offset_scale : float
        Standard deviation of the offset.
    eps_loc, eps_scale : float
        Median and log-standard deviation of the measurement noise.
    eps_floor : float or None
        Model-error floor of the noise, in the data's unit (``VEPProblem.data_unit``):
        the likelihood's sd is ``sqrt(eps_floor^2 + e^2)`` with ``e`` the log-normal
        measurement noise above, so it can never fall below the floor (a tempered
        likelihood).  ``None``: :data:`EPS_FLOOR` of the observation model (0.1 of
        the data's sd for sensor-level data, the RMS misfit the true parameters leave
        on the clinical patient; 0 for the log envelope).  Why: the
        fitted ODE cannot follow the latent noise of the recorded dynamics, so the
        residual is model error, not white sensor noise; without a floor the fit
        explains it with a tiny noise (1 % of the data's sd on the clinical
        patient) and an ill-conditioned likelihood in which chains do not mix.
    x_init_loc, x_init_scale, z_init_loc, z_init_scale : float
        Normal priors of the initial state of every region.
    initial : {"prior", "rest", "slow"}
        ``"prior"``: the initial state is ``N(x_init_loc, x_init_scale)``,
        ``N(z_init_loc, z_init_scale)`` per region; ``"rest"``: it is the
        network's resting state for the draw's ``x0`` and ``K``
        (:func:`resting_state`) plus ``N(0, x_init_scale)``, ``N(0, z_init_scale)``
        deviations (the recording starts from interictal rest, so ``x0`` and
        the initial state are not traded against each other along a transient).
        ``"slow"``: the recording starts interictal on the slow manifold: ``z(0)``
        is ``N(z_init_loc, z_init_scale)`` kept smoothly above the knee of the
        ``x`` nullcline (:func:`braintwin.workflows.vep.equilibrium.interictal_z`), and ``x(0)``
        is the relaxed fast variable, the lower branch of the nullcline at that
        ``z(0)`` (:func:`braintwin.workflows.vep.equilibrium.relaxed_x`); ``x_init_loc`` and
        ``x_init_scale`` are not used and no ``x_init_star`` is sampled.  Use it
        for real recordings, whose window starts interictal, where ``x`` relaxes
        within about one time unit and so is never off the manifold.  Why it
        matters: a free ``x(0)`` is seen only through the first samples, with a
        sensitivity ``exp(-(3x^2 + 4x) t)`` that changes ~25-fold over its prior
        (``x(0)`` -2.5 to -1.8), so the curvature of the posterior changes as much
        from draw to draw (measured on the clinical patient: largest eigenvalue of
        the whitened Hessian 35-440, leapfrog stability needs < 650 at its step)
        and draws where it is large diverge; ``x(0)`` above the middle branch or
        ``z(0)`` below the knee starts a seizure at ``t = 0``, a cliff.  With
        ``"slow"`` the largest eigenvalue stays 34-149.  Not for synthetic data
        started off the manifold and observed within a time unit of the start
        (``benchmarks/vep_fit.py``'s patients start at ``x = -2 + jitter``, seen
        after 0.25: R-hat 1.026 against 1.0016 with ``"prior"``).
    """

    x0_bounds: tuple[float, float] = (-4.0, -1.0)
    x0_loc: float = -3.0
    x0_scale: float = 1.0
    K_loc: float = 0.1
    K_scale: float = 1.0
    amp_loc: float = 1.0
    amp_scale: float = 0.5
    offset_loc: float | None = None
    offset_scale: float = 1.0
    eps_loc: float = 0.1
    eps_scale: float = 1.0
    eps_floor: float | None = None
    x_init_loc: float = -2.0
    x_init_scale: float = 0.3
    z_init_loc: float = 4.0
    z_init_scale: float = 0.3
    initial: str = "prior"

    def __post_init__(self):
        if self.initial not in INITIAL_STATES:
            raise InputError(f"initial must be 'prior', 'rest' or 'slow', got {self.initial!r}", source="VEPPriors", field="initial")
        lo, hi = self.x0_bounds
        if not lo < self.x0_loc < hi:
            raise InputError(f"x0_loc {self.x0_loc} must lie inside the bounds {self.x0_bounds}", source="VEPPriors", field="x0_loc")
        for k in ("x0_scale", "K_loc", "K_scale", "amp_loc", "amp_scale", "offset_scale", "eps_loc", "eps_scale",
                  "x_init_scale", "z_init_scale"):
            v = getattr(self, k)
            if not (np.isfinite(v) and v > 0):
                raise InputError(f"must be a positive number, got {v!r}", source="VEPPriors", field=k)
        if self.eps_floor is not None and not (np.isfinite(self.eps_floor) and self.eps_floor >= 0):
            raise InputError(f"must be a number >= 0 or None, got {self.eps_floor!r}", source="VEPPriors", field="eps_floor")

    def replace(self, **changes) -> "VEPPriors":
        """A copy with some priors changed."""
        return dataclasses.replace(self, **changes)

    @property
    def u_loc(self) -> float:
        lo, hi = self.x0_bounds
        p = (self.x0_loc - lo) / (hi - lo)
        return float(np.log(p / (1.0 - p)))

    def prior_sd(self) -> dict[str, float]:
        """Approximate prior standard deviations of the scalar parameters (for shrinkage)."""
        lo, hi = self.x0_bounds
        rng = np.random.default_rng(0)
        u = self.u_loc + self.x0_scale * rng.standard_normal(200_000)
        x0 = lo + (hi - lo) / (1.0 + np.exp(-u))
        ln = lambda m, s: float(m * np.sqrt((np.exp(s * s) - 1.0) * np.exp(s * s)))  # noqa: E731
        return {
            "x0": float(x0.std()),
            "K": ln(self.K_loc, self.K_scale),
            "amplitude": ln(self.amp_loc, self.amp_scale),
            "offset": float(self.offset_scale),
            "eps": ln(self.eps_loc, self.eps_scale),
        }


@dataclass
class PersonPrior:
    r"""Gaussian prior of the person-level parameters in their unconstrained coordinates.

    ``theta = (u_1, ..., u_n, log K) ~ N(loc, scale @ scale.T)`` where
    ``u_i = logit((x0_i - lo) / (hi - lo))`` maps the excitability of region
    ``i`` from its bounds ``(lo, hi)`` to the real line, and ``K`` is the
    global coupling.  The model samples ``star ~ N(0, I)`` and sets
    ``theta = loc + scale @ star`` (non-centred), so any square root ``scale``
    of the covariance works.

    Attributes
    ----------
    loc : ndarray (n_regions + 1,)
    scale : ndarray (n_regions + 1, n_regions + 1)
    source : str
        ``"priors"`` (the default prior of :class:`VEPPriors`) or
        ``"posterior"`` (fitted to a posterior's draws, for an update).
    """

    loc: np.ndarray
    scale: np.ndarray
    source: str = "priors"

    def __post_init__(self):
        loc = np.asarray(self.loc, float)
        S = np.asarray(self.scale, float)
        if loc.ndim != 1 or S.shape != (loc.size, loc.size):
            raise InputError(f"loc must be (d,) and scale (d, d); got {loc.shape} and {S.shape}", source="PersonPrior", field="scale")
        if not (np.all(np.isfinite(loc)) and np.all(np.isfinite(S))):
            raise InputError("loc and scale must be finite", source="PersonPrior", field="scale")
        if abs(np.linalg.det(S)) < 1e-300 or np.linalg.matrix_rank(S) < loc.size:
            raise InputError("scale must be invertible (a positive-definite covariance)", source="PersonPrior", field="scale")
        self.loc, self.scale = loc, S

    @property
    def n_regions(self) -> int:
        return self.loc.size - 1

    @property
    def cov(self) -> np.ndarray:
        """Covariance ``scale @ scale.T`` of ``theta``."""
        return self.scale @ self.scale.T

    @classmethod
    def default(cls, priors: "VEPPriors", basis: np.ndarray) -> "PersonPrior":
        """The prior of :class:`VEPPriors`: ``u_i`` with median ``u_loc``, rotated by ``basis``; ``log K`` independent."""
        n = basis.shape[0]
        S = np.zeros((n + 1, n + 1))
        S[:n, :n] = priors.x0_scale * np.asarray(basis, float)
        S[n, n] = priors.K_scale
        loc = np.concatenate([np.full(n, priors.u_loc), [np.log(priors.K_loc)]])
        return cls(loc, S, "priors")

    @classmethod
    def from_draws(cls, x0, K, bounds: tuple[float, float] = (-4.0, -1.0)) -> "PersonPrior":
        """A Gaussian fitted to posterior draws of ``x0`` (n_draws, n_regions) and ``K`` (n_draws,).

        The draws are mapped to ``theta = (logit x0, log K)``; the mean and a
        Ledoit-Wolf shrunk covariance (Ledoit & Wolf 2004, shrinkage towards
        the diagonal) of ``theta`` define the Gaussian, whose Cholesky factor is
        the ``scale``.  In these coordinates the posterior of the Bayesian VEP
        is close to Gaussian (the logit removes the bounds), which is what makes
        sequential updating agree with a joint fit of all recordings.
        """
        lo, hi = bounds
        x0 = np.atleast_2d(np.asarray(x0, float))
        K = np.asarray(K, float).reshape(-1)
        if x0.shape[0] != K.size or x0.shape[0] < 3:
            raise InputError(f"need matching draws of x0 and K (at least 3), got {x0.shape} and {K.shape}",
                             source="PersonPrior", field="draws")
        if np.any(K <= 0) or np.any(x0 <= lo) or np.any(x0 >= hi):
            raise InputError(f"draws must satisfy K > 0 and {lo} < x0 < {hi}", source="PersonPrior", field="draws")
        theta = np.column_stack([np.log((x0 - lo) / (hi - x0)), np.log(K)])
        loc = theta.mean(axis=0)
        cov = _ledoit_wolf(theta - loc)
        return cls(loc, np.linalg.cholesky(cov), "posterior")

    def to_dict(self) -> dict:
        """JSON-ready form (for a twin's posterior info)."""
        return {"loc": self.loc.tolist(), "scale": self.scale.tolist(), "source": self.source}

    @classmethod
    def from_dict(cls, d) -> "PersonPrior":
        return cls(np.asarray(d["loc"], float), np.asarray(d["scale"], float), str(d.get("source", "priors")))

    def sample_x0_K(self, n: int, bounds: tuple[float, float], seed: int = 0):
        """Draws of ``x0`` (n, n_regions) and ``K`` (n,) from this prior."""
        lo, hi = bounds
        th = self.loc + np.random.default_rng(seed).standard_normal((int(n), self.loc.size)) @ self.scale.T
        return lo + (hi - lo) / (1.0 + np.exp(-th[:, :-1])), np.exp(th[:, -1])


def _ledoit_wolf(X: np.ndarray) -> np.ndarray:
    """Ledoit-Wolf covariance of centred rows ``X`` (n, d), shrunk towards ``mu I``; diagonal floor for safety."""
    n, d = X.shape
    S = X.T @ X / n
    mu = np.trace(S) / d
    delta = np.sum((S - mu * np.eye(d)) ** 2) / d
    # sum_k ||x_k x_k^T - S||_F^2 = sum_k ||x_k||^4 - n ||S||_F^2
    beta = min(delta, (np.sum(np.sum(X * X, axis=1) ** 2) - n * np.sum(S * S)) / (n * n * d))
    shrink = beta / delta if delta > 0 else 1.0
    C = shrink * mu * np.eye(d) + (1.0 - shrink) * S
    return C + 1e-10 * max(mu, 1e-12) * np.eye(d)
