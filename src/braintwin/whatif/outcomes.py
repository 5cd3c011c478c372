"""The outcome registry: what a what-if prediction measures, registered by name.

An *outcome* turns the two batched simulations of a prediction (the baseline and
the intervened scenario, on the same posterior draws and noise seeds) into named
per-draw quantities, and those into headline numbers with intervals.  It is
written once, as a small class, and registered in the style of
:func:`braintwin.features.register`::

    from braintwin import whatif
    from braintwin.whatif.outcomes import interval

    @whatif.register_outcome("mean_activity", "mean of the first output over time and regions",
                             options={"transient": "ms ignored at the start (0)"}, defaults={"transient": 0.0})
    class MeanActivity(whatif.Outcome):
        def measure(self, runs):
            xb, xt = runs.traces()
            return {"mean": xb.mean(axis=(1, 2))}, {"mean": xt.mean(axis=(1, 2))}, {}

        def metrics(self, p):
            return {"mean": float(p.treated["mean"].mean()), "mean_interval": interval(p.treated["mean"], p.level)}

        def primary(self, p, m):
            return m["mean"], m["mean_interval"], "mean activity"

    pred = whatif.predict(twin, whatif.scale_coupling(2.0), outcome="mean_activity")

``whatif`` itself registers the generic outcomes ``"evoked"``, ``"fc"`` and
``"spectrum"`` (:mod:`braintwin.whatif.responses`); a workflow registers its own
(the Virtual Epileptic Patient registers ``"seizure"`` in
:mod:`braintwin.vep.surgery`), so ``whatif`` imports no workflow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..errors import InputError

__all__ = ["Outcome", "Runs", "register", "get_outcome", "available", "interval", "prob_interval"]

SOURCE = "whatif"


def interval(x, level: float = 0.9) -> tuple[float, float]:
    """Central ``level`` interval of the finite values of ``x`` (quantiles; NaN when none is finite)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (float("nan"), float("nan"))
    lo = (1 - level) / 2
    return (float(np.quantile(x, lo)), float(np.quantile(x, 1 - lo)))


def prob_interval(k: int, n: int, level: float = 0.9) -> tuple[float, float]:
    """Jeffreys interval of a probability estimated from ``k`` of ``n`` draws (Monte Carlo uncertainty).

    The posterior of a binomial proportion under the Jeffreys prior
    ``Beta(1/2, 1/2)`` is ``Beta(k + 1/2, n - k + 1/2)``; its central quantiles
    (with the bounds 0 and 1 when ``k`` is 0 or ``n``), Brown, Cai & DasGupta
    (2001) Stat Sci 16:101.  Example: ``prob_interval(0, 50)`` is about ``(0, 0.04)``.
    """
    if n == 0:
        return (float("nan"), float("nan"))
    from scipy.stats import beta

    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k + 0.5, n - k + 0.5))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 0.5, n - k + 0.5))
    return (lo, hi)


@dataclasses.dataclass
class Runs:
    """What an outcome's :meth:`Outcome.measure` sees: both scenarios and their simulations.

    Attributes
    ----------
    base, treated : Scenario
        The baseline and the intervened scenario.
    base_data, treated_data : ndarray (n_draws, n_times, n_regions)
        The measured output of every draw (NaN after a divergence).
    times : ndarray (n_times,)
        Sample times (ms, model time units for the VEP2D).
    valid : ndarray of bool (n_draws,)
        Draws whose two simulations both finished.
    options : dict
        The outcome's options (its defaults, overridden by the caller's).
    context : dict
        What :meth:`Outcome.prepare` returned (e.g. the EZ hypothesis).
    """

    base: Any
    treated: Any
    base_data: np.ndarray
    treated_data: np.ndarray
    times: np.ndarray
    valid: np.ndarray
    options: dict
    context: dict

    def traces(self) -> tuple[np.ndarray, np.ndarray]:
        """Both outputs of the valid draws after ``options["transient"]`` ms (at least 4 samples)."""
        transient = float(self.options.get("transient", 0.0))
        sel = self.times >= self.times[0] + transient
        if sel.sum() < 4:
            raise InputError(f"fewer than 4 samples after the transient of {transient} ms; simulate longer", source=SOURCE,
                             field="transient")
        return self.base_data[self.valid][:, sel, :], self.treated_data[self.valid][:, sel, :]


class Outcome:
    """Base of every outcome: override :meth:`measure`, :meth:`metrics` and :meth:`primary`.

    Class attributes
    ----------------
    name, description : str
        Set by :func:`register`.
    options : dict of str to str
        Options the outcome reads from ``runs.options`` (keyword arguments of
        :func:`~braintwin.whatif.predict`), with descriptions.
    defaults : dict
        Default values of those options.
    monitor : {"tavg", "subsample"}
        How the measured output is recorded (every ``sample_period`` ms).
    percent : bool
        The primary value is a probability (shown in %).
    smaller_is_better : bool
        Ranking direction of :func:`~braintwin.whatif.compare`.
    columns : tuple of (key, header, percent)
        Columns of a comparison's HTML table (default: the primary value).
    search_criteria : dict of str to str
        For :func:`~braintwin.whatif.smallest_resection`: criterion name to the
        per-draw boolean measure that must become False (empty: no search).
    caption : str
        Plain words under the figure of :meth:`plot` (the report shows it).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    options: ClassVar[Mapping[str, str]] = {}
    defaults: ClassVar[Mapping[str, Any]] = {}
    monitor: ClassVar[str] = "tavg"
    percent: ClassVar[bool] = False
    smaller_is_better: ClassVar[bool] = True
    columns: ClassVar[tuple] = ()
    search_criteria: ClassVar[Mapping[str, str]] = {}
    caption: ClassVar[str] = ""

    def output(self, model, variable: str | None, outputs) -> str:
        """The output to record: the first of ``outputs``, else ``variable``, else the model's first default output."""
        return outputs[0] if outputs else (variable or model.default_outputs[0])

    def prepare(self, twin, scenario, **context) -> dict:
        """Anything the measure needs from the twin, computed once (default: nothing)."""
        return {}

    def measure(self, runs: Runs) -> tuple[dict, dict, dict]:
        """Per-draw quantities of the valid draws: ``(baseline, treated, extra)``; ``extra`` feeds the figure."""
        raise NotImplementedError

    def metrics(self, p) -> dict:
        """Headline numbers of a :class:`~braintwin.whatif.Prediction` ``p`` with at least one valid draw."""
        raise NotImplementedError

    def primary(self, p, m: dict) -> tuple[float, tuple[float, float], str]:
        """The primary value, its interval and what it is in words, from the metrics ``m``."""
        raise NotImplementedError

    def summary(self, p, m: dict) -> list[str]:
        """Sentences in plain words (default: the primary value)."""
        value, (lo, hi), what = self.primary(p, m)
        return [f"{what[:1].upper() + what[1:]}: {value:.3g} ({int(100 * p.level)}% between {lo:.3g} and {hi:.3g})."]

    def plot(self, p, fig, ax1, ax2) -> None:
        """Draw the outcome on two axes (default: the primary value's distribution is not known, so a note)."""
        ax1.text(0.5, 0.5, f"no figure for outcome {self.name!r}", ha="center", va="center", transform=ax1.transAxes)

    def row(self, p, m: dict) -> dict:
        """Extra numbers of a comparison row (beside ``value`` and ``interval``)."""
        return {}

    def baseline_row(self, p, m: dict) -> dict:
        """The baseline's primary value (default: no change, 0)."""
        return {"value": 0.0, "interval": (0.0, 0.0)}

    def rank_key(self, row: dict) -> tuple:
        """Sort key of a comparison row, best first (ties then go to the cheaper intervention)."""
        v = row["value"]
        v = v if np.isfinite(v) else np.inf
        return (v if self.smaller_is_better else -v,)

    # resection search hooks (used only when search_criteria is not empty)
    def search_candidates(self, scenario, n: int) -> list[int]:
        """Default candidate regions of a resection search."""
        raise InputError(f"outcome {self.name!r} has no default candidates: give the candidate regions", source=SOURCE,
                         field="candidates")

    def search_tiebreak(self, p) -> float:
        """Among resections stopping as many draws, larger is preferred (default: none)."""
        return 0.0

    def search_summary(self, search) -> str:
        """Plain words for a :class:`~braintwin.whatif.ResectionSearch`."""
        if search.found:
            return f"Smallest resection meeting {search.target:.0%}: {', '.join(search.regions)} ({search.p_stopped:.0%})."
        return f"No resection tried meets {search.target:.0%} (best: {search.p_stopped:.0%})."


_REGISTRY: dict[str, Outcome] = {}


def register(name: str, description: str, *, options: Mapping[str, str] | None = None, defaults: Mapping[str, Any] | None = None,
             overwrite: bool = False):
    """Register an :class:`Outcome` subclass under ``name`` (class decorator).

    Parameters
    ----------
    name : str
        Name used as ``outcome=`` in :func:`~braintwin.whatif.predict`, ``compare`` and ``smallest_resection``.
    description : str
        One line: what is measured, and its unit.
    options : dict of str to str, optional
        Options the outcome reads, with descriptions (and defaults in words).
    defaults : dict, optional
        Their default values.
    overwrite : bool
        Replace an outcome registered under the same name (otherwise an error).

    Example
    -------
    >>> @register("toy", "mean first output")          # doctest: +SKIP
    ... class Toy(Outcome): ...
    """

    def deco(cls):
        if not (isinstance(cls, type) and issubclass(cls, Outcome)):
            raise InputError(f"register_outcome decorates an Outcome subclass, got {cls!r}", source=SOURCE, field="outcome")
        if name in _REGISTRY and not overwrite:
            raise InputError(f"outcome {name!r} is already registered", source=SOURCE, field="outcome")
        cls.name, cls.description = name, description
        cls.options = dict(options or cls.options)
        cls.defaults = dict(defaults or cls.defaults)
        _REGISTRY[name] = cls()
        return cls

    return deco


def get_outcome(name: str) -> Outcome:
    """The registered outcome called ``name`` (an :class:`~braintwin.errors.InputError` listing the others if none)."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown outcome {name!r}; use one of {', '.join(sorted(_REGISTRY))}", source=SOURCE, field="outcome") from None


def available() -> dict[str, str]:
    """``{name: description}`` of every registered outcome."""
    return {k: v.description for k, v in sorted(_REGISTRY.items())}
