"""Jansen-Rit: the classic neural mass of a cortical column (pyramidal cells and interneurons)."""

from __future__ import annotations

from .base import Model, Parameter, StateVar

__all__ = ["JansenRit"]


class JansenRit(Model):
    r"""Jansen-Rit neural mass model (TVB ``JansenRit``).

    .. math::
        \dot y_0 &= y_3, \qquad \dot y_1 = y_4, \qquad \dot y_2 = y_5 \\
        \dot y_3 &= A a\, S(y_1 - y_2) - 2 a\, y_3 - a^2 y_0 \\
        \dot y_4 &= A a\,\big(\mu + \alpha_2 J\, S(\alpha_1 J\, y_0) + c_0\big) - 2 a\, y_4 - a^2 y_1 \\
        \dot y_5 &= B b\, \alpha_4 J\, S(\alpha_3 J\, y_0) - 2 b\, y_5 - b^2 y_2 \\
        S(v) &= \frac{2 \nu_{max}}{1 + e^{r (v_0 - v)}}

    ``y0`` is the pyramidal cells' output potential, ``y1`` and ``y2`` the
    excitatory and inhibitory postsynaptic potentials on the pyramidal cells;
    ``y1 - y2`` is the pyramidal membrane potential, the EEG-like output.  Time is
    in ms, potentials in mV, rates in ms^-1.  ``c_0`` is the afferent input: use
    :class:`~braintwin.models.coupling.SigmoidalJansenRit` coupling (the default),
    which sums the sigmoid of the sources' ``y1 - y2`` (coupled variables
    ``(y1, y2)``, as TVB's cvar).

    Rhythm: with Jansen & Rit's threshold ``v0 = 6`` mV and ``mu = 0.22`` (220 Hz
    input), with or without input noise on ``y4``, ``y1 - y2`` oscillates in the
    alpha band (about 10.7 Hz).  TVB's default ``v0 = 5.52`` mV (kept here for
    parity) instead puts a single node on a slower, larger cycle of about 7 Hz;
    set ``v0=6.0`` for the classic alpha rhythm.

    TVB notes: ``p_min`` and ``p_max`` are declared by TVB but unused by its
    equations (kept for completeness; ``mu`` is the constant input).  The
    stimulus enters ``y1`` and ``y2`` (TVB's stvar defaults to its cvar).  TVB's
    default monitored variables are ``y0..y3``; the default output here is
    ``y1 - y2``.

    References
    ----------
    Jansen BH, Rit VG (1995) Electroencephalogram and visual evoked potential
    generation in a mathematical model of coupled cortical columns. Biol Cybern
    73:357-366.
    """

    state_vars = (
        StateVar("y0", "pyramidal cells: output postsynaptic potential", (-1.0, 1.0)),
        StateVar("y1", "excitatory postsynaptic potential on pyramidal cells", (-500.0, 500.0)),
        StateVar("y2", "inhibitory postsynaptic potential on pyramidal cells", (-50.0, 50.0)),
        StateVar("y3", "derivative of y0", (-6.0, 6.0)),
        StateVar("y4", "derivative of y1", (-20.0, 20.0)),
        StateVar("y5", "derivative of y2", (-500.0, 500.0)),
    )
    parameters = (
        Parameter("A", 3.25, (2.6, 9.75), "mV", "maximum amplitude of the EPSP (excitatory synaptic gain)"),
        Parameter("B", 22.0, (17.6, 110.0), "mV", "maximum amplitude of the IPSP (inhibitory synaptic gain)"),
        Parameter("a", 0.1, (0.05, 0.15), "ms^-1", "reciprocal of the excitatory time constant"),
        Parameter("b", 0.05, (0.025, 0.075), "ms^-1", "reciprocal of the inhibitory time constant"),
        Parameter("v0", 5.52, (3.12, 6.0), "mV", "firing threshold (sigmoid midpoint)"),
        Parameter("nu_max", 0.0025, (0.00125, 0.00375), "ms^-1", "half the maximum firing rate (e0)"),
        Parameter("r", 0.56, (0.28, 0.84), "mV^-1", "steepness of the sigmoid"),
        Parameter("J", 135.0, (65.0, 1350.0), "1", "average number of synapses between populations"),
        Parameter("a_1", 1.0, (0.5, 1.5), "1", "connectivity: pyramidal -> excitatory interneurons"),
        Parameter("a_2", 0.8, (0.4, 1.2), "1", "connectivity: excitatory interneurons -> pyramidal"),
        Parameter("a_3", 0.25, (0.125, 0.375), "1", "connectivity: pyramidal -> inhibitory interneurons"),
        Parameter("a_4", 0.25, (0.125, 0.375), "1", "connectivity: inhibitory interneurons -> pyramidal"),
        Parameter("p_min", 0.12, (0.0, 0.12), "ms^-1", "minimum input firing rate (declared by TVB, unused)"),
        Parameter("p_max", 0.32, (0.0, 0.32), "ms^-1", "maximum input firing rate (declared by TVB, unused)"),
        Parameter("mu", 0.22, (0.0, 0.22), "ms^-1", "mean input firing rate"),
    )
    coupling_vars = ("y1", "y2")
    stimulus_vars = ("y1", "y2")
    default_outputs = ("y1 - y2",)
    default_coupling = "SigmoidalJansenRit"
    reference = "Jansen & Rit (1995) Biol Cybern 73:357; TVB JansenRit"

    @staticmethod
    def dfun(y, c, p, m):
        y0, y1, y2, y3, y4, y5 = y.y0, y.y1, y.y2, y.y3, y.y4, y.y5
        s_pyr = 2.0 * p.nu_max / (1.0 + m.exp(p.r * (p.v0 - (y1 - y2))))
        s_exc = 2.0 * p.nu_max / (1.0 + m.exp(p.r * (p.v0 - p.a_1 * p.J * y0)))
        s_inh = 2.0 * p.nu_max / (1.0 + m.exp(p.r * (p.v0 - p.a_3 * p.J * y0)))
        dy3 = p.A * p.a * s_pyr - 2.0 * p.a * y3 - p.a * p.a * y0
        dy4 = p.A * p.a * (p.mu + p.a_2 * p.J * s_exc + c[0]) - 2.0 * p.a * y4 - p.a * p.a * y1
        dy5 = p.B * p.b * (p.a_4 * p.J * s_inh) - 2.0 * p.b * y5 - p.b * p.b * y2
        return y3, y4, y5, dy3, dy4, dy5
