"""braintwin: Virtual Brain Twins.

A twin is built in stages, and the package is laid out the same way (imports flow
one way, left to right)::

    connectome -> models -> simulate -> observe -> features -> infer -> twin -> whatif -> report

with the workflows (:mod:`braintwin.workflows`: ``vep``, also ``bt.vep``) and the
CLI on top.  Importing braintwin imports every workflow, which fills the
registries (what-if outcomes, region labellers, twin updaters).

Quick start::

    import braintwin as bt
    conn = bt.Connectome.builtin("tvb76").normalized("max")
    res = bt.simulate(conn, bt.models.MontbrioPazoRoxin(eta=-5.0), duration=1000.0)
"""

from __future__ import annotations

from ._version import __version__

from .errors import BraintwinError, BraintwinWarning, DivergenceError, InputError
from .connectome import Connectome
from . import models
from . import observe
from . import features
from .twin import Posterior, Twin, read_twin, write_twin
from . import infer
from . import whatif
from . import report
from . import workflows
from . import vep  # = braintwin.workflows.vep
from .workflows import resting  # bt.resting
from .workflows import ageing, alzheimers, ms  # bt.ms, bt.ageing, bt.alzheimers
from .simulate import (  # the function shadows the subpackage's name on purpose: bt.simulate(...)
    Simulation,
    read_simulation,
    simulate,
    simulate_batch,
    write_simulation,
)

__all__ = [
    "__version__",
    "BraintwinError",
    "BraintwinWarning",
    "DivergenceError",
    "InputError",
    "Connectome",
    "models",
    "observe",
    "features",
    "Twin",
    "Posterior",
    "read_twin",
    "write_twin",
    "infer",
    "whatif",
    "report",
    "workflows",
    "vep",
    "resting",
    "ms",
    "ageing",
    "alzheimers",
    "simulate",
    "simulate_batch",
    "Simulation",
    "read_simulation",
    "write_simulation",
]
