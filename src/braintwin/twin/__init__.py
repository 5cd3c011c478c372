"""The twin: one person's virtual brain in one verified HDF5 file.

* :class:`Twin` -- connectome, model and coupling, simulation settings,
  observation model, the data features it was fitted to, the posterior with its
  diagnostics, pseudonymous metadata and provenance;
* :class:`Posterior` -- draws from any inference method (NUTS now, amortised
  estimators later), all plugged in the same way;
* :func:`write_twin` / :func:`read_twin` (= :meth:`Twin.save` / :meth:`Twin.load`)
  -- atomic writes, file and content SHA-256 verified on every read;
* :func:`new_subject_id` -- a random pseudonym (a twin holds no direct identifier);
* :func:`register_updater` -- a workflow registers how its twins are re-fitted
  on a new recording (:meth:`Twin.update` looks the name up here).
"""

from __future__ import annotations

from .core import Twin
from .io import read_twin, verify_twin, write_twin
from .posterior import Posterior
from .privacy import ALLOWED_METADATA, check_metadata, check_subject_id, new_subject_id
from .updaters import get_updater, register_updater, updaters

__all__ = [
    "Twin",
    "Posterior",
    "new_subject_id",
    "read_twin",
    "write_twin",
    "verify_twin",
    "check_subject_id",
    "check_metadata",
    "ALLOWED_METADATA",
    "register_updater",
    "get_updater",
    "updaters",
]
