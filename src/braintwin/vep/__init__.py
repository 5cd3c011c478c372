"""``braintwin.vep``: the Virtual Epileptic Patient, whose home is :mod:`braintwin.workflows.vep`.

This name is kept so that ``import braintwin.vep as vep``, ``bt.vep`` and
``from braintwin.vep.workflow import twin_from_fit`` keep working: the package
and each of its modules are the *same objects* as under
``braintwin.workflows.vep`` (aliased in :data:`sys.modules`, so every registry
is filled once).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from ..workflows import vep as _home


def _alias() -> None:
    """``braintwin.vep.<name>`` is ``braintwin.workflows.vep.<name>`` for every module of the workflow."""
    for info in pkgutil.iter_modules(_home.__path__):
        sys.modules[f"{__name__}.{info.name}"] = importlib.import_module(f"{_home.__name__}.{info.name}")
    sys.modules[__name__] = _home


_alias()
