"""Provenance of a twin: software versions, configuration, seeds, input checksums, timestamps.

Layout of ``Twin.provenance`` (plain JSON data)::

    {
      "created_utc": "2025-05-01T12:00:00.000000Z",
      "saved_utc": "...",                 # set by Twin.save
      "software": {"braintwin": "0.1.0", "python": "3.11.9", "platform": "Linux-...",
                   "numpy": "2.1.0", "scipy": ..., "numba": ..., "h5py": ..., "jax": ..., ...},
      "config": {...},                    # the full configuration the twin was built with
      "seeds": ...,                       # int, list or dict of seeds
      "inputs": {"conn.zip": "<sha256>", ...},
      "updates": [                        # one record per update, oldest first
        {"time_utc": ..., "what": "fit: nuts", "config": {...}, "seeds": ...,
         "input_sha256": {...}, "software": {"braintwin": ...}}
      ]
    }

Only file *names* are kept, never their folders, for inputs and for paths in a
configuration (:func:`without_folders`): folder names often carry a patient's name.
Neither the host name nor the user name is recorded.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._io import sha256_file
from ..errors import InputError
from .._versions import package_versions
from ._tree import canonical_json

__all__ = ["DEPENDENCIES", "utc_now", "software_versions", "new_provenance", "update_record", "hash_inputs",
           "without_folders"]

#: Distributions whose installed versions are recorded (when installed).
DEPENDENCIES = ("numpy", "scipy", "numba", "h5py", "jax", "jaxlib", "numpyro", "flowjax", "tvb-data")

_REQUIRED = ("created_utc", "software", "config", "seeds", "inputs", "updates")


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds, e.g. ``"2025-05-01T12:00:00.123456Z"``.

    Returns
    -------
    str
    """
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_path(s: str) -> bool:
    # a URL (a Dask scheduler's tcp://host:port) is an address, not a folder
    return ("/" in s or "\\" in s) and "://" not in s


def without_folders(config: Any) -> Any:
    """A configuration with every file path reduced to the file's name.

    Strings holding a path (``/data/Smith_J/seizure.edf``, ``..\\pat\\gain.npy``)
    become the name (``seizure.edf``); other values, URLs and nested mappings
    and lists keep their shape.

    Parameters
    ----------
    config : mapping, list or scalar

    Returns
    -------
    the same shape, paths reduced

    Examples
    --------
    >>> without_folders({"seeg": "/data/Smith_J/sz1.edf", "tau0": 90})
    {'seeg': 'sz1.edf', 'tau0': 90}
    """
    if isinstance(config, Mapping):
        return {k: without_folders(v) for k, v in config.items()}
    if isinstance(config, (list, tuple)):
        return type(config)(without_folders(v) for v in config)
    if isinstance(config, os.PathLike) or (isinstance(config, str) and _is_path(config)):
        return os.path.basename(str(config).replace("\\", "/").rstrip("/"))
    return config


def software_versions() -> dict[str, str]:
    """Versions of braintwin, Python, the platform and the installed key dependencies.

    Returns
    -------
    dict of str to str
        ``braintwin``, ``python``, ``platform`` and every installed name of
        :data:`DEPENDENCIES` (absent ones are left out).
    """
    return {**package_versions(DEPENDENCIES), "python": platform.python_version(), "platform": platform.platform(terse=True)}


def hash_inputs(inputs: Mapping[str, Any] | Iterable[Any] | None, field: str = "inputs") -> dict[str, str]:
    """SHA-256 of input files, keyed by file name (folders are not kept).

    Parameters
    ----------
    inputs : mapping of str to path, or iterable of paths, or None
        A mapping gives the key for each file; otherwise the file's name is used.
    field : str, optional
        Field named in error messages.

    Returns
    -------
    dict of str to str
        Name -> hex digest.

    Raises
    ------
    InputError
        For a missing file, a directory, or two different files under one name.
    """
    if inputs is None:
        return {}
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    items = inputs.items() if isinstance(inputs, Mapping) else ((None, p) for p in inputs)
    out: dict[str, str] = {}
    for key, p in items:
        path = Path(p)
        if not path.is_file():
            raise InputError("input file not found (or not a file)", source=str(path), field=field)
        name = str(key) if key is not None else path.name
        digest = sha256_file(path)
        if out.get(name, digest) != digest:
            raise InputError(f"two different files named {name!r}; give them distinct names in a dict", source=str(path), field=field)
        out[name] = digest
    return out


def new_provenance(config: Mapping[str, Any] | None = None, seeds: Any = None) -> dict[str, Any]:
    """A fresh provenance record stamped now with the running software's versions.

    Parameters
    ----------
    config : mapping, optional
        The full configuration the twin is built with (JSON-ready after
        conversion: arrays become lists).
    seeds : int, list or dict, optional

    Returns
    -------
    dict
    """
    return {
        "created_utc": utc_now(),
        "software": software_versions(),
        "config": canonical_json(without_folders(dict(config or {})), "provenance.config"),
        "seeds": canonical_json(seeds, "provenance.seeds"),
        "inputs": {},
        "updates": [],
    }


def check_provenance(prov: Any) -> dict[str, Any]:
    """Validate a provenance record (e.g. read from a file) and return its JSON copy.

    Parameters
    ----------
    prov : mapping

    Returns
    -------
    dict

    Raises
    ------
    InputError
        ``field="provenance"`` when a required entry is missing or malformed.
    """
    if not isinstance(prov, Mapping):
        raise InputError(f"expected a dict, got {type(prov).__name__}", field="provenance")
    prov = canonical_json(dict(prov), "provenance")
    missing = [k for k in _REQUIRED if k not in prov]
    if missing:
        raise InputError(f"missing entr{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}", field="provenance")
    if not isinstance(prov["updates"], list) or not all(isinstance(u, dict) for u in prov["updates"]):
        raise InputError("expected a list of update records", field="provenance.updates")
    if not isinstance(prov["inputs"], dict) or not all(isinstance(v, str) and len(v) == 64 for v in prov["inputs"].values()):
        raise InputError("expected a dict of file name -> SHA-256 hex digest", field="provenance.inputs")
    return prov


def update_record(
    what: str,
    *,
    config: Mapping[str, Any] | None = None,
    seeds: Any = None,
    inputs: Mapping[str, Any] | Iterable[Any] | None = None,
) -> dict[str, Any]:
    """One entry of ``provenance["updates"]``, stamped now.

    Parameters
    ----------
    what : str
        What changed, in a few words (e.g. ``"posterior: nuts on seizure 2"``).
    config : mapping, optional
        The configuration of that step.
    seeds : int, list or dict, optional
    inputs : mapping of str to path, or iterable of paths, optional
        Files read by that step; their SHA-256 is recorded.

    Returns
    -------
    dict
        ``time_utc``, ``what``, ``config``, ``seeds``, ``input_sha256`` and
        ``software`` (the braintwin version).
    """
    from .._version import __version__

    if not isinstance(what, str) or not what.strip():
        raise InputError("say what the update did, e.g. 'posterior: nuts'", field="what")
    if len(what) > 200:
        raise InputError("keep it under 200 characters (the configuration goes in config)", field="what")
    return {
        "time_utc": utc_now(),
        "what": what,
        "config": canonical_json(without_folders(dict(config or {})), "update.config"),
        "seeds": canonical_json(seeds, "update.seeds"),
        "input_sha256": hash_inputs(inputs, "update.inputs"),
        "software": {"braintwin": __version__},
    }
