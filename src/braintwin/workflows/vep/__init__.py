"""The Virtual Epileptic Patient (VEP): where seizures start and where they spread.

The VEP (Jirsa et al. 2017; Hashemi et al. 2020, "The Bayesian Virtual
Epileptic Patient") infers each region's excitability ``x0`` from a patient's
SEEG with a network of 2D Epileptors (:class:`braintwin.models.VEP2D`), then
labels every region as epileptogenic zone (EZ), propagation zone (PZ) or
healthy, each label with its posterior probability.

- :func:`synthetic_patient`: a ground-truth patient whose labels are defined by
  simulation (EZ seize on their own, PZ are recruited), with its SEEG;
- :func:`fit` / :func:`fit_patient`: NUTS on the Bayesian VEP
  (:mod:`braintwin.vep.model`) -> :class:`VEPFit` (``x0_samples``, ``labels``,
  ``diagnostics``, ``plot()``);
- :func:`fit_npe`: the amortised VEP (neural posterior estimation on the
  ``vep_sbi`` features; one cached estimator per connectome and contact set);
- :mod:`braintwin.vep.io`: the user's SEEG (NPY, CSV/TSV, EDF), gain or contacts;
  :data:`OBSERVATION_CHOICES` (log-power envelope, sensor level raw or log, monopolar
  or bipolar) and :func:`observation_options`;
- :func:`compare_hypotheses`: clinicians' EZ hypotheses entered as priors on x0, fitted and
  ranked by PSIS-LOO (ArviZ) -> :class:`HypothesisComparison` (table, ``plot()``, report section);
- :func:`clinical_patient`: the benchmark patient at a real implant's scale (tvb96 with
  subcortical regions, 160 contacts, tau0 = 90, sensor-level ``G exp(x)``).

A fit whose chains disagree (R-hat of a region's x0 above 1.1) gives no labels: every
region is :data:`UNDETERMINED` and the fit, the CLI and the report name the regions
whose chains disagree, with each chain's mean.

Example::

    import braintwin as bt
    import braintwin.vep
    net = bt.Connectome.builtin("tvb76").subset(
        ["rAMYG", "rPHC", "rHC", "rTCI", "rTCV", "rTCPOL", "rTCC", "rTCS", "rIA", "rV1"])
    p = bt.vep.synthetic_patient(net, ez=["rTCC", "rTCV"], pz=["rTCI", "rAMYG", "rTCPOL", "rTCS"],
                                 n_times=80, n_contacts=16, tau0=20.0, seed=1)
    f = bt.vep.fit_patient(p, num_chains=4, num_warmup=300, num_samples=300)
    print(f.labels, f.diagnostics.summary(), f.accuracy())
    f.plot().savefig("vep.png")

Status: on this 10-region network the labels are recovered in about a minute; on
all 76 regions of tvb76 the sampler does not converge yet (see the benchmark
``benchmarks/vep_fit.py``): every fit says so in its diagnostics.

braintwin is a research tool, not a medical device.
"""

from __future__ import annotations

from . import surgery  # noqa: F401  (registers the "seizure" what-if outcome)
from .clinical import ClinicalPatient, clinical_patient
from .fit import VEPFit, fit, fit_patient, initial_guess
from .hypotheses import HypothesisComparison, compare_hypotheses, hypothesis_prior
from .io import OBSERVATION_CHOICES, observation_options, read_contacts_file, read_gain, read_seeg
from .labels import (PZ_THRESHOLD, UNDETERMINED, X0_CRITICAL, LabelTable, chain_disagreement, ez_hypothesis,
                     label_probabilities, label_regions, refuse_labels, twin_labels)
from .model import VEPPriors, VEPProblem, critical_x0, make_forward, max_step, observe_sources, seeg_envelope, vep_model
from .npe import fit_npe
from .refine import Refinement, refine_posterior
from .synthetic import SyntheticPatient, patient_gain, select_contacts, suggest_pz, synthetic_patient

__all__ = [
    "clinical_patient",
    "ClinicalPatient",
    "OBSERVATION_CHOICES",
    "observation_options",
    "observe_sources",
    "max_step",
    "chain_disagreement",
    "refuse_labels",
    "UNDETERMINED",
    "synthetic_patient",
    "SyntheticPatient",
    "suggest_pz",
    "select_contacts",
    "patient_gain",
    "fit",
    "fit_patient",
    "fit_npe",
    "refine_posterior",
    "Refinement",
    "compare_hypotheses",
    "HypothesisComparison",
    "hypothesis_prior",
    "VEPFit",
    "LabelTable",
    "label_regions",
    "label_probabilities",
    "ez_hypothesis",
    "twin_labels",
    "PZ_THRESHOLD",
    "initial_guess",
    "VEPPriors",
    "VEPProblem",
    "vep_model",
    "make_forward",
    "seeg_envelope",
    "critical_x0",
    "X0_CRITICAL",
    "read_seeg",
    "read_gain",
    "read_contacts_file",
]
