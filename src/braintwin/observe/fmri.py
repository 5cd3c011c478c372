r"""A person's parcellated fMRI BOLD: from a table or from a 4-D NIfTI and a parcellation.

* TSV/CSV: time x region, header row = region labels (fMRIPrep/nilearn
  ``timeseries.tsv``); the TR is given, or read from a BIDS sidecar ``.json``
  (``RepetitionTime``, s) beside the file.
* 4-D NIfTI + parcellation image on the same voxel grid: the mean over each
  region's voxels per volume,
  :math:`y_r(t) = \frac{1}{|r|}\sum_{v \in r} x_v(t)`; the TR from the header
  (``pixdim[4]`` with its time unit) unless given.

Regions are put in the connectome's order by name
(:func:`~braintwin.connectome.parcellation.match_labels`: one error listing
mismatches; ``mapping=`` for an explicit file), parcels named by a lookup
table (:func:`~braintwin.connectome.parcellation.read_lut`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..connectome.parcellation import Parcellation, match_labels, read_parcellation
from ..errors import InputError

__all__ = ["BoldSeries", "read_bold"]


@dataclass(frozen=True)
class BoldSeries:
    """Parcellated BOLD.

    Attributes
    ----------
    data : ndarray (n_times, n_regions)
    labels : tuple of str
    tr_s : float
        Repetition time (s).
    source : str
    """

    data: np.ndarray
    labels: tuple[str, ...]
    tr_s: float
    source: str = ""


def _sidecar_tr(path: Path) -> float | None:
    name = path.name
    for ext in (".tsv.gz", ".tsv", ".csv", ".nii.gz", ".nii"):
        if name.endswith(ext):
            side = path.with_name(name[: -len(ext)] + ".json")
            if side.exists():
                tr = json.loads(side.read_text()).get("RepetitionTime")
                return None if tr is None else float(tr)
    return None


def _read_table(path: Path) -> tuple[np.ndarray, list[str]]:
    delim = "," if path.suffix.lower() == ".csv" else "\t"
    lines = [l for l in path.read_text(encoding="utf-8-sig").splitlines() if l.strip()]
    if len(lines) < 3:
        raise InputError("expected a header of region labels and at least 2 time points", source=str(path), field="bold")
    head = [h.strip() for h in lines[0].split(delim)]
    try:
        data = np.array([[float(c) if c.strip().lower() != "n/a" else np.nan for c in l.split(delim)] for l in lines[1:]])
    except ValueError as e:
        raise InputError(f"a value is not a number ({e})", source=str(path), field="bold") from None
    if data.ndim != 2 or data.shape[1] != len(head):
        raise InputError(f"rows do not all have the header's {len(head)} columns", source=str(path), field="bold")
    return data, head


def _nifti_means(path: Path, parc: Parcellation) -> tuple[np.ndarray, float | None]:
    import nibabel as nib

    img = nib.load(str(path))
    if len(img.shape) != 4:
        raise InputError(f"expected a 4-D image (x, y, z, time), got dimensions {img.shape}", source=str(path), field="bold")
    if tuple(img.shape[:3]) != parc.data.shape:
        raise InputError(f"image grid {img.shape[:3]} differs from the parcellation's {parc.data.shape}: resample one onto "
                         "the other first", source=str(path), field="bold")
    if not np.allclose(img.affine, parc.affine, atol=1e-3):
        raise InputError("the image and the parcellation have different affines (not the same space)", source=str(path), field="bold")
    idx = np.searchsorted(parc.values, parc.data)  # region position per voxel; background dropped below
    mask = parc.data.ravel() != 0
    r = idx.ravel()[mask]
    n = np.bincount(r, minlength=len(parc.values))
    out = np.empty((img.shape[3], len(parc.values)))
    for t in range(img.shape[3]):  # one volume at a time: a long run never sits in memory whole
        vol = np.asarray(img.dataobj[..., t], float).ravel()[mask]
        out[t] = np.bincount(r, vol, minlength=len(parc.values)) / n
    zooms = img.header.get_zooms()
    unit = img.header.get_xyzt_units()[1] if hasattr(img.header, "get_xyzt_units") else "sec"
    tr = float(zooms[3]) * {"msec": 1e-3, "usec": 1e-6}.get(unit, 1.0) if len(zooms) > 3 and zooms[3] > 0 else None
    return out, tr


def read_bold(path: str | os.PathLike, *, parcellation: str | os.PathLike | Parcellation | None = None, lut=None,
              tr_s: float | None = None, labels: Sequence[str] | None = None, mapping=None) -> BoldSeries:
    """Read parcellated BOLD as ``(n_times, n_regions)``.

    Parameters
    ----------
    path : str or path
        ``.tsv``/``.csv`` (header = labels) or ``.nii``/``.nii.gz`` (4-D, needs ``parcellation``).
    parcellation : path or Parcellation, optional
        Label image on the BOLD image's grid.
    lut : path or dict, optional
        Parcel names.
    tr_s : float, optional
        Repetition time in s (default: the NIfTI header or the BIDS sidecar).
    labels : sequence of str, optional
        Connectome labels: columns are matched and reordered to them.
    mapping : dict or path, optional
        Renames file labels before matching.

    Raises
    ------
    InputError
        Unreadable file, wrong dimensions, different grids, no TR, non-finite
        values, unmatched regions (all listed).

    Examples
    --------
    >>> bold = read_bold("sub-01_task-rest_timeseries.tsv", tr_s=0.72, labels=conn.labels)  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=str(path), field="bold")
    name = path.name.lower()
    if name.endswith((".nii", ".nii.gz")):
        if parcellation is None:
            raise InputError("a 4-D image needs a parcellation image to average regions", source=str(path), field="parcellation")
        parc = parcellation if isinstance(parcellation, Parcellation) else read_parcellation(parcellation, lut=lut)
        data, tr_head = _nifti_means(path, parc)
        found = list(parc.names)
    elif name.endswith((".tsv", ".csv")):
        data, found = _read_table(path)
        tr_head = None
    else:
        raise InputError("unsupported BOLD file; use .tsv, .csv or a 4-D .nii/.nii.gz", source=str(path), field="bold")
    tr = tr_s if tr_s is not None else (tr_head or _sidecar_tr(path))
    if not tr or tr <= 0:
        raise InputError("no repetition time: give tr_s (s) or a BIDS sidecar with RepetitionTime", source=str(path), field="tr")
    if not np.all(np.isfinite(data)):
        bad = sorted({found[j] for j in np.argwhere(~np.isfinite(data))[:, 1]})
        raise InputError(f"non-finite values in region(s) {', '.join(bad[:8])}", source=str(path), field="bold")
    if labels is not None:
        idx = match_labels(found, labels, mapping=mapping, source=str(path), field="labels")
        data, found = data[:, idx], list(labels)
    return BoldSeries(np.ascontiguousarray(data), tuple(found), float(tr), str(path))
