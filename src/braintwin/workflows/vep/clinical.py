r"""The clinical-scale benchmark patient of the Bayesian VEP (issue 17), built in code from tvb-data.

The published VEP benchmark problem (Hashemi et al. 2020, NeuroImage 217:116839;
Jha et al. 2022) is an 84-region network (68 cortical Desikan-Killiany regions
and 16 subcortical structures) seen by ~160 SEEG contacts through an
inverse-square gain, with a slow seizure (``tau0 = 90``).  tvb-data has no
84-region parcellation with subcortical regions *and* geometry in the frame of
its SEEG sensors, so the patient is built as follows (decisions and why):

* **Connectome: ``tvb96``** (tvb-data's ``connectivity_96``, 96 regions: 82
  cortical areas of the Regional Map plus, per hemisphere, amygdala,
  hippocampus, three thalamic territories and four basal-ganglia nuclei).  It is
  the only tvb-data connectome with subcortical regions whose centres are real:
  ``tvb192``'s 116 thalamic nuclei all share one placeholder centre, and
  ``tvb76`` has no thalamus or basal ganglia.  Weights are divided by their
  maximum, diagonal zeroed.
* **Geometry: registered to ``seeg_588``.**  tvb96's centres are in MNI-like
  axes, tvb-data's SEEG contacts in tvb76's frame.  The regions the two atlases
  share (``RM-TCpol_R`` = ``rTCPOL``, ...) give an affine map fitted by least
  squares (:func:`register_centres`; residual printed in :attr:`ClinicalPatient.registration_rms`).
* **Contacts**: ``n_contacts`` (160) of ``seeg_588`` chosen by
  :func:`~braintwin.vep.select_contacts`; gain ``G_ci = 1 / max(d_ci, d_min)^2``
  to the region centres (:func:`braintwin.observe.seeg.seeg_gain`, ``method="centres"``).
* **Coupling: ``K = 0.05``, not the issue's 1.**  ``K = 1`` belongs to the
  published connectome (streamline counts, heavy-tailed: a row sums to about 1
  after dividing by the maximum).  tvb96's weights are categories (1, 2, 3), about
  40 inputs per region, rows summing to 33 after dividing by the maximum, and the
  difference coupling then holds every region at rest (measured, T = 80: K = 1,
  0.5, 0.2: nothing seizes; 0.1: one EZ; 0.05: both EZ, and RM-PHC_R recruited).
* **Dynamics** (the issue's values otherwise): VEP2D, ``tau0 = 90``,
  ``I1 = 3.1``, ``x0 = -1.6`` at 2 EZ, ``-2.06`` at 3 PZ, ``-3.5`` elsewhere,
  ``x(0) = -2.5``, ``z(0) = 3.5``, Euler-Maruyama with ``dt = 0.1`` and latent
  noise ``sigma = 0.01`` (increment ``sigma sqrt(dt) xi`` on ``x`` and ``z``) for
  ``T = 80`` time units.
* **Observation**: ``y = G exp(x)`` at every ``sample_period`` (0.5: 160
  samples), no envelope, amplitude or offset, plus measurement noise.
* **Truth labels** follow the published convention (the given ``x0``): EZ, PZ,
  healthy.  ``seizes`` records which regions cross the seizure threshold in
  the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ...errors import InputError

__all__ = ["ClinicalPatient", "clinical_patient", "core_regions", "register_centres", "simulate_em", "DEFAULT_EZ", "DEFAULT_PZ"]

SOURCE = "clinical_patient"
#: Default EZ of the benchmark (right mesial temporal) and PZ (its strongest tvb96 neighbours).
DEFAULT_EZ = ("RM-HC_R", "RM-Amyg_R")
DEFAULT_PZ = ("RM-PHC_R", "RM-TCpol_R", "RM-TCi_R")


@dataclass
class ClinicalPatient:
    """The clinical-scale patient: network, contacts, truth and sensor-level SEEG.

    Attributes
    ----------
    connectome : Connectome
        tvb96, weights / max, zero diagonal, centres registered to the SEEG frame (mm).
    gain : ndarray (n_contacts, n_regions)
        Inverse-square gain (mm^-2).
    contact_labels : tuple of str
    contact_positions : ndarray (n_contacts, 3)
    observation : ndarray (n_times, n_contacts)
        ``G exp(x)`` at the samples, plus measurement noise.
    x, z : ndarray (n_times, n_regions)
        True source state at the samples.
    times : ndarray (n_times,)
    x0 : ndarray (n_regions,)
    labels : ndarray of str
        ``"EZ"``, ``"PZ"``, ``"healthy"`` (from the given ``x0``).
    seizes : ndarray of bool
        Whether each region's ``x`` crosses ``seizure_threshold`` in the simulation.
    K, tau0, I1, dt, sigma, noise, sample_period : float
    registration_rms : float
        RMS residual (mm) of the atlas registration.
    """

    connectome: Any
    gain: np.ndarray
    contact_labels: tuple
    contact_positions: np.ndarray
    observation: np.ndarray
    x: np.ndarray
    z: np.ndarray
    times: np.ndarray
    x0: np.ndarray
    labels: np.ndarray
    seizes: np.ndarray
    K: float
    tau0: float
    I1: float
    dt: float
    sigma: float
    noise: float
    sample_period: float
    registration_rms: float
    seed: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def region_labels(self) -> tuple[str, ...]:
        return tuple(self.connectome.labels)

    @property
    def ez(self) -> list[str]:
        return [r for r, l in zip(self.region_labels, self.labels) if l == "EZ"]

    @property
    def pz(self) -> list[str]:
        return [r for r, l in zip(self.region_labels, self.labels) if l == "PZ"]

    def summary(self) -> dict:
        """JSON-ready description."""
        return {"n_regions": int(self.x0.size), "n_contacts": int(self.gain.shape[0]), "n_times": int(self.observation.shape[0]),
                "ez": self.ez, "pz": self.pz, "seizing": [r for r, s in zip(self.region_labels, self.seizes) if s],
                "K": self.K, "tau0": self.tau0, "dt": self.dt, "sample_period": self.sample_period,
                "registration_rms_mm": round(self.registration_rms, 2), "seed": self.seed}


def _tvb76_name(label96: str) -> str | None:
    """``"RM-TCpol_R"`` -> ``"rTCPOL"``: the tvb76 name of a tvb96 region (None if it has none)."""
    if "-" not in label96 or label96[-2:] not in ("_R", "_L"):
        return None
    return label96[-1].lower() + label96.split("-", 1)[1][:-2].upper()


def register_centres(conn96, conn76) -> tuple[np.ndarray, float]:
    """tvb96's centres mapped into tvb76's frame by the affine fit on the regions both atlases name.

    Solves ``[c96, 1] A = c76`` by least squares over the shared regions.

    Returns
    -------
    centres : ndarray (n_regions_96, 3)
        In mm, tvb76 (and ``seeg_588``) frame.
    rms : float
        Root-mean-square residual on the shared regions (mm).
    """
    l76 = {l: i for i, l in enumerate(conn76.labels)}
    pairs = [(i, l76[n]) for i, l in enumerate(conn96.labels) if (n := _tvb76_name(l)) in l76]
    if len(pairs) < 4:
        raise InputError(f"only {len(pairs)} regions shared with tvb76; cannot register", source=SOURCE, field="connectome")
    i96, i76 = map(np.asarray, zip(*pairs))
    X = np.c_[conn96.centres[i96], np.ones(len(i96))]
    A, *_ = np.linalg.lstsq(X, conn76.centres[i76], rcond=None)
    rms = float(np.sqrt(np.mean(np.sum((X @ A - conn76.centres[i76]) ** 2, axis=1))))
    return np.c_[conn96.centres, np.ones(conn96.n_regions)] @ A, rms


def simulate_em(weights, x0, *, K: float, tau0: float, I1: float, dt: float, n_steps: int, init, sigma: float, rng,
                every: int = 1):
    """Euler-Maruyama of the VEP2D network with difference coupling (NumPy).

    ``y_{n+1} = y_n + dt f(y_n) + sigma sqrt(dt) xi_n`` on ``x`` and ``z``, with
    ``f`` the model's own ``dfun`` (:class:`~braintwin.models.VEP2D`) and the
    coupling ``c_i = sum_j w_ij (x_j - x_i)`` (:class:`~braintwin.models.coupling.Difference`),
    stepped by :func:`braintwin.simulate.integrators.step` (``"euler"``).

    Returns
    -------
    ndarray (n_steps // every, 2, n_regions)
        The state after every ``every`` steps.
    """
    from ...models import VEP2D
    from ...models.coupling import Difference
    from ...models.base import Vars
    from ...simulate.integrators import step

    model, cpl = VEP2D(), Difference(a=1.0)
    W = np.asarray(weights, float)
    n = W.shape[0]
    names = model.parameter_names
    given = {"x0": np.asarray(x0, float), "K": K, "tau0": tau0, "I1": I1}
    defaults = {q.name: float(q.default) for q in model.parameters}
    p = np.stack([np.broadcast_to(np.asarray(given.get(k, defaults[k]), float), (n,)) for k in names])
    cpar, wsum = Vars(**cpl.values), W.sum(axis=1)
    y = np.array(init, float).reshape(2, n)
    out = []
    for s in range(int(n_steps)):
        xc = (y[0],)
        c = cpl.post(tuple(W @ h for h in cpl.pre(xc, cpar, np)), xc, wsum, cpar, np)
        incr = sigma * np.sqrt(dt) * rng.standard_normal(y.shape)
        y = step("euler", lambda s_: model.evaluate(s_, c, p, m=np), y, dt, incr, -np.inf, np.inf, np)
        if (s + 1) % every == 0:
            out.append(y.copy())
    return np.asarray(out)


def core_regions(conn, named: Sequence[str], ez: Sequence[str], n: int) -> list[str]:
    """The ``named`` regions, then the others by decreasing tract weight to and from the ``ez``, ``n`` in all.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> W = np.array([[0, 1, 3, 0], [1, 0, 0, 2], [3, 0, 0, 0], [0, 2, 0, 0.]])
    >>> core_regions(SimpleNamespace(labels=list("abcd"), weights=W), ["a"], ["a"], 3)
    ['a', 'c', 'b']
    """
    labels = list(conn.labels)
    if not len(named) <= n <= len(labels):
        raise InputError(f"n_regions must lie between {len(named)} (the EZ and PZ) and {len(labels)}, got {n}", source=SOURCE,
                         field="n_regions")
    W = np.asarray(conn.weights, float)
    e = _region_indices(labels, ez, "ez")
    strength = W[e].sum(axis=0) + W[:, e].sum(axis=1)
    rest = [labels[i] for i in np.argsort(-strength, kind="stable") if labels[i] not in named]
    return list(named) + rest[: n - len(named)]


def _region_indices(labels: Sequence[str], names, what: str) -> list[int]:
    idx = []
    for r in names:
        if r not in labels:
            raise InputError(f"no region {r!r} in the connectome", source=SOURCE, field=what)
        idx.append(list(labels).index(r))
    return idx


def clinical_patient(*, ez: Sequence[str] = DEFAULT_EZ, pz: Sequence[str] = DEFAULT_PZ, n_contacts: int = 160,
                     K: float = 0.05, tau0: float = 90.0, I1: float = 3.1, x0_ez: float = -1.6, x0_pz: float = -2.06,
                     x0_healthy: float = -3.5, x_init: float = -2.5, z_init: float = 3.5, dt: float = 0.1,
                     sigma: float = 0.01, duration: float = 80.0, sample_period: float = 0.5, noise: float = 0.0,
                     seizure_threshold: float = -0.5, min_distance: float = 1.0, n_regions: int | None = None,
                     seed: int = 0) -> ClinicalPatient:
    """The benchmark patient of issue 17 (see the module docstring for the choices).

    Parameters
    ----------
    ez, pz : sequence of str
        tvb96 region names of the EZ (x0 = ``x0_ez``) and PZ (``x0_pz``).
    n_contacts : int
        Contacts of ``seeg_588`` kept.
    K, tau0, I1, x0_ez, x0_pz, x0_healthy, x_init, z_init : float
        VEP2D values (``tau0`` and time in model units).
    dt, sigma, duration : float
        Euler-Maruyama step, latent noise (per sqrt time unit) and length.
    sample_period : float
        Model time between observed samples (a multiple of ``dt``).
    noise : float
        Standard deviation of additive measurement noise on ``G exp(x)`` (0: none, the issue's case).
    n_regions : int, optional
        A reduced patient (tests, quick checks): the EZ, the PZ and the regions most strongly
        connected to the EZ (:func:`core_regions`), ``n_regions`` in all; the contacts are chosen
        for them.  Default: all 96.
    seed : int

    Example
    -------
    >>> p = clinical_patient(n_contacts=40, duration=10.0)   # doctest: +SKIP
    >>> p.gain.shape, p.ez
    ((40, 96), ['RM-Amyg_R', 'RM-HC_R'])
    """
    import braintwin as bt
    from ...observe.seeg import read_contacts, seeg_gain
    from .synthetic import select_contacts

    every = int(round(sample_period / dt))
    if every < 1 or not np.isclose(every * dt, sample_period):
        raise InputError(f"sample_period {sample_period} must be a multiple of dt {dt}", source=SOURCE, field="sample_period")
    c96 = bt.Connectome.builtin("tvb96").normalized("max").with_zero_diagonal()
    centres, rms = register_centres(c96, bt.Connectome.builtin("tvb76"))
    conn = c96.replace(centres=np.asarray(centres, float))
    if n_regions is not None:
        conn = conn.subset(core_regions(conn, list(ez) + list(pz), list(ez), int(n_regions)))
        centres = conn.centres
    labels = list(conn.labels)
    ez_i, pz_i = _region_indices(labels, ez, "ez"), _region_indices(labels, pz, "pz")
    x0 = np.full(len(labels), float(x0_healthy))
    x0[pz_i], x0[ez_i] = x0_pz, x0_ez
    sensors = read_contacts("seeg_588")
    G_all = np.asarray(seeg_gain(sensors.positions, centres=centres, method="centres", min_distance=min_distance), float)
    keep = select_contacts(G_all, n_contacts)
    rng = np.random.default_rng(seed)
    init = np.stack([np.full(len(labels), x_init), np.full(len(labels), z_init)])
    n_steps = int(round(duration / dt))
    ys = simulate_em(conn.weights, x0, K=K, tau0=tau0, I1=I1, dt=dt, n_steps=n_steps, init=init, sigma=sigma, rng=rng, every=every)
    if not np.all(np.isfinite(ys)):
        raise InputError("the simulation diverged", source=SOURCE, field="dt")
    x, z = ys[:, 0], ys[:, 1]
    G = G_all[keep]
    obs = np.exp(x) @ G.T
    obs = obs + noise * rng.standard_normal(obs.shape) if noise > 0 else obs
    truth = np.full(len(labels), "healthy", dtype=object)
    truth[pz_i], truth[ez_i] = "PZ", "EZ"
    return ClinicalPatient(conn, G, tuple(sensors.labels[i] for i in keep), np.asarray(sensors.positions)[keep], obs, x, z,
                           (np.arange(len(x)) + 1) * sample_period, x0, truth.astype(str), np.any(x > seizure_threshold, axis=0),
                           float(K), float(tau0), float(I1), float(dt), float(sigma), float(noise), float(sample_period), rms,
                           int(seed))

