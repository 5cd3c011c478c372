"""Simulation: delayed stochastic network integration with fast batched engines.

Public surface: :func:`simulate`, :func:`simulate_batch`, monitors, stimuli.
"""

from __future__ import annotations

from .core import BatchResult, Divergence, SimResult, Simulation, simulate, simulate_batch
from .io import read_simulation, write_simulation
from .monitors import Monitor, Raw, SubSample, TemporalAverage, TimeSeries
from .stimulus import ArrayPattern, PulseTrain, Sine, Step, Stimulus

__all__ = [
    "simulate",
    "simulate_batch",
    "read_simulation",
    "write_simulation",
    "Simulation",
    "SimResult",
    "BatchResult",
    "Divergence",
    "Monitor",
    "Raw",
    "SubSample",
    "TemporalAverage",
    "TimeSeries",
    "Stimulus",
    "PulseTrain",
    "Sine",
    "Step",
    "ArrayPattern",
]
