"""Monitors: what a simulation records, reduced while it runs.

A monitor asks the engine for one stream, either every ``period`` ms sampled
(:class:`Raw`, :class:`SubSample`) or averaged over ``period`` ms
(:class:`TemporalAverage`), and receives it chunk by chunk through
:meth:`Monitor.push`, so a long run never stores every integration step.
Observation models (BOLD, EEG, SEEG) plug in here: they are monitors that
transform the stream they receive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Monitor", "Raw", "SubSample", "TemporalAverage", "TimeSeries", "get_monitor", "register_monitor_kind"]


@dataclass
class TimeSeries:
    """Recorded signals of one simulation (or a batch of them).

    Attributes
    ----------
    time : ndarray, shape (n_times,)
        Time of each sample in ms.
    data : ndarray, shape ([n_sims,] n_times, n_outputs, n_regions)
        Values; diverged simulations of a batch hold NaN after the divergence
        and are flagged in the result's ``diverged`` mask.
    outputs : tuple of str
        Name (or expression) of each output.
    labels : tuple of str
        Region (or sensor) labels.
    """

    time: np.ndarray
    data: np.ndarray
    outputs: tuple[str, ...]
    labels: tuple[str, ...]
    name: str = ""

    def __getitem__(self, output: str) -> np.ndarray:
        """Data of one output by name: shape ([n_sims,] n_times, n_regions)."""
        try:
            k = self.outputs.index(output)
        except ValueError:
            raise KeyError(f"no output {output!r}; outputs are {self.outputs}") from None
        return self.data[..., k, :]

    @property
    def dt(self) -> float:
        return float(self.time[1] - self.time[0]) if len(self.time) > 1 else float("nan")

    def plot(self, output: str | None = None, ax=None, max_regions: int = 20):
        """Line plot of one output for up to ``max_regions`` regions; returns the figure."""
        from matplotlib.figure import Figure

        output = output or self.outputs[0]
        y = self[output]
        if y.ndim == 3:
            y = y[0]
        if ax is None:
            fig = Figure(figsize=(9, 4))
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        idx = np.linspace(0, y.shape[1] - 1, min(max_regions, y.shape[1])).astype(int)
        ax.plot(self.time, y[:, idx], lw=0.8)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel(output)
        ax.set_title(f"{self.name or 'monitor'}: {output} ({len(idx)} of {y.shape[1]} regions)")
        return fig


class Monitor:
    """Base class: one stream from the engine, every ``period`` ms, sampled or averaged.

    Subclasses set :attr:`average` and may override :meth:`begin`, :meth:`push`
    and :meth:`result` to transform the stream (observation models do).
    """

    average: bool = False
    name: str = "monitor"

    def __init__(self, period: float | None = None):
        if period is not None and not period > 0:
            raise InputError(f"period must be > 0 ms, got {period}", source=type(self).__name__, field="period")
        self.period = period

    def period_steps(self, dt: float) -> int:
        """The period in integration steps (at least 1)."""
        if self.period is None:
            return 1
        n = int(round(self.period / dt))
        if n < 1 or abs(n * dt - self.period) > 1e-6 * max(1.0, self.period):
            raise InputError(
                f"period {self.period} ms is not a whole number of steps of dt = {dt} ms",
                source=type(self).__name__,
                field="period",
            )
        return n

    # -- streaming interface ---------------------------------------------------
    def begin(self, n_rows: int, n_outputs: int, n_regions: int, dt: float, outputs, labels) -> None:
        """Prepare storage for ``n_rows`` rows."""
        self._data = np.empty((n_rows, n_outputs, n_regions))
        self._n = 0
        self._rows = n_rows
        self._dt = dt
        self._outputs = tuple(outputs)
        self._labels = tuple(labels)
        self._steps = self.period_steps(dt)

    def push(self, rows: np.ndarray) -> None:
        """Receive the next rows (``n, n_outputs, n_regions``) of the stream."""
        self._data[self._n:self._n + len(rows)] = rows
        self._n += len(rows)

    def times(self, n: int) -> np.ndarray:
        """Times (ms) of the first ``n`` rows, following TVB's conventions."""
        k = np.arange(1, n + 1) * self._steps
        if self.average:
            return (k - self._steps / 2.0) * self._dt
        return k * self._dt

    def full_times(self) -> np.ndarray:
        """Times (ms) of every row of a run that reaches its end (after :meth:`begin`).

        What a batch whose every run diverged (and so stopped early) is padded to.
        """
        return self.times(self._rows)

    def result(self) -> TimeSeries:
        return TimeSeries(self.times(self._n), self._data[: self._n], self._outputs, self._labels, self.name)


class Raw(Monitor):
    """Every integration step."""

    name = "raw"

    def __init__(self):
        super().__init__(None)


class SubSample(Monitor):
    """The state every ``period`` ms (TVB ``SubSample``)."""

    name = "subsample"


class TemporalAverage(Monitor):
    """The mean over each window of ``period`` ms, stamped at the window's centre (TVB ``TemporalAverage``)."""

    average = True
    name = "tavg"


#: Monitor kinds defined by later stages (the observation models register ``bold``, ``eeg``, ...):
#: ``kind -> factory(spec, connectome) -> Monitor``, so ``monitors=["bold:tr=720"]`` reads like the CLI.
_MONITOR_KINDS: dict = {}


def register_monitor_kind(kind: str, factory) -> None:
    """Let :func:`get_monitor` build ``"KIND:..."`` specs with ``factory(spec, connectome)`` (used by ``observe``)."""
    _MONITOR_KINDS[kind.strip().lower()] = factory


def get_monitor(spec, connectome=None) -> Monitor:
    """A monitor from an instance, or a string like ``"tavg:1.0"``, ``"subsample:0.5"``, ``"raw"``.

    Observer specs registered by the observation stage (``"bold:tr=720"``,
    ``"eeg:period=2"``, see :func:`braintwin.observe.get_observer`) are accepted
    too; ``connectome`` lets sensor monitors resolve their gain now.
    """
    if isinstance(spec, Monitor):
        return spec
    kind, _, arg = str(spec).partition(":")
    if kind.strip().lower() in _MONITOR_KINDS:
        return _MONITOR_KINDS[kind.strip().lower()](spec, connectome)
    kinds = {"raw": Raw, "subsample": SubSample, "tavg": TemporalAverage, "temporalaverage": TemporalAverage}
    cls = kinds.get(kind.strip().lower())
    if cls is None:
        known = ", ".join(sorted(_MONITOR_KINDS)) or "none"
        raise InputError(f"unknown monitor {spec!r}; use raw, subsample:PERIOD, tavg:PERIOD (ms) or an observer "
                         f"({known}: e.g. bold:tr=720)", field="monitors")
    if cls is Raw:
        return Raw()
    try:
        period = float(arg) if arg else 1.0
    except ValueError:
        raise InputError(f"monitor period {arg!r} is not a number", field="monitors") from None
    return cls(period)
