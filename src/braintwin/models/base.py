"""The model definition: one declarative description per neural mass model.

Design (why it looks like this)
-------------------------------
A model's equations are written **once**, as a plain Python function::

    @staticmethod
    def dfun(y, c, p, m):
        dr = (p.Delta / (m.pi * p.tau) + 2.0 * y.V * y.r) / p.tau
        ...
        return dr, dV

* ``y`` holds the state variables by name (``y.r``), ``p`` the parameters by name
  (``p.tau``), ``c`` the tuple of coupling inputs (``c[0]``, ``c[1]``, ...) and ``m``
  is a small *math namespace*: ``exp log sqrt tanh sin cos abs where maximum
  minimum pi`` (see :data:`MATH_FUNCTIONS`).
* Every engine supplies its own ``m``:

  - the NumPy reference evaluation passes :mod:`numpy` (vectorised over regions
    and batches);
  - the JAX engine passes :mod:`jax.numpy` (jit, vmap, grad);
  - the numba engine passes a *tracer* (:mod:`braintwin.models.symbolic`) that
    records the operations into straight-line scalar Python source, which
    numba compiles into the inner loop of the integrator.

  So there is no second copy of any equation: the engines derive from this one.
* Rules that keep the function traceable: no Python ``if`` on state or
  parameters (use ``m.where(cond, a, b)``), no in-place updates, only the
  functions of ``m`` and arithmetic operators.

Parameters may be global (a scalar) or per region (an array of length
``n_regions``); engines broadcast them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["StateVar", "Parameter", "Model", "MATH_FUNCTIONS", "Vars"]

#: The functions and constants a model's ``dfun`` may use from its math namespace.
MATH_FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sin", "cos", "abs", "where", "maximum", "minimum", "pi")


@dataclass(frozen=True)
class StateVar:
    """A state variable of a neural mass model.

    Attributes
    ----------
    name : str
        Name used in the equations (``y.<name>``).
    meaning : str
        One line of physiology.
    init_range : tuple of float
        Range from which default random initial conditions are drawn (as TVB's
        ``state_variable_range``).
    bounds : tuple of float or None
        Hard bounds (lower, upper) clamped after the predictor and after the
        corrector, as TVB's ``state_variable_boundaries``; ``None`` for none.
    """

    name: str
    meaning: str
    init_range: tuple[float, float]
    bounds: tuple[float | None, float | None] = (None, None)


@dataclass(frozen=True)
class Parameter:
    """A model parameter: default value, plausible range, unit and meaning."""

    name: str
    default: float
    bounds: tuple[float, float]
    unit: str
    meaning: str


class Vars(SimpleNamespace):
    """Named access to arrays, e.g. ``y.r``; used for states and parameters."""


class Model:
    """Abstract base of every neural mass model: a definition plus parameter values.

    Subclasses set the class attributes below and the static method :meth:`dfun`.
    Instances carry parameter values: ``MontbrioPazoRoxin(eta=-5.0)`` or, per
    region, ``Epileptor(x0=np.full(76, -2.2))``.

    Class attributes
    ----------------
    state_vars : tuple of StateVar
    parameters : tuple of Parameter
    coupling_vars : tuple of str
        State variables passed to the coupling function (TVB's ``cvar``).
    stimulus_vars : tuple of str
        State variables a stimulus is added to (TVB's ``stvar``).
    default_outputs : tuple of str
        Outputs recorded by default: names or expressions of state variables
        (TVB's ``variables_of_interest``), e.g. ``"x2 - x1"``.
    default_coupling : str
        Name of the coupling function used when none is given.
    default_coupling_params : dict
        Parameter values of that default coupling (e.g. ``{"a": 1.0}``).
    reference : str
        Publication(s) and TVB class the equations follow.

    Model facts (declarative; read by ``whatif`` and the workflows, never keyed by name elsewhere)
    ----------------------------------------------------------------------------------------------
    seizure_variable : str or None
        State variable whose threshold crossing marks a seizure (``"x1"`` for
        the Epileptors, ``"x"`` for the VEP2D); ``None``: the model has no seizures.
    rest_state : dict of str to float
        A resting initial state, one value per state variable (empty: the
        engine's random initial state is used).
    silence : dict of str to float
        Parameter values that silence a region, used by a resection (e.g.
        ``{"x0": -5.0}``: far below the critical excitability, so the region
        never seizes); empty: a resected region is only disconnected.
    prediction_defaults : dict
        Simulation settings a what-if prediction uses unless the twin or the
        caller gives others (e.g. the VEP2D's ``dt``, ``duration`` in model
        time units, no delays).
    """

    state_vars: ClassVar[tuple[StateVar, ...]] = ()
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    coupling_vars: ClassVar[tuple[str, ...]] = ()
    stimulus_vars: ClassVar[tuple[str, ...]] = ()
    default_outputs: ClassVar[tuple[str, ...]] = ()
    default_coupling: ClassVar[str] = "Linear"
    default_coupling_params: ClassVar[dict] = {}
    reference: ClassVar[str] = ""
    seizure_variable: ClassVar[str | None] = None
    rest_state: ClassVar[Mapping[str, float]] = {}
    silence: ClassVar[Mapping[str, float]] = {}
    prediction_defaults: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, **values: Any):
        names = self.parameter_names
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise InputError(
                f"unknown parameter(s) {', '.join(unknown)}; {type(self).__name__} has {', '.join(names)}",
                source=type(self).__name__,
                field="parameters",
            )
        self.values: dict[str, float | np.ndarray] = {p.name: p.default for p in self.parameters}
        for k, v in values.items():
            arr = np.asarray(v, dtype=float)
            if not np.all(np.isfinite(arr)):
                raise InputError("value is not finite", source=type(self).__name__, field=k)
            self.values[k] = float(arr) if arr.ndim == 0 else arr.copy()

    # -- the definition -------------------------------------------------------
    @staticmethod
    def dfun(y: Vars, c: Sequence[Any], p: Vars, m: Any) -> tuple:
        """Right-hand side: the time derivative of every state variable, in order."""
        raise NotImplementedError

    # -- convenience ------------------------------------------------------------
    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.state_vars)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def n_state(self) -> int:
        return len(self.state_vars)

    def replace(self, **values: Any) -> "Model":
        """A copy with some parameter values changed (validated like the constructor)."""
        new = type(self)(**self.values)
        checked = type(self)(**values)
        for k in values:
            new.values[k] = checked.values[k]
        return new

    def param_array(self, n_regions: int, overrides: Mapping[str, Any] | None = None) -> np.ndarray:
        """Parameter values as a ``(n_parameters, n_regions)`` float64 array."""
        vals = dict(self.values)
        if overrides:
            vals.update(overrides)
        out = np.empty((len(self.parameters), n_regions))
        for k, p in enumerate(self.parameters):
            v = np.asarray(vals[p.name], dtype=float)
            if v.ndim == 0 or v.size == 1:
                out[k] = float(v.reshape(-1)[0])
            elif v.shape == (n_regions,):
                out[k] = v
            else:
                raise InputError(
                    f"expected a scalar or {n_regions} values (one per region), got shape {v.shape}",
                    source=self.name,
                    field=p.name,
                )
        return out

    def initial_state(self, n_regions: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """Random initial state ``(n_state, n_regions)`` drawn uniformly from each ``init_range``."""
        rng = np.random.default_rng(0) if rng is None else rng
        lo = np.array([s.init_range[0] for s in self.state_vars])[:, None]
        hi = np.array([s.init_range[1] for s in self.state_vars])[:, None]
        return lo + (hi - lo) * rng.random((self.n_state, n_regions))

    def state_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds per state variable (``-inf``/``inf`` where unbounded)."""
        lo = np.array([-np.inf if s.bounds[0] is None else s.bounds[0] for s in self.state_vars])
        hi = np.array([np.inf if s.bounds[1] is None else s.bounds[1] for s in self.state_vars])
        return lo, hi

    def evaluate(self, state: np.ndarray, coupling: Sequence[np.ndarray] | np.ndarray = (), params: np.ndarray | None = None, m: Any = np) -> np.ndarray:
        """Evaluate :meth:`dfun` with array math (NumPy by default, or ``jax.numpy``).

        Parameters
        ----------
        state : array, shape (n_state, ...)
            State variables, first axis in :attr:`state_names` order.
        coupling : sequence of arrays
            Coupling inputs ``c[k]`` broadcastable to a state variable.
        params : array, shape (n_parameters, ...), optional
            Parameter values; defaults to this instance's values.
        m : module
            Math namespace (``numpy`` or ``jax.numpy``).
        """
        y = Vars(**{n: state[i] for i, n in enumerate(self.state_names)})
        if params is None:
            p = Vars(**{k: (v if np.ndim(v) == 0 else m.asarray(v)) for k, v in self.values.items()})
        else:
            p = Vars(**{n: params[i] for i, n in enumerate(self.parameter_names)})
        out = self.dfun(y, tuple(coupling), p, m)
        zero = 0.0 * state[0]
        return m.stack([o + zero for o in out])

    def outputs_of(self, exprs: Sequence[str] | None = None) -> tuple[str, ...]:
        """Validated output expressions (defaults to :attr:`default_outputs`)."""
        from .symbolic import check_expression

        exprs = tuple(self.default_outputs if exprs is None else exprs)
        for e in exprs:
            check_expression(e, self.state_names, source=self.name)
        return exprs

    def describe(self) -> str:
        """A short human description: state variables and parameters with units."""
        lines = [f"{self.name}: {self.reference}", "state variables:"]
        lines += [f"  {s.name}: {s.meaning}" for s in self.state_vars]
        lines.append("parameters:")
        for p in self.parameters:
            v = self.values[p.name]
            v = v if np.ndim(v) == 0 else f"per-region (mean {np.mean(v):.3g})"
            lines.append(f"  {p.name} = {v} [{p.unit}]  {p.meaning}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.values.items() if np.ndim(v) or v != next(p.default for p in self.parameters if p.name == k)}
        args = ", ".join(f"{k}={v!r}" if np.ndim(v) == 0 else f"{k}=<array>" for k, v in changed.items())
        return f"{self.name}({args})"
