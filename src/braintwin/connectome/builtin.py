"""Connectomes shipped with the ``tvb-data`` package, by name."""

from __future__ import annotations

import functools
import importlib.resources

from ..errors import InputError
from .core import Connectome

__all__ = ["BUILTINS", "builtin", "builtin_path"]

#: Built-in connectome names and the ``tvb_data.connectivity`` file behind each.
BUILTINS: dict[str, str] = {
    "tvb66": "connectivity_66.zip",
    "tvb68": "connectivity_68.zip",
    "tvb76": "connectivity_76.zip",
    "tvb96": "connectivity_96.zip",
    "tvb192": "connectivity_192.zip",
}


def _key(name: str) -> str:
    key = str(name).strip().lower()
    if key not in BUILTINS:
        raise InputError(
            f"unknown built-in connectome; valid names: {', '.join(BUILTINS)}", source=str(name), field="name"
        )
    return key


def builtin_path(name: str):
    """Path of the ``tvb-data`` zip behind a built-in name.

    Parameters
    ----------
    name : str
        One of :data:`BUILTINS`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        For an unknown name, or when ``tvb-data`` is not installed.
    """
    key = _key(name)
    try:
        root = importlib.resources.files("tvb_data.connectivity")
    except ModuleNotFoundError:
        raise InputError("the tvb-data package is not installed (pip install tvb-data)", source=key, field="name") from None
    path = root / BUILTINS[key]
    if not path.is_file():
        raise InputError(f"tvb-data has no {BUILTINS[key]}", source=key, field="name")
    return path


@functools.lru_cache(maxsize=None)
def _cached(key: str) -> Connectome:
    from .io import read_tvb_zip

    with importlib.resources.as_file(builtin_path(key)) as path:
        conn = read_tvb_zip(path, warn=False, allow_zero_lengths=True)
    return conn._evolve(source=key)


def builtin(name: str) -> Connectome:
    """Load a built-in connectome quietly (no warnings for the shipped data).

    Parameters
    ----------
    name : str
        One of ``tvb66``, ``tvb68``, ``tvb76``, ``tvb96``, ``tvb192``
        (case-insensitive).

    Returns
    -------
    Connectome
        A fresh copy; its ``source`` is the name.
    """
    return _cached(_key(name)).copy()
