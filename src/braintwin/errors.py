"""Errors and warnings that braintwin shows to users.

Every user-facing failure is a :class:`BraintwinError` (or a subclass) that names
the *source* (a file or a built-in name), the *field* (which part of the input)
and the *problem*.  The CLI prints it as one line and exits with status 2.
"""

from __future__ import annotations

__all__ = [
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
