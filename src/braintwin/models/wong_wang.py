"""Reduced Wong-Wang with excitatory and inhibitory populations (Deco et al. 2014)."""

from __future__ import annotations

from .base import Model, Parameter, StateVar

__all__ = ["ReducedWongWangExcInh"]


class ReducedWongWangExcInh(Model):
    r"""Reduced Wong-Wang model with an excitatory and an inhibitory pool (TVB ``ReducedWongWangExcInh``).

    .. math::
        x_e &= w_p J_N S_e - J_i S_i + W_e I_o + G J_N c_0 + I_{ext} \\
        H_e &= \frac{a_e x_e - b_e}{1 - \exp(-d_e (a_e x_e - b_e))} \\
        \dot S_e &= -\frac{S_e}{\tau_e} + (1 - S_e)\, \gamma_e H_e \\
        x_i &= J_N S_e - S_i + W_i I_o + \lambda G J_N c_0 \\
        H_i &= \frac{a_i x_i - b_i}{1 - \exp(-d_i (a_i x_i - b_i))} \\
        \dot S_i &= -\frac{S_i}{\tau_i} + \gamma_i H_i

    ``S_e`` and ``S_i`` are the NMDA and GABA synaptic gating variables, kept in
    ``[0, 1]`` (TVB's state variable boundaries).  ``H`` is the population firing
    rate (Hz); time is in ms (``gamma`` are per ms: ``0.641/1000``).  ``c_0`` is
    the coupling of ``S_e``; the model multiplies it by its own ``G J_N``, as TVB
    does, so the coupling function's scale (``Linear`` ``a``) multiplies with
    ``G``: keep one of them at 1 (e.g. ``Linear(a=1)`` and vary ``G``).

    TVB quirk reproduced: ``H`` is ``0/0`` where its argument is exactly 0 (a
    removable singularity that TVB does not guard either; never hit in practice).

    References
    ----------
    Wong KF, Wang XJ (2006) A recurrent network mechanism of time integration in
    perceptual decisions. J Neurosci 26:1314-1328.
    Deco G, Ponce-Alvarez A, Hagmann P, Romani GL, Mantini D, Corbetta M (2014) How
    local excitation-inhibition ratio impacts the whole brain dynamics. J Neurosci
    34:7886-7898.
    """

    state_vars = (
        StateVar("S_e", "excitatory (NMDA) synaptic gating", (0.0, 1.0), (0.0, 1.0)),
        StateVar("S_i", "inhibitory (GABA) synaptic gating", (0.0, 1.0), (0.0, 1.0)),
    )
    parameters = (
        Parameter("a_e", 310.0, (0.0, 500.0), "nC^-1", "excitatory input gain"),
        Parameter("b_e", 125.0, (0.0, 200.0), "Hz", "excitatory input shift"),
        Parameter("d_e", 0.160, (0.0, 0.2), "s", "excitatory input scaling (curvature of H_e)"),
        Parameter("gamma_e", 0.641 / 1000.0, (0.0, 1.0 / 1000.0), "ms^-1 Hz^-1", "excitatory kinetic parameter"),
        Parameter("tau_e", 100.0, (50.0, 150.0), "ms", "excitatory (NMDA) decay time constant"),
        Parameter("w_p", 1.4, (0.0, 2.0), "1", "excitatory recurrence weight"),
        Parameter("J_N", 0.15, (0.001, 0.5), "nA", "NMDA synaptic coupling"),
        Parameter("W_e", 1.0, (0.0, 2.0), "1", "excitatory external input scaling"),
        Parameter("a_i", 615.0, (0.0, 1000.0), "nC^-1", "inhibitory input gain"),
        Parameter("b_i", 177.0, (0.0, 200.0), "Hz", "inhibitory input shift"),
        Parameter("d_i", 0.087, (0.0, 0.2), "s", "inhibitory input scaling (curvature of H_i)"),
        Parameter("gamma_i", 1.0 / 1000.0, (0.0, 2.0 / 1000.0), "ms^-1 Hz^-1", "inhibitory kinetic parameter"),
        Parameter("tau_i", 10.0, (5.0, 100.0), "ms", "inhibitory (GABA) decay time constant"),
        Parameter("J_i", 1.0, (0.001, 2.0), "nA", "local inhibitory (feedback) coupling"),
        Parameter("W_i", 0.7, (0.0, 1.0), "1", "inhibitory external input scaling"),
        Parameter("I_o", 0.382, (0.0, 1.0), "nA", "effective external input"),
        Parameter("I_ext", 0.0, (0.0, 1.0), "nA", "external stimulus current to the excitatory pool"),
        Parameter("G", 2.0, (0.0, 10.0), "1", "global coupling scaling (inside the model)"),
        Parameter("lamda", 0.0, (0.0, 1.0), "1", "fraction of the global coupling onto the inhibitory pool"),
    )
    coupling_vars = ("S_e",)
    stimulus_vars = ("S_e",)
    default_outputs = ("S_e", "S_i")
    default_coupling = "Linear"
    reference = "Wong & Wang (2006) J Neurosci 26:1314; Deco et al. (2014) J Neurosci 34:7886; TVB ReducedWongWangExcInh"

    @staticmethod
    def dfun(y, c, p, m):
        S_e, S_i = y.S_e, y.S_i
        cc = p.G * p.J_N * c[0]
        jn_se = p.J_N * S_e
        x_e = p.a_e * (p.w_p * jn_se - p.J_i * S_i + p.W_e * p.I_o + cc + p.I_ext) - p.b_e
        H_e = x_e / (1.0 - m.exp(-p.d_e * x_e))
        dS_e = -(S_e / p.tau_e) + (1.0 - S_e) * H_e * p.gamma_e
        x_i = p.a_i * (jn_se - S_i + p.W_i * p.I_o + p.lamda * cc) - p.b_i
        H_i = x_i / (1.0 - m.exp(-p.d_i * x_i))
        dS_i = -(S_i / p.tau_i) + H_i * p.gamma_i
        return dS_e, dS_i
