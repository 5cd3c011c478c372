"""Generic oscillators: the generic 2D oscillator, the supercritical Hopf normal form and Kuramoto."""

from __future__ import annotations

from .base import Model, Parameter, StateVar

__all__ = ["Generic2dOscillator", "SupHopf", "Kuramoto"]


class Generic2dOscillator(Model):
    r"""Generic two-dimensional oscillator with a cubic and a quadratic nullcline (TVB ``Generic2dOscillator``).

    .. math::
        \dot V &= d\, \tau\, \big(\alpha W - f V^3 + e V^2 + g V + \gamma I + \gamma c_0\big) \\
        \dot W &= \frac{d}{\tau}\, \big(a + b V + c V^2 - \beta W\big)

    ``V`` is a fast (membrane potential-like) variable, ``W`` a slow recovery
    variable; ``c_0`` is the coupling input of ``V``, scaled by ``gamma`` like the
    current ``I`` (TVB's code; its docstring omits the coupling term).  With the
    defaults (``a = -2, b = -10, c = 0``, excitable, FitzHugh-Nagumo-like) a single
    node has one stable fixed point; ``a = 2`` gives a limit cycle.  Other regimes
    are listed in TVB's documentation (e.g. Sanz-Leon et al. 2013: ``a = -0.5``,
    about 10 Hz).  Time is in ms.

    References
    ----------
    FitzHugh R (1961) Impulses and physiological states in theoretical models of
    nerve membrane. Biophys J 1:445.
    Stefanescu RA, Jirsa VK (2008) A low dimensional description of globally
    coupled heterogeneous neural networks of excitatory and inhibitory neurons.
    PLoS Comput Biol 4:e1000219.
    Sanz-Leon P, Knock SA, Woodman MM, et al. (2013) The Virtual Brain: a simulator
    of primate brain network dynamics. Front Neuroinform 7:10.
    """

    state_vars = (
        StateVar("V", "fast variable (membrane potential-like)", (-2.0, 4.0)),
        StateVar("W", "slow recovery variable", (-6.0, 6.0)),
    )
    parameters = (
        Parameter("tau", 1.0, (1.0, 5.0), "1", "time-scale separation of V and W"),
        Parameter("I", 0.0, (-5.0, 5.0), "1", "baseline shift of the cubic nullcline (external current)"),
        Parameter("a", -2.0, (-5.0, 5.0), "1", "vertical shift of the configurable nullcline"),
        Parameter("b", -10.0, (-20.0, 15.0), "1", "linear slope of the configurable nullcline"),
        Parameter("c", 0.0, (-10.0, 10.0), "1", "parabolic term of the configurable nullcline"),
        Parameter("d", 0.02, (0.0001, 1.0), "ms^-1", "temporal scale factor"),
        Parameter("e", 3.0, (-5.0, 5.0), "1", "coefficient of the quadratic term of the cubic nullcline"),
        Parameter("f", 1.0, (-5.0, 5.0), "1", "coefficient of the cubic term of the cubic nullcline"),
        Parameter("g", 0.0, (-5.0, 5.0), "1", "coefficient of the linear term of the cubic nullcline"),
        Parameter("alpha", 1.0, (-5.0, 5.0), "1", "feedback of the slow variable onto the fast one"),
        Parameter("beta", 1.0, (-5.0, 5.0), "1", "self-feedback of the slow variable"),
        Parameter("gamma", 1.0, (-1.0, 1.0), "1", "scale of the current I and of the coupling"),
    )
    coupling_vars = ("V",)
    stimulus_vars = ("V",)
    default_outputs = ("V",)
    default_coupling = "Linear"
    reference = "FitzHugh (1961); Stefanescu & Jirsa (2008); Sanz-Leon et al. (2013); TVB Generic2dOscillator"

    @staticmethod
    def dfun(y, c, p, m):
        V, W = y.V, y.W
        V2 = V * V
        dV = p.d * p.tau * (p.alpha * W - p.f * V2 * V + p.e * V2 + p.g * V + p.gamma * p.I + p.gamma * c[0])
        dW = p.d * (p.a + p.b * V + p.c * V2 - p.beta * W) / p.tau
        return dV, dW


class SupHopf(Model):
    r"""Normal form of a supercritical Hopf bifurcation, Cartesian coordinates (TVB ``SupHopf``).

    .. math::
        \dot x &= (a - x^2 - y^2)\, x - \omega\, y + c_0 \\
        \dot y &= (a - x^2 - y^2)\, y + \omega\, x + c_1

    For ``a < 0`` a node relaxes to the origin with damped oscillations; for
    ``a > 0`` it oscillates on a stable limit cycle of radius ``sqrt(a)`` at
    angular frequency ``omega`` (rad/ms).  ``c_0`` and ``c_1`` are the coupling
    inputs of ``x`` and ``y``.  The default coupling is
    :class:`~braintwin.models.coupling.Difference`, which gives the whole-brain
    model of Deco et al. (2017): ``c = G sum_j w_ij (x_j - x_i)``.

    References
    ----------
    Kuznetsov YA (2013) Elements of Applied Bifurcation Theory. Springer.
    Deco G, Kringelbach ML, Jirsa VK, Ritter P (2017) The dynamics of resting
    fluctuations in the brain: metastability and its dynamical cortical core.
    Sci Rep 7:3095.
    """

    state_vars = (
        StateVar("x", "real part of the oscillation", (-5.0, 5.0)),
        StateVar("y", "imaginary part of the oscillation", (-5.0, 5.0)),
    )
    parameters = (
        Parameter("a", -0.5, (-10.0, 10.0), "ms^-1", "local bifurcation parameter (limit cycle for a > 0)"),
        Parameter("omega", 1.0, (0.05, 630.0), "rad ms^-1", "angular frequency"),
    )
    coupling_vars = ("x", "y")
    stimulus_vars = ("x", "y")
    default_outputs = ("x",)
    default_coupling = "Difference"
    reference = "Kuznetsov (2013); Deco et al. (2017) Sci Rep 7:3095; TVB SupHopf"

    @staticmethod
    def dfun(y, c, p, m):
        x, yy = y.x, y.y
        r2 = p.a - x * x - yy * yy
        dx = r2 * x - p.omega * yy + c[0]
        dy = r2 * yy + p.omega * x + c[1]
        return dx, dy


class Kuramoto(Model):
    r"""Kuramoto phase oscillator (TVB ``Kuramoto``).

    .. math:: \dot\theta_i = \omega_i + c_i, \qquad
              c_i = G \sum_j w_{ij} \sin(\theta_j(t - d_{ij}) - \theta_i(t))

    with the default :class:`~braintwin.models.coupling.Kuramoto` coupling (which,
    like TVB's, does not divide by the number of regions).  ``theta`` is not
    wrapped to ``[0, 2 pi)``.  ``omega`` is in rad/ms (1 rad/ms is about 159 Hz:
    use e.g. ``2 pi 0.04`` for 40 Hz).  The order parameter
    ``|mean_j exp(i theta_j)|`` measures synchrony.

    References
    ----------
    Kuramoto Y (1975) Self-entrainment of a population of coupled non-linear
    oscillators. Lecture Notes in Physics 39:420.
    Cabral J, Hugues E, Sporns O, Deco G (2011) Role of local network
    oscillations in resting-state functional connectivity. NeuroImage 57:130-139.
    """

    state_vars = (StateVar("theta", "phase of the oscillation", (0.0, 6.283185307179586)),)
    parameters = (Parameter("omega", 1.0, (0.01, 200.0), "rad ms^-1", "natural angular frequency"),)
    coupling_vars = ("theta",)
    stimulus_vars = ("theta",)
    default_outputs = ("theta",)
    default_coupling = "Kuramoto"
    reference = "Kuramoto (1975); Cabral et al. (2011) NeuroImage 57:130; TVB Kuramoto"

    @staticmethod
    def dfun(y, c, p, m):
        return (p.omega + c[0],)
