r"""MCMC diagnostics: R-hat, effective sample size, divergences, z-scores, shrinkage.

Every fit reports its diagnostics, and a fit whose diagnostics fail says so:
:func:`diagnose` returns a :class:`Diagnostics` whose ``ok`` is False and whose
``problems`` list what failed, and :meth:`Diagnostics.warn` issues a
:class:`~braintwin.errors.BraintwinWarning`.

Definitions
-----------
* **R-hat**: split-chain potential scale reduction (Gelman et al., BDA3), from
  :func:`numpyro.diagnostics.split_gelman_rubin`; about 1 for converged chains.
* **ESS**: effective sample size over all chains (Geyer's initial monotone
  sequence estimator), from :func:`numpyro.diagnostics.effective_sample_size`.
* **posterior z-score** (Betancourt 2018): :math:`z = |\bar\theta - \theta^*| / \sigma_{post}`,
  how far the posterior mean is from the truth in posterior standard deviations.
* **posterior shrinkage**: :math:`s = 1 - \sigma^2_{post} / \sigma^2_{prior}`;
  near 1 when the data identify the parameter, near 0 when the posterior is the prior.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..errors import BraintwinWarning, InputError

__all__ = ["rhat", "ess", "zscore", "shrinkage", "Diagnostics", "diagnose"]


def _chains(samples, name: str = "samples") -> np.ndarray:
    x = np.asarray(samples, dtype=float)
    if x.ndim < 2:
        raise InputError(f"expected shape (n_chains, n_draws, ...), got {x.shape}", source="diagnostics", field=name)
    if x.shape[1] < 4:
        raise InputError(f"need at least 4 draws per chain, got {x.shape[1]}", source="diagnostics", field=name)
    return x


def rhat(samples) -> np.ndarray:
    """Split-chain R-hat of ``samples`` shaped ``(n_chains, n_draws, ...)``.

    Returns
    -------
    ndarray, shape ``samples.shape[2:]``
    """
    from numpyro.diagnostics import split_gelman_rubin

    x = _chains(samples)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.asarray(split_gelman_rubin(x), dtype=float)
    # constant draws (e.g. a fixed parameter) have no between/within variance: R-hat is 1
    const = np.all(x == x[:1, :1], axis=(0, 1))
    return np.where(const, 1.0, r)


def ess(samples) -> np.ndarray:
    """Effective sample size over all chains of ``samples`` shaped ``(n_chains, n_draws, ...)``."""
    from numpyro.diagnostics import effective_sample_size

    x = _chains(samples)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.asarray(effective_sample_size(x), dtype=float)
    const = np.all(x == x[:1, :1], axis=(0, 1))
    return np.where(const, float(x.shape[0] * x.shape[1]), e)


def zscore(samples, truth) -> np.ndarray:
    """Posterior z-score ``|mean - truth| / sd`` per parameter.

    Parameters
    ----------
    samples : array (n_draws, ...)
        Posterior draws on the first axis (merge the chains first).
    truth : array broadcastable to one draw
    """
    x = np.asarray(samples, float)
    m, s = x.mean(axis=0), x.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(m - np.asarray(truth, float)) / s


def shrinkage(samples, prior_sd) -> np.ndarray:
    """Posterior shrinkage ``1 - var_post / var_prior`` per parameter (draws on the first axis)."""
    x = np.asarray(samples, float)
    v = x.var(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 - v / np.asarray(prior_sd, float) ** 2


@dataclass
class Diagnostics:
    """The diagnostics of one MCMC fit.

    Attributes
    ----------
    rhat, ess : dict of str to ndarray
        Per parameter (arrays shaped like the parameter).
    divergences : int
        Divergent transitions after warm-up.
    warmup_divergences : int
        Divergent transitions during warm-up (informative only).
    n_chains, n_draws : int
    seconds : float
        Wall time of warm-up plus sampling (compilation excluded).
    zscore, shrinkage : dict of str to ndarray
        When the truth (and prior scale) are known.
    rhat_max, ess_min : float
        Thresholds (defaults 1.01 and 100).
    tree_depth_hits : int
        Draws whose trajectory hit the maximum tree depth.
    problems : list of str
        What failed, in words; empty when ``ok``.
    """

    rhat: dict[str, np.ndarray]
    ess: dict[str, np.ndarray]
    divergences: int
    n_chains: int
    n_draws: int
    seconds: float = float("nan")
    warmup_divergences: int = 0
    zscore: dict[str, np.ndarray] = field(default_factory=dict)
    shrinkage: dict[str, np.ndarray] = field(default_factory=dict)
    rhat_max: float = 1.01
    ess_min: float = 100.0
    tree_depth_hits: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every R-hat <= ``rhat_max``, every ESS >= ``ess_min`` and there is no divergence."""
        return not self.problems

    def max_rhat(self, name: str | None = None) -> float:
        """Largest R-hat (of one parameter, or of all)."""
        vals = [self.rhat[name]] if name else list(self.rhat.values())
        return float(max(np.nanmax(np.atleast_1d(v)) for v in vals)) if vals else float("nan")

    def min_ess(self, name: str | None = None) -> float:
        """Smallest ESS (of one parameter, or of all)."""
        vals = [self.ess[name]] if name else list(self.ess.values())
        return float(min(np.nanmin(np.atleast_1d(v)) for v in vals)) if vals else float("nan")

    @property
    def ess_per_second(self) -> float:
        """Smallest ESS over all parameters divided by the warm-up + sampling wall time."""
        return self.min_ess() / self.seconds if self.seconds and np.isfinite(self.seconds) and self.seconds > 0 else float("nan")

    def warn(self, what: str = "fit") -> None:
        """Issue a :class:`BraintwinWarning` listing the problems (nothing when ``ok``)."""
        if self.problems:
            warnings.warn(f"{what}: diagnostics failed: " + "; ".join(self.problems), BraintwinWarning, stacklevel=3)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (per-parameter maxima/minima, not full arrays)."""
        out: dict[str, Any] = {
            "ok": self.ok,
            "problems": list(self.problems),
            "n_chains": self.n_chains,
            "n_draws": self.n_draws,
            "divergences": int(self.divergences),
            "warmup_divergences": int(self.warmup_divergences),
            "tree_depth_hits": int(self.tree_depth_hits),
            "seconds": float(self.seconds),
            "ess_per_second": float(self.ess_per_second),
            "max_rhat": {k: float(np.nanmax(np.atleast_1d(v))) for k, v in self.rhat.items()},
            "min_ess": {k: float(np.nanmin(np.atleast_1d(v))) for k, v in self.ess.items()},
        }
        if self.zscore:
            out["max_zscore"] = {k: float(np.nanmax(np.atleast_1d(v))) for k, v in self.zscore.items()}
        if self.shrinkage:
            out["mean_shrinkage"] = {k: float(np.nanmean(np.atleast_1d(v))) for k, v in self.shrinkage.items()}
        return out

    def summary(self) -> str:
        """A plain-text table: one line per parameter (arrays summarised by their worst entry)."""
        lines = [
            f"{'OK' if self.ok else 'FAILED'}: {self.n_chains} chains x {self.n_draws} draws, {self.divergences} divergences"
            f" ({self.warmup_divergences} in warm-up), {self.seconds:.1f} s, ESS/s {self.ess_per_second:.2f}",
            f"{'parameter':<14}{'size':>6}{'max R-hat':>11}{'min ESS':>10}" + (f"{'max |z|':>10}" if self.zscore else "")
            + (f"{'mean shrink':>13}" if self.shrinkage else ""),
        ]
        for k in self.rhat:
            r, e = np.atleast_1d(self.rhat[k]), np.atleast_1d(self.ess[k])
            row = f"{k:<14}{r.size:>6}{np.nanmax(r):>11.4f}{np.nanmin(e):>10.0f}"
            if self.zscore:
                z = self.zscore.get(k)
                row += f"{np.nanmax(np.atleast_1d(z)):>10.2f}" if z is not None else f"{'':>10}"
            if self.shrinkage:
                s = self.shrinkage.get(k)
                row += f"{np.nanmean(np.atleast_1d(s)):>13.2f}" if s is not None else f"{'':>13}"
            lines.append(row)
        for p in self.problems:
            lines.append(f"problem: {p}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def plot(self):
        """Figure: R-hat and ESS per parameter entry; z-score against shrinkage when the truth is known."""
        from matplotlib.figure import Figure

        n_ax = 3 if self.zscore and self.shrinkage else 2
        fig = Figure(figsize=(4.2 * n_ax, 3.6), constrained_layout=True)
        axs = fig.subplots(1, n_ax)
        pos = 0
        ticks, names = [], []
        for k in self.rhat:
            r = np.atleast_1d(self.rhat[k]).ravel()
            e = np.atleast_1d(self.ess[k]).ravel()
            xs = pos + np.arange(r.size)
            axs[0].plot(xs, r, ".", ms=4)
            axs[1].plot(xs, e, ".", ms=4)
            ticks.append(pos + (r.size - 1) / 2)
            names.append(k)
            pos += r.size + 2
        axs[0].axhline(self.rhat_max, color="r", lw=0.8, ls="--")
        axs[0].set_ylabel("split R-hat")
        axs[1].axhline(self.ess_min, color="r", lw=0.8, ls="--")
        axs[1].set_ylabel("ESS")
        axs[1].set_yscale("log")
        for ax in axs[:2]:
            ax.set_xticks(ticks)
            ax.set_xticklabels(names, rotation=45, ha="right", fontsize=8)
        axs[0].set_title(f"{self.divergences} divergences")
        if n_ax == 3:
            for k in self.zscore:
                if k in self.shrinkage:
                    axs[2].plot(np.atleast_1d(self.shrinkage[k]).ravel(), np.atleast_1d(self.zscore[k]).ravel(), ".", label=k)
            axs[2].set_xlabel("posterior shrinkage")
            axs[2].set_ylabel("posterior z-score")
            axs[2].set_xlim(-0.05, 1.05)
            axs[2].legend(fontsize=7)
        return fig


def diagnose(
    samples: Mapping[str, Any],
    *,
    diverging=None,
    warmup_diverging=None,
    seconds: float = float("nan"),
    truth: Mapping[str, Any] | None = None,
    prior_sd: Mapping[str, Any] | None = None,
    rhat_max: float = 1.01,
    ess_min: float = 100.0,
    num_steps=None,
    max_tree_depth: int | None = None,
) -> Diagnostics:
    """Diagnostics of chains ``samples[name]`` shaped ``(n_chains, n_draws, ...)``.

    Parameters
    ----------
    samples : mapping of str to array (n_chains, n_draws, ...)
    diverging : array (n_chains, n_draws) of bool, optional
        Divergent transitions after warm-up.
    warmup_diverging : array, optional
        Divergent transitions during warm-up.
    seconds : float
        Warm-up + sampling wall time, for ESS per second.
    truth : mapping of str to array, optional
        True values (synthetic data): z-scores.
    prior_sd : mapping of str to float or array, optional
        Prior standard deviations: shrinkage.
    rhat_max, ess_min : float
        Thresholds below/above which the fit is flagged.
    num_steps : array (n_chains, n_draws), optional
        Leapfrog steps per draw (tree depth hits are counted with ``max_tree_depth``).
    max_tree_depth : int, optional

    Returns
    -------
    Diagnostics
    """
    if not samples:
        raise InputError("no parameters to diagnose", source="diagnostics", field="samples")
    r, e, z, s = {}, {}, {}, {}
    n_chains = n_draws = 0
    for k, v in samples.items():
        x = _chains(v, k)
        n_chains, n_draws = x.shape[:2]
        r[k] = rhat(x)
        e[k] = ess(x)
        flat = x.reshape((-1,) + x.shape[2:])
        if truth is not None and k in truth and truth[k] is not None:
            z[k] = zscore(flat, truth[k])
        if prior_sd is not None and k in prior_sd and prior_sd[k] is not None:
            s[k] = shrinkage(flat, prior_sd[k])
    div = int(np.sum(diverging)) if diverging is not None else 0
    wdiv = int(np.sum(warmup_diverging)) if warmup_diverging is not None else 0
    hits = 0
    if num_steps is not None and max_tree_depth is not None:
        hits = int(np.sum(np.asarray(num_steps) >= 2 ** int(max_tree_depth) - 1))
    problems = []
    if div:
        problems.append(f"{div} divergent transitions after warm-up")
    for k in r:
        rm = float(np.nanmax(np.atleast_1d(r[k])))
        if not rm <= rhat_max:
            bad = int(np.sum(~(np.atleast_1d(r[k]) <= rhat_max)))
            problems.append(f"R-hat of {k} up to {rm:.3f} > {rhat_max} ({bad} entries)")
        em = float(np.nanmin(np.atleast_1d(e[k])))
        if not em >= ess_min:
            problems.append(f"ESS of {k} down to {em:.0f} < {ess_min:g}")
    return Diagnostics(r, e, div, n_chains, n_draws, float(seconds), wdiv, z, s, float(rhat_max), float(ess_min), hits, problems)
