"""Reading and writing connectomes: TVB zip, HDF5, npz, folders of matrices, MRtrix3.

Every reader returns a validated :class:`~braintwin.connectome.Connectome` or
raises :class:`~braintwin.errors.InputError` naming the file, the field and the
problem; every writer writes atomically (a crash never leaves half a file).
The parsing lives in :mod:`braintwin.connectome.readers` (file -> Connectome
arguments), the writing in :mod:`braintwin.connectome.writers`; this module
puts the two together under the public names.

Conventions of the files written here (and of TVB's):

* ``weights[i, j]`` is the tract from region ``j`` (source) into ``i`` (target);
* tract lengths and centres are in mm, areas in mm^2;
* ``hemispheres`` is ``True`` (1) for the right hemisphere.
"""

from __future__ import annotations

import functools
import inspect
import os
from typing import Any, Callable

from . import readers
from .core import Connectome
from .writers import FORMAT, save, write_h5, write_npz, write_tvb_zip

__all__ = [
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
    "FORMAT",
]


def _reader(fields: Callable[..., dict], name: str) -> Callable[..., Connectome]:
    """The public reader ``name``: ``Connectome(**fields(path, **options))``, with ``fields``'s signature and docs."""

    @functools.wraps(fields)
    def read(path, **kwargs: Any) -> Connectome:
        return Connectome(**fields(path, **kwargs))

    read.__name__ = read.__qualname__ = name
    read.__signature__ = inspect.signature(fields).replace(return_annotation="Connectome")
    read.__doc__ = (fields.__doc__ or "").replace(
        "dict\n        The keyword arguments of :class:`~braintwin.connectome.Connectome`.", "Connectome"
    )
    return read


read_tvb_zip = _reader(readers.tvb_zip_fields, "read_tvb_zip")
read_matrices = _reader(readers.matrices_fields, "read_matrices")
read_mrtrix = _reader(readers.mrtrix_fields, "read_mrtrix")
read_h5 = _reader(readers.h5_fields, "read_h5")
read_npz = _reader(readers.npz_fields, "read_npz")


def load(path_or_name: str | os.PathLike, **kwargs: Any) -> Connectome:
    """Read a connectome from a built-in name, a file or a folder: :meth:`Connectome.load`.

    The kind of file (and which ``**kwargs`` apply) is decided by
    :func:`braintwin.connectome.readers.read_fields`; anything unreadable is an
    :class:`~braintwin.errors.InputError`.

    Examples
    --------
    >>> load("tvb76").n_regions
    76
    """
    return Connectome.load(path_or_name, **kwargs)
