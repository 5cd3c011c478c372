"""Workflows: the disorders' end-to-end pipelines, on top of the stages.

A workflow composes the stages (``connectome -> models -> simulate -> observe ->
features -> infer -> twin -> whatif -> report``) for one clinical question; no
stage imports a workflow.  Each lives in a sub-package here:

- :mod:`braintwin.workflows.vep` -- the Virtual Epileptic Patient (epilepsy):
  synthetic patients, the Bayesian VEP model and fit, EZ/PZ labels, the twin
  workflow, the seizure what-if (also importable as ``braintwin.vep``).
- :mod:`braintwin.workflows.resting` -- the resting-state twin (MPR + BOLD by
  NPE, FC/FCD posterior predictive, visits; also ``braintwin.resting``);
- :mod:`braintwin.workflows.ms` -- multiple sclerosis (``bt.ms``): conduction speed
  and G from EEG/MEG spectra, lesion growth and remyelination what-ifs
  (outcome ``"alpha"``);
- :mod:`braintwin.workflows.ageing` -- healthy ageing (``bt.ageing``): G and the
  interhemispheric scaling from FC/FCD, decline and coupling-drug what-ifs
  (outcome ``"fcd_scfc"``);
- :mod:`braintwin.workflows.alzheimers` -- Alzheimer's (``bt.alzheimers``): a
  burden table modulating inhibition, EEG slowing what-ifs (outcome ``"slowing"``).

Where a new workflow plugs in (all registries are filled when the workflow's
package is imported; ``braintwin/__init__.py`` imports each workflow):

- **what-if outcomes**: ``@bt.whatif.register_outcome(name, description, options=..., defaults=...)``
  on an :class:`~braintwin.whatif.Outcome` subclass (``measure``, ``metrics``,
  ``primary``, optionally ``summary``, ``plot``, ``rank_key`` and the resection
  search hooks); the VEP registers ``"seizure"`` in ``vep/surgery.py``;
- **region labels** (e.g. EZ/PZ): store the fit's table in the posterior,
  ``Posterior.info["region_labels"]`` (:mod:`braintwin.whatif.labels` gives the
  form), and optionally ``@bt.whatif.register_labeller(name, description)`` for
  twins without a stored table; what-if and the report read them through
  :func:`braintwin.whatif.region_labels`; the VEP's rule is ``vep/labels.py``;
- **twin updaters**: ``@bt.twin.register_updater(name)`` on ``fn(twin, new_data,
  **kwargs)`` and ``posterior.info["updater"] = name``, so :meth:`Twin.update`
  re-fits the twin (``vep/workflow.py``);
- **model facts** (which variable shows the event, rest state, values that
  silence a region, prediction defaults) are class attributes of the model
  (:class:`braintwin.models.Model`), not tables in the workflow;
- **features**: ``@bt.features.register(...)`` for the workflow's feature sets;
- **report sections**: ``@bt.report.register_section(id, after=...)`` on
  ``fn(twin, figs, level) -> (title, body_html) | None`` (``None``: the twin has
  nothing for it); the resting-state twin's are in ``resting/report.py``.
"""

from __future__ import annotations


from . import resting, vep
from . import ms, ageing, alzheimers

__all__ = ["vep", "resting", "ms", "ageing", "alzheimers"]
