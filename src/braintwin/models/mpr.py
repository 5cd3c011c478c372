"""Montbrio-Pazo-Roxin: the exact mean field of quadratic integrate-and-fire neurons."""

from __future__ import annotations

from .base import Model, Parameter, StateVar

__all__ = ["MontbrioPazoRoxin"]


class MontbrioPazoRoxin(Model):
    r"""Montbrio-Pazo-Roxin next-generation neural mass (TVB ``MontbrioPazoRoxin``).

    .. math::
        \tau \dot r &= \frac{\Delta}{\pi \tau} + 2 r V \\
        \tau \dot V &= V^2 - \pi^2 \tau^2 r^2 + \eta + J \tau r + I
                       + c_r\, c_0 + c_v\, c_1

    ``r`` is the population firing rate (kept >= 0, as TVB does) and ``V`` the mean
    membrane potential; ``c_0`` and ``c_1`` are the coupling inputs of ``r`` and ``V``.
    Time is in ms.

    References
    ----------
    Montbrio E, Pazo D, Roxin A (2015) Macroscopic description for networks of
    spiking neurons. Phys Rev X 5:021028.
    """

    state_vars = (
        StateVar("r", "population firing rate", (0.0, 2.0), (0.0, None)),
        StateVar("V", "mean membrane potential", (-2.0, 1.5)),
    )
    parameters = (
        Parameter("tau", 1.0, (0.01, 15.0), "ms", "membrane time constant"),
        Parameter("Delta", 1.0, (0.0, 10.0), "1", "half-width of the distribution of excitabilities"),
        Parameter("eta", -5.0, (-20.0, 15.0), "1", "mean neuronal excitability"),
        Parameter("J", 15.0, (-25.0, 25.0), "1", "mean synaptic weight"),
        Parameter("I", 0.0, (-10.0, 10.0), "1", "external homogeneous current"),
        Parameter("cr", 1.0, (0.0, 1.0), "1", "weight of the coupling through r"),
        Parameter("cv", 0.0, (0.0, 1.0), "1", "weight of the coupling through V"),
    )
    coupling_vars = ("r", "V")
    stimulus_vars = ("V",)
    default_outputs = ("r", "V")
    default_coupling = "Linear"
    reference = "Montbrio, Pazo & Roxin (2015) Phys Rev X 5:021028; TVB MontbrioPazoRoxin"

    @staticmethod
    def dfun(y, c, p, m):
        dr = (p.Delta / (m.pi * p.tau) + 2.0 * y.V * y.r) / p.tau
        dV = (
            y.V * y.V
            - m.pi * m.pi * p.tau * p.tau * y.r * y.r
            + p.eta
            + p.J * p.tau * y.r
            + p.I
            + p.cr * c[0]
            + p.cv * c[1]
        ) / p.tau
        return dr, dV
