"""Errors and warnings that braintwin shows to users.

Every user-facing failure is a :class:`BraintwinError` (or a subclass) that names
the *source* (a file or a built-in name), the *field* (which part of the input)
and the *problem*.  The CLI prints it as one line and exits with status 2.
"""

from __future__ import annotations

__all__ = [
    "checked_number",
    "BraintwinError",
    "InputError",
    "DivergenceError",
    "BraintwinWarning",
]


class BraintwinError(Exception):
    """A user-facing error: one clear line naming source, field and problem.

    Parameters
    ----------
    problem : str
        What is wrong, in plain words.
    source : str, optional
        The file (or built-in name, or argument) the problem was found in.
    field : str, optional
        The part of the input at fault (e.g. ``"weights"``, ``"tract_lengths"``).
    """

    def __init__(self, problem: str, *, source: str | None = None, field: str | None = None):
        self.problem = problem
        self.source = None if source is None else str(source)
        self.field = field
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [p for p in (self.source, self.field) if p]
        return ": ".join(parts + [self.problem])

    def __str__(self) -> str:
        return self.message


class InputError(BraintwinError, ValueError):
    """Bad input: a malformed file, an inconsistent array, an invalid option."""


class DivergenceError(BraintwinError, FloatingPointError):
    """A simulation became non-finite and the caller asked for an error."""


class BraintwinWarning(UserWarning):
    """Something suspicious but usable (asymmetric weights, disconnected regions, ...)."""


def checked_number(value, field: str, *, source: str | None = None, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (or >= 0 with ``allow_zero``), else an :class:`InputError`
    naming ``source`` and ``field`` (one check for every stage).

    >>> checked_number("2.5", "dt")
    2.5
    """
    import math

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected a number, got {value!r}", source=source, field=field) from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(f"must be {'>= 0' if allow_zero else '> 0'} and finite, got {value!r}", source=source,
                         field=field)
    return v
