"""The epilepsy twin workflow: SEEG -> Bayesian VEP fit -> twin -> what-if -> report.

A workflow only composes stages (``vep`` fit, ``twin``, ``whatif``, ``report``);
it adds no science of its own.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..models import Difference, VEP2D
from ..twin import Posterior, Twin, new_subject_id

__all__ = ["twin_from_fit", "candidate_resections"]

#: Parameters a twin keeps from the fit (the person-level ones; per-recording
#: parameters such as amplitude, offset and initial state stay in the fit).
PERSON_PARAMS = ("x0", "K")


def twin_from_fit(fit, connectome, *, subject_id: str | None = None, tau0: float | None = None, I1: float | None = None,
                  contact_labels: Sequence[str] | None = None, seeds: dict | None = None, config: dict | None = None,
                  metadata: dict | None = None) -> Twin:
    """A :class:`~braintwin.Twin` holding a Bayesian VEP fit.

    Parameters
    ----------
    fit : VEPFit
        The fit (its ``problem`` supplies the SEEG observation, gain and dt).
    connectome : Connectome
        The network the fit used.
    subject_id : str, optional
        Pseudonymous ID (a random one if omitted).
    tau0, I1 : float, optional
        Fixed model constants used by the fit (default: the fit problem's).
    contact_labels : sequence of str, optional
        SEEG contact names (rows of the gain).

    Returns
    -------
    Twin
        Model ``VEP2D`` with Difference coupling (a = 1, K in the model), the
        posterior over x0 and K, the observation (gain) and the fitted data.
    """
    prob = fit.problem
    tau0 = float(getattr(prob, "tau0", 20.0) if tau0 is None else tau0)
    I1 = float(getattr(prob, "I1", 3.1) if I1 is None else I1)
    model = VEP2D(tau0=tau0, I1=I1)
    post = Posterior.from_nuts(fit, params=[p for p in PERSON_PARAMS if p in fit.samples],
                               labels={"x0": list(connectome.labels)})
    n_c = prob.gain.shape[0]
    observation = {
        "kind": "seeg_log_power",
        "gain": np.asarray(prob.gain, float),
        "contacts": list(contact_labels) if contact_labels is not None else [f"c{i}" for i in range(n_c)],
    }
    data = {"seeg_envelope": np.asarray(prob.observation, float), "dt": float(prob.dt),
            "steps_per_sample": int(prob.steps_per_sample)}
    twin = Twin(
        subject_id or new_subject_id(), connectome, model, Difference(a=1.0),
        simulation={"delays": False, "method": "heun"},
        observation=observation, data=data, posterior=post, metadata=metadata or {},
        config=config or {}, seeds=seeds or {},
    )
    twin.add_update("built from a Bayesian VEP fit (NUTS)", config={"timings": {k: float(v) for k, v in fit.timings.items()}})
    return twin


def candidate_resections(twin, fit=None, healthy: str | None = None) -> list[str]:
    """Three candidate resections (specs for :func:`braintwin.whatif.compare`).

    The estimated EZ; the EZ with the most likely propagation region; and, as a
    control, one region labelled healthy with the highest posterior certainty.
    """
    x0 = twin.posterior.samples["x0"]
    labels = list(twin.connectome.labels)
    mean = x0.mean(axis=0)
    if fit is not None and list(fit.labels.ez):
        ez = list(fit.labels.ez)
        pz = [r for r in fit.labels.pz if r not in ez]
    else:  # posterior threshold rule
        p_ez = (x0 >= -2.05).mean(axis=0)
        ez = [labels[i] for i in np.argsort(-p_ez) if p_ez[i] >= 0.5] or [labels[int(np.argmax(mean))]]
        pz = [labels[i] for i in np.argsort(-mean) if labels[i] not in ez]
    pz_top = max(pz, key=lambda r: mean[labels.index(r)]) if pz else None
    healthy_regions = [r for r in labels if r not in ez and r not in pz]
    control = healthy or (min(healthy_regions, key=lambda r: mean[labels.index(r)]) if healthy_regions else labels[int(np.argmin(mean))])
    out = [f"resect={','.join(ez)}"]
    if pz_top:
        out.append(f"resect={','.join(ez + [pz_top])}")
    out.append(f"resect={control}")
    return out
