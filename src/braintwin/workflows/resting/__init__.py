"""The resting-state twin: a person's connectome and parcellated BOLD, MPR personalised by SBI.

::

    import braintwin as bt
    bold = bt.observe.read_bold("sub-01_rest.tsv", tr_s=0.72)
    fit = bt.resting.fit_rest(bold, "sub-01_connectome.zip", n_sims=1000)
    twin = bt.resting.twin_from_rest(fit, subject_id="sub-01")
    twin.update(bt.observe.read_bold("sub-01_ses-02_rest.tsv", tr_s=0.72))   # a second visit
    bt.report.write_report(twin, "sub-01.html")                             # FC/FCD, marginals, visits

- :mod:`.simulator`: :class:`RestSimulator` (MPR + BOLD, the recording's preprocessing, FC + FCD features);
- :mod:`.fit`: :func:`fit_rest` (campaign, cached NPE estimator, calibration, posterior, predictive check);
- :mod:`.ppc`: the twin's FC and FCD beside the person's, SC-FC baseline;
- :mod:`.twin`: :func:`twin_from_rest`, the ``"npe"`` updater (visits), :func:`visits`;
- :mod:`.build`: the ``braintwin twin build rest.toml`` configuration and the synthetic person of the demo;
- :mod:`.report`: the report's resting-state and visits sections.
"""

from __future__ import annotations

from .simulator import REST_FEATURES, REST_FEATURES_FC, RestSimulator, fcd_window_for, preprocess_bold
from .fit import SEGMENT_VOLUMES, UPDATER, RestFit, as_bold, auto_segments, default_prior, fit_rest, rest_estimator
from .ppc import empirical_fc_fcd, rest_ppc
from .twin import simulator_of, twin_from_rest, update_rest_twin, visits
from .build import build_rest_twin, synthetic_person
from . import report as _report  # noqa: F401 (registers the report sections)

__all__ = ["RestSimulator", "RestFit", "REST_FEATURES", "REST_FEATURES_FC", "SEGMENT_VOLUMES", "UPDATER", "as_bold",
           "auto_segments", "default_prior", "empirical_fc_fcd",
           "fcd_window_for", "fit_rest", "preprocess_bold", "rest_estimator", "rest_ppc", "simulator_of",
           "twin_from_rest", "update_rest_twin", "visits", "build_rest_twin", "synthetic_person"]
