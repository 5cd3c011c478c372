"""Checks of the arrays a :class:`~braintwin.connectome.Connectome` is built from (each raises InputError)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _as_float(value: Any, *, source: str, field: str) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            return np.array(value, dtype=np.float64)
    except (TypeError, ValueError, np.exceptions.ComplexWarning) as e:
        raise InputError(f"not an array of real numbers ({e})", source=source, field=field) from None


def _matrix(value: Any, *, source: str, field: str) -> np.ndarray:
    a = _as_float(value, source=source, field=field)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise InputError(f"must be a square N x N matrix, got shape {a.shape}", source=source, field=field)
    if a.shape[0] == 0:
        raise InputError("is empty (0 regions)", source=source, field=field)
    return a


def _array(value: Any, shape: tuple[int, ...], *, source: str, field: str, nonnegative: bool = False) -> np.ndarray:
    a = _as_float(value, source=source, field=field)
    if a.shape != shape:
        raise InputError(f"expected shape {shape} (one entry per region), got {a.shape}", source=source, field=field)
    if not np.isfinite(a).all():
        raise InputError(f"contains NaN or inf (row {np.argwhere(~np.isfinite(a))[0][0]})", source=source, field=field)
    if nonnegative and (a < 0).any():
        raise InputError(f"negative value {a[a < 0][0]:g}", source=source, field=field)
    return a


def _bools(value: Any, n: int, *, source: str, field: str) -> np.ndarray:
    a = np.asarray(value)
    if a.dtype != bool:
        a = _array(value, (n,), source=source, field=field)
        bad = ~np.isin(a, (0.0, 1.0))
        if bad.any():
            raise InputError(f"expected 0/1 (or True/False), found {a[bad][0]:g}", source=source, field=field)
    elif a.shape != (n,):
        raise InputError(f"expected shape ({n},) (one entry per region), got {a.shape}", source=source, field=field)
    return np.array(a, dtype=bool)


def _labels(labels: Sequence[str] | None, n: int, *, source: str) -> list[str]:
    if labels is None:
        return [f"region_{i:03d}" for i in range(n)]
    if isinstance(labels, (str, bytes)):
        raise InputError("expected a sequence of region names, got one string", source=source, field="labels")
    out = [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in np.asarray(labels, dtype=object).ravel()]
    if len(out) != n:
        raise InputError(f"{len(out)} labels for {n} regions", source=source, field="labels")
    out = [x.strip() for x in out]
    for i, x in enumerate(out):
        if not x:
            raise InputError(f"label of region {i} is empty", source=source, field="labels")
    seen: set[str] = set()
    for x in out:
        if x in seen:
            raise InputError(f"duplicate label {x!r}", source=source, field="labels")
        seen.add(x)
    return out


def _pair(labels: list[str], i: int, j: int) -> str:
    return f"from {labels[j]!r} to {labels[i]!r} [{i}, {j}]"


def _check_values(a: np.ndarray, labels: list[str], *, source: str, field: str, unit: str) -> None:
    bad = ~np.isfinite(a)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(f"{a[i, j]} {_pair(labels, i, j)}: NaN and inf are not allowed", source=source, field=field)
    neg = a < 0
    if neg.any():
        i, j = np.argwhere(neg)[0]
        raise InputError(f"negative value {a[i, j]:g}{unit} {_pair(labels, i, j)}", source=source, field=field)


def _check_lengths(w: np.ndarray, t: np.ndarray, labels: list[str], *, source: str) -> None:
    bad = (w > 0) & (t <= 0)
    np.fill_diagonal(bad, False)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(
            f"tract {_pair(labels, i, j)} has weight {w[i, j]:g} but length {t[i, j]:g} mm "
            f"({int(bad.sum())} such tracts; if the regions really touch, pass allow_zero_lengths=True or --allow-zero-lengths)",
            source=source,
            field="tract_lengths",
        )


def _speed(speed: Any, *, source: str) -> float:
    try:
        v = float(speed)
    except (TypeError, ValueError):
        raise InputError(f"conduction speed must be a number in mm/ms, got {speed!r}", source=source, field="speed") from None
    if not (np.isfinite(v) and v > 0):
        raise InputError(f"conduction speed must be > 0 mm/ms, got {speed!r}", source=source, field="speed")
    return v


def _close(label: str, labels: list[str]) -> str:
    import difflib

    lower = {x.lower(): x for x in labels}
    near = [lower[x] for x in difflib.get_close_matches(label.lower(), list(lower), n=3)]
    return f" (did you mean {', '.join(map(repr, near))}?)" if near else ""


# ---------------------------------------------------------------------------
# hemispheres
