"""Reading connectomes from container files (HDF5, npz) into Connectome arguments.

Also the file helpers every reader shares: the exceptions broken files raise,
and reading bytes with a one-line :class:`~braintwin.errors.InputError`.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["h5_fields", "npz_fields"]

#: Exceptions that broken archives and HDF5/npz files raise from the standard
#: library, numpy and h5py; readers turn them into :class:`InputError`.
_CORRUPT = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
)


def _check_file(path: Path, *, field: str) -> None:
    """Raise :class:`InputError` unless ``path`` is an existing file."""
    if not path.exists():
        raise InputError("no such file", source=str(path), field=field)
    if path.is_dir():
        raise InputError("is a folder, expected a file", source=str(path), field=field)


def _read_bytes(path: Path, *, field: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", source=str(path), field=field) from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a file", source=str(path), field=field) from None
    except OSError as e:
        raise InputError(f"cannot read ({e.strerror or e})", source=str(path), field=field) from None


def _text_array(values: np.ndarray, *, source: str, field: str) -> list[str]:
    """Decode an array of HDF5/npz strings (bytes or str) to a list of str."""
    out = []
    for x in np.asarray(values).ravel():
        if isinstance(x, (bytes, np.bytes_)):
            try:
                x = bytes(x).decode("utf-8")
            except UnicodeDecodeError:
                raise InputError("labels are not UTF-8 text", source=source, field=field) from None
        out.append(str(x))
    return out


def h5_fields(path: str | os.PathLike, *, warn: bool = True, allow_zero_lengths: bool = False) -> dict:
    """Read a connectome from HDF5: TVB's ``ConnectivityH5`` layout or ours.

    Datasets ``weights``, ``tract_lengths`` (required), ``centres``,
    ``region_labels`` (or ``labels``), ``hemispheres``, ``cortical``, ``areas``,
    ``orientations``, at the root or in a single top-level group.  Empty
    datasets count as absent.

    Parameters
    ----------
    path : str or path
        The ``.h5``/``.hdf5`` file.
    warn, allow_zero_lengths : bool
        As in :class:`Connectome`.

    Returns
    -------
    dict
        The keyword arguments of :class:`~braintwin.connectome.Connectome`.
    """
    import h5py

    path = Path(path)
    source = str(path)
    _check_file(path, field="hdf5")
    try:
        f = h5py.File(path, "r")
    except _CORRUPT as e:
        raise InputError(f"not a valid HDF5 file ({e})", source=source, field="hdf5") from None
    with f:
        try:
            group = f
            if "weights" not in f:
                groups = [g for g in f.values() if isinstance(g, h5py.Group) and "weights" in g]
                group = groups[0] if len(groups) == 1 else f
            fields: dict[str, Any] = {}
            for key, names in (
                ("weights", ("weights",)),
                ("tract_lengths", ("tract_lengths",)),
                ("centres", ("centres", "centers")),
                ("labels", ("region_labels", "labels")),
                ("hemispheres", ("hemispheres",)),
                ("cortical", ("cortical",)),
                ("areas", ("areas",)),
                ("orientations", ("orientations", "average_orientations")),
            ):
                for name in names:
                    obj = group.get(name)
                    if isinstance(obj, h5py.Dataset) and obj.size:
                        fields[key] = obj[()]
                        break
        except InputError:
            raise
        except _CORRUPT as e:
            raise InputError(f"unreadable HDF5 content ({type(e).__name__}: {e})", source=source, field="hdf5") from None
    return _from_fields(fields, source, "dataset", "region_labels", warn=warn, allow_zero_lengths=allow_zero_lengths)


def npz_fields(path: str | os.PathLike, *, warn: bool = True, allow_zero_lengths: bool = False) -> dict:
    """Read a connectome written by :func:`write_npz` (``numpy.savez``).

    Arrays ``weights``, ``tract_lengths`` (required), ``labels``, ``centres``,
    ``hemispheres``, ``cortical``, ``areas``, ``orientations``.  Pickled objects
    are refused.

    Parameters
    ----------
    path : str or path
        The ``.npz`` file.
    warn, allow_zero_lengths : bool
        As in :class:`Connectome`.

    Returns
    -------
    dict
        The keyword arguments of :class:`~braintwin.connectome.Connectome`.
    """
    path = Path(path)
    source = str(path)
    raw = _read_bytes(path, field="npz")
    fields: dict[str, Any] = {}
    try:
        npz = np.load(io.BytesIO(raw), allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise InputError("not an .npz archive (a single .npy array?)", source=source, field="npz")
        with npz:
            for key in ("weights", "tract_lengths", "labels", "centres", "hemispheres", "cortical", "areas", "orientations"):
                if key in npz.files:
                    fields[key] = npz[key]
    except InputError:
        raise
    except _CORRUPT as e:
        raise InputError(f"not a valid .npz file ({type(e).__name__}: {e})", source=source, field="npz") from None
    return _from_fields(fields, source, "array", "labels", warn=warn, allow_zero_lengths=allow_zero_lengths)


def _from_fields(fields: dict, source: str, what: str, labels_field: str, *, warn: bool, allow_zero_lengths: bool) -> dict:
    """A Connectome from arrays read out of a container file (h5, npz): required fields, decoded labels."""
    for key in ("weights", "tract_lengths"):
        if key not in fields:
            raise InputError(f"missing {what} {key!r}", source=source, field=key)
    if "labels" in fields:
        fields["labels"] = _text_array(fields["labels"], source=source, field=labels_field)
    return dict(**fields, source=source, allow_zero_lengths=allow_zero_lengths, warn=warn)
