"""Simulation: delayed stochastic network integration with fast batched engines.

Public surface: :func:`simulate`, :func:`simulate_batch`, monitors, stimuli.
"""

from __future__ import annotations

from .batch import simulate_batch
from .core import Simulation, simulate
from .io import read_simulation, write_simulation
from .results import BatchResult, Divergence, SimResult
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
