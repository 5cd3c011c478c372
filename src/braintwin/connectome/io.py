"""Reading and writing connectomes: TVB zip, HDF5, npz, folders of matrices, MRtrix3.

Every reader returns a validated :class:`~braintwin.connectome.Connectome` or
raises :class:`~braintwin.errors.InputError` naming the file, the field and the
problem; every writer writes atomically (a crash never leaves half a file).

Conventions of the files written here (and of TVB's):

* ``weights[i, j]`` is the tract from region ``j`` (source) into ``i`` (target);
* tract lengths and centres are in mm, areas in mm^2;
* ``hemispheres`` is ``True`` (1) for the right hemisphere.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
import struct
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_path
from ..errors import BraintwinWarning, InputError
from . import _text
from .core import Connectome

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
]

FORMAT = "braintwin.connectome/1"

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
) -> Connectome:
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
    return Connectome(
        weights,
        lengths,
        names,
        centres,
        vectors.get("hemispheres"),
        vectors.get("cortical"),
        vectors.get("areas"),
        orientations,
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


def read_tvb_zip(
    path: str | os.PathLike, *, warn: bool = True, allow_zero_lengths: bool = False
) -> Connectome:
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
    Connectome

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


def read_matrices(
    folder: str | os.PathLike,
    *,
    labels: Any = None,
    delimiter: str | None = None,
    warn: bool = True,
    allow_zero_lengths: bool = False,
) -> Connectome:
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
    Connectome
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


def read_mrtrix(
    path: str | os.PathLike,
    *,
    lengths: str | os.PathLike | None = None,
    labels: Any = None,
    delimiter: str | None = None,
    symmetrize: bool | None = None,
    warn: bool = True,
    allow_zero_lengths: bool = False,
) -> Connectome:
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
    Connectome
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
    return Connectome(
        weights, tract_lengths, names, source=source, allow_zero_lengths=allow_zero_lengths, warn=warn
    )


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


def read_h5(path: str | os.PathLike, *, warn: bool = True, allow_zero_lengths: bool = False) -> Connectome:
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
    Connectome
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


def read_npz(path: str | os.PathLike, *, warn: bool = True, allow_zero_lengths: bool = False) -> Connectome:
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
    Connectome
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


def _from_fields(fields: dict, source: str, what: str, labels_field: str, *, warn: bool, allow_zero_lengths: bool) -> Connectome:
    """A Connectome from arrays read out of a container file (h5, npz): required fields, decoded labels."""
    for key in ("weights", "tract_lengths"):
        if key not in fields:
            raise InputError(f"missing {what} {key!r}", source=source, field=key)
    if "labels" in fields:
        fields["labels"] = _text_array(fields["labels"], source=source, field=labels_field)
    return Connectome(**fields, source=source, allow_zero_lengths=allow_zero_lengths, warn=warn)


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


# ---------------------------------------------------------------------------
# dispatch

_WRITERS = {".zip": write_tvb_zip, ".h5": write_h5, ".hdf5": write_h5, ".npz": write_npz}
_READERS = {
    ".zip": read_tvb_zip,
    ".h5": read_h5,
    ".hdf5": read_h5,
    ".npz": read_npz,
    ".csv": read_mrtrix,
    ".tsv": read_mrtrix,
    ".txt": read_mrtrix,
}
_OPTIONS = {
    read_tvb_zip: {"warn", "allow_zero_lengths"},
    read_h5: {"warn", "allow_zero_lengths"},
    read_npz: {"warn", "allow_zero_lengths"},
    read_matrices: {"warn", "allow_zero_lengths", "labels", "delimiter"},
    read_mrtrix: {"warn", "allow_zero_lengths", "labels", "delimiter", "lengths", "symmetrize"},
}


def _sniff(path: Path):
    """Pick a reader from the first bytes of a file with an unknown extension."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise InputError(f"cannot read ({e.strerror or e})", source=str(path), field="file") from None
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return read_h5
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except _CORRUPT:
            return read_tvb_zip
        return read_npz if names and all(n.endswith(".npy") for n in names) else read_tvb_zip
    raise InputError(
        "unknown connectome format; expected a built-in name, a folder, .zip, .h5, .npz, or an MRtrix .csv/.tsv/.txt",
        source=str(path),
        field="file",
    )


def load(path_or_name: str | os.PathLike, **kwargs: Any) -> Connectome:
    """Read a connectome from a built-in name, a file or a folder.

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
    Connectome

    Raises
    ------
    InputError
        Missing path, unknown format, an option that does not apply, or a
        malformed file.
    """
    from .builtin import BUILTINS, builtin

    path = Path(path_or_name)
    if isinstance(path_or_name, str) and path_or_name.strip().lower() in BUILTINS and not path.exists():
        if kwargs:
            raise InputError(f"options {sorted(kwargs)} do not apply to built-in connectomes", source=path_or_name, field="options")
        return builtin(path_or_name)
    if not path.exists():
        hint = f"; built-in names: {', '.join(BUILTINS)}" if path.suffix == "" else ""
        raise InputError(f"no such file or folder{hint}", source=str(path), field="path")
    if path.is_dir():
        reader = read_matrices
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
