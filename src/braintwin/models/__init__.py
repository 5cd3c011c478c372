"""Neural mass models and coupling functions, each defined once for every engine.

See :mod:`braintwin.models.base` for how a model is written.
"""

from __future__ import annotations

from .base import MATH_FUNCTIONS, Model, Parameter, StateVar
from .coupling import (
    Coupling,
    Difference,
    HyperbolicTangent,
    Kuramoto as KuramotoCoupling,
    Linear,
    SigmoidalJansenRit,
    get_coupling,
    resolve_parameter,
    with_parameter,
)
from .mpr import MontbrioPazoRoxin
from .epileptor import VEP2D, Epileptor, Epileptor2D
from .jansen_rit import JansenRit
from .larter_breakspear import LarterBreakspear
from .oscillators import Generic2dOscillator, Kuramoto, SupHopf
from .wilson_cowan import WilsonCowan
from .wong_wang import ReducedWongWangExcInh

__all__ = [
    "MATH_FUNCTIONS",
    "Model",
    "Parameter",
    "StateVar",
    "Coupling",
    "Linear",
    "Difference",
    "SigmoidalJansenRit",
    "HyperbolicTangent",
    "KuramotoCoupling",
    "get_coupling",
    "resolve_parameter",
    "with_parameter",
    "MontbrioPazoRoxin",
    "Epileptor",
    "Epileptor2D",
    "VEP2D",
    "JansenRit",
    "ReducedWongWangExcInh",
    "Generic2dOscillator",
    "SupHopf",
    "Kuramoto",
    "WilsonCowan",
    "LarterBreakspear",
    "get_model",
    "list_models",
]


def list_models() -> list[str]:
    """Names of every model in the library."""
    return sorted(c.__name__ for c in _all_models())


def _all_models():
    import inspect

    return [v for v in globals().values() if inspect.isclass(v) and issubclass(v, Model) and v is not Model]


def get_model(spec, **values) -> Model:
    """A model instance from a class name (case-insensitive) or an instance."""
    from ..errors import InputError

    if isinstance(spec, Model):
        return spec.replace(**values) if values else spec
    by_name = {c.__name__.lower(): c for c in _all_models()}
    by_name.setdefault("mpr", MontbrioPazoRoxin)
    cls = by_name.get(str(spec).lower())
    if cls is None:
        raise InputError(f"unknown model {spec!r}; choose one of {', '.join(list_models())}", field="model")
    return cls(**values)
