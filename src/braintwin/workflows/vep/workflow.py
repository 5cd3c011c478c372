"""The epilepsy twin workflow: SEEG -> Bayesian VEP fit -> twin -> what-if -> report.

A workflow only composes stages (``vep`` fit, ``twin``, ``whatif``, ``report``);
it adds no science of its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from typing import Any, Mapping, Sequence

import numpy as np

from ...errors import InputError
from ...models import Difference, VEP2D
from ...twin import Posterior, Twin, new_subject_id, register_updater
from ...whatif.labels import INFO_KEY
from .labels import labels_to_info, twin_labels
from .model import PersonPrior, VEPPriors

__all__ = ["twin_from_fit", "update_twin", "candidate_resections"]

#: Name under which :func:`update_twin` is registered (:func:`braintwin.twin.register_updater`) and stored in
#: ``posterior.info["updater"]``; :meth:`braintwin.Twin.update` looks it up.  Kept in its old ``module:function``
#: spelling, so twin files written before the registry still update.
UPDATER = "braintwin.vep.workflow:update_twin"

#: Parameters a twin keeps from the fit (the person-level ones; per-recording
#: parameters such as amplitude, offset and initial state stay in the fit).
PERSON_PARAMS = ("x0", "K")


def _observation_choice(problem) -> tuple[str, bool, np.ndarray | None]:
    """(observe, fit_scale, montage) of a fit's problem, with :class:`VEPProblem`'s defaults for older objects."""
    return (str(getattr(problem, "observe", "log")), bool(getattr(problem, "fit_scale", True)),
            getattr(problem, "montage", None))


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
        posterior over x0 and K, the observation (gain) and the fitted data
        (a joint fit's earlier recordings in ``data["recording_<r>"]``).
    """
    prob = fit.problem
    tau0 = float(getattr(prob, "tau0", 20.0) if tau0 is None else tau0)
    I1 = float(getattr(prob, "I1", 3.1) if I1 is None else I1)
    model = VEP2D(tau0=tau0, I1=I1)
    post = _posterior(fit, connectome, n_recordings=len(fit.problems) or 1)
    n_c = prob.gain.shape[0]
    observe, fit_scale, montage = _observation_choice(prob)
    observation = {
        "kind": "seeg_log_power" if observe == "log" else "seeg_sensor",
        "observe": observe, "fit_scale": fit_scale,
        **({} if montage is None else {"montage": np.asarray(montage, float)}),
        "gain": np.asarray(prob.gain, float),
        "contacts": list(contact_labels) if contact_labels is not None else [f"c{i}" for i in range(n_c)],
    }
    data = {"seeg_envelope": np.asarray(prob.observation, float), "dt": float(prob.dt),
            "steps_per_sample": int(prob.steps_per_sample)}
    for r, earlier in enumerate(fit.problems[:-1]):  # a joint fit: keep every recording it learnt from
        data[f"recording_{r}"] = {"seeg_envelope": np.asarray(earlier.observation, float)}
        if not np.array_equal(earlier.gain, prob.gain):
            data[f"recording_{r}"]["gain"] = np.asarray(earlier.gain, float)
    twin = Twin(
        subject_id or new_subject_id(), connectome, model, Difference(a=1.0),
        simulation={"delays": False, "method": "heun"},
        observation=observation, data=data, posterior=post, metadata=metadata or {},
        config=config or {}, seeds=seeds or {},
    )
    method = "NPE" if getattr(fit, "posterior", None) is not None else "NUTS"
    twin.add_update(f"built from a Bayesian VEP fit ({method})", config={"timings": {k: float(v) for k, v in fit.timings.items()}})
    return twin


def _posterior(fit, connectome, *, n_recordings: int, extra: Mapping[str, Any] | None = None) -> Posterior:
    """The twin's posterior (x0, K) of a fit, with what an update needs to re-fit it."""
    post = fit.posterior if getattr(fit, "posterior", None) is not None else Posterior.from_nuts(
        fit, params=[p for p in PERSON_PARAMS if p in fit.samples], labels={"x0": list(connectome.labels)})
    info = dict(post.info)
    nuts = getattr(fit, "nuts", None)
    if nuts is not None and getattr(nuts, "settings", None):
        info["settings"] = dict(nuts.settings)
    info.update({
        "updater": UPDATER,
        "vep_priors": {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(fit.problem.priors).items()},
        "person_prior": fit.problem.person_prior.to_dict(),
        "n_recordings": int(n_recordings),
        "observe": dict(zip(("observe", "fit_scale"), _observation_choice(fit.problem)[:2])),
        INFO_KEY: labels_to_info(fit.labels),  # the fit's EZ/PZ map: what-if, the demo and the report read this one
    })
    info.update(extra or {})
    return Posterior(post.samples, method=post.method, diagnostics=post.diagnostics, labels=post.labels, n_chains=post.n_chains,
                     info=info)


@register_updater(UPDATER)
def update_twin(twin: Twin, new_data, *, gain=None, num_chains: int | None = None, num_warmup: int | None = None,
                num_samples: int | None = None, seed: int | None = None, progress: bool = False, truth=None, **fit_kwargs):
    """Update an epilepsy twin with a new SEEG recording of the same person (Bayesian sequential update).

    The person-level parameters (``x0`` per region, ``K``) get as prior a
    Gaussian fitted to the twin's current posterior in their unconstrained
    coordinates (``logit x0``, ``log K``; :meth:`PersonPrior.from_draws`);
    the recording's own parameters (initial state, amplitude, offset, noise)
    start again from the priors of the original fit.  The fit is warm-started:
    the MAP search starts from the current posterior mean, the centre of the
    new prior (one start, no data-driven search), and the warm-up is half the
    original's, so an update costs less than the first fit.  The twin's posterior is replaced, the
    recording is kept in ``twin.data["update_<k>"]`` and the update (prior,
    settings, timings, SHA-256 of the recording) is appended to
    :attr:`Twin.history`.

    Parameters
    ----------
    twin : Twin
        Built by :func:`twin_from_fit` (or updated before).
    new_data : array (n_times, n_contacts) or mapping
        The new SEEG log-power envelope, or ``{"seeg_envelope": array, "gain":
        array}`` (a new implantation brings its own gain).
    gain : array (n_contacts, n_regions), optional
        Gain of the new recording (default: the twin's).
    num_chains, num_samples : int, optional
        Default: as the twin's current posterior.
    num_warmup : int, optional
        Default: half the original warm-up (at least 100).
    seed : int, optional
        Default: the original seed plus the update number.
    progress : bool
    truth : SyntheticPatient, optional
        For z-scores and label accuracy (synthetic recordings).
    **fit_kwargs
        Passed to :func:`braintwin.vep.fit`.

    Returns
    -------
    VEPFit
        The fit of the new recording (labels and predictive check are its own).

    Raises
    ------
    InputError
        When the twin has no posterior, or the recording does not fit the gain.
    """
    from .fit import fit as vep_fit

    y, gain, new_gain = _new_recording(twin, new_data, gain)
    post = twin.posterior
    k = int(post.info.get("n_recordings", 1))
    kw, person = _refit_settings(twin, k, num_chains=num_chains, num_warmup=num_warmup, num_samples=num_samples, seed=seed)
    kw.update(progress=progress, truth=truth)
    kw.update(fit_kwargs)
    t0 = time.perf_counter()
    f = vep_fit(y, gain, twin.connectome, **kw)
    seconds = time.perf_counter() - t0
    digest = hashlib.sha256(np.ascontiguousarray(y).tobytes()).hexdigest()
    twin.data[f"update_{k}"] = {"seeg_envelope": y, **({"gain": gain} if new_gain else {})}
    new = _posterior(f, twin.connectome, n_recordings=k + 1, extra={"person_prior": person.to_dict()})
    d = f.diagnostics
    twin.set_posterior(new, what=f"update {k}: new SEEG recording ({y.shape[0]} samples), prior fitted to the posterior",
                       config={"prior": "Gaussian fitted to the previous posterior of (logit x0, log K), Ledoit-Wolf covariance",
                               "recording_sha256": digest, "num_chains": kw["num_chains"], "num_warmup": kw["num_warmup"],
                               "num_samples": kw["num_samples"], "seconds": round(seconds, 3),
                               "timings": {k_: round(float(v), 3) for k_, v in f.timings.items()},
                               "diagnostics_ok": bool(d.ok), "divergences": int(d.divergences),
                               "max_rhat_x0": float(d.max_rhat("x0"))},
                       seeds={"nuts": kw["seed"]})
    return f


def _new_recording(twin: Twin, new_data, gain) -> tuple[np.ndarray, np.ndarray, bool]:
    """The new envelope, its gain (the twin's unless given) and whether the gain is new; checked against the twin."""
    if twin.posterior is None or "x0" not in twin.posterior or "K" not in twin.posterior:
        raise InputError("the twin has no posterior over x0 and K to update", source="twin", field="posterior")
    if isinstance(new_data, Mapping):
        if "seeg_envelope" not in new_data:
            raise InputError("expected a 'seeg_envelope' array", source="update", field="seeg_envelope")
        gain = new_data.get("gain", gain)
        y = np.asarray(new_data["seeg_envelope"], float)
    else:
        y = np.asarray(new_data, float)
    new_gain = gain is not None
    if gain is None:
        gain = (twin.observation or {}).get("gain")
        if gain is None:
            raise InputError("the twin stores no SEEG gain; give the new recording's gain", source="update", field="gain")
    gain = np.asarray(gain, float)
    if gain.ndim != 2 or gain.shape[1] != len(twin.connectome.labels):
        raise InputError(f"the gain must be (n_contacts, {len(twin.connectome.labels)} regions), got shape {gain.shape}",
                         source="update", field="gain")
    if y.ndim != 2 or y.shape[1] != gain.shape[0]:
        raise InputError(f"the recording must be (n_times, {gain.shape[0]} contacts), got shape {y.shape}", source="update",
                         field="seeg_envelope")
    return y, gain, new_gain


def _refit_settings(twin: Twin, k: int, *, num_chains, num_warmup, num_samples, seed) -> tuple[dict, PersonPrior]:
    """Keyword arguments of the warm-started re-fit of update ``k``, and the person prior fitted to the posterior."""
    post = twin.posterior
    info = post.info
    settings = dict(info.get("settings", {}))
    pri = dict(info.get("vep_priors", {}))
    if "x0_bounds" in pri:
        pri["x0_bounds"] = tuple(pri["x0_bounds"])
    priors = VEPPriors(**pri)
    x0, K = np.asarray(post["x0"], float), np.asarray(post["K"], float)
    person = PersonPrior.from_draws(x0, K, priors.x0_bounds)
    num_chains = int(num_chains or settings.get("num_chains", post.n_chains))
    num_samples = int(num_samples or settings.get("num_samples", max(4, post.n_draws // max(1, post.n_chains))))
    num_warmup = int(num_warmup if num_warmup is not None else max(100, int(settings.get("num_warmup", 300)) // 2))
    seed = int(settings.get("seed", 0)) + k if seed is None else int(seed)
    kw = dict(dt=float(twin.data.get("dt", 0.25)), steps_per_sample=int(twin.data.get("steps_per_sample", 1)),
              tau0=float(twin.model.values["tau0"]), I1=float(twin.model.values["I1"]), priors=priors, person_prior=person,
              data_init=False, map_starts=1, num_chains=num_chains, **dict(info.get("observe", {})),
              montage=(twin.observation or {}).get("montage"), num_warmup=num_warmup,
              num_samples=num_samples, seed=seed, labels=list(twin.connectome.labels))
    return kw, person


def candidate_resections(twin, fit=None, healthy: str | None = None) -> list[str]:
    """Three candidate resections (specs for :func:`braintwin.whatif.compare`).

    The estimated EZ; the EZ with the most likely propagation region; and, as a
    control, one region labelled healthy with the highest posterior certainty.
    The labels are ``fit``'s when given, else the twin's (:func:`~braintwin.vep.labels.twin_labels`).
    """
    x0 = twin.posterior.samples["x0"]
    labels = list(twin.connectome.labels)
    mean = x0.mean(axis=0)
    table = fit.labels if fit is not None else twin_labels(twin)
    ez = list(table.ez) if table is not None else []
    if ez:
        pz = [r for r in table.pz if r not in ez]
    else:  # no region labelled EZ: the most excitable one, and every other as a possible spread region
        ez = [labels[int(np.argmax(mean))]]
        pz = [labels[i] for i in np.argsort(-mean) if labels[i] not in ez]
    pz_top = max(pz, key=lambda r: mean[labels.index(r)]) if pz else None
    healthy_regions = [r for r in labels if r not in ez and r not in pz]
    control = healthy or (min(healthy_regions, key=lambda r: mean[labels.index(r)]) if healthy_regions else labels[int(np.argmin(mean))])
    out = [f"resect={','.join(ez)}"]
    if pz_top:
        out.append(f"resect={','.join(ez + [pz_top])}")
    out.append(f"resect={control}")
    return out
