"""Parsing connectome files into the arguments of :class:`~braintwin.connectome.Connectome`.

Every ``*_fields`` reader returns the keyword arguments of ``Connectome`` (so
that the class itself can be built from a file by :meth:`Connectome.load`
without this module importing it) or raises
:class:`~braintwin.errors.InputError` naming the file, the field and the
problem.  :mod:`braintwin.connectome.io` wraps each into the public
``read_*`` function returning a validated ``Connectome``.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import importlib.resources
import io
import os
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BraintwinWarning, InputError
from . import _text
from .containers import _CORRUPT, _read_bytes, h5_fields, npz_fields

__all__ = [
    "BUILTINS",
    "builtin_path",
    "builtin_fields",
    "read_fields",
    "tvb_zip_fields",
    "h5_fields",
    "npz_fields",
    "matrices_fields",
    "mrtrix_fields",
]

#: Exceptions that broken archives and HDF5/npz files raise from the standard
#: library, numpy and h5py; readers turn them into :class:`InputError`.
# file stems (lower case) that name each part of a connectome
_ROLES = {
    "weights": ("weights",),
    "tract_lengths": ("tract_lengths", "tract_length", "lengths", "distances"),
    "centres": ("centres", "centers"),
    "labels": ("labels", "region_labels"),
    "cortical": ("cortical",),
    "hemispheres": ("hemispheres",),
    "areas": ("areas",),
    "orientations": ("average_orientations", "orientations"),
}
_TEXT_SUFFIXES = ("", ".txt", ".csv", ".tsv", ".dat")


def _role(name: str) -> str | None:
    """The part of a connectome a file holds, from its name (``weights.txt.bz2``)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if base.startswith("."):
        return None
    for comp in (".bz2", ".gz"):
        if base.endswith(comp):
            base = base[: -len(comp)]
    for suffix in _TEXT_SUFFIXES:
        if suffix and base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    for role, stems in _ROLES.items():
        if base in stems:
            return role
    return None


def _decompress(name: str, data: bytes, *, source: str) -> bytes:
    try:
        if name.lower().endswith(".bz2"):
            return bz2.decompress(data)
        if name.lower().endswith(".gz"):
            return gzip.decompress(data)
    except (OSError, EOFError, ValueError, zlib.error) as e:
        raise InputError(f"cannot decompress ({e})", source=source, field=_role(name) or name) from None
    return data


# ---------------------------------------------------------------------------
# assembling a connectome from named text files (zip entries or folder files)


def _from_parts(
    parts: dict[str, tuple[str, bytes]],
    *,
    source: str,
    available: Sequence[str],
    labels: Any = None,
    delimiter: str | None = None,
    warn: bool = True,
    allow_zero_lengths: bool = False,
) -> dict:
    """Build a Connectome from ``{role: (display name, bytes)}``."""
    for role in ("weights", "tract_lengths"):
        if role not in parts:
            raise InputError(
                f"missing {role}.txt (found: {', '.join(available) or 'nothing'})",
                source=source,
                field=role,
            )
    w_name, w_data = parts["weights"]
    weights, header = _text.parse_matrix(w_data, source=w_name, field="weights", delimiter=delimiter, allow_labels=True)
    n = weights.shape[0]
    t_name, t_data = parts["tract_lengths"]
    lengths, _ = _text.parse_matrix(t_data, source=t_name, field="tract_lengths", delimiter=delimiter, allow_labels=True)
    centres = None
    names = header
    if "centres" in parts:
        c_name, c_data = parts["centres"]
        names_c, centres = _text.parse_centres(c_data, source=c_name)
        if centres.shape[0] != n:
            raise InputError(f"{centres.shape[0]} centres for {n} regions", source=c_name, field="centres")
        names = names_c if names_c is not None else names
    if labels is not None:
        names = _labels_arg(labels, n)
    elif "labels" in parts:
        l_name, l_data = parts["labels"]
        names = _text.parse_labels(l_data, source=l_name, n=n)
        if len(names) != n:
            raise InputError(f"{len(names)} labels for {n} regions", source=l_name, field="labels")
    vectors: dict[str, np.ndarray] = {}
    for role in ("cortical", "hemispheres", "areas"):
        if role in parts:
            name, data = parts[role]
            vectors[role] = _text.parse_vector(data, source=name, field=role, n=n, booleans=role != "areas")
    orientations = None
    if "orientations" in parts:
        o_name, o_data = parts["orientations"]
        orientations, _ = _text.parse_matrix(o_data, source=o_name, field="orientations", square=False)
    return dict(
        weights=weights,
        tract_lengths=lengths,
        labels=names,
        centres=centres,
        hemispheres=vectors.get("hemispheres"),
        cortical=vectors.get("cortical"),
        areas=vectors.get("areas"),
        orientations=orientations,
        source=source,
        allow_zero_lengths=allow_zero_lengths,
        warn=warn,
    )


def _labels_arg(labels: Any, n: int) -> list[str]:
    """Labels given as an argument: a sequence of names or a path to a labels file."""
    if isinstance(labels, (str, os.PathLike)):
        path = Path(labels)
        return _text.parse_labels(_read_bytes(path, field="labels"), source=str(path), n=n)
    return list(labels)


def _collect(names: Sequence[str], *, source: str) -> dict[str, str]:
    """Map each role to the one file name holding it; refuse ambiguous archives."""
    found: dict[str, str] = {}
    for name in names:
        if "__MACOSX" in name or name.endswith("/"):
            continue
        role = _role(name)
        if role is None:
            continue
        if role in found:
            raise InputError(f"two files hold {role}: {found[role]} and {name}", source=source, field=role)
        found[role] = name
    return found


# ---------------------------------------------------------------------------
# readers


def tvb_zip_fields(
    path: str | os.PathLike, *, warn: bool = True, allow_zero_lengths: bool = False
) -> dict:
    """Read a TVB connectivity zip (as shipped in ``tvb-data``).

    Entries may sit at the root or in one subfolder and may be ``.bz2``
    compressed: ``weights.txt`` and ``tract_lengths.txt`` (required),
    ``centres.txt`` (``label x y z`` per line), ``cortical.txt``,
    ``hemispheres.txt``, ``areas.txt``, ``average_orientations.txt``.
    Missing hemispheres are inferred (:func:`~braintwin.connectome.infer_hemispheres`).

    Parameters
    ----------
    path : str or path
        The zip file.
    warn : bool
        Warn about asymmetric weights, self-connections and disconnected regions.
    allow_zero_lengths : bool
        Accept nonzero weights with zero tract length.

    Returns
    -------
    dict
        The keyword arguments of :class:`~braintwin.connectome.Connectome`.

    Raises
    ------
    InputError
        Not a zip, a required entry missing, or a malformed entry.
    """
    path = Path(path)
    source = str(path)
    raw = _read_bytes(path, field="zip")
    parts: dict[str, tuple[str, bytes]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            available = [n for n in zf.namelist() if not n.endswith("/")]
            found = _collect(available, source=source)
            for role, name in found.items():
                entry = f"{source}:{name}"
                parts[role] = (entry, _decompress(name, zf.read(name), source=entry))
    except InputError:
        raise
    except _CORRUPT as e:
        raise InputError(f"not a valid zip archive ({type(e).__name__}: {e})", source=source, field="zip") from None
    return _from_parts(parts, source=source, available=available, warn=warn, allow_zero_lengths=allow_zero_lengths)


def matrices_fields(
    folder: str | os.PathLike,
    *,
    labels: Any = None,
    delimiter: str | None = None,
    warn: bool = True,
    allow_zero_lengths: bool = False,
) -> dict:
    """Read a folder of text matrices.

    The folder holds ``weights.(txt|csv|tsv)`` and ``tract_lengths.*`` (or
    ``lengths.*``), and optionally ``labels.txt`` (one name per line, or a lookup
    table ``index name``), ``centres.txt`` (``label x y z``), ``cortical.txt``,
    ``hemispheres.txt``, ``areas.txt``, ``average_orientations.txt`` (any of
    these may be ``.bz2``/``.gz``).  Matrices may carry a header row of labels.

    Parameters
    ----------
    folder : str or path
        The folder.
    labels : sequence of str or path, optional
        Region names (overrides any labels in the folder).
    delimiter : str, optional
        Column delimiter; by default detected (comma, semicolon or whitespace).
    warn, allow_zero_lengths : bool
        As in :class:`Connectome`.

    Returns
    -------
    dict
        The keyword arguments of :class:`~braintwin.connectome.Connectome`.
    """
    folder = Path(folder)
    source = str(folder)
    if not folder.is_dir():
        raise InputError("not a folder", source=source, field="folder")
    available = sorted(p.name for p in folder.iterdir() if p.is_file())
    found = _collect(available, source=source)
    parts = {}
    for role, name in found.items():
        p = folder / name
        parts[role] = (str(p), _decompress(name, _read_bytes(p, field=role), source=str(p)))
    return _from_parts(
        parts,
        source=source,
        available=available,
        labels=labels,
        delimiter=delimiter,
        warn=warn,
        allow_zero_lengths=allow_zero_lengths,
    )


def _symmetrize(a: np.ndarray, mode: bool | None) -> np.ndarray:
    """Mirror an upper-triangular matrix (``mode=None``: only if the lower triangle is zero)."""
    upper = np.triu(a, 1)
    if mode is None:
        mode = not np.tril(a, -1).any() and upper.any()
    return np.triu(a) + upper.T if mode else a


def mrtrix_fields(
    path: str | os.PathLike,
    *,
    lengths: str | os.PathLike | None = None,
    labels: Any = None,
    delimiter: str | None = None,
    symmetrize: bool | None = None,
    warn: bool = True,
    allow_zero_lengths: bool = False,
) -> dict:
    """Read an MRtrix3 ``tck2connectome`` matrix.

    The file is a plain matrix without header (space- or comma-separated).
    MRtrix writes the upper triangle only by default: such matrices are mirrored.

    Parameters
    ----------
    path : str or path
        The weights matrix (``tck2connectome tracks.tck nodes.mif weights.csv``).
    lengths : str or path, optional
        The mean tract length matrix, in mm
        (``tck2connectome -scale_length -stat_edge mean ...``).  Without it the
        tract lengths are zero (zero delays) and a warning says so.
    labels : sequence of str or path, optional
        Region names, or a file: one name per line, or a lookup table
        ``index name ...`` (e.g. MRtrix's ``fs_default.txt``; nodes are 1..N).
    delimiter : str, optional
        Column delimiter; detected by default.
    symmetrize : bool, optional
        Mirror the upper triangle; default: when the lower triangle is all zero.
    warn, allow_zero_lengths : bool
        As in :class:`Connectome`.

    Returns
    -------
    dict
        The keyword arguments of :class:`~braintwin.connectome.Connectome`.
    """
    path = Path(path)
    source = str(path)
    weights, _ = _text.parse_matrix(_read_bytes(path, field="weights"), source=source, field="weights", delimiter=delimiter)
    weights = _symmetrize(weights, symmetrize)
    n = weights.shape[0]
    if lengths is None:
        tract_lengths = np.zeros_like(weights)
        allow_zero_lengths = True
        if warn:
            warnings.warn(
                f"{source}: tract_lengths: none given (lengths=...): all delays are zero; "
                "make them with tck2connectome -scale_length -stat_edge mean",
                BraintwinWarning,
                stacklevel=3,
            )
    else:
        lpath = Path(lengths)
        tract_lengths, _ = _text.parse_matrix(
            _read_bytes(lpath, field="tract_lengths"), source=str(lpath), field="tract_lengths", delimiter=delimiter
        )
        if tract_lengths.shape != weights.shape:
            raise InputError(
                f"shape {tract_lengths.shape} does not match the weights {weights.shape} in {source}",
                source=str(lpath),
                field="tract_lengths",
            )
        tract_lengths = _symmetrize(tract_lengths, symmetrize)
    names = None if labels is None else _labels_arg(labels, n)
    return dict(weights=weights, tract_lengths=tract_lengths, labels=names, source=source, allow_zero_lengths=allow_zero_lengths, warn=warn)


# ---------------------------------------------------------------------------
# built-in connectomes (tvb-data)

#: Built-in connectome names and the ``tvb_data.connectivity`` file behind each.
BUILTINS: dict[str, str] = {
    "tvb66": "connectivity_66.zip",
    "tvb68": "connectivity_68.zip",
    "tvb76": "connectivity_76.zip",
    "tvb96": "connectivity_96.zip",
    "tvb192": "connectivity_192.zip",
}


def _key(name: str) -> str:
    key = str(name).strip().lower()
    if key not in BUILTINS:
        raise InputError(
            f"unknown built-in connectome; valid names: {', '.join(BUILTINS)}", source=str(name), field="name"
        )
    return key


def builtin_path(name: str):
    """Path of the ``tvb-data`` zip behind a built-in name.

    Parameters
    ----------
    name : str
        One of :data:`BUILTINS`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        For an unknown name, or when ``tvb-data`` is not installed.
    """
    key = _key(name)
    try:
        root = importlib.resources.files("tvb_data.connectivity")
    except ModuleNotFoundError:
        raise InputError("the tvb-data package is not installed (pip install tvb-data)", source=key, field="name") from None
    path = root / BUILTINS[key]
    if not path.is_file():
        raise InputError(f"tvb-data has no {BUILTINS[key]}", source=key, field="name")
    return path


@functools.lru_cache(maxsize=None)
def _builtin_fields(key: str) -> dict:
    with importlib.resources.as_file(builtin_path(key)) as path:
        fields = tvb_zip_fields(path, warn=False, allow_zero_lengths=True)
    return {**fields, "source": key}


def builtin_fields(name: str) -> dict:
    """The Connectome arguments of a built-in connectome (read once, then cached; quiet).

    Parameters
    ----------
    name : str
        One of :data:`BUILTINS` (case-insensitive).

    Returns
    -------
    dict
        The keyword arguments of :class:`~braintwin.connectome.Connectome`; ``source`` is the name.

    Examples
    --------
    >>> builtin_fields("tvb76")["weights"].shape
    (76, 76)
    """
    return dict(_builtin_fields(_key(name)))


# ---------------------------------------------------------------------------
# dispatch

_READERS = {
    ".zip": tvb_zip_fields,
    ".h5": h5_fields,
    ".hdf5": h5_fields,
    ".npz": npz_fields,
    ".csv": mrtrix_fields,
    ".tsv": mrtrix_fields,
    ".txt": mrtrix_fields,
}
_OPTIONS = {
    tvb_zip_fields: {"warn", "allow_zero_lengths"},
    h5_fields: {"warn", "allow_zero_lengths"},
    npz_fields: {"warn", "allow_zero_lengths"},
    matrices_fields: {"warn", "allow_zero_lengths", "labels", "delimiter"},
    mrtrix_fields: {"warn", "allow_zero_lengths", "labels", "delimiter", "lengths", "symmetrize"},
}


def _sniff(path: Path):
    """Pick a reader from the first bytes of a file with an unknown extension."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise InputError(f"cannot read ({e.strerror or e})", source=str(path), field="file") from None
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return h5_fields
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except _CORRUPT:
            return tvb_zip_fields
        return npz_fields if names and all(n.endswith(".npy") for n in names) else tvb_zip_fields
    raise InputError(
        "unknown connectome format; expected a built-in name, a folder, .zip, .h5, .npz, or an MRtrix .csv/.tsv/.txt",
        source=str(path),
        field="file",
    )


def read_fields(path_or_name: str | os.PathLike, **kwargs: Any) -> dict:
    """The Connectome arguments read from a built-in name, a file or a folder.

    Parameters
    ----------
    path_or_name : str or path
        A built-in name (``tvb76``, ...), a folder (:func:`read_matrices`), or a
        file: ``.zip`` (:func:`read_tvb_zip`), ``.h5``/``.hdf5``
        (:func:`read_h5`), ``.npz`` (:func:`read_npz`), ``.csv``/``.tsv``/``.txt``
        (:func:`read_mrtrix`); other extensions are recognised by content.
    **kwargs
        Options of that reader; one it does not take is an :class:`InputError`.

    Returns
    -------
    dict
        The keyword arguments of :class:`~braintwin.connectome.Connectome`.

    Raises
    ------
    InputError
        Missing path, unknown format, an option that does not apply, or a
        malformed file.
    """
    path = Path(path_or_name)
    if isinstance(path_or_name, str) and path_or_name.strip().lower() in BUILTINS and not path.exists():
        if kwargs:
            raise InputError(f"options {sorted(kwargs)} do not apply to built-in connectomes", source=path_or_name, field="options")
        return builtin_fields(path_or_name)
    if not path.exists():
        hint = f"; built-in names: {', '.join(BUILTINS)}" if path.suffix == "" else ""
        raise InputError(f"no such file or folder{hint}", source=str(path), field="path")
    if path.is_dir():
        reader = matrices_fields
    else:
        reader = _READERS.get(path.suffix.lower()) or _sniff(path)
    unknown = set(kwargs) - _OPTIONS[reader]
    if unknown:
        raise InputError(
            f"option {sorted(unknown)[0]!r} does not apply to this kind of file (it takes: {', '.join(sorted(_OPTIONS[reader]))})",
            source=str(path),
            field="options",
        )
    return reader(path, **kwargs)
