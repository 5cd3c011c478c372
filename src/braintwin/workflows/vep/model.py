r"""The Bayesian VEP model in NumPyro: the VEP2D network seen through SEEG.

Generative model (Hashemi et al. 2020, "The Bayesian Virtual Epileptic Patient")
-------------------------------------------------------------------------------

* **Network.**  :class:`~braintwin.models.VEP2D` at every region,

  .. math::
      \dot x_i = 1 - x_i^3 - 2 x_i^2 - z_i + I_1, \qquad
      \dot z_i = \tfrac{1}{\tau_0}\big(4 (x_i - x_{0,i}) - z_i - K c_i\big),

  coupled by :class:`~braintwin.models.coupling.Difference` coupling
  ``c_i = sum_j w_ij (x_j - x_i)`` (scale ``a = 1``; ``K`` is inferred), no
  delays.  It is an ODE: no latent SDE noise, so the posterior lives in
  ``O(n_regions)`` dimensions, not ``O(n_regions x n_times)``.
* **Integration.**  TVB's Heun scheme (coupling held through predictor and
  corrector, exactly as ``bt.simulate(..., method="heun", delays=False)``),
  ``steps_per_sample`` steps of ``dt`` per observed sample (one by default).
  The equations are *not* restated here: each step calls the model's own
  ``dfun`` (:meth:`~braintwin.models.base.Model.evaluate` with ``jax.numpy``),
  the coupling's ``pre``/``post`` and the shared scheme
  :func:`braintwin.simulate.integrators.step`.
* **Observation.**  The SEEG log-power envelope of contact ``c`` at sample ``t``

  .. math:: \mu_{tc} = a \log \sum_i G_{ci}\, e^{x_{ti}} + b, \qquad
            y_{tc} \sim \mathcal N(\mu_{tc}, \varepsilon^2)

  with a monopolar gain ``gain`` (the forward model of
  :func:`braintwin.features.vep_observation`).  ``observe="linear"`` (:func:`observe_sources`) uses the sensor-level
  observation :math:`\mu_{tc} = a \sum_k M_{ck} \sum_i G_{ki} e^{x_{ti}} + b`
  instead (``M`` a bipolar montage, or the identity), with the offset and noise
  priors in units of the data's standard deviation; ``fit_scale=False`` fixes
  ``a = 1, b = 0``.  The Heun step is at most :func:`max_step` (from ``tau0``
  and the fast rate of ``x``), see :func:`braintwin.vep.fit`.
* **Model-error floor.**  The likelihood's sd is :func:`noise_sd`,
  ``sqrt(f^2 + eps_meas^2)``: a floor ``f`` (``VEPPriors.eps_floor``, by default
  0.1 of the data's sd for sensor-level data) added in quadrature to the
  log-normal measurement noise.  The recorded dynamics carry latent noise the
  ODE cannot follow; fitted as white sensor noise, that residual drives the
  noise to 1 % of the data's sd and the posterior to an ill-conditioned sliver
  in which chains do not mix (``benchmarks/vep_clinical.py``).
* **Priors** (all sampled as standard normals ``*_star``, non-centred):

  - the person-level parameters ``x0`` (per region) and ``K`` through
    ``theta = (u_1 .. u_n, log K) = m + S @ (x0_star, K_star)`` with
    ``x0 = lo + (hi - lo) * sigmoid(u)``: a logit-normal prior bounded to
    ``[lo, hi] = [-4, -1]`` for ``x0``, log-normal for ``K``
    (:class:`PersonPrior`).  By default ``m = (u_loc, .., log K_loc)`` and
    ``S = diag(x0_scale V, K_scale)`` where ``V`` are the eigenvectors of
    ``gain^T gain`` (as the authors' Stan models do); when a twin is updated with a
    new recording, ``(m, S S^T)`` is instead a Gaussian fitted to the current
    posterior (:meth:`PersonPrior.from_draws`);
  - amplitude ``a`` and noise ``eps``: log-normal around their location;
  - offset ``b``: normal;
  - initial state ``x(0), z(0)``: normal per region, also rotated by ``V``.

  The rotation by the orthogonal ``V`` leaves the prior unchanged; it aligns
  the sampled coordinates with the directions the gain observes well or badly.

* **Several recordings** (:func:`vep_model` given a list of problems): ``x0``
  and ``K`` belong to the person and are shared; each recording ``r`` has its
  own initial state, amplitude, offset and noise (sites suffixed ``_r`` for
  ``r >= 1``) and its own likelihood ``obs_r``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import numpy as np

from ...errors import InputError
from ...observe.seeg import seeg_forward
from .equilibrium import interictal_z, interictal_z_inverse, relaxed_x, resting_state
from .forward import SAFE_BOUNDS, make_forward
from .integration import fast_rate, max_step, substeps
from .labels import X0_CRITICAL
from .observation import OBSERVATIONS, check_observe, observe_sources
from .priors import EPS_FLOOR, PersonPrior, VEPPriors

__all__ = [
    "VEPPriors",
    "VEPProblem",
    "PersonPrior",
    "make_forward",
    "simulate_sources",
    "seeg_envelope",
    "observe_sources",
    "OBSERVATIONS",
    "fast_rate",
    "max_step",
    "substeps",
    "vep_model",
    "X0_CRITICAL",
    "SAFE_BOUNDS",
    "eigenbasis",
    "critical_x0",
    "resting_state",
    "unconstrain",
    "constrain",
    "recording_suffix",
    "noise_sd",
]



def critical_x0(I1: float = 3.1) -> float:
    """Exact excitability at which an isolated VEP2D region loses its resting state.

    The resting point disappears (saddle-node) where the ``z`` nullcline
    ``z = 4 (x - x0)`` touches the lower knee of the ``x`` nullcline
    ``z = 1 + I1 - x^3 - 2 x^2`` at ``x = -4/3``:
    ``x0c = -4/3 - (1 + I1 + 64/27 - 32/9) / 4`` (-2.0620 at ``I1 = 3.1``).
    """
    xk = -4.0 / 3.0
    return float(xk - (1.0 + I1 - xk ** 3 - 2.0 * xk ** 2) / 4.0)


def eigenbasis(gain: np.ndarray) -> np.ndarray:
    """Eigenvectors of ``gain^T gain`` (columns, by decreasing eigenvalue): the non-centring basis.

    Signs are fixed (largest entry of each vector positive) so the basis is deterministic.
    """
    gain = np.asarray(gain, float)
    w, V = np.linalg.eigh(gain.T @ gain)
    V = V[:, np.argsort(w)[::-1]]
    s = np.sign(V[np.argmax(np.abs(V), axis=0), np.arange(V.shape[1])])
    return V * np.where(s == 0, 1.0, s)


@dataclass
class VEPProblem:
    """Everything the NumPyro model needs, checked once.

    Attributes
    ----------
    observation : ndarray (n_times, n_contacts)
        The SEEG log-power envelope (sample ``t`` at time ``(t + 1) * steps_per_sample * dt``).
    gain : ndarray (n_contacts, n_regions)
        Monopolar gain, non-negative.
    weights : ndarray (n_regions, n_regions)
        Structural weights ``w_ij`` (target ``i``, source ``j``), as the engines use them.
    dt : float
        Heun step (model time units).
    steps_per_sample : int
        Heun steps per observed sample.
    tau0, I1 : float
        Fixed VEP2D parameters.
    priors : VEPPriors
    labels : tuple of str
        Region labels.
    person_prior : PersonPrior, optional
        Prior of ``x0`` and ``K``; default :meth:`PersonPrior.default` of ``priors``
        (an update passes a Gaussian fitted to the current posterior).
    observe : {"log", "linear"}
        Observation model (:data:`~braintwin.vep.observation.OBSERVATIONS`).
    fit_scale : bool
        Fit amplitude and offset (False: fixed to 1 and 0).
    montage : ndarray (n_observed, n_contacts), optional
        Bipolar montage applied to the gain (``observe="linear"`` only); the
        observation then has ``n_observed`` columns.
    engine : {"auto", "jax", "numba"}
        Who integrates the forward model (:func:`make_forward`): the same steps
        either way; ``"auto"`` takes the numba adjoint where it applies (CPU,
        float64), whose gradients are 2-3x faster.
    """

    observation: np.ndarray
    gain: np.ndarray
    weights: np.ndarray
    dt: float = 0.25
    steps_per_sample: int = 1
    tau0: float = 20.0
    I1: float = 3.1
    priors: VEPPriors = field(default_factory=VEPPriors)
    labels: tuple[str, ...] = ()
    person_prior: PersonPrior | None = None
    observe: str = "log"
    fit_scale: bool = True
    montage: np.ndarray | None = None
    engine: str = "auto"

    def __post_init__(self):
        y = np.asarray(self.observation, float)
        gain = np.asarray(self.gain, float)
        W = np.asarray(self.weights, float)
        src = "VEP problem"
        if self.engine not in ("auto", "jax", "numba"):
            raise InputError(f"engine must be auto, jax or numba; got {self.engine!r}", source=src, field="engine")
        if y.ndim != 2:
            raise InputError(f"observation must be (n_times, n_contacts), got shape {y.shape}", source=src, field="observation")
        n_obs = y.shape[1] if self.montage is None else np.shape(self.montage)[1]
        if gain.ndim != 2 or gain.shape[0] != n_obs:
            raise InputError(f"gain must be (n_contacts={n_obs}, n_regions), got shape {gain.shape}", source=src, field="gain")
        if W.shape != (gain.shape[1], gain.shape[1]):
            raise InputError(f"weights must be ({gain.shape[1]}, {gain.shape[1]}) to match the gain's regions, got {W.shape}", source=src, field="weights")
        if not np.all(np.isfinite(y)):
            raise InputError(f"observation has {int((~np.isfinite(y)).sum())} non-finite values", source=src, field="observation")
        if not np.all(np.isfinite(gain)) or np.any(gain < 0) or np.any(~(gain > 0).any(axis=1)):
            raise InputError("gain must be finite, non-negative, with a positive entry in every row (monopolar)", source=src, field="gain")
        if not np.all(np.isfinite(W)) or np.any(W < 0):
            raise InputError("weights must be finite and non-negative", source=src, field="weights")
        if not (self.dt > 0 and np.isfinite(self.dt)):
            raise InputError(f"dt must be > 0, got {self.dt}", source=src, field="dt")
        if int(self.steps_per_sample) < 1:
            raise InputError(f"steps_per_sample must be >= 1, got {self.steps_per_sample}", source=src, field="steps_per_sample")
        if not self.tau0 > 0:
            raise InputError(f"tau0 must be > 0, got {self.tau0}", source=src, field="tau0")
        self.montage = check_observe(self.observe, self.montage, y, gain)
        self.observation, self.gain, self.weights = y, gain, W
        self.steps_per_sample = int(self.steps_per_sample)
        if not self.labels:
            self.labels = tuple(f"region{i}" for i in range(gain.shape[1]))
        if len(self.labels) != gain.shape[1]:
            raise InputError(f"{len(self.labels)} labels for {gain.shape[1]} regions", source=src, field="labels")
        self.basis = eigenbasis(gain)
        if self.person_prior is None:
            self.person_prior = PersonPrior.default(self.priors, self.basis)
        elif not isinstance(self.person_prior, PersonPrior) or self.person_prior.n_regions != gain.shape[1]:
            raise InputError(f"person_prior must be a PersonPrior over {gain.shape[1]} regions and K", source=src, field="person_prior")

    @property
    def n_times(self) -> int:
        return self.observation.shape[0]

    @property
    def n_contacts(self) -> int:
        return self.observation.shape[1]

    @property
    def n_regions(self) -> int:
        return self.gain.shape[1]

    @property
    def times(self) -> np.ndarray:
        """Time of each observed sample (model time units)."""
        return (np.arange(self.n_times) + 1) * self.steps_per_sample * self.dt

    @property
    def first_steps(self) -> int:
        """Heun steps for the first sample: enough that the relaxation from any initial ``x`` the prior allows stays smooth.

        The fitted initial ``x`` of a region the contacts barely see keeps its
        prior's spread, and the fast rate ``3x^2 + 4x`` grows quickly below
        ``x = -2`` (17.9 at -3.2).  One Heun step that is too coarse for it does
        not fail: it *folds*, i.e. a lower initial ``x`` lands *higher* after
        the step (with the step 0.25 below ``x = -2.58``), which an ODE flow
        never does.  The likelihood then has a fold in every poorly seen
        region's initial state, exactly where those chains wander.  So the
        first sample uses the step :func:`max_step` allows over the prior's
        initial ``x`` +- 4 sd (for the ``"rest"`` initial state, the rest of
        ``x0 = -4``, ``x = -2.4``, minus 4 sd; for ``"slow"``, the lower branch at
        ``z(0)`` 4 sd above its mean); later samples keep ``dt``,
        since the state then lies on the slow manifold.
        """
        pr = self.priors
        if pr.initial == "slow":  # x(0) is on the lower branch: lowest at z(0) 4 sd above its mean
            x_lo = float(relaxed_x(pr.z_init_loc + 4.0 * pr.z_init_scale, self.I1))
        else:
            centre = pr.x_init_loc if pr.initial == "prior" else -2.4
            x_lo = min(centre, -4.0 / 3.0) - 4.0 * pr.x_init_scale
        period = self.dt * self.steps_per_sample
        return max(self.steps_per_sample, substeps(period, self.tau0, self.I1, x_range=(x_lo, 1.0)))

    def forward(self, **kw):
        """The problem's forward model (:func:`make_forward` with its step, samples, :attr:`first_steps` and :data:`SAFE_BOUNDS`)."""
        opts = dict(dt=self.dt, n_samples=self.n_times, steps_per_sample=self.steps_per_sample, first_steps=self.first_steps,
                    safe_bounds=SAFE_BOUNDS, engine=self.engine)
        opts.update(kw)
        return make_forward(self.weights, **opts)

    @property
    def data_unit(self) -> float:
        """Scale of the offset and noise priors: 1 for log observations, the data's standard deviation for linear ones.

        Linear sensor-level data ``G exp(x)`` have no natural unit (the gain is in mm^-2), so
        ``eps_loc`` and ``offset_scale`` of :class:`VEPPriors` are read in units of ``std(y)``.
        """
        if self.observe == "log":
            return 1.0
        sd = float(np.std(self.observation))
        return sd if sd > 0 else 1.0

    @property
    def eps_floor(self) -> float:
        """The noise floor in the observation's own unit: ``priors.eps_floor`` (or :data:`EPS_FLOOR`) times :attr:`data_unit`."""
        f = self.priors.eps_floor
        return float(EPS_FLOOR[self.observe] if f is None else f) * self.data_unit

    def offset_loc(self) -> float:
        """Prior mean of the offset: from the priors, else from the data's first samples (0 for linear data)."""
        if self.priors.offset_loc is not None:
            return float(self.priors.offset_loc)
        if self.observe == "linear":
            return 0.0
        k = max(1, self.n_times // 10)
        x = np.full(self.n_regions, self.priors.x_init_loc)
        base = np.log(np.exp(x) @ self.gain.T)
        return float(np.median(self.observation[:k]) - self.priors.amp_loc * np.median(base))


def seeg_envelope(x, gain, amplitude, offset):
    """JAX version of :func:`braintwin.features.vep_observation`: ``a log(gain e^x) + b``.

    The shared forward model :func:`braintwin.observe.seeg.seeg_forward` with
    ``m = jax.numpy`` (stable log-sum-exp over regions); ``x`` (..., n_times,
    n_regions), ``gain`` (n_contacts, n_regions) non-negative.
    """
    import jax.numpy as jnp

    return seeg_forward(x, gain, amplitude, offset, m=jnp)


def simulate_sources(problem: VEPProblem, params: dict, *, n_samples: int | None = None, unroll: int = 1):
    """Source activity ``x (n_samples, n_regions)`` of a parameter set (NumPy in, NumPy out)."""
    import jax.numpy as jnp

    n = problem.n_times if n_samples is None else int(n_samples)
    fwd = problem.forward(n_samples=n, unroll=unroll)
    init = jnp.stack([jnp.asarray(params["x_init"]), jnp.asarray(params["z_init"])])
    return np.asarray(fwd(jnp.asarray(params["x0"]), params["K"], problem.tau0, problem.I1, init))


# ---------------------------------------------------------------------------
# the NumPyro model


def recording_suffix(r: int) -> str:
    """Suffix of recording ``r``'s sample sites: ``""`` for the first, ``"_r"`` after it."""
    return "" if int(r) == 0 else f"_{int(r)}"


def _as_problems(problem, forward):
    probs = list(problem) if isinstance(problem, (list, tuple)) else [problem]
    if not probs or not all(isinstance(p, VEPProblem) for p in probs):
        raise InputError("expected a VEPProblem or a non-empty list of them", source="vep_model", field="problem")
    n = probs[0].n_regions
    for p in probs[1:]:
        if p.n_regions != n or not np.array_equal(p.weights, probs[0].weights):
            raise InputError("every recording of one person must share the regions and weights", source="vep_model", field="problem")
    if forward is None:
        fwds = [None] * len(probs)
    else:
        fwds = list(forward) if isinstance(forward, (list, tuple)) else [forward]
    if len(fwds) != len(probs):
        raise InputError(f"{len(fwds)} forward models for {len(probs)} recordings", source="vep_model", field="forward")
    fwds = [f if f is not None else p.forward() for p, f in zip(probs, fwds)]
    return probs, fwds


def vep_model(problem, forward=None, observed: bool = True):
    """NumPyro model of the Bayesian VEP (see the module docstring).

    Parameters
    ----------
    problem : VEPProblem or list of VEPProblem
        One recording, or several recordings of one person (same regions and
        weights; the person prior and the priors of ``x0``/``K`` come from the
        first).
    forward : callable or list of callables, optional
        Forward model(s) from :func:`make_forward` (built from the problems if
        omitted; pass them to reuse them across calls).
    observed : bool
        Condition on the observation (False: prior predictive).

    Sample sites: ``x0_star`` (n_regions), ``K_star`` (the person-level
    parameters, shared), and per recording ``r`` (suffix
    :func:`recording_suffix`) ``x_init_star``, ``z_init_star`` (n_regions),
    ``amp_star``, ``offset_star``, ``eps_star``, all standard normal.
    Deterministic sites: ``x0``, ``K``, and per recording ``x_init``,
    ``z_init``, ``amplitude``, ``offset``, ``eps``.
    """
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    probs, fwds = _as_problems(problem, forward)
    first = probs[0]
    n = first.n_regions
    lo, hi = first.priors.x0_bounds
    std = dist.Normal(0.0, 1.0)
    x0_star = numpyro.sample("x0_star", std.expand([n]).to_event(1))
    K_star = numpyro.sample("K_star", std)
    pp = first.person_prior
    theta = jnp.asarray(pp.loc) + jnp.asarray(pp.scale) @ jnp.concatenate([x0_star, jnp.reshape(K_star, (1,))])
    x0 = numpyro.deterministic("x0", lo + (hi - lo) * _sigmoid(theta[:n]))
    K = numpyro.deterministic("K", jnp.exp(theta[n]))
    for r, (prob, fwd) in enumerate(zip(probs, fwds)):
        sfx = recording_suffix(r)
        pr = prob.priors
        V = jnp.asarray(prob.basis)
        # "slow": x(0) is the relaxed fast variable of z(0), not a free site (see VEPPriors.initial)
        xi_star = None if pr.initial == "slow" else numpyro.sample("x_init_star" + sfx, std.expand([n]).to_event(1))
        zi_star = numpyro.sample("z_init_star" + sfx, std.expand([n]).to_event(1))
        amp_star = numpyro.sample("amp_star" + sfx, std)
        off_star = numpyro.sample("offset_star" + sfx, std)
        eps_star = numpyro.sample("eps_star" + sfx, std)
        if pr.initial == "rest":
            rest = resting_state(prob.weights, x0, K, prob.I1, m=jnp)
            x_init = numpyro.deterministic("x_init" + sfx, rest[0] + pr.x_init_scale * (V @ xi_star))
            z_init = numpyro.deterministic("z_init" + sfx, rest[1] + pr.z_init_scale * (V @ zi_star))
        elif pr.initial == "slow":
            z_init = numpyro.deterministic("z_init" + sfx, interictal_z(pr.z_init_loc + pr.z_init_scale * (V @ zi_star), prob.I1, m=jnp))
            x_init = numpyro.deterministic("x_init" + sfx, relaxed_x(z_init, prob.I1, m=jnp))
        else:
            x_init = numpyro.deterministic("x_init" + sfx, pr.x_init_loc + pr.x_init_scale * (V @ xi_star))
            z_init = numpyro.deterministic("z_init" + sfx, pr.z_init_loc + pr.z_init_scale * (V @ zi_star))
        amp = numpyro.deterministic("amplitude" + sfx, pr.amp_loc * jnp.exp(pr.amp_scale * amp_star))
        unit = prob.data_unit
        off = numpyro.deterministic("offset" + sfx, prob.offset_loc() + pr.offset_scale * unit * off_star)
        eps = numpyro.deterministic("eps" + sfx, noise_sd(prob, eps_star, m=jnp))
        x = fwd(x0, K, prob.tau0, prob.I1, jnp.stack([x_init, z_init]))
        mu = observe_sources(x, prob, amp, off, m=jnp)
        numpyro.sample("obs" + sfx, dist.Normal(mu, eps).to_event(2), obs=jnp.asarray(prob.observation) if observed else None)


def constrain(problem: VEPProblem, star: dict, suffix: str = "") -> dict:
    """Physical parameters from the standard-normal sample sites (NumPy; inverse of :func:`unconstrain`).

    ``suffix`` selects a recording's sites of a multi-recording fit (see :func:`recording_suffix`);
    the result's keys are unsuffixed.
    """
    pr = problem.priors
    V = problem.basis
    n = problem.n_regions
    lo, hi = pr.x0_bounds
    pp = problem.person_prior
    theta = pp.loc + pp.scale @ np.concatenate([np.asarray(star["x0_star"], float), [float(star["K_star"])]])
    x0 = lo + (hi - lo) / (1.0 + np.exp(-theta[:n]))
    K = float(np.exp(theta[n]))
    xl, zl = _init_centre(problem, x0, K)
    z_init = zl + pr.z_init_scale * (V @ np.asarray(star["z_init_star" + suffix], float))
    if pr.initial == "slow":
        z_init = interictal_z(z_init, problem.I1)
        x_init = relaxed_x(z_init, problem.I1)
    else:
        x_init = xl + pr.x_init_scale * (V @ np.asarray(star["x_init_star" + suffix], float))
    return {
        "x0": x0,
        "x_init": x_init,
        "z_init": z_init,
        "K": K,
        "amplitude": float(pr.amp_loc * np.exp(pr.amp_scale * float(star["amp_star" + suffix]))),
        "offset": float(problem.offset_loc() + pr.offset_scale * problem.data_unit * float(star["offset_star" + suffix])),
        "eps": float(noise_sd(problem, float(star["eps_star" + suffix]))),
    }


def unconstrain(problem: VEPProblem, values: dict, suffix: str = "") -> dict:
    """The standard-normal sample sites (``*_star``) of physical parameter values.

    Missing values take their prior median (``x0`` and ``K``: the centre of the
    person prior); ``x0`` is clipped just inside its bounds.  ``suffix`` names
    the per-recording sites of recording ``r`` of a multi-recording fit.
    """
    pr = problem.priors
    V = problem.basis
    n = problem.n_regions
    lo, hi = pr.x0_bounds
    span = hi - lo
    pp = problem.person_prior
    u_c = pp.loc[:n]
    x0_c = lo + span / (1.0 + np.exp(-u_c))
    x0 = np.clip(np.broadcast_to(np.asarray(values.get("x0", x0_c), float), (n,)), lo + 1e-6 * span, hi - 1e-6 * span)
    u = np.log((x0 - lo) / (hi - x0))
    K = float(values.get("K", np.exp(pp.loc[n])))
    person = np.linalg.solve(pp.scale, np.concatenate([u, [np.log(K)]]) - pp.loc)
    xl, zl = _init_centre(problem, x0, K)
    xi = np.broadcast_to(np.asarray(values.get("x_init", xl), float), (n,))
    zi = np.broadcast_to(np.asarray(values.get("z_init", zl), float), (n,))
    init = {}
    if pr.initial == "slow":  # invert interictal_z; x(0) follows z(0)
        zi = interictal_z_inverse(zi, problem.I1)
    else:
        init["x_init_star" + suffix] = V.T @ ((xi - xl) / pr.x_init_scale)
    init["z_init_star" + suffix] = V.T @ ((zi - zl) / pr.z_init_scale)
    return {
        "x0_star": person[:n],
        "K_star": float(person[n]),
        **init,
        "amp_star" + suffix: np.log(float(values.get("amplitude", pr.amp_loc)) / pr.amp_loc) / pr.amp_scale,
        "offset_star" + suffix: (float(values.get("offset", problem.offset_loc())) - problem.offset_loc())
        / (pr.offset_scale * problem.data_unit),
        "eps_star" + suffix: _noise_star(problem, values.get("eps")),
    }


def noise_sd(problem: VEPProblem, eps_star, *, m=np):
    r"""The likelihood's standard deviation: measurement noise and a model-error floor, added in quadrature.

    .. math:: \varepsilon = \sqrt{f^2 + (u\, \varepsilon_{loc}\, e^{\varepsilon_{scale} \varepsilon^*})^2}

    with ``f`` = :attr:`VEPProblem.eps_floor` (``priors.eps_floor`` times the data's unit
    ``u``, :attr:`VEPProblem.data_unit`) and ``eps_star`` the standard-normal site.  Independent
    errors add their variances: the sensor noise (log-normal prior) and the part of the data the
    ODE cannot follow (the latent noise of the recorded dynamics), which is not white sensor noise
    and must not be fitted as an arbitrarily small one.  ``f = 0`` gives the plain log-normal noise.

    Example
    -------
    >>> import numpy as np
    >>> from braintwin.vep import VEPPriors, VEPProblem
    >>> pr = VEPProblem(np.ones((2, 1)), [[1.0]], [[0.0]], priors=VEPPriors(eps_loc=0.3, eps_floor=0.4))
    >>> round(float(noise_sd(pr, 0.0)), 6)   # sqrt(0.4^2 + 0.3^2)
    0.5
    """
    pr = problem.priors
    e = pr.eps_loc * problem.data_unit * m.exp(pr.eps_scale * eps_star)
    f = problem.eps_floor
    return m.sqrt(f * f + e * e) if f > 0 else e


def _noise_star(problem: VEPProblem, eps) -> float:
    """Inverse of :func:`noise_sd` (the prior median when ``eps`` is None; just above the floor when ``eps`` is below it)."""
    pr = problem.priors
    loc = pr.eps_loc * problem.data_unit
    if eps is None:
        return 0.0
    e2 = float(eps) ** 2 - problem.eps_floor ** 2
    e = np.sqrt(e2) if e2 > 0 else 1e-3 * loc
    return float(np.log(e / loc) / pr.eps_scale)


def _init_centre(problem: VEPProblem, x0, K):
    """Centre of the initial-state prior: the prior locations, or the resting state of ``x0`` and ``K``."""
    pr = problem.priors
    if pr.initial == "rest":
        rest = resting_state(problem.weights, np.asarray(x0, float), float(K), problem.I1)
        return rest[0], rest[1]
    n = problem.n_regions
    if pr.initial == "slow":
        return np.full(n, float(relaxed_x(interictal_z(pr.z_init_loc, problem.I1), problem.I1))), np.full(n, pr.z_init_loc)
    return np.full(n, pr.x_init_loc), np.full(n, pr.z_init_loc)


def _sigmoid(u):
    """Logistic function (JAX)."""
    import jax

    return jax.nn.sigmoid(u)
