"""Writing connectomes: TVB zip, HDF5 (TVB-compatible) and npz, each atomically.

Writers read a connectome's attributes only (``weights``, ``tract_lengths``,
``labels``, ``centres``, ...), so this module does not import the class.

Conventions of the files written here (and of TVB's):

* ``weights[i, j]`` is the tract from region ``j`` (source) into ``i`` (target);
* tract lengths and centres are in mm, areas in mm^2;
* ``hemispheres`` is ``True`` (1) for the right hemisphere.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._io import atomic_path
from ..errors import InputError

if TYPE_CHECKING:  # annotations only
    from .core import Connectome

__all__ = ["save", "write_tvb_zip", "write_h5", "write_npz", "FORMAT"]

FORMAT = "braintwin.connectome/1"

# ---------------------------------------------------------------------------
# writers


def _txt(a: np.ndarray, fmt: str = "%.17g") -> bytes:
    buf = io.StringIO()
    np.savetxt(buf, np.atleast_1d(a), fmt=fmt)
    return buf.getvalue().encode()


def write_tvb_zip(conn: Connectome, path: str | os.PathLike) -> Path:
    """Write a TVB connectivity zip (readable by TVB and :func:`read_tvb_zip`).

    Parameters
    ----------
    conn : Connectome
        The connectome.  Labels must not contain whitespace (``centres.txt``
        is whitespace-separated).
    path : str or path
        The ``.zip`` to write (atomically).

    Returns
    -------
    pathlib.Path
    """
    for label in conn.labels:
        if any(ch.isspace() for ch in label):
            raise InputError(
                f"label {label!r} contains whitespace, which TVB's centres.txt cannot hold; use .h5 or .npz",
                source=str(path),
                field="labels",
            )
    centres = "".join(f"{lab} {x!r} {y!r} {z!r}\n" for lab, (x, y, z) in zip(conn.labels, conn.centres.tolist()))
    entries = {
        "weights.txt": _txt(conn.weights),
        "tract_lengths.txt": _txt(conn.tract_lengths),
        "centres.txt": centres.encode(),
        "cortical.txt": _txt(conn.cortical.astype(int), "%d"),
        "hemispheres.txt": _txt(conn.hemispheres.astype(int), "%d"),
        "info.txt": (
            'weights_unit = "au"\nlength_unit = "mm"\narea_unit = "mm^2"\n'
            "# weights[i, j]: from region j (source) into region i (target)\n"
            f"# written by braintwin ({FORMAT}) from {conn.source}\n"
        ).encode(),
    }
    if conn.areas is not None:
        entries["areas.txt"] = _txt(conn.areas)
    if conn.orientations is not None:
        entries["average_orientations.txt"] = _txt(conn.orientations)
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in entries.items():
                zf.writestr(name, data)
    return Path(path)


def write_h5(conn: Connectome, path: str | os.PathLike) -> Path:
    """Write HDF5 with TVB's ``ConnectivityH5`` dataset names.

    Datasets ``weights``, ``tract_lengths`` (mm), ``centres`` (mm),
    ``region_labels`` (UTF-8 bytes), ``hemispheres``, ``cortical`` and, when
    present, ``areas`` (mm^2) and ``orientations``; attributes record the format,
    units, the weights convention and the source.

    Parameters
    ----------
    conn : Connectome
        The connectome.
    path : str or path
        The ``.h5`` file to write (atomically).

    Returns
    -------
    pathlib.Path
    """
    import h5py

    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.create_dataset("weights", data=conn.weights)
            f.create_dataset("tract_lengths", data=conn.tract_lengths)
            f.create_dataset("centres", data=conn.centres)
            f.create_dataset("region_labels", data=np.array([s.encode("utf-8") for s in conn.labels]))
            f.create_dataset("hemispheres", data=conn.hemispheres)
            f.create_dataset("cortical", data=conn.cortical)
            if conn.areas is not None:
                f.create_dataset("areas", data=conn.areas)
            if conn.orientations is not None:
                f.create_dataset("orientations", data=conn.orientations)
            f.attrs.update(
                {
                    "braintwin_format": FORMAT,
                    "source": conn.source,
                    "number_of_regions": conn.n_regions,
                    "number_of_connections": conn.n_edges,
                    "weights_convention": "weights[i, j]: from region j (source) into region i (target)",
                    "tract_lengths_unit": "mm",
                    "centres_unit": "mm",
                    "areas_unit": "mm^2",
                }
            )
    return Path(path)


def write_npz(conn: Connectome, path: str | os.PathLike) -> Path:
    """Write a compressed ``.npz`` (no pickles; read with :func:`read_npz`).

    Parameters
    ----------
    conn : Connectome
        The connectome.
    path : str or path
        The ``.npz`` file to write (atomically).

    Returns
    -------
    pathlib.Path
    """
    arrays = {
        "format": np.array(FORMAT),
        "weights": conn.weights,
        "tract_lengths": conn.tract_lengths,
        "labels": np.array(conn.labels, dtype=str),
        "centres": conn.centres,
        "hemispheres": conn.hemispheres,
        "cortical": conn.cortical,
    }
    if conn.areas is not None:
        arrays["areas"] = conn.areas
    if conn.orientations is not None:
        arrays["orientations"] = conn.orientations
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:  # a file object: savez would append ".npz" to a name
            np.savez_compressed(f, **arrays)
    return Path(path)


_WRITERS = {".zip": write_tvb_zip, ".h5": write_h5, ".hdf5": write_h5, ".npz": write_npz}


def save(conn: Connectome, path: str | os.PathLike) -> Path:
    """Write a connectome; the format follows the extension.

    Parameters
    ----------
    conn : Connectome
        The connectome.
    path : str or path
        ``.zip`` (:func:`write_tvb_zip`), ``.h5``/``.hdf5`` (:func:`write_h5`)
        or ``.npz`` (:func:`write_npz`).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    writer = _WRITERS.get(Path(path).suffix.lower())
    if writer is None:
        raise InputError(
            f"unknown output format {Path(path).suffix or '(no extension)'!r}; use .zip, .h5 or .npz",
            source=str(path),
            field="path",
        )
    return writer(conn, path)
