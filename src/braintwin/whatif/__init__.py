"""What-if scenarios: interventions on a twin and their predicted outcomes under uncertainty.

Interventions (each returns a new :class:`Scenario`; ``a + b`` applies ``a`` then ``b``)::

    import braintwin as bt
    from braintwin import whatif

    op = whatif.resect(["lPHC"]) + whatif.stimulate(["rA1"], bt.simulate.PulseTrain(amplitude=1.0))
    pred = whatif.predict(twin, whatif.resect(["lPHC"]), n_samples=100)   # outcome="seizure"
    print(pred.summary()); pred.plot()
    table = whatif.compare(twin, [whatif.resect(["lPHC"]), whatif.resect(["lHC"])])
    search = whatif.smallest_resection(twin, target=0.95)

Resting-state, lesion (multiple sclerosis) and ageing what-ifs use ``outcome="fc"`` or
``"spectrum"``, on the posterior or on given parameter sets (``params=``).

Outcomes are a registry (:mod:`braintwin.whatif.outcomes`, ``@whatif.register_outcome``):
``"evoked"``, ``"fc"`` and ``"spectrum"`` are registered here; ``"seizure"`` (with
its EZ hypothesis and resection search) by the VEP workflow,
:mod:`braintwin.vep.surgery`.  Model facts (seizure variable, rest state, the
values that silence a resected region, prediction defaults) are read from the
model class.

Import direction: ``whatif`` uses ``connectome``, ``models``, ``simulate`` and
``features``; it reads a twin by duck typing (``.connectome``, ``.model``,
``.coupling``, ``.simulation``, ``.posterior.samples``) and imports neither
``braintwin.twin`` nor any workflow.
"""

from __future__ import annotations

from .interventions import (
    Composite,
    Disconnect,
    Intervention,
    Lesion,
    NoIntervention,
    Resect,
    ScaleCoupling,
    ScaleInterhemispheric,
    ScaleParams,
    SetParams,
    ShiftParams,
    Stimulate,
    compose,
    disconnect,
    lesion,
    resect,
    scale_coupling,
    scale_interhemispheric,
    scale_params,
    scenario_cost,
    set_params,
    shift_params,
    stimulate,
)
from . import responses  # noqa: F401  (registers the generic outcomes "evoked", "fc", "spectrum")
from .compare import Comparison, compare
from .labels import region_labels, register_labeller
from .outcomes import Outcome, Runs, available as available_outcomes, get_outcome, register as register_outcome
from .parse import parse_intervention, parse_interventions
from .predict import Prediction, predict
from .scenario import Scenario, edge_mask, resolve_regions
from .search import ResectionSearch, smallest_resection

__all__ = [
    "Scenario",
    "Intervention",
    "NoIntervention",
    "Resect",
    "Disconnect",
    "Lesion",
    "Stimulate",
    "SetParams",
    "ScaleParams",
    "ShiftParams",
    "ScaleCoupling",
    "ScaleInterhemispheric",
    "Composite",
    "resect",
    "disconnect",
    "lesion",
    "stimulate",
    "set_params",
    "scale_params",
    "shift_params",
    "scale_coupling",
    "scale_interhemispheric",
    "compose",
    "parse_interventions",
    "parse_intervention",
    "resolve_regions",
    "edge_mask",
    "scenario_cost",
    "Outcome",
    "Runs",
    "register_outcome",
    "get_outcome",
    "available_outcomes",
    "region_labels",
    "register_labeller",
    "Prediction",
    "Comparison",
    "ResectionSearch",
    "predict",
    "compare",
    "smallest_resection",
]
