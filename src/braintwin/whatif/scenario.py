"""The :class:`Scenario`: everything a what-if simulation needs, immutable.

A scenario holds the connectome, the model, the coupling, the stimulus, the
parameter values of every posterior draw (:func:`posterior_draws`) and which
regions were removed.  Interventions (:mod:`braintwin.whatif.interventions`)
map a scenario to a new one.  Also here: region and edge resolution
(:func:`resolve_regions`, :func:`edge_mask`), shared by interventions and outcomes.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Callable

import numpy as np

from ..connectome import Connectome, as_connectome
from ..errors import InputError, checked_number
from ..models import Model, get_model
from ..models.coupling import Coupling, get_coupling, resolve_parameter
from ..simulate.stimulus import Stimulus

__all__ = ["Scenario", "resolve_regions", "edge_mask", "posterior_draws"]

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
    return conn.replace(**changes)


def _as_connectome(conn) -> Connectome:
    return as_connectome(conn, source=SOURCE)


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
    return checked_number(value, field, source=SOURCE, allow_zero=allow_zero)


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
            return np.array(self.coupling.values[_coupling_name(name, self.model, self.coupling)], float)
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
            cname = _coupling_name(name, self.model, self.coupling)
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


def _coupling_name(name: str, model: Model | None, coupling: Coupling | None) -> str:
    return resolve_parameter(name, model, coupling)[1]


def _is_coupling_param(name: str, model: Model | None, coupling: Coupling | None) -> bool:
    try:
        return coupling is not None and resolve_parameter(name, model, coupling)[0] == "coupling"
    except InputError:
        return False


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
