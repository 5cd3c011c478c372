"""Twin updaters: how a twin is re-fitted on a new recording, registered by the workflow that builds it.

A workflow registers its update function under a name and stores that name in
the posterior it makes (``posterior.info["updater"]``); :meth:`Twin.update`
looks it up here.  Nothing is imported from a string, and the twin stage knows
no workflow::

    from braintwin.twin import register_updater

    @register_updater("braintwin.vep.workflow:update_twin")   # the name stored in twin files
    def update_twin(twin, new_data, **kwargs): ...

The name is an opaque key (the VEP's keeps the ``module:function`` spelling
that files written before the registry store).
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import InputError

__all__ = ["register_updater", "get_updater", "updaters"]

Updater = Callable[..., Any]
_UPDATERS: dict[str, Updater] = {}


def register_updater(name: str, *, overwrite: bool = False):
    """Register ``fn(twin, new_data, **kwargs) -> fit`` as the updater called ``name`` (decorator).

    Parameters
    ----------
    name : str
        The key stored in ``posterior.info["updater"]``.
    overwrite : bool
        Replace an updater of the same name (otherwise an error).
    """

    def deco(fn: Updater) -> Updater:
        if not callable(fn):
            raise InputError(f"updater {name!r} is not callable", field="posterior.info.updater")
        if name in _UPDATERS and _UPDATERS[name] is not fn and not overwrite:
            raise InputError(f"an updater {name!r} is already registered", field="posterior.info.updater")
        _UPDATERS[name] = fn
        return fn

    return deco


def get_updater(name: str) -> Updater:
    """The updater registered as ``name`` (an InputError naming the known ones otherwise)."""
    try:
        return _UPDATERS[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(_UPDATERS)) or "none"
        raise InputError(f"updater {name!r} is not a braintwin function registered with register_updater (known: {known}); "
                         "is the workflow that made this twin imported?", field="posterior.info.updater") from None


def updaters() -> list[str]:
    """Names of the registered updaters."""
    return sorted(_UPDATERS)
