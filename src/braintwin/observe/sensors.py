"""Sensors and the anatomical data behind the built-in forward models.

A :class:`Sensors` object holds sensor (or contact) labels and positions in mm,
read from text files of ``label x y z`` lines (MEG files may add an orientation
``ox oy oz``).  The sensor sets, the cortical surface and the region mapping
shipped with ``tvb-data`` are available by name:

===================== ===========================================
name                  content
===================== ===========================================
``eeg_brainstorm_65`` 65 EEG electrodes (Brainstorm default head)
``meg_brainstorm_276`` 276 MEG channels (CTF, incl. reference channels)
``seeg_588``          588 SEEG contacts on 64 electrodes
``cortex_16384``      cortical surface, 16384 vertices (mm)
``regionMapping_16k_76`` vertex -> region index of ``tvb76``
===================== ===========================================
"""

from __future__ import annotations

import bz2
import functools
import importlib.resources
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = [
    "Sensors",
    "read_sensors",
    "read_region_mapping",
    "BUILTIN_SENSORS",
    "cortex_vertices",
    "region_mapping",
    "tvb76_labels",
    "tvb_data_file",
]

#: Built-in sensor sets (``tvb_data/sensors``) by name.
BUILTIN_SENSORS: dict[str, str] = {
    "eeg_brainstorm_65": "eeg_brainstorm_65.txt",
    "meg_brainstorm_276": "meg_brainstorm_276.txt",
    "seeg_588": "seeg_588.txt",
    "seeg_39": "seeg_39.txt.bz2",
    "eeg_unitvector_62": "eeg_unitvector_62.txt.bz2",
    "meg_151": "meg_151.txt.bz2",
}


@dataclass(frozen=True)
class Sensors:
    """Sensor labels and positions.

    Attributes
    ----------
    labels : tuple of str
        One label per sensor, unique.
    positions : ndarray, shape (n_sensors, 3)
        Positions in mm, in the coordinate frame of the brain data.
    orientations : ndarray, shape (n_sensors, 3), optional
        Sensor orientations (MEG coils), when the file gives them.
    source : str
        The file or built-in name the sensors came from.
    """

    labels: tuple[str, ...]
    positions: np.ndarray
    orientations: np.ndarray | None = None
    source: str = ""
    kind: str = field(default="")

    def __len__(self) -> int:
        return len(self.labels)

    def index(self, label: str) -> int:
        try:
            return self.labels.index(label)
        except ValueError:
            raise InputError(f"no sensor {label!r}", source=self.source, field="sensors") from None

    def subset(self, keep) -> "Sensors":
        keep = np.asarray(keep)
        idx = np.nonzero(keep)[0] if keep.dtype == bool else keep.astype(int)
        ori = None if self.orientations is None else self.orientations[idx]
        return Sensors(tuple(self.labels[i] for i in idx), self.positions[idx], ori, self.source, self.kind)


def tvb_data_file(*parts: str) -> Path:
    """Path of a file shipped with ``tvb-data`` (``tvb_data/<parts>``)."""
    try:
        root = importlib.resources.files("tvb_data")
    except ModuleNotFoundError:
        raise InputError("the tvb-data package is not installed (pip install tvb-data)", source="/".join(parts), field="tvb_data") from None
    path = Path(str(root.joinpath(*parts)))
    if not path.is_file():
        raise InputError("tvb-data has no such file", source="tvb_data/" + "/".join(parts), field="tvb_data")
    return path


def _open_text(path: Path) -> str:
    try:
        if path.suffix == ".bz2":
            with bz2.open(path, "rt", encoding="utf-8", errors="replace") as f:
                return f.read()
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError("file not found", source=str(path), field="sensors") from None
    except OSError as e:
        raise InputError(f"cannot read file ({e.strerror or e})", source=str(path), field="sensors") from None


def _resolve_sensor_path(spec: str | os.PathLike) -> tuple[Path, str]:
    s = str(spec)
    key = s.strip().lower()
    for suffix in (".txt.bz2", ".txt"):
        if key.endswith(suffix) and key[: -len(suffix)] in BUILTIN_SENSORS and not Path(s).exists():
            key = key[: -len(suffix)]
    if key in BUILTIN_SENSORS and not Path(s).exists():
        return tvb_data_file("sensors", BUILTIN_SENSORS[key]), key
    return Path(s), s


def read_sensors(spec: str | os.PathLike | Sensors, kind: str = "", field: str = "sensors") -> Sensors:
    """Read sensors from a built-in name or a text file of ``label x y z [ox oy oz]`` lines.

    Blank lines and lines starting with ``#`` are skipped.  Every other line must
    have a label and 3 (or 6, with an orientation) finite numbers; labels must be
    unique.

    Parameters
    ----------
    spec : str, path or Sensors
        A built-in name (see :data:`BUILTIN_SENSORS`) or a file path.
    kind : str
        ``"eeg"``, ``"meg"`` or ``"seeg"`` (informative).

    Raises
    ------
    InputError
        Naming the file and line of any malformed line.
    """
    if isinstance(spec, Sensors):
        return spec
    path, source = _resolve_sensor_path(spec)
    return _read_sensors_cached(str(path), source, kind, field, _mtime(path))


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


@functools.lru_cache(maxsize=32)
def _read_sensors_cached(path: str, source: str, kind: str, fld: str, _mtime: float) -> Sensors:
    text = _open_text(Path(path))
    labels: list[str] = []
    pos: list[list[float]] = []
    ori: list[list[float] | None] = []
    first_line: dict[str, int] = {}
    for n, line in enumerate(io.StringIO(text), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.split()
        if len(parts) not in (4, 7):
            raise InputError(
                f"line {n}: expected 'label x y z' (or 'label x y z ox oy oz'), got {len(parts)} field(s): {s[:60]!r}",
                source=source, field=fld,
            )
        label = parts[0]
        try:
            vals = [float(p) for p in parts[1:]]
        except ValueError:
            raise InputError(f"line {n}: coordinates of {label!r} are not numbers: {s[:60]!r}", source=source, field=fld) from None
        if not all(np.isfinite(vals)):
            raise InputError(f"line {n}: coordinates of {label!r} are not finite", source=source, field=fld)
        if label in first_line:
            raise InputError(f"line {n}: label {label!r} repeats line {first_line[label]}", source=source, field=fld)
        first_line[label] = n
        labels.append(label)
        pos.append(vals[:3])
        ori.append(vals[3:] if len(vals) == 6 else None)
    if not labels:
        raise InputError("no sensors in file (expected lines of 'label x y z')", source=source, field=fld)
    positions = np.array(pos, float)
    positions.setflags(write=False)
    orientations = None
    if all(o is not None for o in ori):
        orientations = np.array(ori, float)
        orientations.setflags(write=False)
    return Sensors(tuple(labels), positions, orientations, source, kind)


@functools.lru_cache(maxsize=4)
def cortex_vertices(name: str = "cortex_16384") -> np.ndarray:
    """Vertex positions (mm) of a ``tvb-data`` cortical surface, shape ``(n_vertices, 3)``."""
    path = tvb_data_file("surfaceData", f"{name}.zip")
    try:
        with zipfile.ZipFile(path) as z:
            with z.open("vertices.txt") as f:
                v = np.loadtxt(f)
    except (KeyError, zipfile.BadZipFile, ValueError) as e:
        raise InputError(f"cannot read vertices.txt ({e})", source=str(path), field="surface") from None
    v.setflags(write=False)
    return v


@functools.lru_cache(maxsize=4)
def region_mapping(name: str = "regionMapping_16k_76") -> np.ndarray:
    """Vertex -> region index of a ``tvb-data`` region mapping, shape ``(n_vertices,)``."""
    path = tvb_data_file("regionMapping", f"{name}.txt")
    rm = np.loadtxt(path)
    if np.any(rm != np.round(rm)) or np.any(rm < 0):
        raise InputError("region indices must be non-negative integers", source=str(path), field="region_mapping")
    rm = rm.astype(np.int64)
    rm.setflags(write=False)
    return rm


@functools.lru_cache(maxsize=1)
def tvb76_labels() -> tuple[str, ...]:
    """Region labels of the ``tvb76`` connectome, in the order of ``regionMapping_16k_76``."""
    from ..connectome import builtin

    return tuple(builtin("tvb76").labels)


def read_region_mapping(spec, n_vertices: int | None = None, n_regions: int | None = None, field: str = "region_mapping") -> np.ndarray:
    """A region mapping from an array, a built-in name or a text file of one integer per vertex."""
    if isinstance(spec, (str, os.PathLike)):
        s = str(spec)
        if not Path(s).exists() and s.startswith("regionMapping"):
            rm = region_mapping(s.removesuffix(".txt"))
            source = s
        else:
            source = s
            try:
                rm = np.loadtxt(s)
            except FileNotFoundError:
                raise InputError("file not found", source=s, field=field) from None
            except ValueError as e:
                raise InputError(f"not a list of region indices ({e})", source=s, field=field) from None
    else:
        source = "region_mapping"
        rm = np.asarray(spec)
    rm = np.asarray(rm)
    if rm.ndim != 1 or rm.size == 0:
        raise InputError(f"region mapping must be one index per vertex, got shape {rm.shape}", source=source, field=field)
    if not np.all(np.isfinite(rm)) or np.any(rm != np.round(rm)) or np.any(rm < 0):
        raise InputError("region indices must be non-negative integers", source=source, field=field)
    rm = rm.astype(np.int64)
    if n_vertices is not None and rm.size != n_vertices:
        raise InputError(f"{rm.size} entries for {n_vertices} vertices", source=source, field=field)
    if n_regions is not None and rm.max() >= n_regions:
        raise InputError(f"region index {int(rm.max())} out of range for {n_regions} regions", source=source, field=field)
    return rm
