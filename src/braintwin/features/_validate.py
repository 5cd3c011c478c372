"""Input checks shared by the feature functions (private).

Every public feature function takes signals shaped ``(..., n_times, n_channels)``:
any number of leading batch axes, then time (in samples), then channels. These
helpers turn bad input into :class:`~braintwin.errors.InputError` with a clear
message instead of a NumPy traceback deep inside a computation.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import InputError, checked_number

SOURCE = "braintwin.features"


def as_signal(x, name: str = "x", *, min_times: int = 1, min_channels: int = 1) -> np.ndarray:
    """``x`` as a float64 array shaped ``(..., n_times, n_channels)``."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists etc.
        raise InputError(f"could not be read as an array ({exc})", source=SOURCE, field=name) from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputError(f"expected a numeric array, got dtype {arr.dtype}", source=SOURCE, field=name)
    if np.iscomplexobj(arr):
        raise InputError("expected a real-valued array, got complex values", source=SOURCE, field=name)
    if arr.ndim < 2:
        raise InputError(
            f"expected shape (..., n_times, n_channels), got shape {arr.shape}; "
            "a single channel is x[:, None]",
            source=SOURCE,
            field=name,
        )
    if arr.shape[-2] < min_times:
        raise InputError(
            f"needs at least {min_times} time samples, got {arr.shape[-2]} (shape {arr.shape})",
            source=SOURCE,
            field=name,
        )
    if arr.shape[-1] < min_channels:
        raise InputError(
            f"needs at least {min_channels} channels, got {arr.shape[-1]} (shape {arr.shape})",
            source=SOURCE,
            field=name,
        )
    return arr.astype(np.float64, copy=False)


def as_square(m, name: str) -> np.ndarray:
    """``m`` as a float64 array shaped ``(..., n, n)``."""
    arr = np.asarray(m, dtype=np.float64) if not isinstance(m, np.ndarray) else m.astype(np.float64, copy=False)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise InputError(f"expected square matrices shaped (..., n, n), got shape {arr.shape}", source=SOURCE, field=name)
    return arr


def positive_int(value, name: str, *, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise InputError(f"expected an integer number of samples, got {value!r}", source=SOURCE, field=name)
    value = int(value)
    if value < minimum:
        raise InputError(f"must be at least {minimum}, got {value}", source=SOURCE, field=name)
    return value


def positive_float(value, name: str, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (or >= 0)."""
    return checked_number(value, name, source=SOURCE, allow_zero=allow_zero)


def sampling_rate(fs_hz=None, dt_ms=None, *, required: bool = True, what: str = "this feature") -> float | None:
    """Sampling rate in Hz from ``fs_hz`` or ``dt_ms`` (exactly one of them)."""
    if fs_hz is not None and dt_ms is not None:
        fs = positive_float(fs_hz, "fs_hz")
        dt = positive_float(dt_ms, "dt_ms")
        if not math.isclose(fs, 1000.0 / dt, rel_tol=1e-9):
            raise InputError(f"fs_hz={fs_hz} and dt_ms={dt_ms} disagree (1000/dt_ms = {1000.0 / dt})", source=SOURCE, field="fs_hz")
        return fs
    if fs_hz is not None:
        return positive_float(fs_hz, "fs_hz")
    if dt_ms is not None:
        return 1000.0 / positive_float(dt_ms, "dt_ms")
    if required:
        raise InputError(f"{what} needs the sampling rate: pass fs_hz= (Hz) or dt_ms= (ms)", source=SOURCE, field="fs_hz")
    return None


def window_params(n_times: int, window, step, *, min_window: int = 2) -> tuple[int, int, int]:
    """Checked ``(window, step, n_windows)`` for sliding windows over ``n_times`` samples."""
    window = positive_int(window, "window", minimum=min_window)
    step = positive_int(step, "step")
    if window > n_times:
        raise InputError(
            f"window of {window} samples is longer than the signal ({n_times} samples)",
            source=SOURCE,
            field="window",
        )
    n_windows = (n_times - window) // step + 1
    return window, step, n_windows


def flatten_batch(x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """``x`` (..., T, C) as a C-contiguous (N, T, C) array and the batch shape."""
    batch = x.shape[:-2]
    n = int(np.prod(batch, dtype=np.int64)) if batch else 1
    return np.ascontiguousarray(x.reshape((n,) + x.shape[-2:])), batch
