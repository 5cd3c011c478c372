"""Regional stimuli: a spatial pattern (which regions, how strongly) times a temporal pattern.

The engine adds ``dt * stimulus`` to the model's ``stimulus_vars`` at every step,
as TVB does.  Times are in ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["Pattern", "PulseTrain", "Sine", "Step", "ArrayPattern", "Stimulus"]


class Pattern:
    """A temporal pattern: :meth:`__call__` maps times (ms) to values."""

    def __call__(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class PulseTrain(Pattern):
    """Rectangular pulses of ``width`` ms every ``period`` ms from ``onset`` (ms) on, optionally until ``stop``."""

    amplitude: float = 1.0
    period: float = 100.0
    width: float = 5.0
    onset: float = 0.0
    stop: float = np.inf

    def __post_init__(self):
        if not (self.period > 0 and 0 < self.width <= self.period):
            raise InputError("need period > 0 and 0 < width <= period", source="PulseTrain", field="width")

    def __call__(self, t):
        t = np.asarray(t, float)
        on = (t >= self.onset) & (t < self.stop) & (((t - self.onset) % self.period) < self.width)
        return self.amplitude * on


@dataclass
class Sine(Pattern):
    """``amplitude * sin(2 pi f t / 1000 + phase) + offset`` from ``onset`` (ms) on; ``frequency`` in Hz."""

    amplitude: float = 1.0
    frequency: float = 10.0
    phase: float = 0.0
    offset: float = 0.0
    onset: float = 0.0
    stop: float = np.inf

    def __call__(self, t):
        t = np.asarray(t, float)
        v = self.amplitude * np.sin(2 * np.pi * self.frequency * t / 1000.0 + self.phase) + self.offset
        return np.where((t >= self.onset) & (t < self.stop), v, 0.0)


@dataclass
class Step(Pattern):
    """``amplitude`` from ``onset`` until ``stop`` (ms), zero elsewhere (a DC step)."""

    amplitude: float = 1.0
    onset: float = 0.0
    stop: float = np.inf

    def __call__(self, t):
        t = np.asarray(t, float)
        return np.where((t >= self.onset) & (t < self.stop), self.amplitude, 0.0)


@dataclass
class ArrayPattern(Pattern):
    """Arbitrary samples ``values`` every ``dt`` ms from time 0, held (zero-order) between samples, zero after."""

    values: np.ndarray
    dt: float

    def __call__(self, t):
        v = np.asarray(self.values, float)
        idx = np.floor(np.asarray(t, float) / self.dt).astype(int)
        ok = (idx >= 0) & (idx < len(v))
        return np.where(ok, v[np.clip(idx, 0, len(v) - 1)], 0.0)


class Stimulus:
    """A regional stimulus: ``weights[i] * pattern(t)`` for region ``i``.

    Parameters
    ----------
    regions : sequence of int or str, or array of shape (n_regions,)
        Regions stimulated (indices or labels, weight 1 each), or the weight of
        every region.
    pattern : Pattern or callable
        Temporal pattern, a function of time in ms.
    """

    def __init__(self, regions, pattern: Pattern):
        self.regions = regions
        self.pattern = pattern

    def weights(self, n_regions: int, labels: Sequence[str] = ()) -> np.ndarray:
        """Spatial weights, shape ``(n_regions,)``."""
        r = self.regions
        if isinstance(r, np.ndarray) and r.dtype.kind == "f":
            if r.shape != (n_regions,):
                raise InputError(f"expected {n_regions} weights, got shape {r.shape}", source="Stimulus", field="regions")
            return r.astype(float)
        w = np.zeros(n_regions)
        for item in np.atleast_1d(r).tolist():
            if isinstance(item, str):
                if item not in labels:
                    raise InputError(f"unknown region label {item!r}", source="Stimulus", field="regions")
                w[list(labels).index(item)] = 1.0
            else:
                if not 0 <= int(item) < n_regions:
                    raise InputError(f"region index {item} out of range 0..{n_regions - 1}", source="Stimulus", field="regions")
                w[int(item)] = 1.0
        return w

    def evaluate(self, times: np.ndarray, n_regions: int, labels: Sequence[str] = ()) -> np.ndarray:
        """Values at ``times`` (ms): shape ``(len(times), n_regions)``."""
        return np.asarray(self.pattern(np.asarray(times, float)), float)[:, None] * self.weights(n_regions, labels)[None, :]

    def __add__(self, other: "Stimulus") -> "Stimulus":
        return _SumStimulus([self, other])


class _SumStimulus(Stimulus):
    def __init__(self, parts):
        self.parts = list(parts)

    def evaluate(self, times, n_regions, labels=()):
        return sum(p.evaluate(times, n_regions, labels) for p in self.parts)
