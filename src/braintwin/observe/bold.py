r"""fMRI BOLD: the Balloon-Windkessel haemodynamic model.

Neural activity :math:`x(t)` (one signal per region, in the model's own units,
time in seconds) drives a vasodilatory signal :math:`s`, blood inflow :math:`f`,
venous volume :math:`v` and deoxyhaemoglobin content :math:`q` [Friston2000]_,
[Stephan2007]_:

.. math::

    \dot s &= x - s/\tau_s - (f - 1)/\tau_f \\
    \dot f &= s \\
    \tau_o \dot v &= f - v^{1/\alpha} \\
    \tau_o \dot q &= f\,\frac{1 - (1 - E_0)^{1/f}}{E_0} - v^{1/\alpha}\,\frac{q}{v}

and the BOLD signal, in **percent** signal change, is

.. math::

    y = 100\,V_0\,\bigl[k_1 (1 - q) + k_2 (1 - q/v) + k_3 (1 - v)\bigr]
    \quad\text{("nonlinear")}, \qquad
    y = 100\,V_0\,\bigl[(k_1 + k_2)(1 - q) + (k_3 - k_2)(1 - v)\bigr]
    \quad\text{("linear")}.

The equations are integrated with Heun's method at the input's sample period,
each input sample advancing the state by one step from rest
(:math:`s = 0, f = v = q = 1`), exactly as TVB's ``BalloonModel`` analyser does.

Constant sets (:data:`CONSTANTS`):

``"tvb"`` (default)
    TVB's ``tvb.analyzers.fmri_balloon.BalloonModel`` defaults (1.5 T):
    :math:`\tau_s = 1.54` s, :math:`\tau_f = 1.44` s, :math:`\tau_o = 0.98` s,
    :math:`\alpha = 0.32`, :math:`E_0 = 0.4`, :math:`V_0 = 4\%`, TE = 0.04 s,
    :math:`\epsilon = 0.5`, :math:`\nu_0 = 40.3` Hz, :math:`r_0 = 25` Hz and the
    revised coefficients of [Stephan2007]_ eq. 12:
    :math:`k_1 = 4.3 \nu_0 E_0 TE`, :math:`k_2 = \epsilon r_0 E_0 TE`,
    :math:`k_3 = 1 - \epsilon`.  A 0.1 s pulse gives a peak about 3 s after its
    onset and an undershoot at about 7.5 s.
``"friston2003"``
    [Friston2003]_ (DCM): :math:`\kappa = 1/\tau_s = 0.65`,
    :math:`\gamma = 1/\tau_f = 0.41`, :math:`\tau_o = 0.98` s,
    :math:`\alpha = 0.32`, :math:`\rho = E_0 = 0.34`, :math:`V_0 = 2\%` and the
    classic coefficients :math:`k_1 = 7\rho`, :math:`k_2 = 2`,
    :math:`k_3 = 2\rho - 0.2`.

Any constant may be overridden by keyword (``balloon_bold(x, 1.0, tau_s=0.8)``).
The coefficient rule ``coefficients`` is ``"revised"``, ``"classic"`` (Obata
2004 / Stephan 2007 eq. 3) or ``"tvb_classic"`` (what TVB computes when
``RBM=False``: :math:`k_1 = 7E_0`, :math:`k_2 = 2E_0`, :math:`k_3 = 1-\epsilon`);
``equation`` is ``"nonlinear"`` or ``"linear"``.

References
----------
.. [Friston2000] Friston KJ, Mechelli A, Turner R, Price CJ (2000) Nonlinear
   responses in fMRI: the Balloon model, Volterra kernels, and other
   hemodynamics. NeuroImage 12: 466-477.
.. [Friston2003] Friston KJ, Harrison L, Penny W (2003) Dynamic causal
   modelling. NeuroImage 19: 1273-1302.
.. [Stephan2007] Stephan KE, Weiskopf N, Drysdale PM, Robinson PA, Friston KJ
   (2007) Comparing hemodynamic models with DCM. NeuroImage 38: 387-401.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Mapping

import numba
import numpy as np

from ..errors import BraintwinWarning, InputError
from ..simulate.monitors import Monitor, TimeSeries
from ._common import output_index as _output_index

__all__ = [
    "BalloonConstants",
    "CONSTANTS",
    "balloon_constants",
    "balloon_bold",
    "balloon_steady_state",
    "hrf_convolution",
    "hrf_kernel",
    "Bold",
]


@dataclass(frozen=True)
class BalloonConstants:
    """Constants of the Balloon-Windkessel model (times in s, rates in Hz).

    Attributes
    ----------
    tau_s : rate constant of signal decay, 1/kappa (s)
    tau_f : time constant of flow-dependent feedback, 1/gamma (s)
    tau_o : haemodynamic transit time (s)
    alpha : Grubb's exponent (vessel stiffness)
    E0 : resting oxygen extraction fraction (rho)
    V0 : resting venous blood volume fraction (0.04 = 4 %)
    TE : echo time (s), revised coefficients only
    epsilon : ratio of intra- to extravascular signal, revised coefficients only
    nu_0 : frequency offset at the outer surface of magnetised vessels (Hz)
    r_0 : slope of the intravascular relaxation rate (Hz)
    coefficients : "revised", "classic" or "tvb_classic"
    equation : "nonlinear" or "linear"
    name : the set's name
    """

    tau_s: float
    tau_f: float
    tau_o: float
    alpha: float
    E0: float
    V0: float
    TE: float = 0.04
    epsilon: float = 0.5
    nu_0: float = 40.3
    r_0: float = 25.0
    coefficients: str = "revised"
    equation: str = "nonlinear"
    name: str = ""

    @property
    def k(self) -> tuple[float, float, float]:
        """The BOLD coefficients (k1, k2, k3)."""
        if self.coefficients == "revised":
            return (4.3 * self.nu_0 * self.E0 * self.TE, self.epsilon * self.r_0 * self.E0 * self.TE, 1.0 - self.epsilon)
        if self.coefficients == "classic":
            return (7.0 * self.E0, 2.0, 2.0 * self.E0 - 0.2)
        if self.coefficients == "tvb_classic":
            return (7.0 * self.E0, 2.0 * self.E0, 1.0 - self.epsilon)
        raise InputError(f"unknown coefficients {self.coefficients!r}; use revised, classic or tvb_classic", field="coefficients")

    def replace(self, **changes) -> "BalloonConstants":
        """A copy with some constants changed (unknown names raise :class:`InputError`)."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise InputError(f"unknown balloon constant(s) {sorted(unknown)}; valid: {', '.join(sorted(names - {'name'}))}", field="constants")
        c = dataclasses.replace(self, **changes)
        c._check()
        return c

    def _check(self) -> None:
        for n in ("tau_s", "tau_f", "tau_o", "alpha", "V0"):
            v = getattr(self, n)
            if not (np.isfinite(v) and v > 0):
                raise InputError(f"{n} must be finite and > 0, got {v}", field="constants")
        if not 0 < self.E0 < 1:
            raise InputError(f"E0 must lie in (0, 1), got {self.E0}", field="constants")
        if self.equation not in ("nonlinear", "linear"):
            raise InputError(f"unknown BOLD equation {self.equation!r}; use nonlinear or linear", field="equation")
        self.k  # validates coefficients


#: Named constant sets; see the module documentation.
CONSTANTS: dict[str, BalloonConstants] = {
    "tvb": BalloonConstants(
        tau_s=1.54, tau_f=1.44, tau_o=0.98, alpha=0.32, E0=0.4, V0=0.04,
        TE=0.04, epsilon=0.5, nu_0=40.3, r_0=25.0, coefficients="revised", equation="nonlinear", name="tvb",
    ),
    "friston2003": BalloonConstants(
        tau_s=1.0 / 0.65, tau_f=1.0 / 0.41, tau_o=0.98, alpha=0.32, E0=0.34, V0=0.02,
        coefficients="classic", equation="nonlinear", name="friston2003",
    ),
}


def balloon_constants(constants: str | BalloonConstants | Mapping = "tvb", **overrides) -> BalloonConstants:
    """Resolve a constant set by name (or instance, or mapping of overrides on ``"tvb"``) plus overrides."""
    if isinstance(constants, BalloonConstants):
        c = constants
    elif isinstance(constants, Mapping):
        c = CONSTANTS["tvb"]
        overrides = {**dict(constants), **overrides}
    else:
        key = str(constants).strip().lower()
        if key not in CONSTANTS:
            raise InputError(f"unknown balloon constant set {constants!r}; choose one of {', '.join(CONSTANTS)}", field="constants")
        c = CONSTANTS[key]
    c = c.replace(**overrides) if overrides else c
    c._check()
    return c


def _params(c: BalloonConstants, dt_s: float) -> np.ndarray:
    k1, k2, k3 = c.k
    return np.array([
        dt_s, 1.0 / c.tau_s, 1.0 / c.tau_f, 1.0 / c.tau_o, 1.0 / c.alpha, math.log(1.0 - c.E0), 1.0 / c.E0,
        100.0 * c.V0, k1, k2, k3, 1.0 if c.equation == "linear" else 0.0,
    ])


@numba.njit(cache=True, nogil=True, fastmath={"nsz", "arcp", "contract", "afn", "reassoc"})
def _balloon_kernel(x, st, p, every, phase, out, n_out):
    """Integrate rows of ``x`` (n, N) from state ``st`` (4, N), updated in place.

    Every ``every``-th consumed row (counting ``phase`` rows consumed before
    this call) writes the BOLD signal into ``out[n_out + j]``.  Returns the
    new phase; the number of rows written is ``(phase + n) // every``.  Time
    is the outer loop so that the regions' independent updates overlap in the
    CPU pipeline (no NaN/inf-assuming fast-math flags: non-finite values propagate).
    """
    n, N = x.shape
    dt = p[0]
    iks = p[1]
    ikf = p[2]
    ito = p[3]
    ia = p[4]
    lnE = p[5]
    iE0 = p[6]
    v0 = p[7]
    k1 = p[8]
    k2 = p[9]
    k3 = p[10]
    lin = p[11] != 0.0
    hdt = 0.5 * dt
    S = st[0].copy()
    F = st[1].copy()
    V = st[2].copy()
    Q = st[3].copy()
    ph = phase
    j = n_out
    for t in range(n):
        for r in range(N):
            s = S[r]
            f = F[r]
            v = V[r]
            q = Q[r]
            xi = x[t, r]
            # predictor (Euler)
            va = math.exp(ia * math.log(v))
            ds1 = xi - iks * s - ikf * (f - 1.0)
            df1 = s
            dv1 = ito * (f - va)
            dq1 = ito * (f * (1.0 - math.exp(lnE / f)) * iE0 - va * q / v)
            s2 = s + dt * ds1
            f2 = f + dt * df1
            v2 = v + dt * dv1
            q2 = q + dt * dq1
            # corrector (trapezoid)
            va2 = math.exp(ia * math.log(v2))
            ds2 = xi - iks * s2 - ikf * (f2 - 1.0)
            df2 = s2
            dv2 = ito * (f2 - va2)
            dq2 = ito * (f2 * (1.0 - math.exp(lnE / f2)) * iE0 - va2 * q2 / v2)
            S[r] = s + (ds1 + ds2) * hdt
            F[r] = f + (df1 + df2) * hdt
            V[r] = v + (dv1 + dv2) * hdt
            Q[r] = q + (dq1 + dq2) * hdt
        ph += 1
        if ph == every:
            ph = 0
            for r in range(N):
                q = Q[r]
                v = V[r]
                if lin:
                    out[j, r] = v0 * ((k1 + k2) * (1.0 - q) + (k3 - k2) * (1.0 - v))
                else:
                    out[j, r] = v0 * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))
            j += 1
    st[0] = S
    st[1] = F
    st[2] = V
    st[3] = Q
    return ph


def balloon_steady_state(x0, constants: str | BalloonConstants = "tvb", **overrides) -> np.ndarray:
    """The balloon state ``(4, ...)`` = (s, f, v, q) at rest under a constant input ``x0``.

    ``s = 0``, ``f = 1 + tau_f x0``, ``v = f^alpha``, ``q = v (1 - (1 - E0)^(1/f)) / E0``;
    exists only for ``x0 > -1/tau_f``.
    """
    c = balloon_constants(constants, **overrides)
    x0 = np.asarray(x0, float)
    f = 1.0 + c.tau_f * x0
    if np.any(~(f > 0)):
        raise InputError(f"no haemodynamic steady state for inputs <= -1/tau_f = {-1.0 / c.tau_f:g}", field="initial")
    v = f ** c.alpha
    q = v * (1.0 - (1.0 - c.E0) ** (1.0 / f)) / c.E0
    return np.stack([np.zeros_like(f), f, v, q])


def _bold_of_state(st: np.ndarray, c: BalloonConstants) -> np.ndarray:
    k1, k2, k3 = c.k
    v, q = st[2], st[3]
    if c.equation == "linear":
        return 100.0 * c.V0 * ((k1 + k2) * (1.0 - q) + (k3 - k2) * (1.0 - v))
    return 100.0 * c.V0 * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))


def _every(tr, dt_ms, source) -> int:
    if tr is None:
        return 1
    tr = float(tr)
    if not tr > 0:
        raise InputError(f"tr must be > 0 ms, got {tr}", source=source, field="tr")
    n = int(round(tr / dt_ms))
    if n < 1 or abs(n * dt_ms - tr) > 1e-6 * max(1.0, tr):
        raise InputError(f"tr {tr} ms is not a whole number of sample periods of {dt_ms} ms", source=source, field="tr")
    return n


def balloon_bold(
    x,
    dt_ms: float,
    constants: str | BalloonConstants = "tvb",
    *,
    tr: float | None = None,
    initial: str | np.ndarray = "rest",
    return_state: bool = False,
    **overrides,
):
    """BOLD signal (percent signal change) of neural activity, offline.

    Parameters
    ----------
    x : array_like, shape (..., T, n_regions)
        Neural activity sampled every ``dt_ms`` ms (leading axes are a batch).
    dt_ms : float
        Sample period of ``x`` in ms; also the integration step.
    constants : str or BalloonConstants
        ``"tvb"`` (default) or ``"friston2003"``, or an instance.
    tr : float, optional
        Return only every ``tr`` ms (a multiple of ``dt_ms``): samples at
        ``tr, 2 tr, ...``; by default every input sample.
    initial : {"rest", "steady"} or array (4, ..., n_regions)
        Initial balloon state: at rest (TVB), in the steady state of the first
        input sample (then a constant input gives an exactly constant BOLD), or
        an explicit state (s, f, v, q).
    return_state : bool
        Also return the final state ``(4, ..., n_regions)``.
    **overrides
        Individual constants (``tau_s=0.8``, ``equation="linear"``, ...).

    Returns
    -------
    ndarray, shape (..., T', n_regions)
        ``y[k]`` is the BOLD signal after the input samples ``0..k`` (of those
        at multiples of ``tr`` when given).  With the input starting at rest
        (``x[0] = 0``) this equals TVB's ``BalloonModel`` output sample by sample.
    """
    c = balloon_constants(constants, **overrides)
    x = np.asarray(x, dtype=float)
    if x.ndim < 2:
        raise InputError(f"x must have shape (..., T, n_regions), got {x.shape}", field="x")
    dt_ms = float(dt_ms)
    if not dt_ms > 0:
        raise InputError(f"dt_ms must be > 0, got {dt_ms}", field="dt_ms")
    every = _every(tr, dt_ms, "balloon_bold")
    lead, (T, N) = x.shape[:-2], x.shape[-2:]
    B = int(np.prod(lead)) if lead else 1
    xb = x.reshape(B, T, N)
    x0 = x[..., 0, :] if T else np.zeros(lead + (N,))
    st = _initial_state(initial, c, x0, lead + (N,)).reshape(4, B, N)
    p = _params(c, dt_ms / 1000.0)
    m = T // every
    out = np.empty((B, m, N))
    for b in range(B):
        sb = np.ascontiguousarray(st[:, b])
        _balloon_kernel(np.ascontiguousarray(xb[b]), sb, p, every, 0, out[b], 0)
        st[:, b] = sb
    y = out.reshape(lead + (m, N))
    if return_state:
        return y, st.reshape((4,) + lead + (N,))
    return y


def _initial_state(initial, c: BalloonConstants, x0: np.ndarray, shape) -> np.ndarray:
    if isinstance(initial, str):
        key = initial.lower()
        if key == "rest":
            st = np.ones((4,) + tuple(shape))
            st[0] = 0.0
            return st
        if key == "steady":
            return np.ascontiguousarray(balloon_steady_state(x0, c).reshape((4,) + tuple(shape)))
        raise InputError(f"initial must be 'rest', 'steady' or a state array, got {initial!r}", field="initial")
    a = np.asarray(initial, float)
    if a.ndim == 1 and a.shape[0] == 4:  # one (s, f, v, q) for every region
        a = a.reshape((4,) + (1,) * len(shape))
    try:
        st = np.array(np.broadcast_to(a, (4,) + tuple(shape)), dtype=float)
    except ValueError:
        raise InputError(f"initial state must be (s, f, v, q) or broadcast to (4, {', '.join(map(str, shape))}), got shape {a.shape}", field="initial") from None
    if not (np.all(np.isfinite(st)) and np.all(st[2] > 0) and np.all(st[1] > 0)):
        raise InputError("initial balloon state must be finite with f > 0 and v > 0", field="initial")
    return st


# -- haemodynamic kernels (TVB's Bold monitor) ----------------------------------

def hrf_kernel(t_s, kernel: str = "volterra", **params) -> np.ndarray:
    """TVB's haemodynamic response kernels evaluated at times ``t_s`` (s).

    ``"volterra"`` (``tvb.datatypes.equations.FirstOrderVolterra``):
    ``1/3 exp(-t / (2 tau_s)) sin(w t) / w`` with ``w = sqrt(1/tau_f - 1/(4 tau_s^2))``,
    ``tau_s = 0.8``, ``tau_f = 0.4`` (also ``k_1 = 5.6``, ``V_0 = 0.02`` used to scale).

    ``"gamma"`` (``equations.Gamma``, Boynton 1996): ``(t/tau)^(n-1) exp(-t/tau) / (tau (n-1)!)``
    with ``tau = 1.08``, ``n = 3``, normalised to a peak of ``a = 0.1``.
    """
    t = np.asarray(t_s, float)
    key = kernel.lower()
    if key == "volterra":
        p = {"tau_s": 0.8, "tau_f": 0.4, "k_1": 5.6, "V_0": 0.02, **params}
        w = math.sqrt(1.0 / p["tau_f"] - 1.0 / (4.0 * p["tau_s"] ** 2))
        return 1.0 / 3.0 * np.exp(-0.5 * (t / p["tau_s"])) * np.sin(w * t) / w
    if key == "gamma":
        p = {"tau": 1.08, "n": 3.0, "a": 0.1, **params}
        n = int(p["n"])
        g = (t / p["tau"]) ** (n - 1) * np.exp(-(t / p["tau"])) / (p["tau"] * math.factorial(n - 1))
        return g / g.max() * p["a"]
    raise InputError(f"unknown HRF kernel {kernel!r}; use volterra or gamma", field="kernel")


def hrf_convolution(x, dt_ms: float, kernel: str = "volterra", *, length_ms: float = 20000.0, **params) -> np.ndarray:
    """BOLD by convolution with a fixed haemodynamic kernel, as TVB's ``Bold`` monitor.

    TVB averages the neural signal over 4 ms, sums ``G[j] x[n - j]`` over a
    20 s kernel (a plain sum: no ``dt`` factor), and for the Volterra kernel
    returns ``(sum - 1) k_1 V_0``.  This function does the same on a signal
    sampled every ``dt_ms``, scaling the sum by ``dt_ms / 4`` so that the
    result does not depend on the sampling (and equals TVB's definition at
    ``dt_ms = 4``).  Unlike TVB, the newest sample is weighted by ``G[0]``
    (TVB's ring-buffer indexing delays the kernel by one 4 ms sample).

    Parameters
    ----------
    x : array_like, shape (..., T, n_regions)
    dt_ms : float
        Sample period (ms).
    kernel : {"volterra", "gamma"}
    length_ms : float
        Kernel duration (TVB: 20 s).

    Returns
    -------
    ndarray, shape (..., T, n_regions), aligned with ``x`` (zero before the start).
    """
    from scipy.signal import fftconvolve

    x = np.asarray(x, float)
    if x.ndim < 2:
        raise InputError(f"x must have shape (..., T, n_regions), got {x.shape}", field="x")
    if not dt_ms > 0 or not length_ms > 0:
        raise InputError("dt_ms and length_ms must be > 0", field="dt_ms")
    L = max(1, int(math.ceil(length_ms / dt_ms)))
    G = hrf_kernel(np.arange(L) * dt_ms / 1000.0, kernel, **params) * (dt_ms / 4.0)
    T = x.shape[-2]
    shape = [1] * x.ndim
    shape[-2] = L
    y = fftconvolve(x, G.reshape(shape), axes=-2)[..., :T, :]
    if kernel.lower() == "volterra":
        p = {"k_1": 5.6, "V_0": 0.02, **params}
        y = (y - 1.0) * p["k_1"] * p["V_0"]
    return y


# -- the streaming monitor --------------------------------------------------------

class Bold(Monitor):
    """BOLD monitor: Balloon-Windkessel model integrated while the simulation runs.

    The engine hands over the temporal average of one model output every
    ``period`` ms; the balloon equations advance one Heun step per average and
    the BOLD signal (percent signal change) is sampled every ``tr`` ms.  Only
    the 4 balloon states per region are kept, never the neural rows.

    Parameters
    ----------
    tr : float
        Repetition time in ms (a multiple of ``period``); samples at ``tr, 2 tr, ...``.
    constants : str or BalloonConstants
        ``"tvb"`` (default) or ``"friston2003"``.
    output : str, optional
        The model output driving the haemodynamics (default: the first one);
        an expression such as ``"x2 - x1"`` must be among ``simulate(outputs=...)``.
    period : float
        Neural averaging period and balloon integration step, in ms.
    initial : {"rest", "steady"}
        Start at rest (TVB) or in the steady state of the first neural average.
    **overrides
        Individual constants (``tau_s=...``, ``equation="linear"``).

    Examples
    --------
    >>> res = bt.simulate(conn, model, duration=60_000, dt=0.1, monitors=[Bold(tr=720.0)])
    >>> res["bold"].data.shape    # (83, 1, 76)
    """

    average = True
    name = "bold"

    def __init__(self, tr: float = 720.0, constants: str | BalloonConstants = "tvb", output: str | None = None,
                 period: float = 1.0, *, initial: str = "rest", **overrides):
        super().__init__(period)
        self.constants = balloon_constants(constants, **overrides)
        self.tr = float(tr)
        self._every = _every(self.tr, float(period), "Bold")
        self.output = output
        if not (isinstance(initial, str) and initial.lower() in ("rest", "steady")):
            raise InputError(f"initial must be 'rest' or 'steady', got {initial!r}", source="Bold", field="initial")
        self.initial = initial.lower()

    def __repr__(self) -> str:
        return f"Bold(tr={self.tr:g}, constants={self.constants.name or 'custom'!r}, output={self.output!r}, period={self.period:g})"

    def begin(self, n_rows, n_outputs, n_regions, dt, outputs, labels) -> None:
        self._steps = self.period_steps(dt)
        self._dt = dt
        self._k = _output_index(self.output, outputs, type(self).__name__)
        self._out_name = tuple(outputs)[self._k]
        self._labels = tuple(labels)
        self._p = _params(self.constants, self.period / 1000.0)
        self._state = None
        self._phase = 0
        self._n = 0
        self._rows = n_rows
        self._data = np.empty((n_rows // self._every + 1, n_regions))

    def push(self, rows) -> None:
        x = np.ascontiguousarray(rows[:, self._k, :], dtype=float)
        if self._state is None:
            self._state = _initial_state(self.initial, self.constants, x[0], (x.shape[1],))
        m = (self._phase + len(x)) // self._every
        if self._n + m > len(self._data):  # more rows than announced: grow
            self._data = np.concatenate([self._data, np.empty((self._n + m - len(self._data), self._data.shape[1]))])
        self._phase = _balloon_kernel(x, self._state, self._p, self._every, self._phase, self._data, self._n)
        self._n += m

    def full_times(self) -> np.ndarray:
        """Times (ms) of every BOLD sample of a run that reaches its end: one per TR."""
        return np.arange(1, self._rows // self._every + 1) * self.tr

    def result(self) -> TimeSeries:
        data = self._data[: self._n, None, :].copy()
        if not np.all(np.isfinite(data)):
            warnings.warn("the BOLD signal became non-finite (neural input too large or negative for the balloon model?)", BraintwinWarning, stacklevel=2)
        t = np.arange(1, self._n + 1) * self.tr
        return TimeSeries(t, data, ("bold",), self._labels, self.name)

