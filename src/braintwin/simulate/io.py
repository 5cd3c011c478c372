"""Reading and writing simulation results as HDF5 (atomically)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from .. import __version__
from .._io import atomic_path
from ..errors import InputError
from .monitors import TimeSeries

__all__ = ["write_simulation", "read_simulation"]


def write_simulation(path, result) -> Path:
    """Write a :class:`SimResult` or :class:`BatchResult` to an HDF5 file.

    Layout: one group per monitor (``time`` in ms, ``data``, ``outputs`` and
    ``labels`` attributes), ``/diverged`` and the run's configuration as JSON in
    the root attributes.  Written to a temporary file and renamed, so a crash
    never leaves a half-written file.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["braintwin_version"] = __version__
            f.attrs["kind"] = "braintwin.simulation"
            f.attrs["config"] = json.dumps(result.config, default=str)
            for name, ts in result.monitors.items():
                g = f.create_group(f"monitors/{name}")
                g.create_dataset("time", data=ts.time)
                g.create_dataset("data", data=ts.data, compression="gzip", compression_opts=1, shuffle=True)
                g.attrs["outputs"] = json.dumps(list(ts.outputs))
                g.attrs["labels"] = json.dumps(list(ts.labels))
                g.attrs["units"] = "time: ms"
            div = np.atleast_1d(np.asarray(result.diverged, dtype=bool))
            f.create_dataset("diverged", data=div)
            divs = [result.divergence] if hasattr(result, "divergence") and result.divergence else list(getattr(result, "divergences", []))
            f.attrs["divergences"] = json.dumps([d.__dict__ for d in divs if d is not None])
    return path


def read_simulation(path) -> dict:
    """Read a file written by :func:`write_simulation`.

    Returns a dict with ``monitors`` (name -> :class:`TimeSeries`), ``diverged``
    (bool array), ``divergences`` (list of dicts) and ``config`` (dict).
    """
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except OSError as e:
        raise InputError(f"not a readable HDF5 file ({e})", source=str(path)) from None
    with f:
        if f.attrs.get("kind") != "braintwin.simulation" or "monitors" not in f:
            raise InputError("not a braintwin simulation file (no /monitors group)", source=str(path), field="kind")
        mons = {}
        for name, g in f["monitors"].items():
            mons[name] = TimeSeries(g["time"][()], g["data"][()], tuple(json.loads(g.attrs["outputs"])), tuple(json.loads(g.attrs["labels"])), name)
        return {
            "monitors": mons,
            "diverged": f["diverged"][()],
            "divergences": json.loads(f.attrs.get("divergences", "[]")),
            "config": json.loads(f.attrs.get("config", "{}")),
        }
