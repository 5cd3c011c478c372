"""Preparing a connectome for an engine: sparse edges, integer delays, history layout."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..connectome import as_connectome
from ..errors import InputError

__all__ = ["network_source", "Network", "prepare_network"]

#: Edges with at least this many steps of delay may be summed block-wise.
MIN_BLOCK = 16
#: Longest block (steps) of block-wise delayed coupling.
MAX_BLOCK = 256


@dataclass
class Network:
    """Edges of a connectome as the engines use them.

    ``weights[i, j]`` is the tract from source ``j`` into target ``i``; delays are
    ``rint(tract_length / speed / dt)`` steps, as TVB rounds them.  Edges are
    split into *long* ones (delay >= ``block``), summed a block of steps at a
    time, and *short* ones (including zero delay, which reads the current
    state), summed every step.
    """

    n_regions: int
    labels: tuple[str, ...]
    weights: np.ndarray
    idelays: np.ndarray
    wsum: np.ndarray
    block: int
    horizon: int  # ring buffer length (power of two)
    long: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    short: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

    @property
    def mask(self) -> int:
        return self.horizon - 1

    @property
    def max_delay(self) -> int:
        return int(self.idelays.max()) if self.idelays.size else 0


def _csr(rows, cols, w, d, n):
    order = np.lexsort((cols, rows))
    rows, cols, w, d = rows[order], cols[order], w[order], d[order]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, rows + 1, 1)
    ptr = np.cumsum(ptr)
    return ptr, cols.astype(np.int64), w.astype(np.float64), d.astype(np.int64)


def network_source(connectome):
    """The network an engine integrates: an object with ``weights`` and ``tract_lengths`` as given, else :func:`~braintwin.connectome.as_connectome`.

    Engines read only the two arrays (and ``labels``/``source`` when present),
    so array holders pass unvalidated (negative or test weights included);
    names and paths are loaded, and anything else is an InputError.

    Examples
    --------
    >>> network_source("tvb76").n_regions
    76
    """
    if hasattr(connectome, "weights") and hasattr(connectome, "tract_lengths"):
        return connectome
    return as_connectome(connectome, field="connectome")


def prepare_network(weights: np.ndarray, tract_lengths: np.ndarray, speed: float, dt: float, labels=None, delays: bool = True) -> Network:
    """Build a :class:`Network` from weights, tract lengths (mm), speed (mm/ms) and dt (ms)."""
    w = np.asarray(weights, dtype=float)
    n = w.shape[0]
    if not speed > 0:
        raise InputError(f"conduction speed must be > 0 mm/ms, got {speed}", field="speed")
    if not dt > 0:
        raise InputError(f"time step must be > 0 ms, got {dt}", field="dt")
    if delays:
        idel = np.rint(np.asarray(tract_lengths, float) / speed / dt).astype(np.int64)
    else:
        idel = np.zeros_like(w, dtype=np.int64)
    rows, cols = np.nonzero(w)
    ew, ed = w[rows, cols], idel[rows, cols]
    cand = ed[ed >= MIN_BLOCK]
    block = int(min(MAX_BLOCK, cand.min())) if cand.size else 1
    is_long = ed >= block if block > 1 else np.zeros(ed.shape, bool)
    long = _csr(rows[is_long], cols[is_long], ew[is_long], ed[is_long], n)
    short = _csr(rows[~is_long], cols[~is_long], ew[~is_long], ed[~is_long], n)
    max_d = int(ed.max()) if ed.size else 0
    horizon = 1 << int(np.ceil(np.log2(max_d + block + 2)))
    labels = tuple(labels) if labels is not None else tuple(str(i) for i in range(n))
    return Network(n, labels, w, idel, w.sum(axis=1), block, horizon, long, short)
