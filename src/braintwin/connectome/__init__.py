"""Connectomes: brain regions, tract weights (a.u.) and tract lengths (mm).

The first stage of the pipeline.  :class:`Connectome` holds and validates the
data; readers and writers move it between files (TVB zip, HDF5, npz, folders of
matrices, MRtrix3 ``tck2connectome`` output); :func:`builtin` gives the
connectomes shipped with ``tvb-data``.

Examples
--------
>>> import braintwin as bt
>>> conn = bt.Connectome.load("tvb76").normalized("max")
>>> float(conn.delays(3.0).max()) > 0  # ms at 3 mm/ms
True
"""

from __future__ import annotations

from .builtin import BUILTINS, builtin
from .core import NORMALIZATIONS, Connectome, as_connectome, infer_hemispheres
from .io import (
    load,
    read_h5,
    read_matrices,
    read_mrtrix,
    read_npz,
    read_tvb_zip,
    save,
    write_h5,
    write_npz,
    write_tvb_zip,
)
from .parcellation import Parcellation, match_labels, read_lut, read_parcellation
from .plot import plot_connectome
from .tractography import TractCounts, connectome_from_tractography, count_streamlines

__all__ = [
    "Connectome",
    "as_connectome",
    "BUILTINS",
    "NORMALIZATIONS",
    "builtin",
    "infer_hemispheres",
    "load",
    "save",
    "read_tvb_zip",
    "read_h5",
    "read_npz",
    "read_matrices",
    "read_mrtrix",
    "write_tvb_zip",
    "write_h5",
    "write_npz",
    "plot_connectome",
    "Parcellation",
    "read_parcellation",
    "read_lut",
    "match_labels",
    "connectome_from_tractography",
    "count_streamlines",
    "TractCounts",
]
