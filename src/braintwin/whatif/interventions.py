"""Interventions on a twin: resection, disconnection, lesions, stimulation, drugs, ageing.

An intervention is a function from a :class:`Scenario` to a new :class:`Scenario`.
A scenario is everything a what-if simulation needs and nothing it does not
measure: the connectome, the model, the coupling, the stimulus, the parameter
values of every posterior draw, and which regions were removed.  Scenarios are
immutable: every :meth:`Intervention.apply` returns a new one, so the baseline
is never touched and interventions compose (``a + b`` applies ``a``, then ``b``).

============================  =======================================================
constructor                   what it does to the scenario
============================  =======================================================
``resect(regions)``           zeroes the regions' rows and columns of the weights
                              (no input, no output) and *silences* them with the
                              model class's ``silence`` values (the Epileptor
                              family: ``x0 = -5``, far below the critical -2.05,
                              so a resected region never seizes); for other
                              models only the disconnection (give ``silence=`` to
                              also set parameters).  The region stays in the arrays
                              (shapes do not change) and is marked *removed*:
                              outcomes ignore it.
``disconnect(edges)``         zeroes the weights of the given tracts (both
                              directions unless ``directed=True``).
``lesion(edges, w, s)``       multiplies the tracts' weights by ``weight_factor``
                              and their conduction speed by ``speed_factor`` (done
                              by dividing their tract lengths by ``speed_factor``:
                              delay = length / speed, so a tract at half speed has
                              twice the delay; the global speed is unchanged).
``stimulate(regions, p)``     adds ``p(t)`` (a :mod:`braintwin.simulate.stimulus`
                              pattern: pulse train, sine, DC step, samples) to the
                              model's stimulated variables in those regions.
``set_params(**v)``           sets parameter values (global, or per region with
                              ``regions=``) in the model and in every draw.
``scale_params(**f)``         multiplies parameter values (e.g. ``K=0.8``).
``shift_params(**d)``         adds to parameter values (a drug lowering
                              excitability: ``shift_params(x0=-0.3)``).
``scale_coupling(f)``         multiplies the global coupling scale ``G`` (the
                              coupling's ``a``) by ``f`` (ageing).
``scale_interhemispheric(f)`` multiplies the weights between the hemispheres by
                              ``f`` (ageing, callosal degeneration).
============================  =======================================================

Regions are labels or indices; edges are pairs ``(a, b)`` (from ``a`` to ``b``),
strings ``"a-b"`` (``"a>b"`` for one direction), a boolean ``(N, N)`` mask
(``mask[i, j]``: the tract from ``j`` into ``i``, as the weights), or one of
``"all"``, ``"interhemispheric"``, ``"intrahemispheric"``.

Costs
-----
:meth:`Intervention.cost_parts` measures what an intervention takes away: the
regions resected (and their area in mm^2 when the connectome has areas), the
tracts cut (undirected pairs with a weight before and none after, outside the
resected regions) and the regions stimulated.  :meth:`Intervention.cost` is the
resected area (mm^2) when known, otherwise the number of regions resected, plus
nothing for drugs, lesions or ageing.  It is a rough surgical ordering, not a
clinical risk.

The :class:`~braintwin.whatif.scenario.Scenario` itself is in
:mod:`braintwin.whatif.scenario`, text parsing in :mod:`braintwin.whatif.parse`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Callable, ClassVar

import numpy as np

from ..connectome import Connectome
from ..errors import InputError
from ..simulate.stimulus import ArrayPattern, Pattern, PulseTrain, Sine, Step, Stimulus
from .scenario import Scenario, _as_connectome, _positive, _rebuild, _same_pattern, edge_mask, resolve_regions

__all__ = [
    "Scenario",
    "Intervention",
    "NoIntervention",
    "Resect",
    "Disconnect",
    "Lesion",
    "Stimulate",
    "SetParams",
    "ScaleParams",
    "ShiftParams",
    "ScaleCoupling",
    "ScaleInterhemispheric",
    "Composite",
    "resolve_regions",
    "edge_mask",
    "scenario_cost",
    "resect",
    "disconnect",
    "lesion",
    "stimulate",
    "set_params",
    "scale_params",
    "shift_params",
    "scale_coupling",
    "scale_interhemispheric",
    "compose",
]

SOURCE = "whatif"


# ---------------------------------------------------------------------------
# interventions


class Intervention:
    """Base class: a change to a :class:`Scenario`.

    Subclasses implement :meth:`apply` and :meth:`describe`.  ``a + b`` (or
    :func:`compose`) applies ``a`` then ``b``.
    """

    kind: ClassVar[str] = "intervention"

    def apply(self, scenario: Scenario) -> Scenario:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, scenario: Scenario) -> Scenario:
        return self.apply(scenario)

    def _record(self, scenario: Scenario, **changes) -> Scenario:
        return scenario.replace(history=scenario.history + (self.describe(),), **changes)

    def describe(self) -> str:  # pragma: no cover - abstract
        return self.kind

    @property
    def parts(self) -> tuple["Intervention", ...]:
        return (self,)

    def __add__(self, other: "Intervention") -> "Intervention":
        if not isinstance(other, Intervention):
            return NotImplemented
        return compose(self, other)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"

    def __str__(self) -> str:
        return self.describe()

    # ------------------------------------------------------------------ cost
    def cost_parts(self, scenario: Scenario | Connectome) -> dict[str, float]:
        """What the intervention takes away from ``scenario`` (see the module notes).

        Returns ``{"regions": resected regions, "area": their area in mm^2 (NaN
        when the connectome has no areas), "tracts": undirected tracts cut,
        "stimulated": regions stimulated}``.
        """
        base = scenario if isinstance(scenario, Scenario) else Scenario(_as_connectome(scenario))
        after = self.apply(base)
        return scenario_cost(base, after)

    def cost(self, scenario: Scenario | Connectome) -> float:
        """The resected area in mm^2 when the connectome has areas, otherwise the number of regions resected."""
        p = self.cost_parts(scenario)
        return p["area"] if np.isfinite(p["area"]) else p["regions"]


def scenario_cost(before: Scenario, after: Scenario) -> dict[str, float]:
    """What changed between two scenarios: regions resected (and area), tracts cut, regions stimulated."""
    new = sorted(after.removed - before.removed)
    areas = after.connectome.areas
    area = float(np.sum(np.asarray(areas)[new])) if areas is not None else float("nan")
    keep = after.kept
    w0 = np.asarray(before.connectome.weights)
    w1 = np.asarray(after.connectome.weights)
    s0 = (w0 + w0.T) > 0
    s1 = (w1 + w1.T) > 0
    cut = s0 & ~s1 & keep[:, None] & keep[None, :]
    stim = int(np.count_nonzero(np.abs(after.stimulus_weights() - before.stimulus_weights()) > 0))
    return {"regions": float(len(new)), "area": area, "tracts": float(np.count_nonzero(np.triu(cut, 1))), "stimulated": float(stim)}


def _labels_text(regions) -> str:
    if isinstance(regions, (str, int, np.integer)):
        return str(regions)
    arr = np.asarray(regions) if not isinstance(regions, (list, tuple)) else None
    if arr is not None and arr.dtype == bool:
        return f"{int(arr.sum())} regions"
    return ", ".join(str(r) for r in regions)


def _edges_text(edges) -> str:
    if isinstance(edges, str):
        return edges
    arr = np.asarray(edges, dtype=object)
    if arr.ndim == 2 and arr.shape[0] == arr.shape[1] and arr.shape[0] > 2:
        return f"{int(np.asarray(edges, bool).sum())} tracts"
    if isinstance(edges, tuple) and len(edges) == 2 and not isinstance(edges[0], (tuple, list)):
        edges = [edges]
    return ", ".join(e if isinstance(e, str) else f"{e[0]}-{e[1]}" for e in edges)


@dataclasses.dataclass(frozen=True, repr=False)
class NoIntervention(Intervention):
    """The baseline: changes nothing."""

    kind: ClassVar[str] = "baseline"

    def apply(self, scenario):
        return scenario

    def describe(self):
        return "no intervention (baseline)"


@dataclasses.dataclass(frozen=True, repr=False)
class Resect(Intervention):
    """Remove regions: zero their connections and silence them (see the module notes)."""

    regions: Any
    silence: Mapping[str, float] | None = None
    kind: ClassVar[str] = "resect"

    def apply(self, scenario):
        idx = scenario.regions(self.regions)
        w = np.array(scenario.connectome.weights)
        w[idx, :] = 0.0
        w[:, idx] = 0.0
        out = scenario.replace(connectome=_rebuild(scenario.connectome, weights=w), removed=scenario.removed | set(idx))
        silence = self.silence
        if silence is None and out.model is not None:
            silence = dict(out.model.silence)
        for name, value in (silence or {}).items():
            out = out.with_param(name, lambda a, v=float(value): np.full(np.shape(a), v), regions=idx)
        if out.stimulus is not None:
            w = out.stimulus_weights()
            w[idx] = 0.0
            out = out.replace(stimulus=Stimulus(w, out.stimulus.pattern) if np.any(w) else None)
        return self._record(out)

    def describe(self):
        return f"resect {_labels_text(self.regions)}"


@dataclasses.dataclass(frozen=True, repr=False)
class Disconnect(Intervention):
    """Cut tracts: their weights become zero (both directions unless ``directed``)."""

    edges: Any
    directed: bool = False
    kind: ClassVar[str] = "disconnect"

    def apply(self, scenario):
        m = edge_mask(scenario.connectome, self.edges, directed=self.directed)
        w = np.array(scenario.connectome.weights)
        w[m] = 0.0
        return self._record(scenario.replace(connectome=_rebuild(scenario.connectome, weights=w)))

    def describe(self):
        return f"disconnect {_edges_text(self.edges)}" + (" (one direction)" if self.directed else "")


@dataclasses.dataclass(frozen=True, repr=False)
class Lesion(Intervention):
    """Weaken and slow tracts: weights times ``weight_factor``, tract lengths divided by ``speed_factor``.

    Dividing the lengths by the speed factor is how a tract-specific conduction
    speed is expressed with one global speed: its delay becomes
    ``length / (speed * speed_factor)``.
    """

    edges: Any
    weight_factor: float = 1.0
    speed_factor: float = 1.0
    directed: bool = False
    kind: ClassVar[str] = "lesion"

    def __post_init__(self):
        _positive(self.weight_factor, "weight_factor")
        _positive(self.speed_factor, "speed_factor", allow_zero=False)

    def apply(self, scenario):
        m = edge_mask(scenario.connectome, self.edges, directed=self.directed)
        w = np.array(scenario.connectome.weights)
        t = np.array(scenario.connectome.tract_lengths)
        w[m] *= float(self.weight_factor)
        t[m] /= float(self.speed_factor)
        return self._record(scenario.replace(connectome=_rebuild(scenario.connectome, weights=w, tract_lengths=t)))

    def describe(self):
        bits = []
        if self.weight_factor != 1.0:
            bits.append(f"weights x{self.weight_factor:g}")
        if self.speed_factor != 1.0:
            bits.append(f"conduction speed x{self.speed_factor:g}")
        return f"lesion {_edges_text(self.edges)} ({', '.join(bits) or 'no change'})"


@dataclasses.dataclass(frozen=True, repr=False)
class Stimulate(Intervention):
    """Add ``amplitude * pattern(t)`` to the stimulated variables of ``regions`` (times in ms)."""

    regions: Any
    pattern: Pattern | Callable
    amplitude: float = 1.0
    kind: ClassVar[str] = "stimulate"

    def __post_init__(self):
        if not callable(self.pattern):
            raise InputError(f"expected a temporal pattern (PulseTrain, Sine, Step, ...), got {self.pattern!r}", source=SOURCE, field="pattern")

    def apply(self, scenario):
        idx = scenario.regions(self.regions)
        gone = [scenario.labels[i] for i in idx if i in scenario.removed]
        if gone:
            raise InputError(f"region(s) {', '.join(gone)} were resected and cannot be stimulated", source=SOURCE, field="regions")
        w = np.zeros(scenario.n_regions)
        w[idx] = float(self.amplitude)
        if scenario.stimulus is not None:
            # the engines take one spatial map times one temporal pattern
            if not _same_pattern(scenario.stimulus.pattern, self.pattern):
                raise InputError(
                    "the simulation engines take one temporal pattern per run: stimulations with different "
                    "patterns cannot be combined yet (use one pattern for every stimulated region)",
                    source=SOURCE,
                    field="pattern",
                )
            w = w + scenario.stimulus_weights()
        return self._record(scenario.replace(stimulus=Stimulus(w, self.pattern)))

    def describe(self):
        return f"stimulate {_labels_text(self.regions)} with {_pattern_text(self.pattern)}" + (
            f" (x{self.amplitude:g})" if self.amplitude != 1.0 else "")


def _pattern_text(p) -> str:
    if isinstance(p, PulseTrain):
        return f"pulses of {p.amplitude:g} for {p.width:g} ms every {p.period:g} ms"
    if isinstance(p, Sine):
        return f"a {p.frequency:g} Hz sine of amplitude {p.amplitude:g}" + (f" + {p.offset:g}" if p.offset else "")
    if isinstance(p, Step):
        return f"a constant (DC) input of {p.amplitude:g} from {p.onset:g} ms" + ("" if not np.isfinite(p.stop) else f" to {p.stop:g} ms")
    if isinstance(p, ArrayPattern):
        return f"a sampled waveform ({len(np.asarray(p.values))} samples every {p.dt:g} ms)"
    return type(p).__name__


class _ParamChange(Intervention):
    values: Mapping[str, Any]
    regions: Any
    verb: ClassVar[str] = ""

    def _fn(self, value):  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(self, scenario):
        if not self.values:
            raise InputError("no parameters given", source=SOURCE, field=self.kind)
        out = scenario
        for name, value in self.values.items():
            out = out.with_param(name, self._fn(value), regions=self.regions)
        return self._record(out)

    def describe(self):
        where = "" if self.regions is None else f" in {_labels_text(self.regions)}"
        vals = ", ".join(self.verb.format(name=k, value=_value_text(v)) for k, v in self.values.items())
        return f"{vals}{where}"


def _value_text(v) -> str:
    return f"{float(v):g}" if np.ndim(v) == 0 else f"<{np.size(v)} values>"


def _param_values(values: Mapping[str, Any], what: str) -> dict[str, Any]:
    out = {}
    for k, v in values.items():
        a = np.asarray(v, float)
        if not np.all(np.isfinite(a)):
            raise InputError("value is not finite", source=SOURCE, field=k)
        out[k] = float(a) if a.ndim == 0 else a
    return out


@dataclasses.dataclass(frozen=True, repr=False)
class SetParams(_ParamChange):
    """Set parameter values (in the model and in every draw)."""

    values: Mapping[str, Any]
    regions: Any = None
    kind: ClassVar[str] = "set_params"
    verb: ClassVar[str] = "set {name} to {value}"

    def _fn(self, value):
        v = np.asarray(value, float)
        return lambda a: np.broadcast_to(v, np.broadcast_shapes(np.shape(a), v.shape)).copy()


@dataclasses.dataclass(frozen=True, repr=False)
class ScaleParams(_ParamChange):
    """Multiply parameter values by factors."""

    values: Mapping[str, Any]
    regions: Any = None
    kind: ClassVar[str] = "scale_params"
    verb: ClassVar[str] = "scale {name} by {value}"

    def _fn(self, value):
        return lambda a: np.asarray(a, float) * np.asarray(value, float)


@dataclasses.dataclass(frozen=True, repr=False)
class ShiftParams(_ParamChange):
    """Add offsets to parameter values (e.g. a drug lowering excitability: ``x0=-0.3``)."""

    values: Mapping[str, Any]
    regions: Any = None
    kind: ClassVar[str] = "shift_params"
    verb: ClassVar[str] = "shift {name} by {value}"

    def _fn(self, value):
        return lambda a: np.asarray(a, float) + np.asarray(value, float)


@dataclasses.dataclass(frozen=True, repr=False)
class ScaleCoupling(Intervention):
    """Multiply the global coupling scale ``G`` (the coupling's ``a``) by ``factor``."""

    factor: float
    kind: ClassVar[str] = "scale_coupling"

    def __post_init__(self):
        _positive(self.factor, "factor")

    def apply(self, scenario):
        return self._record(scenario.with_param("G", lambda a: np.asarray(a, float) * float(self.factor)))

    def describe(self):
        return f"global coupling x{self.factor:g}"


@dataclasses.dataclass(frozen=True, repr=False)
class ScaleInterhemispheric(Intervention):
    """Multiply the weights of tracts between the two hemispheres by ``factor``."""

    factor: float
    kind: ClassVar[str] = "scale_interhemispheric"

    def __post_init__(self):
        _positive(self.factor, "factor")

    def apply(self, scenario):
        m = edge_mask(scenario.connectome, "interhemispheric")
        w = np.array(scenario.connectome.weights)
        w[m] *= float(self.factor)
        return self._record(scenario.replace(connectome=_rebuild(scenario.connectome, weights=w)))

    def describe(self):
        return f"interhemispheric weights x{self.factor:g}"


@dataclasses.dataclass(frozen=True, repr=False)
class Composite(Intervention):
    """Several interventions applied in order."""

    items: tuple
    kind: ClassVar[str] = "composite"

    def apply(self, scenario):
        for it in self.items:
            scenario = it.apply(scenario)
        return scenario

    @property
    def parts(self):
        return tuple(self.items)

    def describe(self):
        return " + ".join(it.describe() for it in self.items)


# ---------------------------------------------------------------------------
# constructors


def resect(regions, *, silence: Mapping[str, float] | None = None) -> Resect:
    """Resect ``regions`` (labels or indices): no connections, silenced (Epileptor family: ``x0 = -5``).

    ``silence`` overrides the parameter values given to the resected regions
    (default: the model class's ``silence`` values, e.g. ``{"x0": -5.0}`` for the Epileptors; nothing for other models).
    """
    return Resect(regions, None if silence is None else dict(silence))


def disconnect(edges, *, directed: bool = False) -> Disconnect:
    """Cut tracts (``("lA1", "lA2")``, ``"lA1-lA2"``, ``"interhemispheric"``, a mask, ...)."""
    return Disconnect(edges, bool(directed))


def lesion(edges, weight_factor: float = 1.0, speed_factor: float = 1.0, *, directed: bool = False) -> Lesion:
    """Weaken (``weight_factor``) and slow (``speed_factor``) tracts: multiple sclerosis lesions."""
    return Lesion(edges, float(weight_factor), float(speed_factor), bool(directed))


def stimulate(regions, pattern, *, amplitude: float = 1.0) -> Stimulate:
    """Stimulate ``regions`` with a temporal ``pattern`` (:class:`~braintwin.simulate.PulseTrain`, ``Sine``, ``Step``, ...)."""
    return Stimulate(regions, pattern, float(amplitude))


def set_params(regions=None, **values) -> SetParams:
    """Set parameters everywhere, or in ``regions`` only (``set_params(x0=-2.5, regions=["lA1"])``)."""
    return SetParams(_param_values(values, "set_params"), regions)


def scale_params(regions=None, **factors) -> ScaleParams:
    """Multiply parameters by factors (``scale_params(K=0.8)``), everywhere or in ``regions``."""
    return ScaleParams(_param_values(factors, "scale_params"), regions)


def shift_params(regions=None, **deltas) -> ShiftParams:
    """Add to parameters (``shift_params(x0=-0.3)``: a drug lowering excitability)."""
    return ShiftParams(_param_values(deltas, "shift_params"), regions)


def scale_coupling(factor: float) -> ScaleCoupling:
    """Multiply the global coupling ``G`` by ``factor`` (ageing lowers it)."""
    return ScaleCoupling(float(factor))


def scale_interhemispheric(factor: float) -> ScaleInterhemispheric:
    """Multiply the weights between hemispheres by ``factor`` (ageing lowers them most)."""
    return ScaleInterhemispheric(float(factor))


def compose(*interventions: Intervention) -> Intervention:
    """Apply interventions in the order given (nested compositions are flattened; ``None`` is skipped)."""
    items: list[Intervention] = []
    for it in interventions:
        if it is None or isinstance(it, NoIntervention):
            continue
        if not isinstance(it, Intervention):
            raise InputError(f"expected an Intervention, got {type(it).__name__}", source=SOURCE, field="interventions")
        items.extend(it.parts if isinstance(it, Composite) else (it,))
    if not items:
        return NoIntervention()
    if len(items) == 1:
        return items[0]
    return Composite(tuple(items))
