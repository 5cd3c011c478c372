"""Inference: gradient-based MCMC (NUTS) and its diagnostics.

- :class:`Posterior`: draws of any method (NUTS, NPE), the container the twin stores;
- :func:`run_nuts`: NUTS on a NumPyro model, started from a MAP estimate with a
  Laplace (inverse-Hessian) dense mass matrix, short warm-up, chains vectorised
  (and split over devices when several are visible);
- :func:`find_map`: the MAP search (L-BFGS from several starts; :mod:`.laplace`);
- :func:`laplace_curvature`: the Hessian at draws of the Laplace approximation,
  whitened by it: which directions force NUTS into small steps;
- :func:`diagnose` -> :class:`Diagnostics`: R-hat, ESS, divergences, ESS per
  second, posterior z-scores and shrinkage, with ``ok``, ``summary()``, ``plot()``;
- :func:`rhat`, :func:`ess`, :func:`zscore`, :func:`shrinkage`;
- :mod:`.sbi`: simulation-based inference (priors, simulation campaigns).

A fit whose diagnostics fail is flagged (``Diagnostics.ok`` is False, the
problems are listed) and warns: never silent.

JAX runs on one CPU device unless the program's entry point calls
``numpyro.set_host_device_count(n)`` before JAX starts; the ``braintwin`` CLI and
the benchmarks do, so that chains run in parallel on the cores.
"""

from __future__ import annotations

from .diagnostics import Diagnostics, diagnose, ess, rhat, shrinkage, zscore
from .posterior import Posterior, read_posterior, write_posterior
from .laplace import MAPResult, find_map, laplace_curvature, potential_of, x64
from .nuts import NUTSResult, run_nuts
from . import sbi

__all__ = [
    "Posterior",
    "write_posterior",
    "read_posterior",
    "run_nuts",
    "NUTSResult",
    "find_map",
    "MAPResult",
    "laplace_curvature",
    "potential_of",
    "x64",
    "Diagnostics",
    "diagnose",
    "rhat",
    "ess",
    "zscore",
    "shrinkage",
    "sbi",
]
