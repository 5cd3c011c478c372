"""What the Bayesian VEP observes: the forward models of :func:`braintwin.vep.fit`'s ``observe`` choices.

``"log"`` is the SEEG log-power envelope (the shared forward model
:func:`braintwin.observe.seeg.seeg_forward`); ``"linear"`` the sensor-level
``G e^x``, optionally through a bipolar montage.  Written once against the math
namespace ``m`` (NumPy or ``jax.numpy``), so the NumPyro model and the
posterior-predictive check use the same function.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...observe.seeg import seeg_forward

__all__ = ["OBSERVATIONS", "check_observe", "observe_sources"]


#: Observation models of :func:`observe_sources` and when to use each.
OBSERVATIONS = {
    "log": "a log(G e^x) + b: the SEEG log-power envelope of a recording (features.seeg_log_power), or log of "
           "sensor-level data; robust to the contacts' very different scales (default)",
    "linear": "a (M G) e^x + b: sensor-level data y = G e^x as given (the published benchmark's observation); keeps "
              "the contacts' relative amplitudes, the only choice for bipolar contacts (M)",
}


def check_observe(observe: str, montage, y, gain):
    """Validate the observation model and the montage; return the montage as an array (or None)."""
    if observe not in OBSERVATIONS:
        raise InputError(f"observe must be one of {', '.join(OBSERVATIONS)}; got {observe!r}", source="VEP problem",
                         field="observe")
    if montage is None:
        return None
    M = np.asarray(montage, float)
    if observe != "linear":
        raise InputError("a bipolar montage needs observe='linear': differences of contacts can be negative, their log is "
                         "undefined", source="VEP problem", field="montage")
    if M.ndim != 2 or M.shape[0] != y.shape[1] or M.shape[1] != np.shape(gain)[0]:
        raise InputError(f"montage must be (n_observed={y.shape[1]}, n_contacts={np.shape(gain)[0]}), got {M.shape}",
                         source="VEP problem", field="montage")
    return M


def observe_sources(x, problem, amplitude, offset, *, m=np):
    r"""The observation of source activity ``x (..., n_times, n_regions)`` under ``problem.observe``.

    * ``"log"``: :math:`a \log \sum_i G_{ci} e^{x_i} + b` (:func:`seeg_envelope`);
    * ``"linear"``: :math:`a \sum_c M_{kc} \sum_i G_{ci} e^{x_i} + b` (``M`` the montage,
      identity for monopolar contacts).

    With ``problem.fit_scale`` False, ``a = 1`` and ``b = 0`` whatever is passed.

    Example
    -------
    >>> import numpy as np
    >>> from braintwin.vep import VEPProblem
    >>> pr = VEPProblem(np.ones((1, 1)), [[2.0, 1.0]], np.zeros((2, 2)), observe="linear", fit_scale=False)
    >>> float(observe_sources(np.zeros((1, 2)), pr, 5.0, 3.0)[0, 0])   # 2 e^0 + 1 e^0
    3.0
    """
    if not problem.fit_scale:
        amplitude, offset = 1.0, 0.0
    if problem.observe == "log":
        return seeg_forward(x, problem.gain, amplitude, offset, m=m)
    G = problem.gain if problem.montage is None else problem.montage @ problem.gain
    e = m.exp(x)
    s = (e.reshape(-1, e.shape[-1]) @ m.asarray(G, dtype=e.dtype).T).reshape(e.shape[:-1] + (G.shape[0],))
    return amplitude * s + offset
