"""Larter-Breakspear: a conductance-based neural mass with pyramidal cells and inhibitory interneurons."""

from __future__ import annotations

from .base import Model, Parameter, StateVar

__all__ = ["LarterBreakspear"]


class LarterBreakspear(Model):
    r"""Larter-Breakspear model: a modified Morris-Lecar population (TVB ``LarterBreakspear``).

    .. math::
        m_{ion} &= \tfrac12\big(1 + \tanh((V - T_{ion}) / \delta_{ion})\big), \quad ion \in \{Ca, Na, K\} \\
        Q_V &= \tfrac12 Q_{V,max} \big(1 + \tanh((V - V_T)/\delta_V)\big), \quad
        Q_Z = \tfrac12 Q_{Z,max} \big(1 + \tanh((Z - Z_T)/\delta_Z)\big) \\
        \dot V &= t_s\Big[-\big(g_{Ca} + (1 - C)\, r_{NMDA} a_{ee} Q_V + C\, r_{NMDA} a_{ee}\, c_0\big)\, m_{Ca} (V - V_{Ca}) \\
               &\qquad - g_K W (V - V_K) - g_L (V - V_L)
                 - \big(g_{Na} m_{Na} + (1 - C)\, a_{ee} Q_V + C\, a_{ee}\, c_0\big)(V - V_{Na}) \\
               &\qquad - a_{ie} Z Q_Z + a_{ne} I_{ext}\Big] \\
        \dot W &= t_s\, \phi\, (m_K - W) / \tau_K \\
        \dot Z &= t_s\, b\, (a_{ni} I_{ext} + a_{ei} V Q_V)

    ``V`` is the mean membrane potential of pyramidal cells, ``W`` the fraction of
    open potassium channels and ``Z`` the mean membrane potential of inhibitory
    interneurons; all are dimensionless.  ``c_0`` is the mean firing rate of the
    afferent regions, ``<Q_V>``: the default coupling is
    :class:`~braintwin.models.coupling.HyperbolicTangent`, which with
    ``a = 0.5 QV_max``, ``midpoint = VT`` and ``sigma = d_V`` gives exactly
    ``sum_j w_ij Q_V(V_j)`` (normalise the weights, e.g. by row sums, for a mean).
    ``C`` balances local against long-range excitation.

    TVB note: TVB's documented time scale is ms; ``t_scale`` rescales everything.

    References
    ----------
    Larter R, Speelman B, Worth RM (1999) A coupled ordinary differential
    equation lattice model for the simulation of epileptic seizures. Chaos
    9:795-804.
    Breakspear M, Terry JR, Friston KJ (2003) Modulation of excitatory synaptic
    coupling facilitates synchronization and complex dynamics in a biophysical
    model of neuronal dynamics. Network 14:703-732.
    Honey CJ, Kotter R, Breakspear M, Sporns O (2007) Network structure of
    cerebral cortex shapes functional connectivity on multiple time scales. PNAS
    104:10240-10245.
    """

    state_vars = (
        StateVar("V", "mean membrane potential of pyramidal cells", (-1.5, 1.5)),
        StateVar("W", "fraction of open potassium channels", (-1.5, 1.5)),
        StateVar("Z", "mean membrane potential of inhibitory interneurons", (-1.5, 1.5)),
    )
    parameters = (
        Parameter("gCa", 1.1, (0.9, 1.5), "1", "conductance of the Ca++ channels"),
        Parameter("gK", 2.0, (1.95, 2.05), "1", "conductance of the K+ channels"),
        Parameter("gL", 0.5, (0.45, 0.55), "1", "conductance of the leak channels"),
        Parameter("phi", 0.7, (0.3, 0.9), "1", "temperature scaling factor"),
        Parameter("gNa", 6.7, (0.0, 10.0), "1", "conductance of the Na+ channels"),
        Parameter("TK", 0.0, (0.0, 0.0001), "1", "threshold of the K+ channels"),
        Parameter("TCa", -0.01, (-0.02, -0.01), "1", "threshold of the Ca++ channels"),
        Parameter("TNa", 0.3, (0.25, 0.3), "1", "threshold of the Na+ channels"),
        Parameter("VCa", 1.0, (0.9, 1.1), "1", "Ca++ Nernst potential"),
        Parameter("VK", -0.7, (-0.8, 1.0), "1", "K+ Nernst potential"),
        Parameter("VL", -0.5, (-0.7, -0.4), "1", "leak Nernst potential"),
        Parameter("VNa", 0.53, (0.51, 0.55), "1", "Na+ Nernst potential"),
        Parameter("d_K", 0.3, (0.1, 0.4), "1", "spread of the K+ channel thresholds"),
        Parameter("tau_K", 1.0, (1.0, 10.0), "ms", "K+ relaxation time constant"),
        Parameter("d_Na", 0.15, (0.1, 0.2), "1", "spread of the Na+ channel thresholds"),
        Parameter("d_Ca", 0.15, (0.1, 0.2), "1", "spread of the Ca++ channel thresholds"),
        Parameter("aei", 2.0, (0.1, 2.0), "1", "excitatory to inhibitory synaptic strength"),
        Parameter("aie", 2.0, (0.5, 2.0), "1", "inhibitory to excitatory synaptic strength"),
        Parameter("b", 0.1, (0.0001, 1.0), "1", "time constant scaling of the inhibitory population"),
        Parameter("C", 0.1, (0.0, 1.0), "1", "weight of long-range against local excitation"),
        Parameter("ane", 1.0, (0.4, 1.0), "1", "non-specific to excitatory synaptic strength"),
        Parameter("ani", 0.4, (0.3, 0.5), "1", "non-specific to inhibitory synaptic strength"),
        Parameter("aee", 0.4, (0.0, 0.6), "1", "excitatory to excitatory synaptic strength"),
        Parameter("Iext", 0.3, (0.165, 0.3), "1", "subcortical (non-specific) input"),
        Parameter("rNMDA", 0.25, (0.2, 0.3), "1", "ratio of NMDA to AMPA receptors"),
        Parameter("VT", 0.0, (0.0, 0.7), "1", "mean threshold of excitatory cells"),
        Parameter("d_V", 0.65, (0.49, 0.7), "1", "spread of excitatory thresholds (fixed point < 0.55 < cycles < 0.59 < chaos)"),
        Parameter("ZT", 0.0, (0.0, 0.1), "1", "mean threshold of inhibitory cells"),
        Parameter("d_Z", 0.7, (0.001, 0.75), "1", "spread of inhibitory thresholds"),
        Parameter("QV_max", 1.0, (0.1, 1.0), "kHz", "maximal firing rate of excitatory cells"),
        Parameter("QZ_max", 1.0, (0.1, 1.0), "kHz", "maximal firing rate of inhibitory cells"),
        Parameter("t_scale", 1.0, (0.1, 1.0), "1", "time scale factor"),
    )
    coupling_vars = ("V",)
    stimulus_vars = ("V",)
    default_outputs = ("V",)
    default_coupling = "HyperbolicTangent"
    reference = "Larter et al. (1999) Chaos 9:795; Breakspear et al. (2003) Network 14:703; TVB LarterBreakspear"

    @staticmethod
    def dfun(y, c, p, m):
        V, W, Z = y.V, y.W, y.Z
        m_Ca = 0.5 * (1.0 + m.tanh((V - p.TCa) / p.d_Ca))
        m_Na = 0.5 * (1.0 + m.tanh((V - p.TNa) / p.d_Na))
        m_K = 0.5 * (1.0 + m.tanh((V - p.TK) / p.d_K))
        QV = 0.5 * p.QV_max * (1.0 + m.tanh((V - p.VT) / p.d_V))
        QZ = 0.5 * p.QZ_max * (1.0 + m.tanh((Z - p.ZT) / p.d_Z))
        dV = p.t_scale * (
            -(p.gCa + (1.0 - p.C) * (p.rNMDA * p.aee) * QV + p.C * p.rNMDA * p.aee * c[0]) * m_Ca * (V - p.VCa)
            - p.gK * W * (V - p.VK)
            - p.gL * (V - p.VL)
            - (p.gNa * m_Na + (1.0 - p.C) * p.aee * QV + p.C * p.aee * c[0]) * (V - p.VNa)
            - p.aie * Z * QZ
            + p.ane * p.Iext
        )
        dW = p.t_scale * p.phi * (m_K - W) / p.tau_K
        dZ = p.t_scale * p.b * (p.ani * p.Iext + p.aei * V * QV)
        return dV, dW, dZ
