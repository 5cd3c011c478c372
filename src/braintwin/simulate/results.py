"""Result types shared by every engine: :class:`SimResult`, :class:`BatchResult`, :class:`Divergence`.

A module of its own so that the engines (numba, NumPy reference, JAX) and the
front end (:mod:`braintwin.simulate.core`) all import it and none imports another.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..errors import BraintwinWarning, DivergenceError, InputError
from .monitors import TimeSeries

__all__ = ["SimResult", "BatchResult", "Divergence", "batch_arguments", "CHUNK_STEPS"]

#: Steps per chunk: noise is drawn and monitors are flushed chunk by chunk (every engine draws the same stream).
CHUNK_STEPS = 2048


@dataclass
class Divergence:
    """Where and when a simulation became non-finite."""

    sim: int
    step: int
    time_ms: float
    region: int
    label: str

    def __str__(self) -> str:
        return f"simulation {self.sim} diverged at t = {self.time_ms:g} ms (step {self.step}) in region {self.region} ({self.label})"


@dataclass
class SimResult:
    """Result of :func:`simulate`: one :class:`TimeSeries` per monitor.

    ``result["tavg"]`` gives a monitor's time series; ``diverged`` is True when the
    run was stopped because its state became non-finite (then ``divergence``
    says where and when, and the time series end at that point).
    """

    monitors: dict[str, TimeSeries]
    diverged: bool
    divergence: Divergence | None
    final_state: np.ndarray
    config: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> TimeSeries:
        try:
            return self.monitors[name]
        except KeyError:
            raise KeyError(f"no monitor {name!r}; monitors are {list(self.monitors)}") from None

    @property
    def ts(self) -> TimeSeries:
        """The first monitor's time series."""
        return next(iter(self.monitors.values()))


@dataclass
class BatchResult:
    """Result of :func:`simulate_batch`.

    ``monitors[name].data`` has shape ``(n_sims, n_times, n_outputs, n_regions)``.
    ``diverged[k]`` flags simulation ``k``; its data after the divergence are NaN,
    and ``divergences`` lists where and when each one diverged.
    """

    monitors: dict[str, TimeSeries]
    diverged: np.ndarray
    divergences: list[Divergence]
    params: dict[str, np.ndarray]
    seeds: np.ndarray
    config: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> TimeSeries:
        return self.monitors[name]

    @property
    def n_sims(self) -> int:
        return len(self.diverged)

    @property
    def ok(self) -> np.ndarray:
        """Mask of simulations that did not diverge."""
        return ~self.diverged



def batch_arguments(params: Mapping[str, Any] | None, n_sims: int | None, seeds) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-simulation parameter arrays and seeds of a batch (shared by every engine).

    Scalars are repeated; the number of simulations comes from ``n_sims``, the
    parameter arrays or a list of seeds.  A single base seed gives independent
    per-simulation seeds through ``SeedSequence(base).spawn(n)``.
    """
    params = {k: np.asarray(v, float) for k, v in (params or {}).items()}
    sizes = {len(v) for v in params.values() if v.ndim >= 1}
    if len(sizes) > 1:
        raise InputError(f"parameter arrays have different lengths {sorted(sizes)}", field="params")
    n = n_sims if n_sims is not None else (sizes.pop() if sizes else (len(seeds) if np.ndim(seeds) == 1 else None))
    if n is None:
        raise InputError("give n_sims, per-simulation parameter arrays or a list of seeds", field="n_sims")
    for k, v in params.items():
        if v.ndim == 0:
            params[k] = np.full(n, float(v))
        elif len(v) != n:
            raise InputError(f"{len(v)} values for {n} simulations", field=k)
    if np.ndim(seeds) == 1:
        seed_arr = np.asarray(seeds, dtype=np.int64)
        if len(seed_arr) != n:
            raise InputError(f"{len(seed_arr)} seeds for {n} simulations", field="seeds")
    else:
        seed_arr = np.array([s.generate_state(1, np.uint32)[0] for s in np.random.SeedSequence(seeds).spawn(n)], dtype=np.int64)
    return params, seed_arr


def report_divergence(divs: list[Divergence], mode: str) -> None:
    """Warn about, raise on or ignore diverged runs (they stay flagged in the result either way).

    ``mode`` is ``"warn"``, ``"raise"`` (:class:`~braintwin.errors.DivergenceError`),
    ``"flag"`` or ``"ignore"``.

    Examples
    --------
    >>> report_divergence([], "raise")  # nothing diverged: nothing happens
    """
    if not divs or mode == "ignore":
        return
    msg = f"{len(divs)} simulation(s) diverged; first: {divs[0]}"
    if mode == "raise":
        raise DivergenceError(msg, field="state")
    if mode == "warn":
        warnings.warn(msg + " (flagged in the result)", BraintwinWarning, stacklevel=3)
    elif mode != "flag":
        raise InputError(f"on_divergence must be warn, raise, flag or ignore; got {mode!r}", field="on_divergence")
