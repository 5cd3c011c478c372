"""The Epileptor family: the 6D Epileptor, its 2D reduction and the VEP's 2D Epileptor."""

from __future__ import annotations

from typing import ClassVar

from .base import Model, Parameter, StateVar

__all__ = ["Epileptor", "Epileptor2D", "VEP2D"]


class Epileptor(Model):
    r"""The Epileptor: a six-dimensional phenomenological model of seizures (TVB ``Epileptor``).

    .. math::
        \dot x_1 &= t_t\,\big(y_1 - z + I_{ext} + K_{vf}\, c_0 - f_1(x_1, x_2, z)\, \big) \\
        \dot y_1 &= t_t\,\big(c - d\, x_1^2 - y_1\big) \\
        \dot z   &= t_t\, r\,\big(h(x_1, z) - z + K_s\, c_0\big) \\
        \dot x_2 &= t_t\,\big(-y_2 + x_2 - x_2^3 + I_{ext2} + b_b\, g - 0.3 (z - 3.5) + K_f\, c_1\big) \\
        \dot y_2 &= t_t\,\big(-y_2 + f_2(x_2)\big) / \tau \\
        \dot g   &= t_t\,\big(-0.01 (g - 0.1\, x_1)\big)

    with

    .. math::
        f_1 &= \begin{cases} a x_1^3 - b x_1^2 & x_1 < 0 \\
               -(\mathrm{slope} - x_2 + 0.6 (z - 4)^2)\, x_1 & x_1 \ge 0 \end{cases} \\
        f_2 &= \begin{cases} 0 & x_2 < -0.25 \\ a_a (x_2 + 0.25) & x_2 \ge -0.25 \end{cases} \\
        h &= \begin{cases} x_0 + 3 / (1 + e^{-(x_1 + 0.5)/0.1}) & \text{modification} \\
              s\,(x_1 - x_0) - 0.1\, z^7\, [z < 0] & \text{otherwise} \end{cases}

    ``c_0`` and ``c_1`` are the coupling inputs of ``x1`` and ``x2`` (TVB's cvar
    ``(x1, x2)``): ``c_0`` enters the slow permittivity variable ``z`` through
    ``Ks`` and ``x1`` through ``Kvf``; ``c_1`` enters ``x2`` through ``Kf``.  With
    :class:`~braintwin.models.coupling.Difference` coupling,
    ``c_0 = G sum_j w_ij (x1_j - x1_i)`` and a negative ``Ks`` gives the
    permittivity coupling of Proix et al. (2014).  ``x2 - x1`` is the
    LFP-like output; ``z`` tracks the slow seizure cycle.

    TVB details reproduced: the ``-0.1 z^7`` term exists only in the linear (not
    ``modification``) branch of ``h``; ``modification`` (TVB's boolean array) is
    a number here, true when > 0.5; the stimulus enters ``x1`` and ``x2`` (TVB's
    stvar defaults to its cvar).  One deliberate difference: TVB declares ``s = 4``
    but hardcodes ``4`` in its equations; here ``s`` is used (identical at its
    default).  Time is in ms (``r = 0.00035 ms^-1``; ``tt`` rescales the whole
    system).  The default coupling is ``Difference`` (TVB's Epileptor demos use
    it; TVB's simulator default is ``Linear(a=1/256)``): with ``Ks = 0`` (the
    default) regions are uncoupled in ``z``.

    References
    ----------
    Jirsa VK, Stacey WC, Quilichini PP, Ivanov AI, Bernard C (2014) On the nature
    of seizure dynamics. Brain 137:2210-2230.
    Proix T, Bartolomei F, Chauvel P, Bernard C, Jirsa VK (2014) Permittivity
    coupling across brain regions determines seizure recruitment in partial
    epilepsy. J Neurosci 34:15009-15021.
    """

    state_vars = (
        StateVar("x1", "fast population 1: membrane potential-like variable", (-2.0, 1.0)),
        StateVar("y1", "fast population 1: recovery variable", (-20.0, 2.0)),
        StateVar("z", "slow permittivity variable (seizure onset and offset)", (2.0, 5.0)),
        StateVar("x2", "population 2 (spike-wave events): fast variable", (-2.0, 0.0)),
        StateVar("y2", "population 2: recovery variable", (0.0, 2.0)),
        StateVar("g", "low-pass filter of x1 feeding population 2", (-1.0, 1.0)),
    )
    parameters = (
        Parameter("a", 1.0, (0.0, 5.0), "1", "coefficient of the cubic term of x1"),
        Parameter("b", 3.0, (0.0, 10.0), "1", "coefficient of the squared term of x1"),
        Parameter("c", 1.0, (-5.0, 5.0), "1", "additive coefficient of y1 (y0 in Jirsa 2014)"),
        Parameter("d", 5.0, (0.0, 10.0), "1", "coefficient of the squared term in y1"),
        Parameter("r", 0.00035, (0.0, 0.001), "ms^-1", "time scale of the slow variable z (1/tau0)"),
        Parameter("s", 4.0, (0.0, 10.0), "1", "linear coefficient of x1 in z (TVB hardcodes 4)"),
        Parameter("x0", -1.6, (-3.0, -1.0), "1", "epileptogenicity (excitability); seizures above about -2.05"),
        Parameter("Iext", 3.1, (1.5, 5.0), "1", "external input current to population 1"),
        Parameter("slope", 0.0, (-16.0, 6.0), "1", "linear coefficient in the x1 >= 0 branch"),
        Parameter("Iext2", 0.45, (0.0, 1.0), "1", "external input current to population 2"),
        Parameter("tau", 10.0, (1.0, 100.0), "1", "time scale of y2 relative to x2"),
        Parameter("aa", 6.0, (0.0, 20.0), "1", "linear coefficient of f2 in y2"),
        Parameter("bb", 2.0, (0.0, 10.0), "1", "weight of the filtered x1 (g) in x2"),
        Parameter("Kvf", 0.0, (0.0, 4.0), "1", "coupling into x1 (very fast time scale)"),
        Parameter("Kf", 0.0, (0.0, 4.0), "1", "coupling into x2 (fast time scale)"),
        Parameter("Ks", 0.0, (-4.0, 4.0), "1", "permittivity coupling into z (slow time scale)"),
        Parameter("tt", 1.0, (0.001, 10.0), "1", "time scaling of the whole system"),
        Parameter("modification", 0.0, (0.0, 1.0), "1", "1: sigmoidal influence of x1 on z (Proix 2014); 0: linear"),
    )
    coupling_vars = ("x1", "x2")
    stimulus_vars = ("x1", "x2")
    default_outputs = ("x2 - x1", "z")
    default_coupling = "Difference"
    reference = "Jirsa et al. (2014) Brain 137:2210; Proix et al. (2014) J Neurosci 34:15009; TVB Epileptor"
    seizure_variable = "x1"
    silence = {"x0": -5.0}  # far below the critical x0 (about -2.05): never seizes

    @staticmethod
    def dfun(y, c, p, m):
        x1, y1, z, x2, y2, g = y.x1, y.y1, y.z, y.x2, y.y2, y.g
        # population 1
        f_neg = -p.a * x1 * x1 + p.b * x1
        f_pos = p.slope - x2 + 0.6 * (z - 4.0) * (z - 4.0)
        dx1 = p.tt * (y1 - z + p.Iext + p.Kvf * c[0] + m.where(x1 < 0.0, f_neg, f_pos) * x1)
        dy1 = p.tt * (p.c - p.d * x1 * x1 - y1)
        # energy (slow permittivity)
        z7 = z * z * z * z * z * z * z
        h_lin = p.s * (x1 - p.x0) + m.where(z < 0.0, -0.1 * z7, 0.0)
        h_mod = p.x0 + 3.0 / (1.0 + m.exp(-(x1 + 0.5) / 0.1))
        h = m.where(p.modification > 0.5, h_mod, h_lin)
        dz = p.tt * (p.r * (h - z + p.Ks * c[0]))
        # population 2
        dx2 = p.tt * (-y2 + x2 - x2 * x2 * x2 + p.Iext2 + p.bb * g - 0.3 * (z - 3.5) + p.Kf * c[1])
        dy2 = p.tt * ((-y2 + m.where(x2 < -0.25, 0.0, p.aa * (x2 + 0.25))) / p.tau)
        # filter
        dg = p.tt * (-0.01 * (g - 0.1 * x1))
        return dx1, dy1, dz, dx2, dy2, dg


class Epileptor2D(Model):
    r"""Two-dimensional reduction of the Epileptor (TVB ``Epileptor2D``).

    .. math::
        \dot x_1 &= t_t\,\big(c - z + I_{ext} + K_{vf}\, c_0 - f(x_1, z)\, x_1\big) \\
        \dot z   &= t_t\, r\,\big(h(x_1, z) - z + K_s\, c_0\big)

    with

    .. math::
        f &= \begin{cases} a x_1^2 + (d - b)\, x_1 & x_1 < 0 \\
             -\mathrm{slope} - 0.6 (z - 4)^2 + d\, x_1 & x_1 \ge 0 \end{cases} \\
        h &= \begin{cases} x_0 + 3 / (1 + e^{-(x_1 + 0.5)/0.1}) & \text{modification} \\
              4 (x_1 - x_0) - 0.1\, z^7\, [z < 0] & \text{otherwise} \end{cases}

    With the defaults (``a=1, b=3, c=1, d=5``) the ``x1 < 0`` branch is
    ``dx1 = 1 - x1^3 - 2 x1^2 - z + Iext``: the fast subsystem of the Epileptor
    with ``y1`` adiabatically eliminated (Proix et al. 2014, 2017).  ``c_0`` is the
    coupling input of ``x1``; with :class:`~braintwin.models.coupling.Difference`
    coupling a negative ``Ks`` gives the permittivity coupling of Proix et al.
    Time is in ms (``r = 0.00035 ms^-1``).

    TVB quirks reproduced: the ``-0.1 z^7`` term only in the linear branch of
    ``h``; ``modification`` is a number (true when > 0.5).

    References
    ----------
    Proix T, Bartolomei F, Chauvel P, Bernard C, Jirsa VK (2014) J Neurosci 34:15009-15021.
    Proix T, Bartolomei F, Guye M, Jirsa VK (2017) Individual brain structure and
    modelling predict seizure propagation. Brain 140:641-654.
    """

    state_vars = (
        StateVar("x1", "fast variable (population activity)", (-2.0, 1.0)),
        StateVar("z", "slow permittivity variable", (2.0, 5.0)),
    )
    parameters = (
        Parameter("a", 1.0, (0.0, 5.0), "1", "coefficient of the cubic term of x1"),
        Parameter("b", 3.0, (0.0, 10.0), "1", "coefficient of the squared term of x1"),
        Parameter("c", 1.0, (-5.0, 5.0), "1", "additive coefficient (y0 in Jirsa 2014)"),
        Parameter("d", 5.0, (0.0, 10.0), "1", "coefficient of the squared term of the eliminated y1"),
        Parameter("r", 0.00035, (0.0, 0.001), "ms^-1", "time scale of the slow variable z (1/tau0)"),
        Parameter("x0", -1.6, (-3.0, -1.0), "1", "epileptogenicity (excitability)"),
        Parameter("Iext", 3.1, (1.5, 5.0), "1", "external input current"),
        Parameter("slope", 0.0, (-16.0, 6.0), "1", "linear coefficient in the x1 >= 0 branch"),
        Parameter("Kvf", 0.0, (0.0, 4.0), "1", "coupling into x1 (very fast time scale)"),
        Parameter("Ks", 0.0, (-4.0, 4.0), "1", "permittivity coupling into z (slow time scale)"),
        Parameter("tt", 1.0, (0.001, 1.0), "1", "time scaling of the whole system"),
        Parameter("modification", 0.0, (0.0, 1.0), "1", "1: sigmoidal influence of x1 on z; 0: linear"),
    )
    coupling_vars = ("x1",)
    stimulus_vars = ("x1",)
    default_outputs = ("x1",)
    default_coupling = "Difference"
    reference = "Proix et al. (2014) J Neurosci 34:15009; Proix et al. (2017) Brain 140:641; TVB Epileptor2D"
    seizure_variable = "x1"
    silence = {"x0": -5.0}

    @staticmethod
    def dfun(y, c, p, m):
        x1, z = y.x1, y.z
        f_neg = p.a * x1 * x1 + (p.d - p.b) * x1
        f_pos = -p.slope - 0.6 * (z - 4.0) * (z - 4.0) + p.d * x1
        dx1 = p.tt * (p.c - z + p.Iext + p.Kvf * c[0] - m.where(x1 < 0.0, f_neg, f_pos) * x1)
        z7 = z * z * z * z * z * z * z
        h_lin = 4.0 * (x1 - p.x0) + m.where(z < 0.0, -0.1 * z7, 0.0)
        h_mod = p.x0 + 3.0 / (1.0 + m.exp(-(x1 + 0.5) / 0.1))
        h = m.where(p.modification > 0.5, h_mod, h_lin)
        dz = p.tt * (p.r * (h - z + p.Ks * c[0]))
        return dx1, dz


class VEP2D(Model):
    r"""The 2D Epileptor of the Virtual Epileptic Patient's Bayesian inference (not in TVB).

    .. math::
        \dot x_i &= 1 - x_i^3 - 2 x_i^2 - z_i + I_1 \\
        \dot z_i &= \frac{1}{\tau_0}\Big(4 (x_i - x_{0,i}) - z_i - K\, c_i\Big),
        \qquad c_i = \sum_j w_{ij}\,(x_j(t - d_{ij}) - x_i(t))

    This is the polynomial form used in the Stan models of the Bayesian VEP
    (Hashemi et al. 2020; Jha et al. 2022): the ``x < 0`` branch of the Epileptor's
    fast subsystem everywhere, and a linear slow variable without the ``z^7``
    term.  ``x0`` is each region's excitability (the quantity inferred: regions
    with ``x0`` above about ``-2.05`` seize on their own).

    Coupling: the model multiplies the coupling input by its own global coupling
    ``K`` (the parameter inferred in the VEP), so the input must be the plain
    difference sum ``c_i = sum_j w_ij (x_j - x_i)``: use
    :class:`~braintwin.models.coupling.Difference` coupling with ``a = G = 1``
    (the default coupling is ``"Difference"``; ``default_coupling_params``
    records ``a = 1``).  Keep ``G = 1`` and vary ``K``.  The original VEP has no
    delays: simulate with ``delays=False`` to reproduce it.

    Units: the VEP equations are dimensionless in time.  Here one time unit is
    one engine millisecond, so ``tau0 = 10`` means the slow variable is ten times
    slower than the fast one, and a seizure cycle lasts a few hundred "ms" (time
    units).  Rescale ``tau0`` (and the integration step) to map onto physical
    time.  No state bounds.

    References
    ----------
    Jirsa VK, Proix T, Perdikis D, et al. (2017) The Virtual Epileptic Patient:
    individualized whole-brain models of epilepsy spread. NeuroImage 145:377-388.
    Hashemi M, Vattikonda AN, Sip V, et al. (2020) The Bayesian Virtual Epileptic
    Patient. NeuroImage 217:116839.
    Jha J, Hashemi M, Vattikonda AN, Wang H, Jirsa V (2022) Fully Bayesian
    estimation of virtual brain parameters with self-tuning Hamiltonian Monte
    Carlo. Mach Learn Sci Technol 3:035016.
    """

    state_vars = (
        StateVar("x", "fast variable (population activity, seizure when high)", (-2.0, 1.0)),
        StateVar("z", "slow permittivity variable", (2.0, 5.0)),
    )
    parameters = (
        Parameter("I1", 3.1, (0.0, 6.0), "1", "external input current of the fast variable"),
        Parameter("tau0", 10.0, (1.0, 100.0), "time unit (ms)", "time scale of the slow variable"),
        Parameter("K", 1.0, (0.0, 10.0), "1", "global coupling strength (multiplies the difference coupling)"),
        Parameter("x0", -2.5, (-5.0, 0.0), "1", "excitability (epileptogenicity) of the region"),
    )
    coupling_vars = ("x",)
    stimulus_vars = ("x",)
    default_outputs = ("x",)
    default_coupling = "Difference"
    default_coupling_params: ClassVar[dict] = {"a": 1.0}
    reference = "Jirsa et al. (2017) NeuroImage 145:377; Hashemi et al. (2020) NeuroImage 217:116839 (Bayesian VEP)"
    seizure_variable = "x"
    rest_state = {"x": -2.0, "z": 4.0}  # interictal rest, left of the fold of the resting branch
    silence = {"x0": -5.0}
    #: model time units: a seizure cycle lasts a few hundred units; heun at dt 0.1 as the Bayesian VEP
    prediction_defaults = {"delays": False, "dt": 0.1, "duration": 600.0, "method": "heun"}

    @staticmethod
    def dfun(y, c, p, m):
        x, z = y.x, y.z
        dx = 1.0 - x * x * x - 2.0 * x * x - z + p.I1
        dz = (4.0 * (x - p.x0) - z - p.K * c[0]) / p.tau0
        return dx, dz
