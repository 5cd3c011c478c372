"""numba kernels for the feature stage (private).

Each kernel takes a C-contiguous batch ``x`` shaped ``(N, T, C)`` and loops over
the N batch items; inside an item, time is the outer loop and channels the
inner loop, so memory is read contiguously. They allocate only O(C) scratch per
item.

Every kernel is compiled twice: a ``parallel=True`` variant (threads over the
batch items, used by direct calls of the public functions) and a serial
``nogil=True`` variant, used inside :func:`serial_kernels` blocks.
:func:`braintwin.features.compute` runs chunks of a batch in a thread pool with
the serial variants: one parallel region for the whole batch instead of one per
kernel call, which stays fast when the machine's cores are shared.
"""

from __future__ import annotations

import contextlib
import threading
import types

import numba
import numpy as np

_LOCAL = threading.local()
_OPTS = dict(cache=True, error_model="numpy", fastmath=False)


@contextlib.contextmanager
def serial_kernels():
    """Within this block (in this thread), kernels run their serial, GIL-free variant."""
    prev = getattr(_LOCAL, "serial", False)
    _LOCAL.serial = True
    try:
        yield
    finally:
        _LOCAL.serial = prev


def _kernel(fn):
    """Compile ``fn`` as a parallel and a serial nogil kernel; return a dispatcher."""
    ser_fn = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial", fn.__defaults__, fn.__closure__)
    ser_fn.__qualname__ = fn.__qualname__ + "_serial"  # distinct numba cache files
    par = numba.njit(parallel=True, **_OPTS)(fn)
    ser = numba.njit(nogil=True, **_OPTS)(ser_fn)

    def dispatch(*args):
        return (ser if getattr(_LOCAL, "serial", False) else par)(*args)

    dispatch.__name__ = fn.__name__
    dispatch.__doc__ = fn.__doc__
    dispatch.parallel = par
    dispatch.serial = ser
    return dispatch


@_kernel
def moments_kernel(x, out):  # pragma: no cover - compiled
    """out[0..3, n, c] = mean, std, skewness, excess kurtosis of x[n, :, c] (two-pass)."""
    N, T, C = x.shape
    for n in numba.prange(N):
        m1 = np.zeros(C)
        for t in range(T):
            for c in range(C):
                m1[c] += x[n, t, c]
        for c in range(C):
            m1[c] /= T
        m2 = np.zeros(C)
        m3 = np.zeros(C)
        m4 = np.zeros(C)
        for t in range(T):
            for c in range(C):
                d = x[n, t, c] - m1[c]
                d2 = d * d
                m2[c] += d2
                m3[c] += d2 * d
                m4[c] += d2 * d2
        for c in range(C):
            v = m2[c] / T
            out[0, n, c] = m1[c]
            out[1, n, c] = np.sqrt(v)
            if v > 0.0:
                out[2, n, c] = (m3[c] / T) / (v * np.sqrt(v))
                out[3, n, c] = (m4[c] / T) / (v * v) - 3.0
            else:
                out[2, n, c] = np.nan
                out[3, n, c] = np.nan


@_kernel
def onset_kernel(x, thr, n_min, out):  # pragma: no cover - compiled
    """out[n, c] = first sample t with x[n, t:t+n_min, c] > thr[n, c] throughout, else -1."""
    N, T, C = x.shape
    for n in numba.prange(N):
        run = np.zeros(C, dtype=np.int64)
        found = np.full(C, -1, dtype=np.int64)
        n_left = C
        for t in range(T):
            if n_left == 0:
                break
            for c in range(C):
                if found[c] < 0:
                    if x[n, t, c] > thr[n, c]:
                        run[c] += 1
                        if run[c] >= n_min:
                            found[c] = t - n_min + 1
                            n_left -= 1
                    else:
                        run[c] = 0
        for c in range(C):
            out[n, c] = found[c]


@_kernel
def envelope_kernel(x, n_base, dt_s, thr, n_min, out):  # pragma: no cover - compiled
    """Envelope statistics of x[n, :, c] in one pass per item.

    out[0] = baseline level (mean of the first n_base samples)
    out[1] = maximum
    out[2] = area above baseline, sum_t (x - baseline) * dt_s
    out[3] = onset sample: first t with x - baseline > thr for n_min samples, -1 if never
    out[4] = fraction of samples with x - baseline > thr
    """
    N, T, C = x.shape
    for n in numba.prange(N):
        base = np.zeros(C)
        for t in range(n_base):
            for c in range(C):
                base[c] += x[n, t, c]
        for c in range(C):
            base[c] /= n_base
        mx = np.full(C, -np.inf)
        area = np.zeros(C)
        run = np.zeros(C, dtype=np.int64)
        found = np.full(C, -1, dtype=np.int64)
        above = np.zeros(C)
        nan = np.zeros(C, dtype=np.bool_)
        for t in range(T):
            for c in range(C):
                v = x[n, t, c]
                if v != v:
                    nan[c] = True
                if v > mx[c]:
                    mx[c] = v
                d = v - base[c]
                area[c] += d
                if d > thr:
                    above[c] += 1.0
                    if found[c] < 0:
                        run[c] += 1
                        if run[c] >= n_min:
                            found[c] = t - n_min + 1
                else:
                    run[c] = 0
        for c in range(C):
            out[0, n, c] = base[c]
            out[1, n, c] = np.nan if nan[c] else mx[c]
            out[2, n, c] = area[c] * dt_s
            out[3, n, c] = np.nan if nan[c] else found[c]
            out[4, n, c] = np.nan if nan[c] else above[c] / T


@_kernel
def welch_segments_kernel(x, win, step, out):  # pragma: no cover - compiled
    """out[n, s, k, c] = (x[n, s*step + k, c] - mean_k x[n, s*step + k, c]) * win[k]."""
    N, S, L, C = out.shape
    for n in numba.prange(N):
        m = np.empty(C)
        for s in range(S):
            t0 = s * step
            for c in range(C):
                m[c] = 0.0
            for k in range(L):
                for c in range(C):
                    m[c] += x[n, t0 + k, c]
            for c in range(C):
                m[c] /= L
            for k in range(L):
                w = win[k]
                for c in range(C):
                    out[n, s, k, c] = (x[n, t0 + k, c] - m[c]) * w


@_kernel
def welch_power_kernel(spec, scale, out):  # pragma: no cover - compiled
    """out[n, f, c] = scale[f] * mean_s |spec[n, s, f, c]|^2."""
    N, S, F, C = spec.shape
    for n in numba.prange(N):
        for f in range(F):
            for c in range(C):
                out[n, f, c] = 0.0
        for s in range(S):
            for f in range(F):
                for c in range(C):
                    z = spec[n, s, f, c]
                    out[n, f, c] += z.real * z.real + z.imag * z.imag
        for f in range(F):
            g = scale[f] / S
            for c in range(C):
                out[n, f, c] *= g
