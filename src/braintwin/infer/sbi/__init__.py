"""Simulation-based inference: priors, simulation campaigns (one HDF5 file, resumable,
optionally on a Dask cluster), and neural posterior estimation on their results.

- :class:`Prior` (:mod:`.priors`): named, model-checked priors with a bijection to the
  real line, TOML/JSON files (:func:`read_prior`, :func:`write_prior`);
- :func:`run_campaign` / :func:`read_campaign` (:mod:`.campaign`): draw, simulate,
  compute features, and write them chunk by chunk with a per-row status;
- :class:`NPE` -> :class:`Estimator` (:mod:`.npe`): flowjax flows (MAF, NSF, ensembles,
  TSNPE), one-file estimators (:func:`write_estimator`, :func:`read_estimator`);
- :mod:`.calibration`: SBC, TARP, z-score/shrinkage, posterior predictive checks.
"""

from __future__ import annotations

from .priors import Distribution, LogNormal, Normal, Prior, TruncatedNormal, Uniform, read_prior, write_prior
from .npe import NPE, Estimator, read_estimator, write_estimator
from .calibration import calibrate, posterior_predictive_check, sbc, tarp, z_score_shrinkage

__all__ = [
    "NPE",
    "Estimator",
    "read_estimator",
    "write_estimator",
    "calibrate",
    "sbc",
    "tarp",
    "z_score_shrinkage",
    "posterior_predictive_check",
    "Distribution",
    "Uniform",
    "Normal",
    "LogNormal",
    "TruncatedNormal",
    "Prior",
    "read_prior",
    "write_prior",
]
