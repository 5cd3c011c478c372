"""Integration schemes as data: one stage table (Butcher tableau) per method.

Every engine reads the same :data:`TABLEAUX`: :func:`step` evaluates a table
with array math (NumPy reference, JAX engine, written against a math namespace
``m``) and the numba engine's code generator writes the same table out as
scalar code (:func:`update_source`), the way diffrax's ``heun.py`` is a
tableau plus a few lines.  All follow TVB: the coupling is held through every
stage of a step, the same noise increment enters predictor and corrector, a
stimulus adds ``dt * stim``, and bounds are applied after each stage.

A stage ``x + h dt * sum_j w_j k_j (+ incr)`` is a :class:`Combination`; the
expressions are written so that NumPy, JAX and numba round identically
(``h`` with numerator 1 is ``dt / d``, terms are summed left to right).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

__all__ = ["Combination", "Tableau", "TABLEAUX", "INTEGRATORS", "step", "update_source"]


@dataclass(frozen=True)
class Combination:
    """``x + (h * dt) * sum_j weights[j] * k_j``, plus the noise/stimulus increment if ``incr``."""

    h: Fraction
    weights: tuple[float, ...]
    incr: bool


@dataclass(frozen=True)
class Tableau:
    """An explicit scheme: ``k_1 = f(x)``, ``k_{s+1} = f(stages[s - 1])``, result ``final``."""

    stages: tuple[Combination, ...]
    final: Combination


_1, _2, _6 = Fraction(1), Fraction(1, 2), Fraction(1, 6)

#: The integrators, by name: Euler(-Maruyama), Heun (stochastic, as TVB's HeunStochastic) and RK4.
TABLEAUX: dict[str, Tableau] = {
    "euler": Tableau((), Combination(_1, (1.0,), True)),
    "heun": Tableau((Combination(_1, (1.0,), True),), Combination(_2, (1.0, 1.0), True)),
    "rk4": Tableau(
        (Combination(_2, (1.0,), False), Combination(_2, (0.0, 1.0), False), Combination(_1, (0.0, 0.0, 1.0), False)),
        Combination(_6, (1.0, 2.0, 2.0, 1.0), True),
    ),
}
INTEGRATORS = tuple(TABLEAUX)


def _clamp(x, lo, hi, m):
    return m.minimum(m.maximum(x, lo), hi)


def _step_size(h: Fraction, dt):
    if h == 1:
        return dt
    return dt / float(h.denominator) if h.numerator == 1 else float(h) * dt


def _combine(c: Combination, x, ks: Sequence, dt, incr, lo, hi, m):
    total = None
    for w, k in zip(c.weights, ks):
        if w:
            term = k if w == 1.0 else w * k
            total = term if total is None else total + term
    y = x + _step_size(c.h, dt) * total
    return _clamp(y + incr if c.incr else y, lo, hi, m)


def step(method: str, f: Callable, x, dt: float, incr, lo, hi, m: Any):
    """One step of ``method`` for ``dx/dt = f(x)``; ``incr`` is noise + dt * stimulus.

    Parameters
    ----------
    method : {"euler", "heun", "rk4"}
        A key of :data:`TABLEAUX`.
    f : callable
        The vector field, ``f(x)`` with the coupling held fixed.
    x : array ``(n_state, ...)``
        The state; ``lo``/``hi`` (state bounds) broadcast against it.
    dt : float
        Step (ms).
    incr : array or float
        Additive increment of the step: ``sqrt(2 nsig dt) z + dt * stimulus``.
    m : module
        Math namespace (``numpy`` or ``jax.numpy``).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(step("rk4", lambda x: -x, np.array(1.0), 0.1, 0.0, -np.inf, np.inf, np)), 9)  # exp(-0.1) = 0.904837418
    0.9048375
    """
    tab = TABLEAUX.get(method)
    if tab is None:
        raise ValueError(f"unknown integrator {method!r}")
    ks = [f(x)]
    for c in tab.stages:
        ks.append(f(_combine(c, x, ks, dt, incr, lo, hi, m)))
    return _combine(tab.final, x, ks, dt, incr, lo, hi, m)


def _combination_source(c: Combination, y: str, k: int, incr: str) -> str:
    h = "dt" if c.h == 1 else (f"(dt / {float(c.h.denominator)!r})" if c.h.numerator == 1 else f"({float(c.h)!r} * dt)")
    terms = [f"k{j + 1}[{k}]" if w == 1.0 else f"{float(w)!r} * k{j + 1}[{k}]" for j, w in enumerate(c.weights) if w]
    total = terms[0] if len(terms) == 1 and "*" not in terms[0] else f"({' + '.join(terms)})"
    return f"{y} + {h} * {total}{incr if c.incr else ''}"


def update_source(method: str, ys: Sequence[str], incr: Callable[[int], str], clamp: Callable, dcall: Callable) -> list[str]:
    """Scalar source lines of one step of ``method`` for the numba kernel (result in ``n_0, n_1, ...``).

    ``ys`` are the state variables' names, ``incr(k)`` the additive terms of
    state ``k`` (``" + z_k + dt * st"``), ``clamp(names)`` the bound lines and
    ``dcall(names)`` the call of the vector field on those names.

    Examples
    --------
    >>> update_source("euler", ["y_x"], lambda k: "", lambda names: [], lambda a: f"_dfun({', '.join(a)})")
    ['k1 = _dfun(y_x)', 'n_0 = y_x + dt * k1[0]']
    """
    tab = TABLEAUX[method]
    lines = [f"k1 = {dcall(list(ys))}"]
    for s, c in enumerate(tab.stages, start=2):
        names = [f"s{s}_{k}" for k in range(len(ys))]
        lines += [f"{name} = {_combination_source(c, y, k, incr(k))}" for k, (name, y) in enumerate(zip(names, ys))]
        lines += clamp(names)
        lines.append(f"k{s} = {dcall(names)}")
    names = [f"n_{k}" for k in range(len(ys))]
    lines += [f"{name} = {_combination_source(tab.final, y, k, incr(k))}" for k, (name, y) in enumerate(zip(names, ys))]
    return lines + clamp(names)
