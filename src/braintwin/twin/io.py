"""Reading and writing twin files: :func:`write_twin`, :func:`read_twin`, :func:`verify_twin`.

The file format (layout, header, the two SHA-256 checksums) is documented and
implemented in :mod:`braintwin.twin._file`, which knows nothing of the
:class:`~braintwin.Twin` class; :meth:`Twin.save` and :meth:`Twin.load` use it
directly, and these functions are their public spelling.  So the import
direction is ``io -> core -> _file``, without a circle.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from ._file import FORMAT_VERSION, KIND, content_checksum, verify_twin
from .core import Twin

__all__ = ["KIND", "FORMAT_VERSION", "write_twin", "read_twin", "verify_twin", "content_checksum"]


def write_twin(path: str | os.PathLike, twin: Twin) -> Path:
    """Write a twin to one HDF5 file, atomically, with file and content checksums.

    The twin is validated again first (identifiers slipped into its metadata
    after construction are refused).  The file is written to a temporary file
    beside ``path``, sealed (content checksum, then the header with the file
    checksum and size), flushed to disk and renamed onto ``path``: a crash or
    an error leaves any existing file untouched and no temporary file behind.
    On success ``twin.provenance["saved_utc"]`` and ``twin.source`` are set.

    Parameters
    ----------
    path : str or path
        Conventionally ``<subject_id>.twin.h5``.
    twin : Twin

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        If the twin does not validate.

    Example
    -------
    >>> write_twin("sub-001.twin.h5", twin)   # doctest: +SKIP
    """
    if not isinstance(twin, Twin):
        raise InputError(f"expected a braintwin Twin, got {type(twin).__name__}", field="twin")
    return twin.save(path)


def read_twin(path: str | os.PathLike, *, verify: bool = True) -> Twin:
    """Read a twin file written by :func:`write_twin`.

    Verifies (by default) the header, the file checksum (every byte, and the
    size: truncation) and the content checksum, then rebuilds every object:
    :class:`~braintwin.Connectome`, the model (``get_model(name, **values)``),
    the coupling (``get_coupling(name, **values)``) and the :class:`Posterior`.

    Parameters
    ----------
    path : str or path
    verify : bool, optional
        Default ``True``.  ``False`` skips the checksums, only to salvage what
        can be read from a damaged file.

    Returns
    -------
    Twin
        With ``source`` set to ``path``.

    Raises
    ------
    InputError
        Naming the file and the field: ``"file"`` (missing, truncated,
        unreadable), ``"kind"`` (an HDF5 file that is not a twin),
        ``"checksum"`` (a flipped byte, a modified file), ``"format_version"``
        (written by a newer braintwin), or the part that does not validate.

    Example
    -------
    >>> twin = read_twin("sub-001.twin.h5")   # doctest: +SKIP
    """
    return Twin.load(path, verify=verify)
