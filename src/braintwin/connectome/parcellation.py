r"""Parcellation images and lookup tables: which voxel belongs to which named region.

A parcellation is a 3-D integer NIfTI image (read with nibabel) whose voxel
values are region indices, 0 for background; its affine maps voxel indices to
world coordinates in mm.  A lookup table names the indices:

* FreeSurfer ``FreeSurferColorLUT.txt``: ``index name R G B A``;
* MRtrix3 (``fs_default.txt``, ``hcpmmp1_ordered.txt``): ``index short_name
  long_name R G B A`` (``name="short"`` or ``"long"`` picks the column);
* a BIDS ``*_dseg.tsv`` with a header ``index name ...``;
* a plain ``index name`` file.

:func:`match_labels` puts regions found in a file in a connectome's order,
by name, or through an explicit mapping file (``file_label connectome_label``
per line), with one error that lists every mismatch.

Examples
--------
>>> parc = read_parcellation("aparc+aseg.nii.gz", lut="FreeSurferColorLUT.txt")  # doctest: +SKIP
>>> parc.names[:2], parc.volumes_mm3()[:2]                                         # doctest: +SKIP
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["Parcellation", "read_parcellation", "read_lut", "match_labels", "read_label_mapping", "VENTRICLE_PATTERN"]

#: Region names taken for ventricles (FreeSurfer: Left-Lateral-Ventricle, 3rd-Ventricle, Left-Inf-Lat-Vent, CSF).
VENTRICLE_PATTERN = re.compile(r"ventricle|inf-lat-vent|\bcsf\b|choroid", re.I)
# Hemisphere cues in region names: FreeSurfer (Left-, ctx-lh-), lh./L_ prefixes, _L suffixes (any case), and
# TVB's lower-case prefix before a capital (lA1, rTCC; case-sensitive so that "lingual" stays unknown).
_LEFT = (re.compile(r"^(left[-_ ]|lh[-_.]|ctx[-_]lh[-_]|l[-_.])|[-_.]l$", re.I), re.compile(r"^l(?=[A-Z])"))
_RIGHT = (re.compile(r"^(right[-_ ]|rh[-_.]|ctx[-_]rh[-_]|r[-_.])|[-_.]r$", re.I), re.compile(r"^r(?=[A-Z])"))


def _nib():
    try:
        import nibabel
    except ImportError:
        raise InputError("reading images needs nibabel: pip install 'braintwin[data]'", field="image") from None
    return nibabel


def read_lut(path: str | os.PathLike, *, name: str = "long") -> dict[int, str]:
    """Read a lookup table: region index -> name.

    Parameters
    ----------
    path : str or path
        FreeSurfer LUT (``index name R G B A``), MRtrix3 LUT (``index short long
        R G B A``), BIDS ``dseg.tsv`` (header ``index name``) or ``index name`` lines.
    name : {"long", "short"}
        For MRtrix3 LUTs: which name column to use.

    Returns
    -------
    dict of int to str

    Raises
    ------
    InputError
        Missing file, a line without an integer index, duplicate indices.

    Examples
    --------
    >>> read_lut("FreeSurferColorLUT.txt")[17]  # doctest: +SKIP
    'Left-Hippocampus'
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=str(path), field="lut")
    lines = [l for l in path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
             if l.strip() and not l.lstrip().startswith("#")]
    rows = list(csv.reader(lines, delimiter="\t")) if lines and "\t" in lines[0] else [l.split() for l in lines]
    if rows and rows[0] and not rows[0][0].lstrip("-").isdigit():  # a header (BIDS dseg.tsv)
        head = [h.strip().lower() for h in rows[0]]
        i_idx, i_name = head.index("index") if "index" in head else 0, head.index("name") if "name" in head else 1
        rows = [[r[i_idx], r[i_name]] for r in rows[1:]]
    lut: dict[int, str] = {}
    for n, r in enumerate(rows, 1):
        r = [c.strip() for c in r if c.strip()]
        if len(r) < 2 or not r[0].lstrip("-").isdigit():
            raise InputError(f"line {n}: expected 'index name ...', got {' '.join(r)!r}", source=str(path), field="lut")
        numeric_tail = sum(1 for c in r[2:] if re.fullmatch(r"-?\d+(\.\d+)?", c))
        label = r[2] if (len(r) >= 7 and numeric_tail == 4 and name == "long") else r[1]  # MRtrix3: index short long RGBA
        if int(r[0]) in lut:
            raise InputError(f"line {n}: index {r[0]} appears twice", source=str(path), field="lut")
        lut[int(r[0])] = label
    if not lut:
        raise InputError("no entries", source=str(path), field="lut")
    return lut


@dataclass(frozen=True)
class Parcellation:
    """A labelled 3-D image.

    Attributes
    ----------
    data : ndarray of int, shape (nx, ny, nz)
        Region index per voxel, 0 = background.
    affine : ndarray (4, 4)
        Voxel index -> world coordinates (mm).
    lut : dict of int to str
        Region names (``"region_<index>"`` for indices the LUT does not name).
    source : str
    """

    data: np.ndarray
    affine: np.ndarray
    lut: Mapping[int, str]
    source: str = ""

    @property
    def values(self) -> np.ndarray:
        """Region indices present in the image (nonzero), ascending."""
        v = np.unique(self.data)
        return v[v != 0]

    @property
    def names(self) -> tuple[str, ...]:
        """Names of :attr:`values`."""
        return tuple(self.lut.get(int(v), f"region_{int(v)}") for v in self.values)

    @property
    def voxel_volume_mm3(self) -> float:
        """Volume of one voxel (mm^3), from the affine."""
        return float(abs(np.linalg.det(self.affine[:3, :3])))

    def volumes_mm3(self) -> np.ndarray:
        """Volume of each region of :attr:`values` (mm^3)."""
        counts = np.bincount(self.data.ravel(), minlength=int(self.values.max()) + 1)
        return counts[self.values] * self.voxel_volume_mm3

    def voxels_mm(self) -> tuple[np.ndarray, np.ndarray]:
        """World coordinates (mm) of the labelled voxels and their region index."""
        ijk = np.argwhere(self.data != 0)
        xyz = ijk @ self.affine[:3, :3].T + self.affine[:3, 3]
        return xyz, self.data[tuple(ijk.T)]

    def centres(self) -> np.ndarray:
        """Centre of mass (mm) of each region of :attr:`values`."""
        xyz, v = self.voxels_mm()
        idx = np.searchsorted(self.values, v)
        n = np.bincount(idx, minlength=len(self.values))[:, None]
        return np.stack([np.bincount(idx, xyz[:, k], len(self.values)) for k in range(3)], axis=1) / n

    def lookup(self, points_mm) -> tuple[np.ndarray, np.ndarray]:
        """Region index at each point (nearest voxel) and whether the point lies inside the image."""
        P = np.atleast_2d(np.asarray(points_mm, float))
        ijk = np.rint((P - self.affine[:3, 3]) @ np.linalg.inv(self.affine[:3, :3]).T).astype(int)
        inside = np.all((ijk >= 0) & (ijk < np.array(self.data.shape[:3])), axis=1)
        out = np.zeros(len(P), dtype=self.data.dtype)
        out[inside] = self.data[tuple(ijk[inside].T)]
        return out, inside

    def hemisphere(self, value: int) -> str | None:
        """``"L"``, ``"R"`` or ``None`` from the region's name (``Left-``, ``ctx-lh-``, ``lh.``, ``L_`` ...)."""
        name = self.lut.get(int(value), "")
        if any(r.search(name) for r in _LEFT):
            return "L"
        if any(r.search(name) for r in _RIGHT):
            return "R"
        return None

    def plot(self, points_mm=None, labels: Sequence[str] | None = None, *, ax=None):
        """Maximum-intensity projection (axial) of the parcellation, with contacts on top.

        Returns the matplotlib axes.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 6))
        xyz, v = self.voxels_mm()
        ax.scatter(xyz[:, 0], xyz[:, 1], c=v % 20, cmap="tab20", s=1, alpha=0.2, linewidths=0)
        if points_mm is not None:
            P = np.asarray(points_mm, float)
            ax.scatter(P[:, 0], P[:, 1], c="k", s=10)
            for i, l in enumerate(labels or ()):
                ax.annotate(l, P[i, :2], fontsize=6)
        ax.set_xlabel("x (mm, left-right)")
        ax.set_ylabel("y (mm, posterior-anterior)")
        ax.set_aspect("equal")
        return ax


def read_parcellation(path: str | os.PathLike, *, lut: str | os.PathLike | Mapping[int, str] | None = None) -> Parcellation:
    """Read a parcellation image (NIfTI/MGZ via nibabel) and name its regions.

    Parameters
    ----------
    path : str or path
        A 3-D image of integer region indices (0 = background).
    lut : path or dict, optional
        Lookup table (:func:`read_lut`) or ``{index: name}``.

    Raises
    ------
    InputError
        Missing file, not 3-D, non-integer values, no labelled voxel.

    Examples
    --------
    >>> parc = read_parcellation("aparc+aseg.nii.gz", lut="FreeSurferColorLUT.txt")  # doctest: +SKIP
    >>> parc.lookup([[-25.0, -20.0, -15.0]])                                           # doctest: +SKIP
    """
    nib = _nib()
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=str(path), field="parcellation")
    try:
        img = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
    except Exception as e:
        raise InputError(f"cannot read the image ({type(e).__name__}: {e})", source=str(path), field="parcellation") from None
    data = np.squeeze(data) if data.ndim == 4 and data.shape[3] == 1 else data
    if data.ndim != 3:
        raise InputError(f"expected a 3-D label image, got dimensions {data.shape}", source=str(path), field="parcellation")
    if data.dtype.kind == "f":
        if not np.all(np.isfinite(data)) or np.any(data != np.round(data)):
            raise InputError("voxel values are not whole numbers: is this a label image?", source=str(path), field="parcellation")
    if not np.any(data != 0):
        raise InputError("no labelled voxel (all zero)", source=str(path), field="parcellation")
    names = read_lut(lut) if isinstance(lut, (str, os.PathLike)) else dict(lut or {})
    return Parcellation(np.asarray(data, dtype=np.int64), np.asarray(img.affine, float), names, str(path))


def read_label_mapping(path: str | os.PathLike) -> dict[str, str]:
    """An explicit region mapping: ``file_label connectome_label`` per line (TSV, CSV or spaces)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=str(path), field="mapping")
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in re.split(r"\t|,", line)] if ("\t" in line or "," in line) else line.split()
        if len(parts) != 2:
            raise InputError(f"line {n}: expected 'file_label connectome_label', got {line!r}", source=str(path), field="mapping")
        out[parts[0]] = parts[1]
    return out


def match_labels(found: Sequence[str], wanted: Sequence[str], *, mapping: Mapping[str, str] | str | os.PathLike | None = None,
                 source: str = "", field: str = "labels") -> np.ndarray:
    """Index into ``found`` for each of ``wanted`` (a connectome's labels), by name.

    Names match exactly, else case-insensitively; ``mapping`` renames found
    labels first (``{file_label: connectome_label}`` or a file for
    :func:`read_label_mapping`).  Extra found regions are ignored.

    Raises
    ------
    InputError
        Listing every wanted label with no match (and the unused found labels).

    Examples
    --------
    >>> match_labels(["Left-A", "right-b"], ["RIGHT-B", "left-a"]).tolist()
    [1, 0]
    """
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = read_label_mapping(mapping)
    renamed = [(mapping or {}).get(f, f) for f in found]
    exact = {n: i for i, n in enumerate(renamed)}
    folded = {n.lower(): i for i, n in enumerate(renamed)}
    idx, missing = [], []
    for w in wanted:
        i = exact.get(w, folded.get(str(w).lower()))
        (missing.append(w) if i is None else idx.append(i))
    if missing:
        unused = [renamed[i] for i in range(len(renamed)) if i not in set(idx)]
        raise InputError(f"{len(missing)} of {len(wanted)} connectome regions have no match: {', '.join(map(str, missing[:10]))}"
                         f"{' ...' if len(missing) > 10 else ''}; unmatched in the file: {', '.join(unused[:10]) or 'none'}"
                         f"{' ...' if len(unused) > 10 else ''} (give a mapping file 'file_label connectome_label')",
                         source=source, field=field)
    return np.asarray(idx, dtype=int)
