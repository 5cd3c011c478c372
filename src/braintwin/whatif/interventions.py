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
                              (no input, no output) and *silences* them: for the
                              Epileptor family (``VEP2D``, ``Epileptor``,
                              ``Epileptor2D``) ``x0 = -5`` (far below the critical
                              -2.05, so a resected region never seizes); for other
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
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Callable, ClassVar

import numpy as np

from ..connectome import Connectome
from ..errors import InputError
from ..models import Model, get_model
from ..models.coupling import Coupling, get_coupling
from ..simulate.stimulus import ArrayPattern, Pattern, PulseTrain, Sine, Step, Stimulus

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
    "parse_interventions",
    "parse_intervention",
]

SOURCE = "whatif"


_EDGE_KEYWORDS = ("all", "interhemispheric", "intrahemispheric")


# ---------------------------------------------------------------------------
# helpers


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


def _rebuild(conn: Connectome, **changes) -> Connectome:
    """A new quiet Connectome with weights and/or tract lengths replaced."""
    fields = dict(
        weights=conn.weights,
        tract_lengths=conn.tract_lengths,
        labels=list(conn.labels),
        centres=conn.centres,
        hemispheres=conn.hemispheres,
        cortical=conn.cortical,
        areas=conn.areas,
        orientations=conn.orientations,
        source=conn.source,
    )
    fields.update(changes)
    return Connectome(**fields, allow_zero_lengths=True, warn=False)


def _as_connectome(conn) -> Connectome:
    if isinstance(conn, Connectome):
        return conn
    if conn is None:
        raise InputError("the twin has no connectome", source=SOURCE, field="connectome")
    if isinstance(conn, str) or hasattr(conn, "__fspath__"):
        return Connectome.load(conn)
    try:  # a connectome-like object (weights, tract_lengths, labels, ...)
        return Connectome(
            weights=conn.weights,
            tract_lengths=getattr(conn, "tract_lengths", np.zeros_like(np.asarray(conn.weights, float))),
            labels=getattr(conn, "labels", None),
            centres=getattr(conn, "centres", None),
            hemispheres=getattr(conn, "hemispheres", None),
            cortical=getattr(conn, "cortical", None),
            areas=getattr(conn, "areas", None),
            source=getattr(conn, "source", "<twin>"),
            allow_zero_lengths=True,
            warn=False,
        )
    except AttributeError:
        raise InputError(f"expected a Connectome, got {type(conn).__name__}", source=SOURCE, field="connectome") from None


def _as_coupling(coupling, model: Model | None) -> Coupling | None:
    if model is None and coupling is None:
        return None
    if isinstance(coupling, Mapping):
        spec = dict(coupling)
        name = spec.pop("name", None) or spec.pop("type", None)
        return get_coupling(name, model=model, **spec)
    return get_coupling(coupling, model=model)


def resolve_regions(conn: Connectome, regions, field: str = "regions") -> list[int]:
    """Indices of ``regions`` (labels, indices, one of them, or a boolean mask) in ``conn``.

    Raises
    ------
    InputError
        For an unknown label (with the closest labels as a hint), an index out of
        range, a repeated region or an empty selection.
    """
    labels = list(conn.labels)
    n = len(labels)
    if isinstance(regions, (str, int, np.integer)):
        regions = [regions]
    arr = np.asarray(regions) if not isinstance(regions, (list, tuple)) else None
    if arr is not None and arr.dtype == bool:
        if arr.shape != (n,):
            raise InputError(f"boolean mask has shape {arr.shape}, expected ({n},)", source=SOURCE, field=field)
        out = [int(i) for i in np.flatnonzero(arr)]
    else:
        out = []
        for r in list(regions):
            if isinstance(r, (bool, np.bool_)):
                raise InputError(f"expected a region label or index, got {r!r}", source=SOURCE, field=field)
            if isinstance(r, (int, np.integer)):
                if not 0 <= int(r) < n:
                    raise InputError(f"region index {int(r)} out of range 0..{n - 1}", source=SOURCE, field=field)
                out.append(int(r))
                continue
            r = str(r).strip()
            if r in labels:
                out.append(labels.index(r))
                continue
            ci = [l for l in labels if l.lower() == r.lower()]
            close = ci or difflib.get_close_matches(r, labels, n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise InputError(f"unknown region {r!r}{hint}", source=SOURCE, field=field)
    if not out:
        raise InputError("no regions given", source=SOURCE, field=field)
    if len(set(out)) != len(out):
        dup = next(i for i in out if out.count(i) > 1)
        raise InputError(f"region {labels[dup]!r} is listed twice", source=SOURCE, field=field)
    return out


def _split_edge(token: str, labels: list[str]) -> tuple[str, str, bool]:
    """``"a-b"`` / ``"a>b"`` into (a, b, directed); labels may themselves contain ``-``."""
    token = token.strip()
    for sep, directed in ((">", True), ("-", False)):
        positions = [m.start() for m in re.finditer(re.escape(sep), token)]
        for p in positions:
            a, b = token[:p].strip(), token[p + 1 :].strip()
            if a in labels and b in labels:
                return a, b, directed
        if positions and sep == ">":
            p = positions[0]
            return token[:p].strip(), token[p + 1 :].strip(), True
    if "-" in token:  # no split gives two known labels: report the first split
        p = token.index("-")
        return token[:p].strip(), token[p + 1 :].strip(), False
    raise InputError(f"expected an edge like 'a-b' (or 'a>b' for one direction), got {token!r}", source=SOURCE, field="edges")


def edge_mask(conn: Connectome, edges, *, directed: bool = False, field: str = "edges") -> np.ndarray:
    """Boolean ``(N, N)`` mask of the tracts named by ``edges`` (``mask[i, j]``: from ``j`` into ``i``).

    ``edges``: ``"all"``, ``"interhemispheric"``, ``"intrahemispheric"``, a boolean
    ``(N, N)`` mask, one pair ``(a, b)`` or string ``"a-b"``, or a sequence of them.
    A pair names both directions unless ``directed`` (or written ``"a>b"``).
    """
    n = conn.n_regions
    off = ~np.eye(n, dtype=bool)
    if isinstance(edges, str) and edges.strip().lower() in _EDGE_KEYWORDS:
        key = edges.strip().lower()
        if key == "all":
            return off
        hemi = np.asarray(conn.hemispheres, bool)
        inter = hemi[:, None] != hemi[None, :]
        return inter if key == "interhemispheric" else (~inter & off)
    arr = np.asarray(edges, dtype=object) if not isinstance(edges, str) else None
    if arr is not None and arr.ndim == 2 and arr.shape == (n, n) and all(isinstance(v, (bool, np.bool_)) for v in arr.ravel()):
        return np.asarray(edges, bool) & off
    if isinstance(edges, (str, tuple)) and not (isinstance(edges, tuple) and edges and isinstance(edges[0], (tuple, list))):
        items = [edges]
    else:
        items = list(edges)
    if not items:
        raise InputError("no edges given", source=SOURCE, field=field)
    mask = np.zeros((n, n), bool)
    for item in items:
        d = directed
        if isinstance(item, str):
            a, b, d2 = _split_edge(item, list(conn.labels))
            d = d or d2
        else:
            try:
                a, b = item
            except (TypeError, ValueError):
                raise InputError(f"expected a pair of regions, got {item!r}", source=SOURCE, field=field) from None
        i, j = resolve_regions(conn, [a], field)[0], resolve_regions(conn, [b], field)[0]
        if i == j:
            raise InputError(f"edge {item!r} joins a region to itself", source=SOURCE, field=field)
        mask[j, i] = True  # tract from a (source, column) into b (target, row)
        if not d:
            mask[i, j] = True
    return mask


def _positive(value, field: str, *, allow_zero: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected a number, got {value!r}", source=SOURCE, field=field) from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(f"expected a finite number {'>=' if allow_zero else '>'} 0, got {value!r}", source=SOURCE, field=field)
    return v


# ---------------------------------------------------------------------------
# the scenario


def _same_pattern(a, b) -> bool:
    if a is b:
        return True
    if type(a) is not type(b) or not dataclasses.is_dataclass(a):
        return False
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if not (np.shape(x) == np.shape(y) and np.array_equal(np.asarray(x, float), np.asarray(y, float))):
            return False
    return True


@dataclasses.dataclass(frozen=True, eq=False)
class Scenario:
    """Everything a what-if simulation needs: immutable; interventions return new ones.

    Parameters
    ----------
    connectome : Connectome
    model : Model or str, optional
        The neural mass model (its values are the defaults of every draw).
    coupling : Coupling, str or mapping, optional
        The coupling; the model's default if omitted.
    stimulus : Stimulus, optional
    draws : mapping of str to array
        Per-draw parameter values: ``(n_draws,)`` (global) or ``(n_draws,
        n_regions)`` (per region), e.g. posterior draws of ``x0`` and ``K``.
        Names are model parameters or the coupling's (``"G"``/``"a"``).
    removed : frozenset of int
        Regions resected.
    history : tuple of str
        Descriptions of the interventions applied so far.
    """

    connectome: Connectome
    model: Model | None = None
    coupling: Coupling | None = None
    stimulus: Stimulus | None = None
    draws: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)
    removed: frozenset = frozenset()
    history: tuple = ()

    def __post_init__(self):
        conn = _as_connectome(self.connectome)
        model = None if self.model is None else get_model(self.model)
        coupling = _as_coupling(self.coupling, model) if model is not None or self.coupling is not None else None
        n_reg = conn.n_regions
        draws = {}
        n = None
        for name, v in dict(self.draws).items():
            a = _frozen(v)
            if a.ndim not in (1, 2) or (a.ndim == 2 and a.shape[1] != n_reg):
                raise InputError(f"expected draws shaped (n_draws,) or (n_draws, {n_reg}), got {a.shape}", source=SOURCE, field=f"draws.{name}")
            if n is not None and a.shape[0] != n:
                raise InputError(f"{a.shape[0]} draws, other parameters have {n}", source=SOURCE, field=f"draws.{name}")
            n = a.shape[0]
            if model is not None and name not in model.parameter_names and not _is_coupling_param(name, model, coupling):
                raise InputError(f"{name!r} is neither a parameter of {model.name} nor of its coupling", source=SOURCE, field=f"draws.{name}")
            draws[name] = a
        removed = frozenset(int(i) for i in self.removed)
        object.__setattr__(self, "connectome", conn)
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "coupling", coupling)
        object.__setattr__(self, "draws", MappingProxyType(draws))
        object.__setattr__(self, "removed", removed)
        object.__setattr__(self, "history", tuple(self.history))

    # ----------------------------------------------------------------- basics
    @property
    def n_regions(self) -> int:
        return self.connectome.n_regions

    @property
    def labels(self) -> list[str]:
        return list(self.connectome.labels)

    @property
    def n_draws(self) -> int | None:
        """Number of draws (None when the scenario holds no per-draw values)."""
        for v in self.draws.values():
            return int(v.shape[0])
        return None

    @property
    def kept(self) -> np.ndarray:
        """Boolean mask of the regions not removed."""
        keep = np.ones(self.n_regions, bool)
        keep[list(self.removed)] = False
        return keep

    def replace(self, **changes) -> "Scenario":
        return dataclasses.replace(self, **changes)

    def regions(self, regions, field: str = "regions") -> list[int]:
        """Indices of ``regions`` (labels or indices) in this scenario's connectome."""
        return resolve_regions(self.connectome, regions, field)

    def batch_params(self, n: int | None = None) -> dict[str, np.ndarray]:
        """The per-draw values as writable arrays for :func:`braintwin.simulate_batch`."""
        out = {k: np.array(v) for k, v in self.draws.items()}
        if n is not None:
            for k, v in out.items():
                if v.shape[0] != n:
                    raise InputError(f"{v.shape[0]} draws, expected {n}", source=SOURCE, field=f"draws.{k}")
        return out

    def parameter(self, name: str) -> np.ndarray:
        """The value of a parameter: ``(n_draws, ...)`` when drawn, else the model's (coupling's) value."""
        if name in self.draws:
            return np.array(self.draws[name])
        if self.model is not None and name in self.model.parameter_names:
            return np.array(self.model.values[name], float)
        if self.coupling is not None and _is_coupling_param(name, self.model, self.coupling):
            return np.array(self.coupling.values[_coupling_name(name)], float)
        raise InputError(f"unknown parameter {name!r}", source=SOURCE, field=name)

    def stimulus_weights(self) -> np.ndarray:
        """Spatial weights of the stimulus (zeros when there is none)."""
        if self.stimulus is None:
            return np.zeros(self.n_regions)
        return np.asarray(self.stimulus.weights(self.n_regions, self.labels), float)

    def equals(self, other: "Scenario", *, rtol: float = 0.0, atol: float = 0.0, times: np.ndarray | None = None) -> bool:
        """True when both scenarios describe the same simulation (arrays compared with tolerances).

        Stimuli are compared by their values on ``times`` (0 to 1000 ms by 0.5 ms by default).
        """
        eq = lambda a, b: np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)  # noqa: E731
        a, b = self.connectome, other.connectome
        if list(a.labels) != list(b.labels) or not eq(a.weights, b.weights) or not eq(a.tract_lengths, b.tract_lengths):
            return False
        if (self.model is None) != (other.model is None) or (self.coupling is None) != (other.coupling is None):
            return False
        if self.model is not None:
            if self.model.name != other.model.name:
                return False
            n = self.n_regions
            if not eq(self.model.param_array(n), other.model.param_array(n)):
                return False
        if self.coupling is not None and (self.coupling.name != other.coupling.name or not eq(self.coupling.param_array(), other.coupling.param_array())):
            return False
        if set(self.draws) != set(other.draws) or not all(eq(self.draws[k], other.draws[k]) for k in self.draws):
            return False
        if self.removed != other.removed:
            return False
        if (self.stimulus is None) != (other.stimulus is None):
            return False
        if self.stimulus is not None:
            t = np.arange(0.0, 1000.0, 0.5) if times is None else np.asarray(times, float)
            if not eq(self.stimulus.evaluate(t, self.n_regions, self.labels), other.stimulus.evaluate(t, other.n_regions, other.labels)):
                return False
        return True

    # -------------------------------------------------------- constructors
    @classmethod
    def from_twin(cls, twin, *, n_samples: int | None = None, seed: int | None = 0, params: Mapping[str, Any] | None = None) -> "Scenario":
        """The baseline scenario of a twin-like object.

        Parameters
        ----------
        twin : object
            Anything with ``.connectome`` and ``.model`` (and optionally
            ``.coupling`` and ``.posterior.samples``), or a :class:`Scenario`.
        n_samples : int, optional
            Number of posterior draws to use (chosen at random without
            replacement when there are more; all of them when there are fewer
            or when ``None``).
        seed : int
            Seed of that choice.
        params : mapping, optional
            Explicit parameter sets instead of the posterior: ``name -> (n,)``
            or ``(n, n_regions)`` arrays (resting-state, lesion or ageing
            what-ifs on given parameter sets).
        """
        if isinstance(twin, Scenario):
            base = twin
            if params is not None:
                base = base.replace(draws={**base.draws, **{k: np.asarray(v, float) for k, v in params.items()}})
            return base._subsample(n_samples, seed)
        model = get_model(getattr(twin, "model", None) or _missing("model"))
        conn = _as_connectome(getattr(twin, "connectome", None))
        coupling = _as_coupling(getattr(twin, "coupling", None), model)
        sim = getattr(twin, "simulation", None) or {}
        stim = sim.get("stimulus") if isinstance(sim, Mapping) else None
        if params is not None:
            draws = {k: np.asarray(v, float) for k, v in params.items()}
        else:
            draws = posterior_draws(twin, model, coupling, conn.n_regions)
        return cls(conn, model, coupling, stim if isinstance(stim, Stimulus) else None, draws)._subsample(n_samples, seed)

    def _subsample(self, n_samples: int | None, seed) -> "Scenario":
        n = self.n_draws
        if n_samples is None or n is None:
            return self
        n_samples = int(n_samples)
        if n_samples < 1:
            raise InputError(f"n_samples must be >= 1, got {n_samples}", source=SOURCE, field="n_samples")
        if n_samples >= n:  # fewer draws than asked for: all of them
            return self
        rng = np.random.default_rng(seed)
        idx = np.sort(rng.choice(n, size=n_samples, replace=False))
        return self.replace(draws={k: v[idx] for k, v in self.draws.items()})

    # ------------------------------------------------------ parameter edits
    def with_param(self, name: str, fn: Callable[[np.ndarray], np.ndarray], regions=None, what: str = "value") -> "Scenario":
        """A new scenario with parameter ``name`` mapped through ``fn`` (in the model, the coupling and every draw).

        ``regions`` restricts the change to those regions (model parameters only).
        """
        if self.model is None:
            raise InputError("this scenario has no model", source=SOURCE, field=name)
        try:
            return self._with_param(name, fn, regions)
        except ValueError as exc:  # shapes that do not broadcast
            if isinstance(exc, InputError):
                raise
            raise InputError(f"values do not fit the parameter's shape ({exc})", source=SOURCE, field=name) from None

    def _with_param(self, name: str, fn, regions) -> "Scenario":
        idx = None if regions is None else self.regions(regions)
        N = self.n_regions
        if name in self.model.parameter_names:
            cur = np.asarray(self.model.values[name], float)
            if idx is None:
                new_val = fn(cur)
            else:
                full = np.full(N, float(cur)) if cur.ndim == 0 else cur.copy()
                full[idx] = np.broadcast_to(fn(full[idx]), (len(idx),))
                new_val = full
            new_val = np.asarray(new_val, float)
            if new_val.ndim not in (0, 1) or (new_val.ndim == 1 and new_val.shape != (N,)):
                raise InputError(f"expected a scalar or {N} values, got shape {new_val.shape}", source=SOURCE, field=name)
            model = self.model.replace(**{name: new_val})
            draws = dict(self.draws)
            if name in draws:
                d = np.array(draws[name])
                if d.ndim == 1 and (idx is not None or np.ndim(new_val) == 1):
                    d = np.repeat(d[:, None], N, axis=1)  # a global draw becomes per region
                if idx is None:
                    d = np.asarray(fn(d), float)
                else:
                    d[:, idx] = fn(d[:, idx])
                draws[name] = d
            return self.replace(model=model, draws=draws)
        if _is_coupling_param(name, self.model, self.coupling):
            if idx is not None:
                raise InputError("a coupling parameter is global: it cannot be changed per region", source=SOURCE, field=name)
            cname = _coupling_name(name)
            new_c = float(np.asarray(fn(np.asarray(self.coupling.values[cname], float))))
            coupling = get_coupling(self.coupling, **{cname: new_c})
            draws = dict(self.draws)
            for key in {name, cname, "G" if cname == "a" else cname} & set(draws):
                draws[key] = np.asarray(fn(np.array(draws[key])), float)
            return self.replace(coupling=coupling, draws=draws)
        known = list(self.model.parameter_names) + (["G"] if self.coupling is not None and "a" in self.coupling.parameter_names else [])
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else f"; {self.model.name} has {', '.join(known)}"
        raise InputError(f"unknown parameter {name!r}{hint}", source=SOURCE, field=name)


def _missing(what: str):
    raise InputError(f"the twin has no {what}", source=SOURCE, field=what)


def _coupling_name(name: str) -> str:
    return "a" if name == "G" else name


def _is_coupling_param(name: str, model: Model | None, coupling: Coupling | None) -> bool:
    if coupling is None:
        return False
    if name == "G":
        return "a" in coupling.parameter_names
    if name == "a":  # simulate_batch sends "a" to the coupling
        return "a" in coupling.parameter_names
    return name in coupling.parameter_names and (model is None or name not in model.parameter_names)


def posterior_draws(twin, model: Model, coupling: Coupling | None, n_regions: int) -> dict[str, np.ndarray]:
    """Per-draw parameter values from ``twin.posterior.samples`` (only model and coupling parameters).

    Draws of other quantities (observation amplitude, noise, initial states) are
    not parameters of the simulation and are left out.  Empty when the twin has
    no posterior.
    """
    post = getattr(twin, "posterior", None)
    samples = getattr(post, "samples", None) if post is not None else None
    if not samples:
        return {}
    out = {}
    for name, v in samples.items():
        if name not in model.parameter_names and not _is_coupling_param(name, model, coupling):
            continue
        a = np.asarray(v, float)
        if a.ndim == 1 or (a.ndim == 2 and a.shape[1] == n_regions):
            out[name] = a
    return out


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


# ---------------------------------------------------------------------------
# parsing (command line)

_PATTERNS: dict[str, type] = {"pulse": PulseTrain, "pulses": PulseTrain, "pulsetrain": PulseTrain, "sine": Sine, "sin": Sine, "dc": Step, "step": Step}
_ALIASES = {"amp": "amplitude", "a": "amplitude", "freq": "frequency", "f": "frequency", "hz": "frequency", "w": "width", "t0": "onset", "start": "onset", "end": "stop"}


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [s.strip() for s in out if s.strip()]


def _number(text: str, field: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"expected a number, got {text!r}", source=SOURCE, field=field) from None


def _kv(text: str, field: str) -> dict[str, float]:
    out = {}
    for item in _split_top(text):
        if "=" not in item:
            raise InputError(f"expected name=value, got {item!r}", source=SOURCE, field=field)
        k, v = item.split("=", 1)
        out[k.strip()] = _number(v.strip(), f"{field}.{k.strip()}")
    return out


def _region_list(text: str) -> list:
    return [int(r) if re.fullmatch(r"\d+", r) else r for r in _split_top(text)]


def _parse_pattern(kind: str, opts: str, field: str) -> Pattern:
    cls = _PATTERNS.get(kind.strip().lower())
    if cls is None:
        raise InputError(f"unknown pattern {kind!r}; use pulse, sine or dc", source=SOURCE, field=field)
    kw = {_ALIASES.get(k.lower(), k): v for k, v in _kv(opts, field).items()} if opts else {}
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(kw) - names)
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(unknown)} for {cls.__name__}; it has {', '.join(sorted(names))}", source=SOURCE, field=field)
    return cls(**kw)


def _parse_params(text: str, field: str, build) -> list[Intervention]:
    """``"x0=-2.5,K=0.8"`` or ``"x0[lA1,lA2]=-2.5"``: one intervention per distinct region set."""
    out = []
    for item in _split_top(text):
        m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*(?:\[(.*)\])?\s*=\s*(\S+)\s*", item)
        if not m:
            raise InputError(f"expected name=value or name[regions]=value, got {item!r}", source=SOURCE, field=field)
        name, regs, val = m.groups()
        out.append(build(None if regs is None else _region_list(regs), **{name: _number(val, f"{field}.{name}")}))
    return out


def _parse_one(kind: str, text: str) -> list[Intervention]:
    kind = kind.strip().lower().replace("-", "_")
    text = str(text).strip()
    if kind == "resect":
        return [resect(_region_list(text))]
    if kind == "disconnect":
        return [disconnect(_split_top(text) if text.lower() not in _EDGE_KEYWORDS else text)]
    if kind == "lesion":
        edges, _, opts = text.partition(":")
        kw = {{"weight": "weight_factor", "w": "weight_factor", "speed": "speed_factor", "s": "speed_factor"}.get(k, k): v
              for k, v in _kv(opts, "lesion").items()} if opts else {}
        bad = sorted(set(kw) - {"weight_factor", "speed_factor"})
        if bad:
            raise InputError(f"unknown lesion option(s) {', '.join(bad)}; use weight= and speed=", source=SOURCE, field="lesion")
        e = edges.strip()
        return [lesion(e if e.lower() in _EDGE_KEYWORDS else _split_top(e), **kw)]
    if kind == "stimulate":
        parts = text.split(":", 2)
        if len(parts) < 2:
            raise InputError(f"expected regions:pattern[:options], got {text!r}", source=SOURCE, field="stimulate")
        regions, pat = parts[0], parts[1]
        return [stimulate(_region_list(regions), _parse_pattern(pat, parts[2] if len(parts) > 2 else "", "stimulate"))]
    if kind in ("set_params", "set"):
        return _parse_params(text, "set_params", lambda r, **v: set_params(r, **v))
    if kind in ("scale_params", "scale"):
        return _parse_params(text, "scale_params", lambda r, **v: scale_params(r, **v))
    if kind in ("shift_params", "shift"):
        return _parse_params(text, "shift_params", lambda r, **v: shift_params(r, **v))
    if kind == "scale_coupling":
        return [scale_coupling(_number(text, "scale_coupling"))]
    if kind == "scale_interhemispheric":
        return [scale_interhemispheric(_number(text, "scale_interhemispheric"))]
    raise InputError(
        f"unknown intervention {kind!r}; use resect, disconnect, lesion, stimulate, set_params, scale_params, shift_params, "
        "scale_coupling or scale_interhemispheric",
        source=SOURCE,
        field="intervention",
    )


def parse_interventions(**specs: str | Sequence[str] | None) -> Intervention | None:
    """Build one (composed) intervention from command-line style strings.

    Keyword arguments name the intervention; each value is a string or a list of
    strings (several interventions of that kind, also separable by ``;``).  They
    are composed in the order given.

    ==========================  ==============================================
    keyword                     example value
    ==========================  ==============================================
    ``resect``                  ``"lA1,lA2"``
    ``disconnect``              ``"lA1-lA2,lA1>rA1"`` or ``"interhemispheric"``
    ``lesion``                  ``"lA1-lA2:weight=0.5,speed=0.5"``, ``"all:speed=0.7"``
    ``stimulate``               ``"rA1:pulse:amp=1,period=100,width=5"``,
                                ``"rA1:sine:amp=0.5,freq=10"``, ``"rA1:dc:amp=0.2,onset=100"``
    ``set_params``              ``"x0=-2.5"``, ``"x0[lA1,lA2]=-3"``
    ``scale_params``            ``"K=0.8"``
    ``shift_params``            ``"x0=-0.3"``
    ``scale_coupling``          ``"0.8"``
    ``scale_interhemispheric``  ``"0.5"``
    ==========================  ==============================================

    Returns
    -------
    Intervention or None
        None when nothing was given.

    Raises
    ------
    InputError
        For an unknown kind, a malformed value or an unknown pattern option.
        Unknown regions are reported when the intervention is applied to a twin.
    """
    items: list[Intervention] = []
    for kind, value in specs.items():
        if value is None:
            continue
        values = [value] if isinstance(value, str) else list(value)
        for v in values:
            for piece in (p.strip() for p in str(v).split(";")):
                if piece:
                    items.extend(_parse_one(kind, piece))
    return compose(*items) if items else None


def parse_intervention(spec: str) -> Intervention:
    """One intervention from ``"kind=value; kind=value"`` (e.g. ``"resect=lA1,lA2; stimulate=rA1:dc:amp=0.2"``).

    ``"baseline"`` or ``"none"`` gives :class:`NoIntervention`.
    """
    spec = str(spec).strip()
    if spec.lower() in ("", "none", "baseline"):
        return NoIntervention()
    items: list[Intervention] = []
    for piece in (p.strip() for p in spec.split(";")):
        if not piece:
            continue
        kind, eq, value = piece.partition("=")
        if not eq:
            raise InputError(f"expected kind=value, got {piece!r}", source=SOURCE, field="intervention")
        items.extend(_parse_one(kind, value))
    return compose(*items)


Intervention.from_cli = staticmethod(parse_interventions)  # type: ignore[attr-defined]
Intervention.parse = staticmethod(parse_intervention)  # type: ignore[attr-defined]
