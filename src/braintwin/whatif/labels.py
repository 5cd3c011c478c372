"""Region labels of a twin (e.g. EZ / PZ / healthy), read by what-if and the report from one place.

A workflow that labels regions stores its table with the twin's posterior
(``twin.posterior.info["region_labels"]``) in this form::

    {"classes": ["EZ", "PZ", "healthy"], "regions": [...], "label": [...],
     "probability": {"EZ": [...], "PZ": [...], "healthy": [...]}, "rules": {...}}

and may register a *labeller* that derives such a table from a twin that stores
none (the VEP workflow registers its EZ/PZ threshold rule,
:mod:`braintwin.vep.labels`).  :func:`region_labels` returns the stored table,
else the first labeller's, so the demo, what-if and the report show one map.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import InputError

__all__ = ["INFO_KEY", "register_labeller", "region_labels", "labellers"]

#: Key of the label table in ``Posterior.info``.
INFO_KEY = "region_labels"

_LABELLERS: dict[str, tuple[str, Callable[[Any], dict | None]]] = {}


def register_labeller(name: str, description: str, *, overwrite: bool = False):
    """Register ``fn(twin) -> table or None`` under ``name`` (decorator); tried in registration order.

    Example
    -------
    >>> @register_labeller("my_rule", "EZ when x0 > -2")     # doctest: +SKIP
    ... def my_rule(twin): ...
    """

    def deco(fn):
        if name in _LABELLERS and not overwrite:
            raise InputError(f"labeller {name!r} is already registered", source="whatif", field="labeller")
        _LABELLERS[name] = (description, fn)
        return fn

    return deco


def labellers() -> dict[str, str]:
    """``{name: description}`` of the registered labellers."""
    return {k: v[0] for k, v in _LABELLERS.items()}


def region_labels(twin) -> dict | None:
    """The twin's region-label table: the one stored with its posterior, else the first registered labeller's (None if none)."""
    post = getattr(twin, "posterior", None)
    stored = (getattr(post, "info", None) or {}).get(INFO_KEY) if post is not None else None
    if stored:
        return stored
    for _, fn in _LABELLERS.values():
        table = fn(twin)
        if table:
            return table
    return None
