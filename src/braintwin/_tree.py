"""Nested dicts of arrays and plain values: canonical form and HDF5 storage.

A *tree* is a dict whose keys are strings and whose values are

* numeric or boolean NumPy arrays (kept exactly: dtype, shape and bytes),
* nested trees (dicts),
* JSON values (``None``, bool, int, float, str and lists of those).

:func:`canonical_tree` brings any accepted input to that form (tuples become
lists, NumPy scalars become Python numbers, string arrays become lists of str),
so that a tree read back from a file compares equal to the tree that was
written.  In HDF5 a tree is a group: arrays are datasets, sub-trees are
sub-groups and JSON values are JSON-encoded string attributes.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import h5py
import numpy as np

from .errors import InputError

__all__ = ["canonical_tree", "canonical_json", "write_tree", "read_tree", "describe_tree", "trees_equal"]


def _check_key(key: Any, where: str) -> str:
    if not isinstance(key, str):
        raise InputError(f"keys must be strings, got {type(key).__name__} {key!r}", field=where)
    if not key or "/" in key or key in (".", "..") or "\x00" in key:
        raise InputError(f"invalid key {key!r} (empty, '.', '..' or containing '/')", field=where)
    return key


def canonical_json(value: Any, where: str) -> Any:
    """``value`` as plain JSON data (arrays become nested lists).

    Parameters
    ----------
    value : object
        ``None``, bool, int, float, str, path, NumPy scalar or array, list,
        tuple or dict with string keys, nested.
    where : str
        Field named in the error message.

    Returns
    -------
    object
        The same value made of ``None``, bool, int, float, str, list and dict.

    Raises
    ------
    InputError
        For a value that has no JSON form (e.g. an arbitrary object).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return bool(value) if isinstance(value, bool) else (int(value) if isinstance(value, int) else float(value))
    if isinstance(value, np.generic):
        return canonical_json(value.item(), where)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufUS":
            raise InputError(f"array of dtype {value.dtype} cannot be stored", field=where)
        return canonical_json(value.tolist(), where)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, bytes):
        raise InputError("bytes cannot be stored as JSON; decode them to str", field=where)
    if isinstance(value, Mapping):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise InputError(f"keys must be strings, got {bad[0]!r}", field=where)
        return {k: canonical_json(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, complex):
        raise InputError("complex numbers need an array (np.asarray(value))", field=where)
    raise InputError(f"a value of type {type(value).__name__} cannot be stored", field=where)


def canonical_tree(tree: Mapping | None, where: str) -> dict[str, Any]:
    """Validate a tree and return its canonical copy (arrays copied, C-ordered).

    Parameters
    ----------
    tree : mapping or None
        Nested mapping of arrays, sub-mappings and JSON values; ``None`` gives ``{}``.
    where : str
        Field named in error messages (e.g. ``"observation"``).

    Returns
    -------
    dict
        Numeric/bool arrays as independent C-contiguous copies (dtype kept),
        string arrays as lists of str, everything else as plain JSON data.

    Raises
    ------
    InputError
        For a non-string or invalid key, an object array or an unsupported value.
    """
    if tree is None:
        return {}
    if not isinstance(tree, Mapping):
        raise InputError(f"expected a dict, got {type(tree).__name__}", field=where)
    out: dict[str, Any] = {}
    for key, value in tree.items():
        _check_key(key, where)
        sub = f"{where}.{key}"
        if isinstance(value, Mapping):
            out[key] = canonical_tree(value, sub)
        elif isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
            out[key] = np.array(value, order="C", copy=True)
        elif isinstance(value, np.ndarray) and value.dtype.kind not in "US":
            raise InputError(f"array of dtype {value.dtype} cannot be stored (numeric, bool or str only)", field=sub)
        else:
            out[key] = canonical_json(value, sub)
    return out


def write_tree(group: h5py.Group, tree: Mapping[str, Any]) -> None:
    """Write a canonical tree into ``group`` (datasets, sub-groups, JSON attributes).

    Parameters
    ----------
    group : h5py.Group
        An empty group.
    tree : dict
        Output of :func:`canonical_tree` (or :func:`canonical_json` for a dict).
    """
    for key, value in tree.items():
        if isinstance(value, Mapping):
            write_tree(group.create_group(key, track_order=True), value)
        elif isinstance(value, np.ndarray):
            group.create_dataset(key, data=value)  # contiguous, uncompressed: bytes as given
        else:
            group.attrs[key] = json.dumps(value, allow_nan=True)


def read_tree(group: h5py.Group) -> dict[str, Any]:
    """Read a tree written by :func:`write_tree`.

    Parameters
    ----------
    group : h5py.Group

    Returns
    -------
    dict
        Arrays (0-d arrays for scalars, dtype as stored), sub-dicts and JSON values.
    """
    out: dict[str, Any] = {}
    for key, obj in group.items():
        if isinstance(obj, h5py.Group):
            out[key] = read_tree(obj)
        else:
            out[key] = np.asarray(obj[()])
    for key, value in group.attrs.items():
        out[key] = json.loads(value)
    return out


def describe_tree(tree: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-ready outline: arrays as ``{"shape": [...], "dtype": "..."}``, other values as they are.

    Parameters
    ----------
    tree : dict

    Returns
    -------
    dict
    """
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out[key] = describe_tree(value)
        elif isinstance(value, np.ndarray):
            out[key] = {"shape": list(value.shape), "dtype": str(value.dtype)}
        elif isinstance(value, list) and len(value) > 8:
            out[key] = f"list of {len(value)}"
        else:
            out[key] = value
    return out


def trees_equal(a: Any, b: Any) -> bool:
    """Exact equality of two trees (arrays: same dtype, shape and values; NaN equals NaN).

    Parameters
    ----------
    a, b : object

    Returns
    -------
    bool
    """
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(trees_equal(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(trees_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b
