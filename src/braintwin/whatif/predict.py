"""Predictions under uncertainty: what an intervention does across the posterior.

:func:`predict` runs the baseline and the intervened scenario on the *same*
posterior draws, with the same noise seeds, in one batched simulation each
(:func:`braintwin.simulate_batch`, the parallel numba engine), and measures an
*outcome* in every draw.  Outcomes are registered by name
(:mod:`braintwin.whatif.outcomes`): ``"evoked"``, ``"fc"`` and ``"spectrum"``
here (:mod:`braintwin.whatif.responses`), ``"seizure"`` by the Virtual
Epileptic Patient workflow (:mod:`braintwin.vep.surgery`), others by any
workflow with :func:`~braintwin.whatif.register_outcome`.

The simulation settings come from the model class's ``prediction_defaults``,
then the twin's ``simulation`` settings, then the caller's keywords; the
initial state is the model class's ``rest_state`` when it declares one.
Time is in engine milliseconds (model time units for the VEP2D).  Draws whose
simulation diverged (in either run) are left out and counted.

:func:`~braintwin.whatif.compare` ranks several interventions by outcome, then by cost, and
:func:`~braintwin.whatif.smallest_resection` searches the smallest resection meeting a target.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import InputError
from .interventions import Intervention, NoIntervention, compose, scenario_cost
from .parse import parse_intervention
from .scenario import Scenario
from ..simulate import simulate_batch
from .outcomes import Outcome, Runs, get_outcome, prob_interval

__all__ = ["Prediction", "predict"]

SOURCE = "whatif"
#: Simulation settings read from ``twin.simulation``.
_SIM_KEYS = ("dt", "speed", "method", "duration", "delays", "noise", "initial", "engine")
_BATCH_KEYS = {"dt", "speed", "method", "duration", "delays", "noise", "initial", "engine", "n_workers", "progress", "on_divergence", "G"}


# ---------------------------------------------------------------------------
# running


@dataclasses.dataclass
class _Raw:
    data: np.ndarray  # (n, T, N) of the measured output
    times: np.ndarray  # (T,) ms
    diverged: np.ndarray  # (n,)


class _Runner:
    """The baseline scenario, the draws' seeds, the outcome and the simulation settings, shared by every run."""

    def __init__(self, twin, *, n_samples, seed, params, outcome, options: dict):
        self.spec: Outcome = get_outcome(outcome)
        self.twin = twin
        self.outcome = outcome
        self.base = Scenario.from_twin(twin, n_samples=n_samples, seed=seed, params=params)
        if self.base.model is None:
            raise InputError("the twin has no model", source=SOURCE, field="model")
        self.n = self.base.n_draws or int(n_samples or 1)
        self.seeds = np.array(
            [s.generate_state(1, np.uint32)[0] for s in np.random.SeedSequence(seed).spawn(self.n)], dtype=np.int64
        )
        opts = self._settings(twin, options)
        self.options = {k: opts.pop(k, v) for k, v in self.spec.defaults.items()}
        self.level = float(opts.pop("level", 0.9))
        self.output, self.monitor = self._output(opts)
        model = self.base.model
        if "initial" not in opts and model.rest_state:
            rest = model.rest_state
            opts["initial"] = np.array([np.full(self.base.n_regions, rest[s]) for s in model.state_names])
        unknown = sorted(set(opts) - _BATCH_KEYS)
        if unknown:
            raise InputError(f"unknown option(s) {', '.join(unknown)}", source=SOURCE, field="sim_options")
        opts.setdefault("progress", False)
        opts.setdefault("on_divergence", "flag")
        self.opts = opts
        self._base_raw: _Raw | None = None

    def _settings(self, twin, options: Mapping[str, Any]) -> dict:
        """The model class's prediction defaults, then the twin's simulation settings, then the caller's."""
        opts = dict(self.base.model.prediction_defaults)
        sim = getattr(twin, "simulation", None) if not isinstance(twin, Scenario) else None
        if isinstance(sim, Mapping):
            opts.update({k: sim[k] for k in _SIM_KEYS if k in sim and sim[k] is not None})
        opts.update(options)
        return opts

    def _output(self, opts: dict) -> tuple[str, str]:
        """The recorded output and its monitor (``<kind>:<sample period>``)."""
        model = self.base.model
        variable, outputs = opts.pop("variable", None), opts.pop("outputs", None)
        period, monitor = opts.pop("sample_period", None), opts.pop("monitor", None)
        output = self.spec.output(model, variable, outputs)
        period = float(period) if period is not None else max(float(opts.get("dt", 0.01)), 1.0)
        return output, monitor or f"{self.spec.monitor}:{period:g}"

    def run(self, scenario: Scenario) -> _Raw:
        if scenario is self.base and self._base_raw is not None:
            return self._base_raw
        params = scenario.batch_params(self.n if scenario.n_draws is not None else None)
        res = simulate_batch(
            scenario.connectome, scenario.model, params, n_sims=self.n, seeds=self.seeds, coupling=scenario.coupling,
            stimulus=scenario.stimulus, monitors=[self.monitor], outputs=[self.output], dtype=np.float64, **self.opts,
        )
        ts = next(iter(res.monitors.values()))
        raw = _Raw(np.asarray(ts.data)[:, :, 0, :], np.asarray(ts.time, float), np.asarray(res.diverged, bool))
        if scenario is self.base:
            self._base_raw = raw
        return raw


@dataclasses.dataclass
class Prediction:
    """Outcome distributions of one intervention next to the baseline, over posterior draws.

    Attributes
    ----------
    outcome : str
        Name of the registered outcome (``"seizure"``, ``"evoked"``, ``"fc"``, ``"spectrum"``, ...).
    intervention : Intervention
    labels : list of str
        Region labels.
    baseline, treated : dict of str to ndarray
        Per-draw measures (leading axis: the valid draws).
    valid : ndarray of bool (n_draws,)
        Draws whose two simulations both finished (others are left out).
    n_draws : int
    cost : dict
        :func:`~braintwin.whatif.interventions.scenario_cost` of the intervention.
    context : dict
        What the outcome prepared from the twin, with regions as labels (e.g. ``{"ez": ["lPHC"]}``).
    removed, stimulated : list of str
        Regions resected and stimulated by the intervention.
    extra : dict
        Mean traces, spectra and FC matrices for the figures.
    level : float
        Level of the reported intervals (0.9: 5th to 95th percentile).
    settings : dict
        The recorded output, its monitor, the outcome's options and the simulation settings.
    """

    outcome: str
    intervention: Intervention
    labels: list
    baseline: dict
    treated: dict
    valid: np.ndarray
    n_draws: int
    cost: dict
    context: dict = dataclasses.field(default_factory=dict)
    removed: list = dataclasses.field(default_factory=list)
    stimulated: list = dataclasses.field(default_factory=list)
    extra: dict = dataclasses.field(default_factory=dict)
    level: float = 0.9
    settings: dict = dataclasses.field(default_factory=dict)

    @property
    def spec(self) -> Outcome:
        """The registered :class:`~braintwin.whatif.Outcome`."""
        return get_outcome(self.outcome)

    @property
    def ez(self) -> list:
        """The EZ hypothesis of a ``"seizure"`` prediction (region labels; empty for other outcomes)."""
        return list(self.context.get("ez", []))

    @property
    def n_valid(self) -> int:
        return int(self.valid.sum())

    @property
    def n_diverged(self) -> int:
        return int(self.n_draws - self.n_valid)

    def p(self, which: dict, key: str) -> dict:
        """Probability that the per-draw boolean ``which[key]`` is True, with its Jeffreys interval."""
        v = np.asarray(which[key], bool)
        k, n = int(v.sum()), int(v.size)
        return {"p": k / n if n else float("nan"), "interval": prob_interval(k, n, self.level), "k": k, "n": n}

    def metrics(self) -> dict[str, Any]:
        """The headline numbers (JSON-ready): baseline and intervention side by side."""
        out: dict[str, Any] = {"outcome": self.outcome, "intervention": self.intervention.describe(), "n_draws": self.n_draws,
                               "n_diverged": self.n_diverged, "cost": self.cost}
        if self.n_valid:
            out.update(self.spec.metrics(self))
        return out

    def primary(self) -> tuple[float, tuple[float, float], str]:
        """The primary outcome of this prediction: (value, interval, what it is in words)."""
        if self.n_valid == 0:
            return float("nan"), (float("nan"), float("nan")), "no valid draw"
        return self.spec.primary(self, self.metrics())

    def summary(self) -> str:
        """A few sentences in plain words."""
        lines = [f"What-if: {self.intervention.describe()} ({self.n_valid} simulated versions of the patient drawn from the twin's uncertainty"
                 + (f"; {self.n_diverged} failed and were left out" if self.n_diverged else "") + ")."]
        if self.n_valid == 0:
            lines.append("No simulation finished: no prediction can be made.")
            return "\n".join(lines)
        lines += self.spec.summary(self, self.metrics())
        lines.append("These are model predictions for research, not clinical advice.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self):
        """A figure of the outcome distributions, baseline against intervention."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 4.2), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
        if self.n_valid == 0:
            for ax in (ax1, ax2):
                ax.text(0.5, 0.5, "no valid simulation", ha="center", va="center", transform=ax.transAxes)
        else:
            self.spec.plot(self, fig, ax1, ax2)
        fig.suptitle(self.intervention.describe(), fontsize=10)
        return fig


def _stimulated(sc: Scenario) -> list[int]:
    return [int(i) for i in np.flatnonzero(np.abs(sc.stimulus_weights()) > 0)]


def _label_context(context: Mapping[str, Any], labels: list) -> dict:
    """The context with region indices (lists of int) shown as labels."""
    def show(v):
        if isinstance(v, (list, tuple)) and all(isinstance(i, (int, np.integer)) for i in v):
            return [labels[int(i)] for i in v]
        return v

    return {k: show(v) for k, v in context.items()}


def _predict_with(runner: _Runner, intervention: Intervention, context: Mapping[str, Any]) -> Prediction:
    """Simulate the intervention on the runner's draws and measure the runner's outcome."""
    base_sc = runner.base
    treated_sc = intervention.apply(base_sc)
    rb, rt = runner.run(base_sc), runner.run(treated_sc)
    valid = ~(rb.diverged | rt.diverged)
    runs = Runs(base_sc, treated_sc, rb.data, rt.data, rb.times, valid, dict(runner.options), dict(context))
    b, t, extra = runner.spec.measure(runs)
    labels = base_sc.labels
    return Prediction(
        outcome=runner.outcome, intervention=intervention, labels=labels, baseline=b, treated=t, valid=valid, n_draws=runner.n,
        cost=scenario_cost(base_sc, treated_sc), context=_label_context(context, labels),
        removed=[labels[i] for i in sorted(treated_sc.removed)], stimulated=[labels[i] for i in _stimulated(treated_sc)],
        extra=extra, level=runner.level,
        settings={"output": runner.output, "monitor": runner.monitor, **runner.options,
                  **{k: v for k, v in runner.opts.items() if k in ("dt", "duration", "delays", "method", "speed")}},
    )


def _as_intervention(x) -> Intervention:
    if x is None:
        return NoIntervention()
    if isinstance(x, Intervention):
        return x
    if isinstance(x, str):
        return parse_intervention(x)
    if isinstance(x, (list, tuple)):
        return compose(*(_as_intervention(i) for i in x))
    raise InputError(f"expected an Intervention, got {type(x).__name__}", source=SOURCE, field="intervention")


def _context(runner: _Runner, twin, ez) -> dict:
    """What the outcome prepares once from the twin (``ez`` is passed on only when given)."""
    return runner.spec.prepare(twin, runner.base, **({"ez": ez} if ez is not None else {}))


def predict(
    twin,
    intervention: Intervention | str | None = None,
    *,
    n_samples: int | None = 100,
    seed: int = 0,
    outcome: str = "seizure",
    params: Mapping[str, Any] | None = None,
    ez=None,
    **sim_options: Any,
) -> Prediction:
    """Run an intervention on posterior draws and measure its outcome next to the baseline.

    Parameters
    ----------
    twin : twin-like or Scenario
        Anything with ``.connectome``, ``.model`` (and optionally ``.coupling``,
        ``.simulation`` (dict of ``dt``, ``duration``, ``delays``, ``speed``,
        ``method``, ``noise``, ``initial``) and ``.posterior.samples``).
    intervention : Intervention, str or None
        What to do (None: nothing, the baseline against itself); a string is
        parsed by :func:`~braintwin.whatif.interventions.parse_intervention`.
    n_samples : int or None
        Posterior draws used (at random, without replacement; all of them when
        there are fewer, or when None).  Without draws or ``params``: that many copies of
        the model's values (different noise seeds).
    seed : int
        Seed of the draw selection and of each simulation's noise.
    outcome : str
        A registered outcome (:func:`~braintwin.whatif.available_outcomes`):
        ``"seizure"`` (registered by the VEP workflow, the default),
        ``"evoked"``, ``"fc"``, ``"spectrum"``, or one of your own.
    params : mapping, optional
        Explicit parameter sets ``name -> (n,)`` or ``(n, n_regions)`` instead
        of the posterior (resting-state, lesion and ageing what-ifs).
    ez : sequence of str or int, optional
        The EZ hypothesis for ``"seizure"`` (default: the twin's EZ labels).
    **sim_options
        Simulation settings overriding the model's and the twin's (``dt``,
        ``duration``, ``delays``, ``speed``, ``method``, ``noise``,
        ``initial``, ``engine``, ``n_workers``); ``variable`` or ``outputs``
        (what is recorded), ``sample_period`` (ms, 1), ``monitor``, ``level``
        (of the intervals, 0.9); and the outcome's own options
        (``threshold`` for ``"seizure"``, ``transient`` (ms) for the others,
        ``fmin``/``fmax``/``nperseg`` for ``"spectrum"``).

    Returns
    -------
    Prediction

    Example
    -------
    >>> pred = bt.whatif.predict(twin, "resect=lPHC", n_samples=100)   # doctest: +SKIP
    >>> print(pred.summary())                                          # doctest: +SKIP
    """
    runner = _Runner(twin, n_samples=n_samples, seed=seed, params=params, outcome=outcome, options=sim_options)
    return _predict_with(runner, _as_intervention(intervention), _context(runner, twin, ez))
