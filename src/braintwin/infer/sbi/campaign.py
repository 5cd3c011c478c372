"""Simulation campaigns: draw from a prior, simulate, compute features, one HDF5 file.

:func:`run_campaign` draws ``n`` parameter sets and seeds, runs them chunk by chunk
through a simulator (:class:`NetworkSimulator`, :class:`FunctionSimulator`, or any
object with the same three members) and writes everything into one HDF5 file that
:func:`read_campaign` reads back as a :class:`Campaign`.

File layout (``format = "braintwin-sbi-campaign"``, ``version = 1``)::

    /theta       (n, dim)        float64   parameter draws (columns: attrs["labels"])
    /seeds       (n,)            int64     per-row simulation seed
    /status      (n,)            uint8     0 ok, 1 diverged, 2 failed, 255 not yet run
    /x           (n, n_features) float64   features (attrs["feature_names"]); created by the first chunk
    /timeseries  (n, T, C)       float32   observed signals, only with keep_timeseries
    attrs: format, version, config (JSON), prior (JSON), labels (JSON), feature_names (JSON), failures (JSON)

Draws and seeds are fixed when the file is created: row ``i`` depends only on the
campaign seed and ``i`` (drawn in blocks of 1024 rows), never on the chunk size, the
number of workers or interruptions.

**Resumption.** A chunk is committed by writing its features, flushing, then its
status; the file is opened only for that write.  A run killed at any moment (Ctrl-C,
SIGKILL, a lost node) leaves rows either committed or still ``255``; running the same
campaign again re-runs exactly the ``255`` rows, so no finished chunk is lost and none
is counted twice.  A file made with another configuration (simulator, features,
prior, seed, checksums) is refused with one line; versions of braintwin and its
dependencies are recorded, not compared.

**Scale-out.** With ``scheduler="tcp://..."`` or ``n_workers=N`` the chunks are
:mod:`dask.distributed` tasks (with retries; a lost worker's chunk is recomputed by
the scheduler); results stream back to this process, the only writer of the file.
The single-machine path never imports Dask.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import signal
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..._io import atomic_path
from ...errors import BraintwinWarning, InputError
from ..._versions import package_versions
from .priors import Prior
from .simulators import DIVERGED, FAILED, OK, PENDING, FunctionSimulator, NetworkSimulator

__all__ = [
    "Campaign",
    "run_campaign",
    "read_campaign",
    "NetworkSimulator",
    "FunctionSimulator",
    "OK",
    "DIVERGED",
    "FAILED",
    "PENDING",
]

FORMAT, VERSION = "braintwin-sbi-campaign", 1
_DRAW_BLOCK = 1024  # rows per seeded draw block: row i's draw is independent of n and chunking
_UNCOMPARED = ("versions",)
_LOCK_RETRIES = 60  # x 0.5 s: how long a write waits for a reader that locked the file  # config keys recorded but not required to match on resume


@dataclass
class Campaign:
    """A campaign file's content (see the module docstring for the layout).

    Attributes
    ----------
    path : Path
    prior : Prior
    theta : ndarray (n, dim)
        Parameter draws, columns ``prior.labels``.
    x : ndarray (n, n_features)
        Features (NaN for rows not run, diverged or failed).
    feature_names : list of str
    status : ndarray (n,) uint8
        :data:`OK` 0, :data:`DIVERGED` 1, :data:`FAILED` 2, :data:`PENDING` 255.
    seeds : ndarray (n,)
    config : dict
        ``simulator`` (its ``config()``), ``feature_sets``, ``feature_options``,
        ``connectome_sha256``, ``gain_sha256``, ``prior``, ``seed``, ``versions``.
    """

    path: Path
    prior: Prior
    theta: np.ndarray
    x: np.ndarray
    feature_names: list
    status: np.ndarray
    seeds: np.ndarray
    config: dict
    timeseries: np.ndarray | None = None  # (n, T, C) float32, with read_campaign(..., timeseries=True)

    def counts(self) -> dict[str, int]:
        """``n_total``, ``n_ok`` (usable for training), ``n_diverged``, ``n_failed``,
        ``n_nonfinite`` (ok status but a NaN/inf feature), ``n_pending``."""
        finite = np.isfinite(self.x).all(axis=1) if self.x.shape[1] else np.zeros(len(self.status), bool)
        ok = self.status == OK
        return {
            "n_total": int(len(self.status)),
            "n_ok": int(np.count_nonzero(ok & finite)),
            "n_diverged": int(np.count_nonzero(self.status == DIVERGED)),
            "n_failed": int(np.count_nonzero(self.status == FAILED)),
            "n_nonfinite": int(np.count_nonzero(ok & ~finite)),
            "n_pending": int(np.count_nonzero(self.status == PENDING)),
        }

    def training_data(self) -> tuple[np.ndarray, np.ndarray, dict]:
        """``(theta_ok, x_ok, counts)``: rows with status ok and finite features only.

        Diverged, failed, non-finite and pending rows are left out; ``counts`` (see
        :meth:`counts`) says how many of each.

        Example
        -------
        >>> theta, x, counts = read_campaign("rest.h5").training_data()   # doctest: +SKIP
        >>> counts["n_diverged"]                                          # doctest: +SKIP
        """
        finite = np.isfinite(self.x).all(axis=1) if self.x.shape[1] else np.zeros(len(self.status), bool)
        keep = (self.status == OK) & finite
        return self.theta[keep], self.x[keep], self.counts()


# -- configuration -----------------------------------------------------------------------
def _versions() -> dict[str, str]:
    return package_versions(("numpy", "scipy", "numba", "h5py", "jax"))


def campaign_config(simulator, prior: Prior, seed: int) -> dict:
    """The JSON-ready configuration a campaign file records (and compares on resume)."""
    sim = json.loads(json.dumps(simulator.config(), allow_nan=True))
    return {
        "simulator": sim,
        "feature_sets": sim.get("features"),
        "feature_options": sim.get("feature_options", {}),
        "connectome_sha256": sim.get("connectome_sha256"),
        "gain_sha256": sim.get("gain_sha256"),
        "prior": prior.to_dict(),
        "seed": int(seed),
        "versions": _versions(),
    }


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted keys where two JSON-like values differ."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        out = []
        for k in sorted(set(a) | set(b)):
            if not prefix and k in _UNCOMPARED:
                continue
            out += _differences(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else str(k))
        return out
    return [] if a == b else [prefix or "(root)"]


# -- draws -------------------------------------------------------------------------------
def draw_rows(prior: Prior, seed: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Parameter draws and simulation seeds of rows ``[start, stop)``.

    Row ``i`` comes from block ``i // 1024``, seeded by ``(seed, block)``, so it is
    the same whatever ``n`` and the chunking.
    """
    thetas, seeds = [], []
    for b in range(start // _DRAW_BLOCK, (stop - 1) // _DRAW_BLOCK + 1):
        rng = np.random.default_rng([int(seed), b])
        thetas.append(prior.sample(_DRAW_BLOCK, rng))
        seeds.append(rng.integers(0, 2**31 - 1, _DRAW_BLOCK, dtype=np.int64))
    lo = start - (start // _DRAW_BLOCK) * _DRAW_BLOCK
    return np.concatenate(thetas)[lo: lo + stop - start], np.concatenate(seeds)[lo: lo + stop - start]


# -- the file ----------------------------------------------------------------------------
def _h5open(path: Path, mode: str):
    """Open a campaign file; readers take no lock, so reading a running campaign never
    stops its writer (they may see the last chunk half-written: read again later)."""
    import h5py

    for attempt in range(_LOCK_RETRIES + 1):
        try:
            f = h5py.File(path, mode, **({"locking": False} if mode == "r" else {}))
            break
        except (OSError, ValueError) as exc:
            if "unable to lock" not in str(exc).lower():
                raise InputError(f"not a readable campaign file (corrupt or truncated?): {exc}",
                                 source=str(path)) from None
            if attempt == _LOCK_RETRIES:  # another program holds a lock: wait a little, then say so
                raise InputError("the campaign file is locked by another program; close it and run again to resume",
                                 source=str(path)) from None
            time.sleep(0.5)
    if f.attrs.get("format") != FORMAT:
        f.close()
        raise InputError("not a braintwin campaign file", source=str(path))
    return f


def _fill_draws(f, prior: Prior, seed: int, start: int, stop: int) -> None:
    for a in range(start, stop, 16 * _DRAW_BLOCK):
        b = min(stop, a + 16 * _DRAW_BLOCK)
        f["theta"][a:b], f["seeds"][a:b] = draw_rows(prior, seed, a, b)


def _create(path: Path, prior: Prior, n: int, config: dict, chunk_size: int) -> None:
    """A new campaign file with every draw and seed, status 255; atomic."""
    import h5py

    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs.update(format=FORMAT, version=VERSION, config=json.dumps(config),
                           prior=json.dumps(prior.to_dict()), labels=json.dumps(prior.labels), failures="[]")
            rows = max(1, min(n, chunk_size))
            f.create_dataset("theta", (n, prior.dim), np.float64, maxshape=(None, prior.dim), chunks=(rows, prior.dim))
            f.create_dataset("seeds", (n,), np.int64, maxshape=(None,), chunks=(rows,))
            f.create_dataset("status", (n,), np.uint8, maxshape=(None,), chunks=(rows,), fillvalue=PENDING)
            _fill_draws(f, prior, config["seed"], 0, n)


def _reopen(path: Path, prior: Prior, n: int, config: dict) -> None:
    """Check an existing file against this run's configuration; grow it to ``n`` rows."""
    with _h5open(path, "r") as f:
        try:
            stored = json.loads(f.attrs["config"])
            n_old = int(f["status"].shape[0])
        except (KeyError, ValueError, OSError) as exc:
            raise InputError(f"corrupt campaign file ({exc})", source=str(path)) from None
    diff = _differences(stored, json.loads(json.dumps(config, allow_nan=True)))
    if diff:
        raise InputError(
            f"the campaign file was made with another configuration (differs in {', '.join(diff[:4])}); "
            "use another output file or the same settings", source=str(path), field="config")
    if n < n_old:
        raise InputError(f"the file holds {n_old} rows; n={n} would drop some (give n >= {n_old})",
                         source=str(path), field="n")
    if n > n_old:
        with _h5open(path, "r+") as f:
            for name in ("theta", "seeds", "status") + tuple(k for k in ("x", "timeseries") if k in f):
                f[name].resize(n, axis=0)
            _fill_draws(f, prior, config["seed"], n_old, n)


@contextlib.contextmanager
def _sigint_deferred():
    """Hold Ctrl-C until the block ends (a write cut in half could corrupt the file)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *args: caught.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


def _write_result(path: Path, res: dict) -> None:
    """Commit one chunk: features (and series) first, flushed, then the status rows."""
    rows = res["rows"]
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
        rows = slice(int(rows[0]), int(rows[-1]) + 1)  # contiguous: a plain slice is much faster in HDF5
    with _sigint_deferred(), _h5open(path, "r+") as f:
        n = f["status"].shape[0]
        if res["x"] is not None:
            if "x" not in f:
                f.create_dataset("x", (n, res["x"].shape[1]), np.float64, maxshape=(None, res["x"].shape[1]),
                                 chunks=(max(1, len(res["rows"])), res["x"].shape[1]), fillvalue=np.nan)
                f.attrs["feature_names"] = json.dumps(res["names"])
            elif json.loads(f.attrs["feature_names"]) != res["names"]:
                raise InputError("the simulator returned other feature names than earlier chunks",
                                 source=str(path), field="feature_names")
            f["x"][rows] = res["x"]
        if res.get("timeseries") is not None:
            ts = res["timeseries"]
            if "timeseries" not in f:
                f.create_dataset("timeseries", (n,) + ts.shape[1:], np.float32, maxshape=(None,) + ts.shape[1:],
                                 chunks=(1,) + ts.shape[1:], fillvalue=np.nan)
            f["timeseries"][rows] = ts
        if res.get("error"):
            failures = json.loads(f.attrs.get("failures", "[]"))
            f.attrs["failures"] = json.dumps((failures + [res["error"]])[-20:])
        f.flush()
        f["status"][rows] = res["status"]
        f.flush()


def read_campaign(path, *, timeseries: bool = False) -> Campaign:
    """Read a campaign file (finished or not) into a :class:`Campaign`.

    A missing, truncated or corrupt file, or one of another format, raises
    :class:`InputError` with one line.  ``timeseries=True`` also returns the kept
    signals as ``campaign.timeseries`` (when the campaign kept them).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("campaign file not found", source=str(path))
    with _h5open(path, "r") as f:
        try:
            config = json.loads(f.attrs["config"])
            prior = Prior.from_dict(json.loads(f.attrs["prior"]))
            theta, seeds, status = f["theta"][()], f["seeds"][()], f["status"][()]
            names = json.loads(f.attrs.get("feature_names", "[]"))
            x = f["x"][()] if "x" in f else np.full((len(status), 0), np.nan)
            ts = f["timeseries"][()] if timeseries and "timeseries" in f else None
        except (KeyError, ValueError, OSError) as exc:
            raise InputError(f"corrupt or truncated campaign file ({exc})", source=str(path)) from None
    return Campaign(path, prior, theta, x, names, status, seeds, config, ts)


# -- running -----------------------------------------------------------------------------
def run_chunk(simulator, params: dict, seeds: np.ndarray, rows: np.ndarray, keep_timeseries: bool = False) -> dict:
    """Simulate one chunk; the task a worker runs.  Never raises for a simulator crash:
    the rows get status FAILED and the error is recorded (bad input still raises)."""
    try:
        if keep_timeseries:
            x, status, ts = simulator.simulate(params, seeds, return_timeseries=True)
        else:
            (x, status), ts = simulator.simulate(params, seeds), None
    except InputError:
        raise
    except Exception as exc:  # one chunk's crash must not lose the campaign
        return {"rows": rows, "x": None, "status": np.full(len(rows), FAILED, np.uint8), "names": None,
                "timeseries": None, "error": f"rows {int(rows[0])}-{int(rows[-1])}: {type(exc).__name__}: {exc}"}
    x = np.asarray(x, dtype=np.float64)
    status = np.asarray(status, dtype=np.uint8).copy()
    # a run that gives no finite feature at all is a failure, not a data point
    all_bad = (status == OK) & ~np.isfinite(x).any(axis=1) if x.shape[1] else status == OK
    status[all_bad] = FAILED
    return {"rows": rows, "x": x, "status": status, "names": list(simulator.feature_names), "timeseries": ts,
            "error": None}


def _tasks(path: Path, prior: Prior, chunk_size: int):
    """(params, seeds, rows) of every chunk that still has pending rows."""
    with _h5open(path, "r") as f:
        status = f["status"][()]
        pending = np.flatnonzero(status == PENDING)
        out = []
        for c in np.unique(pending // chunk_size):
            rows = pending[(pending >= c * chunk_size) & (pending < (c + 1) * chunk_size)]
            theta, seeds = f["theta"][rows[0]: rows[-1] + 1], f["seeds"][rows[0]: rows[-1] + 1]
            sel = rows - rows[0]
            out.append((prior.unflatten(theta[sel]), seeds[sel], rows))
    return out, len(status)


class _Progress:
    """rich progress bar on stderr: simulations done, sims/s, ETA."""

    def __init__(self, total: int, done: int, enabled: bool):
        self.t0, self.n = time.perf_counter(), 0
        self.bar = None
        if enabled and total > done:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("simulations"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=False)
            self.task = self.bar.add_task("sims", total=total, completed=done, rate="")
            self.bar.start()

    def advance(self, k: int) -> None:
        self.n += k
        if self.bar is not None:
            rate = self.n / max(time.perf_counter() - self.t0, 1e-9)
            self.bar.update(self.task, advance=k, rate=f"{rate:.2f} sims/s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_campaign(simulator, prior: Prior, n: int, path, *, chunk_size: int = 64, seed: int = 0,
                 scheduler: str | None = None, n_workers: int | None = None, keep_timeseries: bool = False,
                 progress: bool = True) -> Campaign:
    """Run (or resume) a simulation campaign into one HDF5 file.

    Parameters
    ----------
    simulator : NetworkSimulator, FunctionSimulator or compatible
        See :mod:`braintwin.infer.sbi.simulators`.
    prior : Prior
        What is drawn; its names are the simulator's parameters.
    n : int
        Number of simulations (growing ``n`` on an existing file adds rows).
    path : str or Path
        The campaign file; an existing one is resumed (its configuration must match).
    chunk_size : int
        Simulations per chunk (per task on Dask; per committed write).
    seed : int
        Campaign seed: fixes every draw and per-row simulation seed.
    scheduler : str, optional
        A ``dask.distributed`` scheduler address (``"tcp://host:8786"``).
    n_workers : int, optional
        Start a local Dask cluster of this many single-threaded worker processes.
    keep_timeseries : bool
        Also store the observed signals ``(n, T, C)`` float32 (large).
    progress : bool
        Progress bar with sims/s and ETA on stderr.

    Returns
    -------
    Campaign
        The file's content; ``campaign.training_data()`` gives the usable rows.
        A warning gives the number of diverged, failed and non-finite rows.

    Example
    -------
    >>> camp = run_campaign(sim, prior, 10_000, "rest.h5", chunk_size=100, n_workers=2)   # doctest: +SKIP
    >>> theta, x, counts = camp.training_data()                                           # doctest: +SKIP
    """
    path = Path(path)
    n, chunk_size = int(n), int(chunk_size)
    if n < 1 or chunk_size < 1:
        raise InputError(f"n and chunk_size must be >= 1 (got {n}, {chunk_size})", field="n")
    if hasattr(simulator, "check_prior"):
        simulator.check_prior(prior)
    if keep_timeseries and "return_timeseries" not in inspect.signature(simulator.simulate).parameters:
        raise InputError(f"{type(simulator).__name__} cannot return time series", field="keep_timeseries")
    config = campaign_config(simulator, prior, seed)
    if path.exists():
        _reopen(path, prior, n, config)
    else:
        _create(path, prior, n, config, chunk_size)
    tasks, total = _tasks(path, prior, chunk_size)
    bar = _Progress(total, total - sum(len(t[2]) for t in tasks), progress)
    try:
        if scheduler is None and n_workers is None:
            for params, seeds, rows in tasks:
                res = run_chunk(simulator, params, seeds, rows, keep_timeseries)
                _write_result(path, res)
                bar.advance(len(rows))
        else:
            from ._dask import run_on_dask

            for res in run_on_dask(run_chunk, simulator, tasks, keep_timeseries, scheduler=scheduler, n_workers=n_workers):
                _write_result(path, res)
                bar.advance(len(res["rows"]))
    finally:
        bar.close()
    camp = read_campaign(path)
    _warn_counts(camp)
    return camp


def _warn_counts(camp: Campaign) -> None:
    c = camp.counts()
    bad = {k: c[k] for k in ("n_diverged", "n_failed", "n_nonfinite") if c[k]}
    if bad:
        warnings.warn(f"{camp.path}: {c['n_ok']} of {c['n_total']} simulations usable; "
                      + ", ".join(f"{v} {k[2:]}" for k, v in bad.items()) + " (flagged in the file, left out of training)",
                      BraintwinWarning, stacklevel=3)
