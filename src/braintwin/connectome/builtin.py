"""Connectomes shipped with the ``tvb-data`` package, by name."""

from __future__ import annotations

from .core import builtin
from .readers import BUILTINS, builtin_path

__all__ = ["BUILTINS", "builtin", "builtin_path"]
