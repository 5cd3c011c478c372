"""Wilson-Cowan: coupled excitatory and inhibitory firing-rate populations."""

from __future__ import annotations

from .base import Model, Parameter, StateVar

__all__ = ["WilsonCowan"]


class WilsonCowan(Model):
    r"""Wilson-Cowan excitatory-inhibitory population model (TVB ``WilsonCowan``).

    .. math::
        x_e &= \alpha_e\,(c_{ee} E - c_{ei} I + P - \theta_e + c_0) \\
        x_i &= \alpha_i\,(c_{ie} E - c_{ii} I + Q - \theta_i) \\
        S_k(x) &= c_k \Big(\frac{1}{1 + e^{-a_k (x - b_k)}} - \sigma_k\Big),
        \quad \sigma_k = \frac{1}{1 + e^{a_k b_k}} \text{ if shift\_sigmoid else } 0 \\
        \tau_e \dot E &= -E + (k_e - r_e E)\, S_e(x_e) \\
        \tau_i \dot I &= -I + (k_i - r_i I)\, S_i(x_i)

    ``E`` and ``I`` are the fractions of active excitatory and inhibitory cells;
    time is in ms.  ``c_0`` is the coupling input of ``E``: TVB couples both ``E``
    and ``I`` (cvar ``(E, I)``) but its equations use only the first, so ``c_1``
    is unused here too.  ``shift_sigmoid`` (TVB's boolean, here a number, true
    when > 0.5) shifts the sigmoids so that ``S(0) = 0`` and ``E = I = 0`` is a
    rest state without input.  Default parameters follow Wilson & Cowan (1972),
    figure 4.

    References
    ----------
    Wilson HR, Cowan JD (1972) Excitatory and inhibitory interactions in localized
    populations of model neurons. Biophys J 12:1-24.
    Daffertshofer A, van Wijk B (2011) On the influence of amplitude on the
    connectivity between phases. Front Neuroinform 5:6.
    """

    state_vars = (
        StateVar("E", "fraction of active excitatory cells", (0.0, 1.0)),
        StateVar("I", "fraction of active inhibitory cells", (0.0, 1.0)),
    )
    parameters = (
        Parameter("c_ee", 12.0, (11.0, 16.0), "1", "excitatory to excitatory coupling"),
        Parameter("c_ei", 4.0, (2.0, 15.0), "1", "inhibitory to excitatory coupling"),
        Parameter("c_ie", 13.0, (2.0, 22.0), "1", "excitatory to inhibitory coupling"),
        Parameter("c_ii", 11.0, (2.0, 15.0), "1", "inhibitory to inhibitory coupling"),
        Parameter("tau_e", 10.0, (0.0, 150.0), "ms", "excitatory membrane time constant"),
        Parameter("tau_i", 10.0, (0.0, 150.0), "ms", "inhibitory membrane time constant"),
        Parameter("a_e", 1.2, (0.0, 1.4), "1", "slope of the excitatory response function"),
        Parameter("b_e", 2.8, (1.4, 6.0), "1", "position of the maximum slope of the excitatory sigmoid"),
        Parameter("c_e", 1.0, (1.0, 20.0), "1", "amplitude of the excitatory response function"),
        Parameter("theta_e", 0.0, (0.0, 60.0), "1", "excitatory threshold"),
        Parameter("a_i", 1.0, (0.0, 2.0), "1", "slope of the inhibitory response function"),
        Parameter("b_i", 4.0, (2.0, 6.0), "1", "position of the maximum slope of the inhibitory sigmoid"),
        Parameter("theta_i", 0.0, (0.0, 60.0), "1", "inhibitory threshold"),
        Parameter("c_i", 1.0, (1.0, 20.0), "1", "amplitude of the inhibitory response function"),
        Parameter("r_e", 1.0, (0.5, 2.0), "ms", "excitatory refractory period"),
        Parameter("r_i", 1.0, (0.5, 2.0), "ms", "inhibitory refractory period"),
        Parameter("k_e", 1.0, (0.5, 2.0), "1", "maximum of the excitatory response function"),
        Parameter("k_i", 1.0, (0.0, 2.0), "1", "maximum of the inhibitory response function"),
        Parameter("P", 0.0, (0.0, 20.0), "1", "external input to the excitatory population"),
        Parameter("Q", 0.0, (0.0, 20.0), "1", "external input to the inhibitory population"),
        Parameter("alpha_e", 1.0, (0.0, 20.0), "1", "gain of the excitatory input"),
        Parameter("alpha_i", 1.0, (0.0, 20.0), "1", "gain of the inhibitory input"),
        Parameter("shift_sigmoid", 1.0, (0.0, 1.0), "1", "1: shift the sigmoids so that S(0) = 0; 0: plain logistic"),
    )
    coupling_vars = ("E", "I")
    stimulus_vars = ("E", "I")
    default_outputs = ("E",)
    default_coupling = "Linear"
    reference = "Wilson & Cowan (1972) Biophys J 12:1; TVB WilsonCowan"

    @staticmethod
    def dfun(y, c, p, m):
        E, I = y.E, y.I
        x_e = p.alpha_e * (p.c_ee * E - p.c_ei * I + p.P - p.theta_e + c[0])
        x_i = p.alpha_i * (p.c_ie * E - p.c_ii * I + p.Q - p.theta_i)
        shift = p.shift_sigmoid > 0.5
        off_e = m.where(shift, 1.0 / (1.0 + m.exp(p.a_e * p.b_e)), 0.0)
        off_i = m.where(shift, 1.0 / (1.0 + m.exp(p.a_i * p.b_i)), 0.0)
        s_e = p.c_e * (1.0 / (1.0 + m.exp(-p.a_e * (x_e - p.b_e))) - off_e)
        s_i = p.c_i * (1.0 / (1.0 + m.exp(-p.a_i * (x_i - p.b_i))) - off_i)
        dE = (-E + (p.k_e - p.r_e * E) * s_e) / p.tau_e
        dI = (-I + (p.k_i - p.r_i * I) * s_i) / p.tau_i
        return dE, dI
