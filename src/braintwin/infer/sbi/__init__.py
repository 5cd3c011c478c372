"""Simulation-based inference: priors, simulation campaigns (one HDF5 file, resumable,
optionally on a Dask cluster), and neural posterior estimation on their results.

- :class:`Prior` (:mod:`.priors`): named, model-checked priors with a bijection to the
  real line, TOML/JSON files (:func:`read_prior`, :func:`write_prior`);
- :func:`run_campaign` / :func:`read_campaign` (:mod:`.campaign`): draw, simulate,
  compute features, and write them chunk by chunk with a per-row status;
- simulators (:mod:`.simulators`): :class:`NetworkSimulator` (engine + observation +
  feature sets), :func:`vep_simulator` (the amortised VEP), :class:`FunctionSimulator`;
- :func:`load_campaign_config` (:mod:`.config`): the campaign TOML file.
- :class:`NPE` -> :class:`Estimator` (:mod:`.npe`): flowjax flows (MAF, NSF, ensembles,
  TSNPE), one-file estimators (:func:`write_estimator`, :func:`read_estimator`);
- :func:`joint_posterior` (:mod:`.joint`): the posterior of several independent observations
  (segments of one recording) from an estimator trained on one;
- :mod:`.calibration`: SBC, TARP, z-score/shrinkage, posterior predictive checks.
"""

from __future__ import annotations

from .campaign import Campaign, read_campaign, run_campaign
from .config import load_campaign_config
from .priors import Distribution, LogNormal, Normal, Prior, TruncatedNormal, Uniform, read_prior, write_prior
from .simulators import DIVERGED, FAILED, OK, PENDING, FunctionSimulator, NetworkSimulator, vep_simulator

from .npe import NPE, Estimator
from .joint import joint_posterior
from .estimator_file import read_estimator, write_estimator
from .calibration import calibrate, posterior_predictive_check, sbc, tarp, z_score_shrinkage

__all__ = [
    "NPE",
    "Estimator",
    "joint_posterior",
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
    "Campaign",
    "run_campaign",
    "read_campaign",
    "load_campaign_config",
    "NetworkSimulator",
    "FunctionSimulator",
    "vep_simulator",
    "OK",
    "DIVERGED",
    "FAILED",
    "PENDING",
]
