"""Priors for simulation-based inference: named, checked against the model, bijective.

A :class:`Prior` maps parameter names (the model's, plus ``G``, ``speed`` and the
noise level ``nsig``) to one-dimensional distributions, each global (shape ``()``)
or per region (shape ``(n_regions,)``).  Draws are flattened into ``(n, dim)``
float64 arrays whose columns are named by :attr:`Prior.labels`.

Each distribution carries an elementwise bijection between its support and the
real line, used by the flows of neural posterior estimation:

=================  ====================  ==========================================
support            ``to_unbounded(v)``   ``from_unbounded(u)``
=================  ====================  ==========================================
``(low, high)``    logit((v-low)/(h-l))  low + (high - low) sigmoid(u)
``(low, inf)``     log(v - low)          low + exp(u)
``(-inf, high)``   -log(high - v)        high - exp(-u)
``(-inf, inf)``    v                     u
=================  ====================  ==========================================

Every density, bijection and Jacobian works on numpy and on jax.numpy arrays
(the array module is taken from the input's type), so a flow can be trained in
JAX on exactly the same transform.

Example
-------
>>> import numpy as np
>>> from braintwin.infer.sbi.priors import Prior, Uniform
>>> prior = Prior({"G": Uniform(0.0, 1.0), "eta": {"dist": "normal", "loc": -5.0, "scale": 1.0}})
>>> prior.sample(4, seed=0).shape
(4, 2)
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import special, stats

from ..._io import atomic_path
from ...errors import InputError

__all__ = [
    "Distribution",
    "Uniform",
    "Normal",
    "LogNormal",
    "TruncatedNormal",
    "Prior",
    "read_prior",
    "write_prior",
    "SIMULATOR_PARAMETERS",
]

#: Names a prior may use besides the model's parameters: global coupling (1),
#: conduction speed (mm/ms) and the noise level (TVB's ``nsig``, state units^2/ms).
SIMULATOR_PARAMETERS = ("G", "speed", "nsig")

_LOG_2PI = math.log(2.0 * math.pi)


def _xp(v):
    """The array module of ``v``: jax.numpy for JAX arrays and tracers, else numpy."""
    if type(v).__module__.split(".")[0] in ("jax", "jaxlib"):
        import jax.numpy as jnp

        return jnp
    return np


def _asarray(v):
    xp = _xp(v)
    return xp, (xp.asarray(v, dtype=float) if xp is np else xp.asarray(v))


# -- the bijection to the real line, decided by the support ---------------------------
def _to_unbounded(v, low: float, high: float):
    xp, v = _asarray(v)
    if np.isfinite(low) and np.isfinite(high):
        p = (v - low) / (high - low)
        return xp.log(p) - xp.log1p(-p)
    if np.isfinite(low):
        return xp.log(v - low)
    if np.isfinite(high):
        return -xp.log(high - v)
    return v


def _from_unbounded(u, low: float, high: float):
    xp, u = _asarray(u)
    if np.isfinite(low) and np.isfinite(high):
        # tanh form of the sigmoid: stable for large |u| in numpy and JAX alike
        return low + (high - low) * 0.5 * (1.0 + xp.tanh(0.5 * u))
    if np.isfinite(low):
        return low + xp.exp(u)
    if np.isfinite(high):
        return high - xp.exp(-u)
    return u


def _log_abs_det_jac(u, low: float, high: float):
    """log |d from_unbounded / du|, elementwise."""
    xp, u = _asarray(u)
    if np.isfinite(low) and np.isfinite(high):
        # log sigmoid(u) + log sigmoid(-u) = -softplus(-u) - softplus(u)
        return math.log(high - low) - xp.logaddexp(0.0, -u) - xp.logaddexp(0.0, u)
    if np.isfinite(low):
        return u
    if np.isfinite(high):
        return -u
    return xp.zeros_like(u)


def _finite(name: str, **values: float) -> None:
    for k, v in values.items():
        if not np.isfinite(v):
            raise InputError(f"{k} must be finite, got {v!r}", field=name)


# -- distributions ---------------------------------------------------------------------
@dataclass(frozen=True)
class Distribution:
    """A one-dimensional distribution with a bijection of its support onto the reals.

    Subclasses are frozen dataclasses registered in :data:`_DISTRIBUTIONS` by their
    ``kind``; the base class derives the bijection from :attr:`support`.
    """

    kind: ClassVar[str] = ""

    @property
    def support(self) -> tuple[float, float]:
        """``(low, high)``; infinite ends are ``-inf``/``inf``."""
        return (-math.inf, math.inf)

    def sample(self, rng: np.random.Generator, shape=()) -> np.ndarray:
        """Independent draws, float64 of ``shape``."""
        raise NotImplementedError

    def log_prob(self, v):
        """Elementwise log-density (``-inf`` outside the support)."""
        raise NotImplementedError

    def to_unbounded(self, v):
        """The support mapped onto the real line (see the module table)."""
        return _to_unbounded(v, *self.support)

    def from_unbounded(self, u):
        """The inverse of :meth:`to_unbounded`."""
        return _from_unbounded(u, *self.support)

    def log_abs_det_jac(self, u):
        """log |d from_unbounded(u) / du|, elementwise."""
        return _log_abs_det_jac(u, *self.support)

    def to_dict(self) -> dict:
        """JSON/TOML-ready description, ``{"dist": kind, **parameters}``."""
        return {"dist": self.kind, **{f.name: float(getattr(self, f.name)) for f in fields(self)}}

    @staticmethod
    def from_dict(d: Mapping[str, Any], *, name: str = "") -> "Distribution":
        """The distribution a :meth:`to_dict` mapping describes (``dist`` names the kind)."""
        kind = str(d.get("dist", "")).lower().replace("-", "").replace("_", "")
        cls = _DISTRIBUTIONS.get(kind)
        if cls is None:
            raise InputError(
                f"unknown distribution {d.get('dist')!r}; choose one of {', '.join(_DISTRIBUTIONS)}", field=name or "dist"
            )
        wanted = [f.name for f in fields(cls)]
        extra = sorted(set(d) - set(wanted) - {"dist", "per_region"})
        missing = [k for k in wanted if k not in d and k not in _DEFAULTS.get(kind, {})]
        if extra or missing:
            raise InputError(
                f"{cls.__name__} takes {', '.join(wanted)}"
                + (f"; unknown {', '.join(extra)}" if extra else "")
                + (f"; missing {', '.join(missing)}" if missing else ""),
                field=name or "dist",
            )
        try:
            values = {k: float(d[k]) if k in d else _DEFAULTS[kind][k] for k in wanted}
        except (TypeError, ValueError) as exc:
            raise InputError(f"parameters must be numbers ({exc})", field=name or "dist") from None
        try:
            return cls(**values)
        except InputError as exc:  # name the prior entry at fault
            raise InputError(exc.problem, field=name or exc.field) from None

    def checked(self, name: str = "") -> "Distribution":
        """Self, after validating the parameters (raises :class:`InputError`)."""
        return self


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[low, high]``: log p = -log(high - low) inside."""

    low: float
    high: float
    kind: ClassVar[str] = "uniform"

    def __post_init__(self):
        self.checked()

    def checked(self, name: str = "") -> "Uniform":
        _finite(name or "uniform", low=self.low, high=self.high)
        if not self.low < self.high:
            raise InputError(f"low ({self.low}) must be < high ({self.high})", field=name or "uniform")
        return self

    @property
    def support(self):
        return (float(self.low), float(self.high))

    def sample(self, rng, shape=()):
        return rng.uniform(self.low, self.high, size=shape)

    def log_prob(self, v):
        xp, v = _asarray(v)
        inside = (v >= self.low) & (v <= self.high)
        return xp.where(inside, -math.log(self.high - self.low), -xp.inf)


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal(loc, scale): log p = -((v - loc)/scale)^2/2 - log(scale) - log(2 pi)/2."""

    loc: float
    scale: float
    kind: ClassVar[str] = "normal"

    def __post_init__(self):
        self.checked()

    def checked(self, name: str = "") -> "Normal":
        _finite(name or self.kind, loc=self.loc, scale=self.scale)
        if not self.scale > 0:
            raise InputError(f"scale must be > 0, got {self.scale}", field=name or self.kind)
        return self

    def sample(self, rng, shape=()):
        return rng.normal(self.loc, self.scale, size=shape)

    def log_prob(self, v):
        xp, v = _asarray(v)
        z = (v - self.loc) / self.scale
        return -0.5 * z * z - math.log(self.scale) - 0.5 * _LOG_2PI


@dataclass(frozen=True)
class LogNormal(Normal):
    """log v ~ Normal(loc, scale), on ``(0, inf)``: log p = Normal.log_prob(log v) - log v."""

    kind: ClassVar[str] = "lognormal"

    @property
    def support(self):
        return (0.0, math.inf)

    def sample(self, rng, shape=()):
        return rng.lognormal(self.loc, self.scale, size=shape)

    def log_prob(self, v):
        xp, v = _asarray(v)
        pos = v > 0
        lv = xp.log(xp.where(pos, v, 1.0))
        return xp.where(pos, Normal.log_prob(self, lv) - lv, -xp.inf)


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """Normal(loc, scale) restricted to ``[low, high]`` (either end may be infinite).

    log p = Normal.log_prob(v) - log(Phi(b) - Phi(a)), a = (low-loc)/scale,
    b = (high-loc)/scale, inside the bounds.
    """

    loc: float
    scale: float
    low: float = -math.inf
    high: float = math.inf
    kind: ClassVar[str] = "truncated_normal"

    def __post_init__(self):
        self.checked()

    def checked(self, name: str = "") -> "TruncatedNormal":
        Normal(self.loc, self.scale).checked(name or self.kind)
        if np.isnan(self.low) or np.isnan(self.high) or not self.low < self.high:
            raise InputError(f"low ({self.low}) must be < high ({self.high})", field=name or self.kind)
        if not self._log_mass > -700.0:
            raise InputError("the truncation interval holds no probability mass", field=name or self.kind)
        return self

    @property
    def _ab(self):
        return (self.low - self.loc) / self.scale, (self.high - self.loc) / self.scale

    @property
    def _log_mass(self) -> float:
        a, b = self._ab
        # log(Phi(b) - Phi(a)) computed on the side that keeps precision
        if a > 0:
            return float(special.log_ndtr(-a) + np.log1p(-np.exp(special.log_ndtr(-b) - special.log_ndtr(-a))))
        return float(special.log_ndtr(b) + np.log1p(-np.exp(special.log_ndtr(a) - special.log_ndtr(b))))

    @property
    def support(self):
        return (float(self.low), float(self.high))

    def sample(self, rng, shape=()):
        a, b = self._ab
        return stats.truncnorm.rvs(a, b, loc=self.loc, scale=self.scale, size=shape, random_state=rng)

    def log_prob(self, v):
        xp, v = _asarray(v)
        inside = (v >= self.low) & (v <= self.high)
        z = (v - self.loc) / self.scale
        lp = -0.5 * z * z - math.log(self.scale) - 0.5 * _LOG_2PI - self._log_mass
        return xp.where(inside, lp, -xp.inf)


#: Dispatch table: ``dist`` name in a prior file -> class.
_DISTRIBUTIONS: dict[str, type[Distribution]] = {
    "uniform": Uniform,
    "normal": Normal,
    "lognormal": LogNormal,
    "truncatednormal": TruncatedNormal,
}
_DEFAULTS = {"truncatednormal": {"low": -math.inf, "high": math.inf}}


# -- the joint prior -------------------------------------------------------------------
def _entry(name: str, value) -> tuple[Distribution, bool]:
    """(distribution, per_region) from a spec entry: a Distribution or a mapping."""
    if isinstance(value, Distribution):
        return value, False
    if not isinstance(value, Mapping):
        raise InputError(f"expected a distribution or a table with 'dist', got {value!r}", field=name)
    per_region = value.get("per_region", False)
    if not isinstance(per_region, (bool, np.bool_)):
        raise InputError(f"per_region must be true or false, got {per_region!r}", field=name)
    dist = value.get("dist")
    if isinstance(dist, Distribution):
        extra = sorted(set(value) - {"dist", "per_region"})
        if extra:
            raise InputError(f"unknown key(s) {', '.join(extra)} beside a distribution", field=name)
        return dist, bool(per_region)
    return Distribution.from_dict(value, name=name), bool(per_region)


def _allowed_names(model, coupling) -> tuple[str, ...] | None:
    if model is None:
        return None
    from ...models import get_coupling, get_model

    model = get_model(model)
    names = list(model.parameter_names) + list(SIMULATOR_PARAMETERS)
    if coupling is not None:
        names += [n for n in get_coupling(coupling, model=model).parameter_names if n not in names]
    return tuple(names)


class Prior:
    """Independent priors over named simulator parameters, flattened to ``(n, dim)``.

    Parameters
    ----------
    spec : mapping
        ``name -> Distribution`` or ``name -> {"dist": kind, <parameters>, "per_region": bool}``
        (``dist`` may also be a :class:`Distribution` instance).  Names are the
        model's parameters plus ``G`` (global coupling), ``speed`` (mm/ms) and
        ``nsig`` (noise level); per-region entries have shape ``(n_regions,)``.
    model : Model, model class name or None
        When given, every name is checked against it (unknown name -> InputError).
    coupling : Coupling, name or None
        Adds the coupling's parameter names to the allowed ones.
    n_regions : int, optional
        Needed by per-region entries (taken from ``region_labels`` if omitted).
    region_labels : sequence of str, optional
        Names the flattened columns, e.g. ``"x0[lA1]"`` (indices otherwise).

    Notes
    -----
    The joint log-density is the sum of the entries' log-densities; every entry's
    bijection to the real line is elementwise (see the module table), so
    ``log_abs_det_jacobian`` is a sum too.

    Example
    -------
    >>> prior = Prior({"G": Uniform(0, 1), "x0": {"dist": "uniform", "low": -3, "high": -1, "per_region": True}},
    ...               n_regions=3)
    >>> prior.labels
    ['G', 'x0[0]', 'x0[1]', 'x0[2]']
    """

    def __init__(self, spec: Mapping[str, Any], *, model=None, coupling=None, n_regions: int | None = None,
                 region_labels=None):
        if not isinstance(spec, Mapping) or not spec:
            raise InputError("a prior needs at least one parameter", field="prior")
        if region_labels is not None:
            region_labels = [str(x) for x in region_labels]
            if n_regions is not None and int(n_regions) != len(region_labels):
                raise InputError(f"{len(region_labels)} region labels for n_regions={n_regions}", field="region_labels")
            n_regions = len(region_labels)
        self.model_name = None if model is None else _model_name(model)
        self.coupling_name = None if coupling is None else _coupling_name(coupling)
        allowed = _allowed_names(model, coupling)
        self.n_regions = None if n_regions is None else int(n_regions)
        self.region_labels = region_labels
        self.dists: dict[str, Distribution] = {}
        self.per_region: dict[str, bool] = {}
        for name, value in spec.items():
            name = str(name)
            if allowed is not None and name not in allowed:
                raise InputError(f"unknown parameter {name!r}; {self.model_name} takes {', '.join(allowed)}",
                                 field="prior")
            self.dists[name], self.per_region[name] = _entry(name, value)
            if self.per_region[name] and not (self.n_regions and self.n_regions > 0):
                raise InputError("per-region prior needs n_regions or region_labels", field=name)
        self.names: tuple[str, ...] = tuple(self.dists)
        self.shapes: dict[str, tuple] = {n: (self.n_regions,) if self.per_region[n] else () for n in self.names}
        sizes = [int(np.prod(self.shapes[n], dtype=int)) for n in self.names]
        stops = np.cumsum(sizes)
        self._slices = {n: slice(int(e - s), int(e)) for n, s, e in zip(self.names, sizes, stops)}
        self.dim: int = int(stops[-1])
        self.labels: list[str] = [lab for n in self.names for lab in self._labels_of(n)]

    def _labels_of(self, name: str) -> list[str]:
        if not self.per_region[name]:
            return [name]
        regions = self.region_labels or [str(i) for i in range(self.n_regions)]
        return [f"{name}[{r}]" for r in regions]

    # -- columns ----------------------------------------------------------------------
    def _columns(self, theta, method: str):
        """Apply ``Distribution.<method>`` to each entry's columns and concatenate."""
        xp, theta = _asarray(theta)
        if theta.shape[-1:] != (self.dim,):
            raise InputError(f"expected {self.dim} columns ({', '.join(self.labels[:6])}...), got shape "
                             f"{tuple(theta.shape)}", field="theta")
        parts = [getattr(self.dists[n], method)(theta[..., self._slices[n]]) for n in self.names]
        return xp, parts

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper ends of the support, each ``(dim,)`` (may be infinite)."""
        lo = np.concatenate([np.full(self._slices[n].stop - self._slices[n].start, self.dists[n].support[0])
                             for n in self.names])
        hi = np.concatenate([np.full(self._slices[n].stop - self._slices[n].start, self.dists[n].support[1])
                             for n in self.names])
        return lo, hi

    def sample(self, n: int, seed: int | np.random.Generator = 0) -> np.ndarray:
        """``n`` independent draws, ``(n, dim)`` float64, columns as :attr:`labels`."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        cols = [np.asarray(self.dists[nm].sample(rng, (int(n), *self.shapes[nm])), dtype=np.float64).reshape(int(n), -1)
                for nm in self.names]
        return np.concatenate(cols, axis=1)

    def log_prob(self, theta):
        """Joint log-density, ``(n,)`` for ``(n, dim)`` input (``-inf`` outside the support)."""
        xp, parts = self._columns(theta, "log_prob")
        return sum(xp.sum(p, axis=-1) for p in parts)

    def to_unbounded(self, theta):
        """Elementwise bijection of every column onto the real line."""
        xp, parts = self._columns(theta, "to_unbounded")
        return xp.concatenate(parts, axis=-1)

    def from_unbounded(self, u):
        """Inverse of :meth:`to_unbounded`."""
        xp, parts = self._columns(u, "from_unbounded")
        return xp.concatenate(parts, axis=-1)

    def log_abs_det_jacobian(self, u):
        """log |det d from_unbounded(u) / du|, summed over columns: ``(n,)``."""
        xp, parts = self._columns(u, "log_abs_det_jac")
        return sum(xp.sum(p, axis=-1) for p in parts)

    def unflatten(self, theta) -> dict[str, np.ndarray]:
        """``name -> (n,)`` (global) or ``(n, n_regions)`` (per region) from ``(n, dim)``."""
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        if theta.shape[-1] != self.dim:
            raise InputError(f"expected {self.dim} columns, got {theta.shape[-1]}", field="theta")
        return {n: theta[:, self._slices[n]].reshape(theta.shape[0], *self.shapes[n]) for n in self.names}

    def flatten(self, params: Mapping[str, Any]) -> np.ndarray:
        """Inverse of :meth:`unflatten`: ``(n, dim)`` float64."""
        missing = [n for n in self.names if n not in params]
        if missing:
            raise InputError(f"missing {', '.join(missing)}", field="params")
        cols = []
        for n in self.names:
            a = np.asarray(params[n], dtype=np.float64)
            size = self._slices[n].stop - self._slices[n].start
            cols.append(a.reshape(-1, size) if a.ndim else np.full((1, size), float(a)))
        rows = {c.shape[0] for c in cols}
        if len(rows - {1}) > 1:
            raise InputError(f"parameters have different numbers of rows {sorted(rows)}", field="params")
        n_rows = max(rows)
        return np.concatenate([np.broadcast_to(c, (n_rows, c.shape[1])) for c in cols], axis=1)

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON/TOML-ready: ``{"params": {name: {dist, ..., per_region}}, "model", ...}``."""
        d: dict[str, Any] = {"params": {n: {**self.dists[n].to_dict(), "per_region": self.per_region[n]}
                                        for n in self.names}}
        for key, value in (("model", self.model_name), ("coupling", self.coupling_name),
                           ("n_regions", self.n_regions), ("region_labels", self.region_labels)):
            if value is not None:
                d[key] = value
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, model=None) -> "Prior":
        """The prior :meth:`to_dict` describes; ``model`` overrides the stored model name."""
        if not isinstance(d, Mapping):
            raise InputError("a prior must be a table", field="prior")
        d = d.get("prior", d)
        params = d.get("params")
        if not isinstance(params, Mapping):
            raise InputError("a prior needs a 'params' table (one entry per parameter)", field="prior")
        unknown = sorted(set(d) - {"params", "model", "coupling", "n_regions", "region_labels"})
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(unknown)}", field="prior")
        return cls(params, model=model if model is not None else d.get("model"), coupling=d.get("coupling"),
                   n_regions=d.get("n_regions"), region_labels=d.get("region_labels"))

    def __eq__(self, other) -> bool:
        return isinstance(other, Prior) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        body = ", ".join(f"{n}{list(self.shapes[n]) if self.shapes[n] else ''}~{self.dists[n]!r}" for n in self.names)
        return f"Prior({body})"


def _model_name(model) -> str:
    return model if isinstance(model, str) else getattr(model, "name", None) or type(model).__name__


def _coupling_name(coupling) -> str:
    return coupling if isinstance(coupling, str) else type(coupling).__name__


# -- files ------------------------------------------------------------------------------
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return "nan" if np.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(float(v)))
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic strings
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps_toml(d: Mapping[str, Any], _prefix: str = "") -> str:
    """A nested mapping of scalars and lists as TOML text (tables after scalars).

    The small subset a prior or a campaign configuration needs; ``None`` values are
    left out (TOML has no null).
    """
    lines = [f"{json.dumps(k) if not k.replace('_', '').isalnum() else k} = {_toml_value(v)}"
             for k, v in d.items() if v is not None and not isinstance(v, Mapping)]
    out = "\n".join(lines) + ("\n" if lines else "")
    for k, v in d.items():
        if isinstance(v, Mapping):
            key = k if k.replace("_", "").isalnum() else json.dumps(k)
            name = f"{_prefix}.{key}" if _prefix else key
            out += f"\n[{name}]\n" + dumps_toml(v, name)
    return out


def write_prior(prior: Prior, path) -> Path:
    """Write ``prior`` to ``path`` (``.toml`` or ``.json``), atomically."""
    path = Path(path)
    d = {"prior": prior.to_dict()}
    if path.suffix.lower() == ".json":
        text = json.dumps(d, indent=2, allow_nan=True)
    elif path.suffix.lower() == ".toml":
        text = dumps_toml(d)
    else:
        raise InputError("a prior file ends in .toml or .json", source=str(path), field="path")
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path


def read_prior(path, *, model=None) -> Prior:
    """Read a prior written by :func:`write_prior` (or by hand) from ``.toml``/``.json``.

    The file holds a ``prior`` table (or is that table): ``params`` with one entry
    per parameter (``dist`` plus its parameters, optional ``per_region``), and
    optionally ``model``, ``coupling``, ``n_regions``, ``region_labels``.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read prior file ({exc.strerror})", source=str(path)) from None
    try:
        d = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"not a valid prior file ({exc})", source=str(path)) from None
    try:
        return Prior.from_dict(d, model=model)
    except InputError as exc:
        raise InputError(exc.problem, source=str(path), field=exc.field) from None
