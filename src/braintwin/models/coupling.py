"""Coupling functions: how delayed activity of source regions enters a target region.

Every coupling has the form used by The Virtual Brain::

    c_i = post( sum_j w_ij * pre(x_j(t - d_ij)), x_i(t) )

Here ``pre`` is written so that it depends on the (delayed) *source* only, and
any dependence on the target's current state ``x_i`` is moved into ``post``
(exact algebra, e.g. ``sum_j w_ij (x_j - x_i) = sum_j w_ij x_j - x_i sum_j w_ij``).
That lets the engines keep a history of ``pre(x)`` and compute the delayed sums
for a whole block of steps with contiguous vector operations.

Like models, ``pre`` and ``post`` are written once against a math namespace
``m`` and every engine derives from them.  Arguments are tuples: ``x`` holds the
coupled variables (the model's ``coupling_vars``), ``gx`` the weighted sums of
the history signals, ``wsum`` the row sum ``sum_j w_ij`` and ``p`` the
coupling's parameters.  ``a`` is the global coupling scale **G** in every
coupling that has one.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np

from ..errors import InputError
from .base import Parameter, Vars

__all__ = [
    "Coupling",
    "Linear",
    "Difference",
    "SigmoidalJansenRit",
    "HyperbolicTangent",
    "Kuramoto",
    "get_coupling",
    "resolve_parameter",
    "with_parameter",
]


class Coupling:
    """Abstract base of coupling functions (one definition for every engine).

    Class attributes
    ----------------
    parameters : tuple of Parameter
    n_in : int or None
        Number of coupled variables consumed (``None``: any, applied to each).
    """

    parameters: ClassVar[tuple[Parameter, ...]] = ()
    n_in: ClassVar[int | None] = None

    def __init__(self, **values: Any):
        names = [p.name for p in self.parameters]
        if "G" in values:  # the field's name for the global scale
            if "a" in values:
                raise InputError("give either G or a, not both", source=type(self).__name__, field="G")
            values["a"] = values.pop("G")
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise InputError(
                f"unknown parameter(s) {', '.join(unknown)}; {type(self).__name__} has {', '.join(names)}",
                source=type(self).__name__,
                field="coupling",
            )
        self.values = {p.name: float(p.default) for p in self.parameters}
        for k, v in values.items():
            v = float(v)
            if not np.isfinite(v):
                raise InputError("value is not finite", source=type(self).__name__, field=k)
            self.values[k] = v

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def n_history(self, n_cvar: int) -> int:
        """Number of history signals kept per region for ``n_cvar`` coupled variables."""
        return len(self.pre(tuple(np.zeros(1) for _ in range(n_cvar)), self._p(), np))

    def n_terms(self, n_cvar: int) -> int:
        """Number of coupling inputs ``c[k]`` handed to the model."""
        z = tuple(np.zeros(1) for _ in range(n_cvar))
        gx = self.pre(z, self._p(), np)
        return len(self.post(gx, z, np.zeros(1), self._p(), np))

    def _p(self) -> Vars:
        return Vars(**self.values)

    def param_array(self) -> np.ndarray:
        return np.array([self.values[n] for n in self.parameter_names], dtype=float)

    @staticmethod
    def pre(x: tuple, p: Vars, m: Any) -> tuple:
        """History signals from the coupled variables of a source region."""
        raise NotImplementedError

    @staticmethod
    def post(gx: tuple, x: tuple, wsum: Any, p: Vars, m: Any) -> tuple:
        """Coupling inputs of a target region from the weighted sums ``gx``."""
        raise NotImplementedError

    def check(self, n_cvar: int, model_name: str = "") -> None:
        if self.n_in is not None and n_cvar != self.n_in:
            raise InputError(
                f"{self.name} couples {self.n_in} variables but {model_name} has {n_cvar} coupling variables",
                source=model_name or None,
                field="coupling",
            )

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.values.items())})"


class Linear(Coupling):
    r"""Linear coupling: :math:`c_i = a \sum_j w_{ij} x_j(t - d_{ij}) + b` (TVB ``Linear``).

    TVB's default is ``a = 1/256``; ``a`` is the global coupling G.
    """

    parameters = (
        Parameter("a", 0.00390625, (0.0, 10.0), "1", "global coupling scale G"),
        Parameter("b", 0.0, (-10.0, 10.0), "1", "offset"),
    )

    @staticmethod
    def pre(x, p, m):
        return tuple(x)

    @staticmethod
    def post(gx, x, wsum, p, m):
        return tuple(p.a * g + p.b for g in gx)


class Difference(Coupling):
    r"""Difference coupling: :math:`c_i = a \sum_j w_{ij} (x_j(t - d_{ij}) - x_i(t))` (TVB ``Difference``)."""

    parameters = (Parameter("a", 0.1, (0.0, 10.0), "1", "global coupling scale G"),)

    @staticmethod
    def pre(x, p, m):
        return tuple(x)

    @staticmethod
    def post(gx, x, wsum, p, m):
        return tuple(p.a * (g - xi * wsum) for g, xi in zip(gx, x))


class SigmoidalJansenRit(Coupling):
    r"""Jansen-Rit sigmoidal coupling of the pyramidal potential (TVB ``SigmoidalJansenRit``).

    .. math::
        c_i = a \sum_j w_{ij} \left[c_{min} + \frac{c_{max} - c_{min}}
              {1 + \exp(r (v_0 - (y_1 - y_2)_j(t - d_{ij})))}\right]

    Consumes the two coupled variables ``(y1, y2)`` and gives one input.
    """

    n_in = 2
    parameters = (
        Parameter("a", 1.0, (0.0, 100.0), "1", "global coupling scale G"),
        Parameter("cmin", 0.0, (-1.0, 1.0), "ms^-1", "minimum firing rate"),
        Parameter("cmax", 0.005, (0.0, 1.0), "ms^-1", "maximum firing rate (2 e0)"),
        Parameter("midpoint", 6.0, (0.0, 20.0), "mV", "firing threshold v0"),
        Parameter("r", 0.56, (0.01, 10.0), "mV^-1", "sigmoid steepness"),
    )

    @staticmethod
    def pre(x, p, m):
        return (p.cmin + (p.cmax - p.cmin) / (1.0 + m.exp(p.r * (p.midpoint - (x[0] - x[1])))),)

    @staticmethod
    def post(gx, x, wsum, p, m):
        return (p.a * gx[0],)


class HyperbolicTangent(Coupling):
    r"""Pre-synaptic hyperbolic tangent (TVB ``HyperbolicTangent``, used with Larter-Breakspear).

    .. math:: c_i = \sum_j w_{ij}\, a (1 + \tanh((b x_j - \mathrm{midpoint}) / \sigma))
    """

    parameters = (
        Parameter("a", 1.0, (-1000.0, 1000.0), "1", "global coupling scale G"),
        Parameter("b", 1.0, (-10.0, 10.0), "1", "input gain"),
        Parameter("midpoint", 0.0, (-1000.0, 1000.0), "1", "midpoint"),
        Parameter("sigma", 1.0, (0.01, 1000.0), "1", "width"),
    )

    @staticmethod
    def pre(x, p, m):
        return tuple(p.a * (1.0 + m.tanh((p.b * xi - p.midpoint) / p.sigma)) for xi in x)

    @staticmethod
    def post(gx, x, wsum, p, m):
        return tuple(gx)


class Kuramoto(Coupling):
    r"""Kuramoto coupling :math:`c_i = a \sum_j w_{ij} \sin(\theta_j(t - d_{ij}) - \theta_i(t))`.

    TVB's docstring says ``a / N``, but its code divides by the number of coupled
    *variables* (1), so, as in TVB, there is no division by the number of regions.
    The sine of the difference is expanded so the history holds ``sin`` and ``cos``.
    """

    parameters = (Parameter("a", 1.0, (0.0, 10.0), "rad ms^-1", "global coupling scale G"),)

    @staticmethod
    def pre(x, p, m):
        out = []
        for xi in x:
            out += [m.sin(xi), m.cos(xi)]
        return tuple(out)

    @staticmethod
    def post(gx, x, wsum, p, m):
        return tuple(p.a * (gx[2 * k] * m.cos(xi) - gx[2 * k + 1] * m.sin(xi)) for k, xi in enumerate(x))


_COUPLINGS = {c.__name__.lower(): c for c in (Linear, Difference, SigmoidalJansenRit, HyperbolicTangent, Kuramoto)}


def get_coupling(spec: "str | Coupling | None", default: str = "Linear", *, model=None, **values: Any) -> Coupling:
    """A coupling instance from a name (case-insensitive), an instance, or ``None``.

    With ``spec=None`` the model's ``default_coupling`` (or ``default``) is used, with
    the model's ``default_coupling_params`` under any ``values`` given here.  A
    ``G``/``a`` value given with an instance returns a copy with that scale.
    """
    if isinstance(spec, Coupling):
        return type(spec)(**{**spec.values, **values}) if values else spec
    if spec is None and model is not None:
        default = model.default_coupling
        values = {**getattr(model, "default_coupling_params", {}), **values}
    name = (spec or default).lower()
    if name not in _COUPLINGS:
        raise InputError(
            f"unknown coupling {spec!r}; choose one of {', '.join(c.__name__ for c in _COUPLINGS.values())}",
            field="coupling",
        )
    return _COUPLINGS[name](**values)


def resolve_parameter(name: str, model, coupling: Coupling | None) -> tuple[Literal["model", "coupling"], str]:
    """Where a parameter name goes, the model or the coupling, and its name there.

    The one rule every engine and ``whatif`` follow:

    1. ``"coupling.<p>"`` is the coupling's ``p`` (``"coupling.G"`` is its ``a``).
    2. ``"G"``, the global coupling strength, is the model's own ``G`` when
       the model defines one (:class:`~braintwin.models.ReducedWongWangExcInh`
       scales its input inside the model), else the coupling's ``a``.
    3. A model parameter name is the model's: the model's own names win.  So
       the ``a`` of Epileptor (coefficient of the cubic term of x1, Jirsa et
       al. 2014), Generic2dOscillator and JansenRit is the model's ``a``; their
       coupling strength is ``G`` (or ``coupling.a``).
    4. Any other coupling parameter name (``a`` of MPR's Linear coupling,
       ``b``, ``midpoint``, ...) is the coupling's.

    Parameters
    ----------
    name : str
        The name as given (``"G"``, ``"x0"``, ``"a"``, ``"coupling.b"``).
    model : Model or None
        The model (None: only the coupling is searched).
    coupling : Coupling or None
        The coupling (None: only the model is searched).

    Returns
    -------
    (target, name) : ("model" | "coupling", str)

    Raises
    ------
    InputError
        For a name that is neither the model's nor the coupling's.

    Examples
    --------
    >>> from braintwin.models import Epileptor, MontbrioPazoRoxin
    >>> resolve_parameter("G", Epileptor(), Difference())
    ('coupling', 'a')
    >>> resolve_parameter("a", Epileptor(), Difference())
    ('model', 'a')
    >>> resolve_parameter("a", MontbrioPazoRoxin(), Linear())
    ('coupling', 'a')
    """
    mnames = tuple(model.parameter_names) if model is not None else ()
    cnames = coupling.parameter_names if coupling is not None else ()
    if name.startswith("coupling."):
        cname = name[len("coupling."):]
        cname = "a" if cname == "G" else cname
        if cname in cnames:
            return "coupling", cname
    elif name == "G" and "G" in mnames:
        return "model", "G"
    elif name == "G" and "a" in cnames:
        return "coupling", "a"
    elif name in mnames:
        return "model", name
    elif name in cnames:
        return "coupling", name
    where = f"{model.name} has {', '.join(mnames)}" if model is not None else "no model"
    cwhere = f"coupling {coupling.name} has {', '.join(cnames)}" if coupling is not None else "no coupling"
    raise InputError(
        f"unknown parameter {name!r}; {where}; {cwhere} (G = the global coupling strength; coupling.<name> for the coupling's own)",
        source=model.name if model is not None else None,
        field=name,
    )


def with_parameter(model, coupling: Coupling, name: str, value: Any):
    """``(model, coupling)`` with one parameter set where :func:`resolve_parameter` sends it.

    Parameters
    ----------
    model : Model
    coupling : Coupling
    name : str
        Any name :func:`resolve_parameter` accepts (``"G"``, ``"x0"``, ``"coupling.a"``).
    value : float or array
        The new value (a coupling value is a scalar).

    Returns
    -------
    (Model, Coupling)
        New instances where changed; the other one is returned as is.

    Examples
    --------
    >>> from braintwin.models import MontbrioPazoRoxin
    >>> m, c = with_parameter(MontbrioPazoRoxin(), Linear(), "G", 0.5)
    >>> c.values["a"]
    0.5
    """
    where, pname = resolve_parameter(name, model, coupling)
    if where == "model":
        return model.replace(**{pname: value}), coupling
    return model, type(coupling)(**{**coupling.values, pname: float(value)})

