"""Synthetic patients: a ground-truth VEP2D network, its seizure and its SEEG.

A synthetic patient is built in four steps:

1. **Excitability.**  ``x0 = x0_ez`` (-1.6) in the EZ regions, ``x0_pz``
   (-2.06) in the PZ *candidates*, ``x0_healthy`` elsewhere.
2. **Coupling and time scale.**  ``K`` and ``tau0`` are searched on a grid (or
   given) by simulating the network with the numba engine (``bt.simulate``,
   Heun, no delays, as the Bayesian VEP): the choice is the one where every
   EZ region seizes and the most PZ candidates are recruited.  On ``tvb76``
   (weights divided by their maximum) a naive choice recruits nothing: the
   difference coupling pulls every near-critical region towards its healthy
   neighbours, and a larger ``K`` silences the EZ too.  So recruitment is
   always checked, and a configuration that recruits no region is refused
   (or warned about, ``on_no_pz="warn"``).
3. **Truth labels, defined by what happens**: *EZ* = regions that seize on
   their own (the network simulated with ``K = 0``, same initial state and
   window) and seize in the coupled network; *PZ* = the other regions that
   seize in the coupled network (recruited); *healthy* = the rest (a region
   that would seize alone but is held at rest by its neighbours is healthy:
   the recording cannot show it; see :mod:`braintwin.vep.fit`).  A region "seizes" when its ``x``
   crosses ``seizure_threshold``.
4. **Observation.**  The SEEG log-power envelope ``amp * log(gain exp(x)) + offset``
   (:func:`braintwin.features.vep_observation`) with the monopolar
   inverse-square gain of the SEEG contacts (:mod:`braintwin.observe.seeg`),
   plus Gaussian measurement noise of standard deviation ``noise``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ...errors import BraintwinWarning, InputError
from .model import X0_CRITICAL, VEPPriors, VEPProblem

__all__ = ["SyntheticPatient", "synthetic_patient", "suggest_pz", "select_contacts", "seizing_regions", "patient_gain"]

SOURCE = "synthetic_patient"

#: Default grids searched for the coupling and the slow time scale.
K_GRID = tuple(float(k) for k in np.geomspace(0.01, 1.0, 15))
TAU0_GRID = (10.0, 15.0, 20.0, 30.0)


@dataclass
class SyntheticPatient:
    """A ground-truth virtual epileptic patient and its SEEG observation.

    Attributes
    ----------
    connectome : Connectome
        The network (normalised, zero diagonal).
    gain : ndarray (n_contacts, n_regions)
        Monopolar SEEG gain.
    contact_labels : tuple of str
    contact_positions : ndarray (n_contacts, 3) or None
    observation : ndarray (n_times, n_contacts)
        Noisy SEEG log-power envelope.
    clean : ndarray (n_times, n_contacts)
        The envelope without measurement noise.
    x, z : ndarray (n_times, n_regions)
        True source activity.
    times : ndarray (n_times,)
        Sample times (model time units).
    x0 : ndarray (n_regions,)
        True excitability.
    K, tau0, I1, amplitude, offset, noise : float
    initial : ndarray (2, n_regions)
        True initial state (x, z).
    dt : float
        Heun step.
    steps_per_sample : int
    labels : ndarray of str (n_regions,)
        Truth labels ``"EZ"``, ``"PZ"``, ``"healthy"`` (defined by simulation).
    ez_candidates, pz_candidates : tuple of int
        Regions given ``x0_ez`` and ``x0_pz``.
    onsets : ndarray (n_regions,)
        Seizure onset time per region (NaN: never).
    search : list of dict
        The (tau0, K) configurations simulated and what each recruited.
    seed : int
    """

    connectome: Any
    gain: np.ndarray
    contact_labels: tuple
    contact_positions: np.ndarray | None
    observation: np.ndarray
    clean: np.ndarray
    x: np.ndarray
    z: np.ndarray
    times: np.ndarray
    x0: np.ndarray
    K: float
    tau0: float
    I1: float
    amplitude: float
    offset: float
    noise: float
    initial: np.ndarray
    dt: float
    steps_per_sample: int
    labels: np.ndarray
    ez_candidates: tuple
    pz_candidates: tuple
    onsets: np.ndarray
    search: list = field(default_factory=list)
    seed: int = 0

    @property
    def region_labels(self) -> tuple[str, ...]:
        return tuple(self.connectome.labels)

    @property
    def n_regions(self) -> int:
        return len(self.x0)

    @property
    def ez(self) -> list[str]:
        """Labels of the true EZ regions."""
        return [l for l, t in zip(self.region_labels, self.labels) if t == "EZ"]

    @property
    def pz(self) -> list[str]:
        """Labels of the true PZ (recruited) regions."""
        return [l for l, t in zip(self.region_labels, self.labels) if t == "PZ"]

    @property
    def truth(self) -> dict[str, np.ndarray | float]:
        """True parameter values, keyed like the fit's parameters (for z-scores and shrinkage)."""
        return {
            "x0": self.x0.copy(),
            "K": self.K,
            "amplitude": self.amplitude,
            "offset": self.offset,
            "eps": self.noise,
            "x_init": self.initial[0].copy(),
            "z_init": self.initial[1].copy(),
        }

    def problem(self, priors: VEPPriors | None = None) -> VEPProblem:
        """The inference problem of this patient (observation, gain, weights, dt, tau0)."""
        return VEPProblem(
            observation=self.observation, gain=self.gain, weights=np.asarray(self.connectome.weights, float), dt=self.dt,
            steps_per_sample=self.steps_per_sample, tau0=self.tau0, I1=self.I1, priors=priors or VEPPriors(),
            labels=self.region_labels,
        )

    def summary(self) -> dict:
        """A JSON-ready description (no arrays beyond the label lists)."""
        return {
            "n_regions": self.n_regions,
            "n_contacts": int(self.gain.shape[0]),
            "n_times": int(self.observation.shape[0]),
            "dt": self.dt,
            "tau0": self.tau0,
            "K": self.K,
            "noise": self.noise,
            "ez": self.ez,
            "pz": self.pz,
            "pz_candidates_not_recruited": [self.region_labels[i] for i in self.pz_candidates if self.labels[i] != "PZ"],
            "seed": self.seed,
        }

    def plot(self):
        """Figure: true source activity by label and the SEEG observation."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10, 6), constrained_layout=True)
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
        colors = {"EZ": "tab:red", "PZ": "tab:orange", "healthy": "0.7"}
        for lab in ("healthy", "PZ", "EZ"):
            idx = np.flatnonzero(self.labels == lab)
            for k, i in enumerate(idx):
                ax1.plot(self.times, self.x[:, i], color=colors[lab], lw=1.2 if lab != "healthy" else 0.5,
                         label=lab if k == 0 else None)
        ax1.set_ylabel("source x")
        ax1.legend(loc="upper right", fontsize=8)
        ax1.set_title(f"synthetic patient: EZ {', '.join(self.ez)}; PZ {', '.join(self.pz) or 'none'} (K={self.K:.3g}, tau0={self.tau0:g})")
        ax2.plot(self.times, self.observation, lw=0.5, color="k", alpha=0.4)
        ax2.set_ylabel("SEEG log power")
        ax2.set_xlabel("time (model units)")
        return fig


# ---------------------------------------------------------------------------
# helpers


def _as_connectome(connectome, normalize: str | None):
    from ...connectome import as_connectome

    conn = as_connectome(connectome)
    if normalize:
        conn = conn.normalized(normalize)
    return conn.with_zero_diagonal()


def _indices(conn, regions, what: str) -> list[int]:
    if regions is None:
        return []
    if isinstance(regions, (str, int, np.integer)):
        regions = [regions]
    labels = list(conn.labels)
    out = []
    for r in regions:
        if isinstance(r, (int, np.integer)):
            if not 0 <= int(r) < len(labels):
                raise InputError(f"region index {r} out of range [0, {len(labels)})", source=SOURCE, field=what)
            out.append(int(r))
        else:
            if r not in labels:
                close = [l for l in labels if l.lower() == str(r).lower()]
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise InputError(f"no region {r!r} in the connectome{hint}", source=SOURCE, field=what)
            out.append(labels.index(r))
    if len(set(out)) != len(out):
        raise InputError("a region is listed twice", source=SOURCE, field=what)
    return out


def suggest_pz(connectome, ez: Sequence, n: int = 4) -> list[str]:
    """PZ candidates most likely to be recruited by ``ez``: greedy by input fraction.

    Each step adds the region receiving the largest fraction of its input weight
    ``sum_j w_ij`` from the EZ and the candidates chosen so far (the difference
    coupling pulls a region towards the mean of its inputs, so a region mostly
    fed by seizing regions is recruited first).

    Parameters
    ----------
    connectome : Connectome
        Weights as used by the model (normalised, zero diagonal).
    ez : sequence of str or int
        EZ regions.
    n : int
        Number of candidates.

    Returns
    -------
    list of str
        Candidate labels, most likely first.
    """
    W = np.asarray(connectome.weights, float)
    chosen = _indices(connectome, ez, "ez")
    s = W.sum(axis=1)
    out: list[int] = []
    for _ in range(int(n)):
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(s > 0, W[:, chosen].sum(axis=1) / np.where(s > 0, s, 1.0), -1.0)
        f[chosen] = -np.inf
        k = int(np.argmax(f))
        if not np.isfinite(f[k]) or f[k] <= 0:
            break
        chosen.append(k)
        out.append(k)
    return [connectome.labels[k] for k in out]


def select_contacts(gain: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` contacts covering the regions: round robin over regions.

    The specificity of contact ``c`` to region ``r`` is ``gain[c, r] / sum_r' gain[c, r']``.
    Regions take turns (least specifically seen first) picking their most
    specific remaining contact, until ``n`` contacts are chosen.
    """
    gain = np.asarray(gain, float)
    n = int(n)
    if not 1 <= n <= gain.shape[0]:
        raise InputError(f"cannot select {n} of {gain.shape[0]} contacts", source=SOURCE, field="contacts")
    spec = gain / gain.sum(axis=1, keepdims=True)
    order = np.argsort(spec.max(axis=0))
    taken = np.zeros(gain.shape[0], bool)
    out: list[int] = []
    while len(out) < n:
        for r in order:
            if len(out) >= n:
                break
            s = np.where(taken, -1.0, spec[:, r])
            c = int(np.argmax(s))
            taken[c] = True
            out.append(c)
    return np.sort(np.asarray(out))


def patient_gain(conn, contacts="seeg_588", n_contacts: int | None = None, *, min_distance: float = 1.0):
    """SEEG gain, contact labels and positions for a connectome.

    Uses :func:`braintwin.observe.seeg.seeg_leadfield`: the inverse-square law
    summed over the cortical vertices of each region when the regions are
    ``tvb76`` regions (tvb-data's cortex and region mapping), else to the region
    centres.  ``n_contacts`` picks that many contacts with :func:`select_contacts`.

    Parameters
    ----------
    conn : Connectome
    contacts : str, path, Sensors or array (n, 3)
        ``"seeg_588"`` (tvb-data), a ``label x y z`` file, or positions in mm.
    n_contacts : int, optional

    Returns
    -------
    gain : ndarray (n_contacts, n_regions)
    labels : tuple of str
    positions : ndarray (n_contacts, 3)
    """
    from ...observe.seeg import read_contacts, seeg_gain, seeg_leadfield
    from ...observe.sensors import Sensors, tvb76_labels

    if isinstance(contacts, np.ndarray) or (isinstance(contacts, (list, tuple)) and len(contacts) and np.ndim(contacts[0]) == 1):
        pos = np.asarray(contacts, float)
        if pos.ndim != 2 or pos.shape[1] != 3:
            raise InputError(f"contact positions must be (n, 3) in mm, got shape {pos.shape}", source=SOURCE, field="contacts")
        sensors = Sensors(tuple(f"C{i + 1}" for i in range(len(pos))), pos, None, "positions", "seeg")
    else:
        sensors = read_contacts(contacts)
    if set(conn.labels) <= set(tvb76_labels()):
        gain = seeg_leadfield(sensors, conn, min_distance=min_distance).gain
    else:
        if getattr(conn, "centres", None) is None:
            raise InputError("the connectome has no region centres for the SEEG gain", source=SOURCE, field="centres")
        gain = seeg_gain(sensors.positions, centres=conn.centres, method="centres", min_distance=min_distance)
    gain = np.asarray(gain, float)
    idx = np.arange(gain.shape[0]) if n_contacts is None else select_contacts(gain, n_contacts)
    return gain[idx], tuple(sensors.labels[i] for i in idx), np.asarray(sensors.positions, float)[idx]


def seizing_regions(x: np.ndarray, threshold: float = -0.5) -> np.ndarray:
    """Which regions seize: ``x`` (…, n_times, n_regions) crosses ``threshold`` at some time."""
    return np.any(np.asarray(x) > threshold, axis=-2)


def _onsets(x: np.ndarray, times: np.ndarray, threshold: float) -> np.ndarray:
    above = x > threshold
    first = np.argmax(above, axis=0)
    return np.where(above.any(axis=0), times[first], np.nan)


def _simulate(conn, x0, K, tau0, I1, dt, n_steps, steps, initial, batch: bool = False):
    """x, z of the VEP2D network (numba engine, Heun, no delays); batch over K/tau0 when ``batch``."""
    from ...models import VEP2D
    from ...models.coupling import Difference
    from ...simulate import simulate, simulate_batch

    period = steps * dt
    kw = dict(coupling=Difference(a=1.0), delays=False, method="heun", dt=dt, duration=n_steps * period,
              monitors=[f"subsample:{period}"], outputs=["x", "z"], initial=initial)
    if batch:
        res = simulate_batch(conn, VEP2D(x0=x0, I1=I1), {"K": np.asarray(K, float), "tau0": np.asarray(tau0, float)},
                                progress=False, on_divergence="flag", dtype=np.float64, **kw)
        d = res["subsample"].data  # (n_sims, n_times, 2, n_regions)
        return d[:, :, 0, :], d[:, :, 1, :], res.diverged
    res = simulate(conn, VEP2D(x0=x0, K=K, tau0=tau0, I1=I1), on_divergence="flag", **kw)
    d = res["subsample"].data
    return d[:, 0, :], d[:, 1, :], res.diverged


# ---------------------------------------------------------------------------
# the generator


def _check_options(on_no_pz, dt, noise, amplitude, n_times) -> None:
    if on_no_pz not in ("raise", "warn"):
        raise InputError(f"on_no_pz must be 'raise' or 'warn', got {on_no_pz!r}", source=SOURCE, field="on_no_pz")
    for name, v in (("dt", dt), ("noise", noise + 1e-300), ("amplitude", amplitude)):
        if not (np.isfinite(v) and v > 0):
            raise InputError(f"must be > 0, got {v!r}", source=SOURCE, field=name)
    if int(n_times) < 10:
        raise InputError(f"need at least 10 samples, got {n_times}", source=SOURCE, field="n_times")


def _choose_regions(conn, ez, pz, n_pz: int, rng) -> tuple[list[int], list[int]]:
    """EZ (given, or a connected pair drawn with ``rng``) and PZ candidates (given, or :func:`suggest_pz`)."""
    W = np.asarray(conn.weights, float)
    N = W.shape[0]
    if ez is None:
        strength = W.sum(axis=1)
        pairs = [(a, b) for a in range(N) for b in range(a + 1, N) if (W[a, b] > 0 or W[b, a] > 0) and strength[a] > 0 and strength[b] > 0]
        if not pairs:
            raise InputError("no connected pair of regions to draw an EZ from", source=SOURCE, field="ez")
        a, b = pairs[int(rng.integers(len(pairs)))]
        ez_idx = [a, b]
    else:
        ez_idx = _indices(conn, ez, "ez")
    if not ez_idx:
        raise InputError("give at least one EZ region", source=SOURCE, field="ez")
    if isinstance(pz, str):
        if pz != "auto":
            raise InputError(f"pz must be a list of regions, 'auto' or None; got {pz!r}", source=SOURCE, field="pz")
        pz_idx = _indices(conn, suggest_pz(conn, ez_idx, n_pz), "pz")
    else:
        pz_idx = _indices(conn, pz, "pz")
    both = set(ez_idx) & set(pz_idx)
    if both:
        raise InputError(f"region(s) {[conn.labels[i] for i in sorted(both)]} are both EZ and PZ candidates", source=SOURCE, field="pz")
    return ez_idx, pz_idx


class _Start:
    """The initial state (x, z) of a configuration: given, default (-2, 4), or the network's rest for ``K`` ("rest"), plus jitter."""

    def __init__(self, conn, x0, I1, initial, init_jitter, rng):
        N = conn.n_regions
        self.W, self.x0, self.I1 = np.asarray(conn.weights, float), x0, I1
        self.at_rest = isinstance(initial, str)
        if self.at_rest and initial != "rest":
            raise InputError(f"initial must be an array (2, {N}), 'rest' or None; got {initial!r}", source=SOURCE, field="initial")
        self.jitter = init_jitter * rng.standard_normal((2, N)) if (initial is None or self.at_rest) else 0.0
        if initial is None:
            initial = np.stack([np.full(N, -2.0), np.full(N, 4.0)]) + self.jitter
        if not self.at_rest:
            initial = np.asarray(initial, float)
            if initial.shape != (2, N):
                raise InputError(f"initial state must be (2, {N}), got {initial.shape}", source=SOURCE, field="initial")
        self.initial = initial

    def __call__(self, K):
        if not self.at_rest:
            return self.initial
        from .model import resting_state

        return resting_state(self.W, self.x0, float(K), self.I1) + self.jitter


def _grids(K, tau0) -> tuple[np.ndarray, np.ndarray]:
    Ks = np.atleast_1d(np.asarray(K_GRID if K is None else K, float))
    taus = np.atleast_1d(np.asarray(TAU0_GRID if tau0 is None else tau0, float))
    if np.any(Ks < 0) or np.any(taus <= 0):
        raise InputError("K must be >= 0 and tau0 > 0", source=SOURCE, field="K")
    return Ks, taus


def _search_grid(conn, x0, Ks, taus, start: _Start, sim: dict) -> dict:
    """Simulate every (tau0, K) configuration, and each tau0 with K = 0, in batches.

    One batch in all (at rest: one batch per K, as the initial state depends on
    K; the K = 0 runs start from the same state).  Returns the flattened grid
    ``tau0``, ``K`` and per configuration who seizes (``seize``), on its own
    (``alone``: with K = 0 from the same initial state) and ``diverged``.
    """
    N = conn.n_regions
    grid_t, grid_k = np.meshgrid(taus, Ks, indexing="ij")
    grid_t, grid_k = grid_t.ravel(), grid_k.ravel()
    groups = [np.arange(len(grid_k))] if not start.at_rest else [np.flatnonzero(grid_k == k) for k in np.unique(grid_k)]
    seize = np.zeros((len(grid_k), N), bool)
    diverged = np.zeros(len(grid_k), bool)
    alone_of = np.zeros((len(grid_k), N), bool)
    for idx in groups:
        tt = np.unique(grid_t[idx])
        xs, _, dv = _simulate(conn, x0, np.concatenate([grid_k[idx], np.zeros(len(tt))]), np.concatenate([grid_t[idx], tt]),
                              sim["I1"], sim["dt"], sim["n_steps"], sim["steps"], start(grid_k[idx[0]]), batch=True)
        sz = seizing_regions(xs, sim["threshold"])
        seize[idx], diverged[idx] = sz[:len(idx)], dv[:len(idx)]
        alone_t = {float(t): sz[len(idx) + i] for i, t in enumerate(tt)}
        alone_of[idx] = np.stack([alone_t[float(t)] for t in grid_t[idx]])
    return {"tau0": grid_t, "K": grid_k, "seize": seize, "alone": alone_of, "diverged": diverged}


def _pick(conn, grid: dict, ez_idx, pz_idx) -> tuple[int | None, list[dict]]:
    """The configuration where every EZ region seizes (on its own too) recruiting the most PZ candidates.

    Ties: the fewest recruited non-candidates, then the smallest ``K``.  Returns its index (None if none) and the search log.
    """
    cand = np.zeros(conn.n_regions, bool)
    cand[pz_idx] = True
    search, best, best_key = [], None, None
    for k in range(len(grid["K"])):
        ez_true = grid["alone"][k]
        rec = grid["seize"][k] & ~ez_true
        ok = bool(grid["seize"][k][ez_idx].all() and not grid["diverged"][k] and ez_true[ez_idx].all())
        search.append({"tau0": float(grid["tau0"][k]), "K": float(grid["K"][k]), "ez_seize": ok,
                       "recruited": [conn.labels[i] for i in np.flatnonzero(rec)]})
        if not ok:
            continue
        key = (int((rec & cand).sum()), -int((rec & ~cand).sum()), -float(grid["K"][k]))
        if best_key is None or key > best_key:
            best, best_key = k, key
    return best, search


def _true_labels(conn, x, alone, ez_idx, threshold: float) -> np.ndarray:
    """EZ: seizes on its own and in the recording; PZ: seizes in the recording only; healthy: the rest."""
    seized = seizing_regions(x, threshold)
    ez_true = alone & seized
    labels = np.full(conn.n_regions, "healthy", dtype=object)
    labels[seized & ~ez_true] = "PZ"
    labels[ez_true] = "EZ"
    extra_ez = sorted(set(np.flatnonzero(ez_true)) - set(ez_idx))
    if extra_ez:
        warnings.warn(
            f"{SOURCE}: region(s) {[conn.labels[i] for i in extra_ez]} seize on their own (x0 above the critical value "
            f"about {X0_CRITICAL}) and are labelled EZ", BraintwinWarning, stacklevel=3,
        )
    return labels.astype(str)


def _check_recruitment(conn, labels, ez_idx, pz_idx, Ks, taus, min_pz: int, on_no_pz: str) -> None:
    n_rec = int((labels == "PZ").sum())
    if n_rec >= int(min_pz):
        return
    msg = (
        f"the seizure of {', '.join(conn.labels[i] for i in ez_idx)} recruits {n_rec} region(s) (fewer than min_pz={min_pz}) "
        f"for every tau0 in {list(taus)} and K in [{Ks.min():.3g}, {Ks.max():.3g}]: the difference coupling holds the PZ "
        f"candidates ({', '.join(conn.labels[i] for i in pz_idx) or 'none'}) near their healthy neighbours; choose candidates "
        "that receive most of their input from the EZ (suggest_pz), more candidates, or a higher x0_healthy"
    )
    if on_no_pz == "raise":
        raise InputError(msg, source=SOURCE, field="pz")
    warnings.warn(f"{SOURCE}: {msg}", BraintwinWarning, stacklevel=3)


def synthetic_patient(
    connectome="tvb76",
    ez: Sequence | None = None,
    pz: Sequence | str | None = "auto",
    *,
    n_pz: int = 4,
    contacts="seeg_588",
    n_contacts: int | None = 100,
    x0_ez: float = -1.6,
    x0_pz: float = -2.06,
    x0_healthy: float = -3.5,
    K: float | Sequence[float] | None = None,
    tau0: float | Sequence[float] | None = None,
    I1: float = 3.1,
    dt: float = 0.25,
    n_times: int = 150,
    steps_per_sample: int = 1,
    noise: float = 0.1,
    amplitude: float = 1.0,
    offset: float = 0.0,
    initial: np.ndarray | None = None,
    init_jitter: float = 0.1,
    seizure_threshold: float = -0.5,
    min_pz: int = 1,
    on_no_pz: str = "raise",
    normalize: str | None = "max",
    seed: int = 0,
) -> SyntheticPatient:
    """A ground-truth virtual epileptic patient with a propagating seizure and its SEEG.

    Parameters
    ----------
    connectome : Connectome or str
        Network (``"tvb76"`` by default); weights are normalised by ``normalize``
        and the diagonal zeroed.
    ez : sequence of str or int, optional
        EZ regions (labels or indices); default: two connected regions drawn with ``seed``.
    pz : sequence, "auto" or None
        PZ candidates; ``"auto"``: ``n_pz`` regions from :func:`suggest_pz`.
    n_pz : int
        Number of automatic PZ candidates.
    contacts : str, path, Sensors or array (n, 3)
        SEEG contacts (``"seeg_588"`` from tvb-data by default) or their positions (mm).
    n_contacts : int or None
        Number of contacts kept (:func:`select_contacts`); None keeps all.
    x0_ez, x0_pz, x0_healthy : float
        Excitability of EZ regions, PZ candidates and the rest.
    K, tau0 : float, sequence or None
        Global coupling and slow time scale; a sequence is a grid to search,
        None the default grid (:data:`K_GRID`, :data:`TAU0_GRID`).  The chosen
        pair makes every EZ region seize and recruits the most PZ candidates
        (ties: the fewest recruited non-candidates, then the smallest ``K``).
    I1 : float
        Input current (3.1).
    dt : float
        Heun step (model time units); the inference model uses the same step.
        0.25 keeps Heun stable for every x0 of the prior range [-4, -1] (the
        resting state of x0 = -4 has an eigenvalue about -7.7).
    n_times : int
        Number of observed samples.
    steps_per_sample : int
        Heun steps per observed sample.
    noise : float
        Standard deviation of the measurement noise on the log-power envelope.
    amplitude, offset : float
        Observation amplitude and offset.
    initial : array (2, n_regions), "rest" or None
        Initial state (x, z).  None: ``x = -2, z = 4`` plus ``init_jitter``
        noise; ``"rest"``: the network's resting state for the true ``x0`` and
        ``K`` (:func:`braintwin.vep.model.resting_state`; an unstable focus for
        the EZ) plus ``init_jitter`` noise, i.e. the recording starts from
        interictal rest (fit it with ``VEPPriors(initial="rest")``).
    init_jitter : float
        Standard deviation of the initial-state noise.
    seizure_threshold : float
        A region seizes when its ``x`` crosses this value.
    min_pz : int
        Minimum number of recruited regions.
    on_no_pz : {"raise", "warn"}
        What to do when fewer than ``min_pz`` regions are recruited.
    normalize : str or None
        Weight normalisation (``"max"``: divide by the largest weight).
    seed : int
        Seed of the EZ draw, the initial-state jitter and the noise.

    Returns
    -------
    SyntheticPatient

    Raises
    ------
    InputError
        Bad regions or options; no configuration in which the EZ seizes; fewer
        than ``min_pz`` recruited regions (with ``on_no_pz="raise"``).
    """
    from ...features import vep_observation

    _check_options(on_no_pz, dt, noise, amplitude, n_times)
    rng = np.random.default_rng(seed)
    conn = _as_connectome(connectome, normalize)
    ez_idx, pz_idx = _choose_regions(conn, ez, pz, n_pz, rng)
    x0 = np.full(conn.n_regions, float(x0_healthy))
    x0[pz_idx] = float(x0_pz)
    x0[ez_idx] = float(x0_ez)
    start = _Start(conn, x0, I1, initial, init_jitter, rng)
    Ks, taus = _grids(K, tau0)
    n_steps = int(n_times)
    times = (np.arange(n_steps) + 1) * steps_per_sample * dt
    sim = dict(I1=I1, dt=dt, n_steps=n_steps, steps=steps_per_sample, threshold=seizure_threshold)
    grid = _search_grid(conn, x0, Ks, taus, start, sim)
    best, search = _pick(conn, grid, ez_idx, pz_idx)
    if best is None:
        raise InputError(
            f"no (tau0, K) configuration makes every EZ region ({', '.join(conn.labels[i] for i in ez_idx)}) seize within "
            f"{times[-1]:g} time units (tried tau0 in {list(taus)} and {len(Ks)} values of K); lengthen the window "
            "(n_times, dt) or raise x0_ez",
            source=SOURCE, field="ez",
        )
    tau_b, K_b = float(grid["tau0"][best]), float(grid["K"][best])
    initial = start(K_b)
    x, z, div = _simulate(conn, x0, K_b, tau_b, I1, dt, n_steps, steps_per_sample, initial)
    labels = _true_labels(conn, x, grid["alone"][best], ez_idx, seizure_threshold)
    _check_recruitment(conn, labels, ez_idx, pz_idx, Ks, taus, min_pz, on_no_pz)
    gain, clabels, cpos = patient_gain(conn, contacts, n_contacts)
    clean = vep_observation(x, gain, amplitude, offset)
    obs = clean + noise * rng.standard_normal(clean.shape)
    return SyntheticPatient(
        connectome=conn, gain=gain, contact_labels=clabels, contact_positions=cpos, observation=obs, clean=clean, x=x, z=z,
        times=times, x0=x0, K=K_b, tau0=tau_b, I1=float(I1), amplitude=float(amplitude), offset=float(offset),
        noise=float(noise), initial=initial, dt=float(dt), steps_per_sample=int(steps_per_sample), labels=labels,
        ez_candidates=tuple(ez_idx), pz_candidates=tuple(pz_idx), onsets=_onsets(x, times, seizure_threshold),
        search=search, seed=int(seed),
    )
