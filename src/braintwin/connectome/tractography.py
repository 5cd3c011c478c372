r"""A connectome from tractography: streamlines (``.tck``/``.trk``) plus a parcellation image.

Each streamline is assigned to the regions at its two end points (the voxel
holding the end point; if it is background, the first labelled voxel met
walking inwards along the streamline within ``search_mm``, in the spirit of
MRtrix3 ``tck2connectome``'s radial search).  Streamlines with an unassigned
end, or both ends in one region, are counted but add no edge.  Then

.. math::  W_{ij} = \sum_{s: i \leftrightarrow j} w_s, \qquad
           L_{ij} = \frac{1}{n_{ij}} \sum_{s: i \leftrightarrow j} \ell_s

with :math:`w_s = 1` (counts), :math:`1/\ell_s` (``normalize="length"``,
MRtrix3 ``-scale_invlength``), and optionally divided by the mean volume of
the two regions (``"volume"``: :math:`2 / (V_i + V_j)`, MRtrix3
``-scale_invnodevol``; ``"length+volume"`` applies both).  :math:`\ell_s` is
the streamline's arc length in mm.

Streamlines are streamed (``nibabel.streamlines.load(..., lazy_load=True)``)
in chunks of ``chunk`` streamlines, so a file of millions of streamlines never
sits in memory at once.  Coordinates are world mm (RAS+), as nibabel returns
them for both formats.

Guard: when more than half of the end points lie outside the image, or more
than 90 % on background, the streamlines are not in the parcellation's space
(another subject, voxel instead of world coordinates, an un-applied
registration): an :class:`~braintwin.errors.InputError`.
"""

from __future__ import annotations

import itertools
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..errors import BraintwinWarning, InputError
from .core import Connectome
from .parcellation import Parcellation, match_labels, read_parcellation

__all__ = ["TractCounts", "count_streamlines", "connectome_from_tractography", "NORMALIZE"]

NORMALIZE = (None, "length", "volume", "length+volume")


@dataclass(frozen=True)
class TractCounts:
    """Raw streamline statistics between the regions of a parcellation.

    Attributes
    ----------
    counts : ndarray (n, n)
        Streamlines between each pair (symmetric, zero diagonal).
    inv_length : ndarray (n, n)
        Sum of :math:`1/\\ell_s` over those streamlines (1/mm).
    length_sum : ndarray (n, n)
        Sum of their lengths (mm).
    values : ndarray (n,)
        Parcellation indices of the regions.
    n_streamlines, n_unassigned, n_self : int
        Streamlines read; with an end in no region; with both ends in one region.
    """

    counts: np.ndarray
    inv_length: np.ndarray
    length_sum: np.ndarray
    values: np.ndarray
    n_streamlines: int
    n_unassigned: int
    n_self: int

    @property
    def mean_lengths(self) -> np.ndarray:
        """Mean streamline length per edge (mm), 0 where no streamline."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.length_sum / np.maximum(self.counts, 1), 0.0)


def _end_labels(parc: Parcellation, pts: np.ndarray, offsets: np.ndarray, seg: np.ndarray, search_mm: float):
    """Region index at both ends of each streamline of a chunk (0: none within ``search_mm``)."""
    lab, inside = parc.lookup(pts)
    starts, stops = offsets[:-1], offsets[1:] - 1
    a, b = lab[starts].copy(), lab[stops].copy()
    for ends, step, out in ((starts, 1, a), (stops, -1, b)):
        for k in np.flatnonzero(out == 0):  # walk inwards only where the end point is on background
            i, walked, last = ends[k], 0.0, stops[k] if step == 1 else starts[k]
            while out[k] == 0 and i != last and walked <= search_mm:
                walked += seg[i if step == 1 else i - 1]
                i += step
                if walked <= search_mm:
                    out[k] = lab[i]
    return a, b, inside[starts].sum() + inside[stops].sum()


def _chunks(path: Path, chunk: int):
    import nibabel as nib

    try:
        tractogram = nib.streamlines.load(str(path), lazy_load=True)
    except Exception as e:
        raise InputError(f"cannot read streamlines ({type(e).__name__}: {e})", source=str(path), field="streamlines") from None
    it = iter(tractogram.streamlines)
    while True:
        block = list(itertools.islice(it, chunk))
        if not block:
            return
        yield block


def count_streamlines(streamlines: str | os.PathLike, parcellation: Parcellation, *, search_mm: float = 2.0,
                      chunk: int = 10_000) -> TractCounts:
    """Stream a ``.tck``/``.trk`` file and count streamlines between the parcellation's regions.

    Parameters
    ----------
    streamlines : str or path
        ``.tck`` (MRtrix3) or ``.trk`` (TrackVis), world coordinates in mm.
    parcellation : Parcellation
        From :func:`~braintwin.connectome.parcellation.read_parcellation`.
    search_mm : float
        How far (along the streamline, mm) to look for a region from a background end point.
    chunk : int
        Streamlines held in memory at once.

    Returns
    -------
    TractCounts

    Raises
    ------
    InputError
        Unreadable file, no streamline, streamlines not in the image's space.

    Examples
    --------
    >>> tc = count_streamlines("tracks.tck", read_parcellation("parc.nii.gz"))  # doctest: +SKIP
    >>> tc.counts, tc.mean_lengths, tc.n_unassigned                            # doctest: +SKIP
    """
    path = Path(streamlines)
    if not path.exists():
        raise InputError("file not found", source=str(path), field="streamlines")
    values = parcellation.values
    pos = np.zeros(int(values.max()) + 1, dtype=np.int64)
    pos[values] = np.arange(1, len(values) + 1)  # 0 stays "no region"
    n = len(values) + 1
    counts, inv_len, len_sum = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    total = inside = background = 0
    for block in _chunks(path, chunk):
        pts = np.concatenate(block).astype(float)
        offsets = np.concatenate([[0], np.cumsum([len(s) for s in block])])
        seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
        seg[offsets[1:-1] - 1] = 0.0  # no segment between consecutive streamlines
        length = np.add.reduceat(np.append(seg, 0.0), offsets[:-1])  # arc length (mm) per streamline
        a, b, n_in = _end_labels(parcellation, pts, offsets, seg, search_mm)
        ia, ib = pos[np.clip(a, 0, len(pos) - 1)], pos[np.clip(b, 0, len(pos) - 1)]
        background += int((ia == 0).sum() + (ib == 0).sum())
        inside += int(n_in)
        total += len(block)
        inv = 1.0 / np.maximum(length, 1e-9)
        np.add.at(counts, (ia, ib), 1.0)
        np.add.at(inv_len, (ia, ib), inv)
        np.add.at(len_sum, (ia, ib), length)
    if total == 0:
        raise InputError("no streamline in the file", source=str(path), field="streamlines")
    if inside < total or background > 0.9 * 2 * total:
        if inside < total:  # more than half of the 2*total end points outside the image
            raise InputError(f"{2 * total - inside} of {2 * total} streamline end points lie outside the parcellation "
                             "image: the streamlines are not in the image's space (world mm)", source=str(path), field="space")
        raise InputError(f"{background} of {2 * total} end points lie on background: the streamlines are not in the "
                         "parcellation's space", source=str(path), field="space")
    sym = lambda m: (m + m.T)[1:, 1:] * (1 - np.eye(n - 1))  # noqa: E731  (i->j and j->i are one tract)
    n_self = int(np.trace(counts[1:, 1:]))
    n_unassigned = int(counts[0].sum() + counts[:, 0].sum() - counts[0, 0])
    return TractCounts(sym(counts), sym(inv_len), sym(len_sum), values, total, n_unassigned, n_self)


def connectome_from_tractography(streamlines: str | os.PathLike, parcellation: str | os.PathLike | Parcellation, *,
                                 lut=None, labels: Sequence[str] | None = None, mapping: Mapping[str, str] | str | None = None,
                                 normalize: str | None = None, search_mm: float = 2.0, chunk: int = 10_000) -> Connectome:
    """Build a :class:`~braintwin.connectome.Connectome` from streamlines and a parcellation image.

    Parameters
    ----------
    streamlines : str or path
        ``.tck`` or ``.trk`` file (streamed).
    parcellation : str, path or Parcellation
        Label image in the streamlines' world space.
    lut : path or dict, optional
        Region names for the image's indices.
    labels : sequence of str, optional
        Keep these regions, in this order (e.g. another connectome's labels);
        matched by name (:func:`~braintwin.connectome.parcellation.match_labels`).
    mapping : dict or path, optional
        Renames image regions before matching ``labels``.
    normalize : {None, "length", "volume", "length+volume"}
        Weights: streamline counts, sums of 1/length, divided by the mean region volume.
    search_mm, chunk
        See :func:`count_streamlines`.

    Returns
    -------
    Connectome
        Weights as above, tract lengths the mean streamline length (mm), centres
        the regions' centres of mass (mm).

    Examples
    --------
    >>> conn = connectome_from_tractography("tracks.tck", "parc.nii.gz", lut="fs_default.txt")  # doctest: +SKIP
    """
    if normalize not in NORMALIZE:
        raise InputError(f"unknown normalisation {normalize!r}; use one of {NORMALIZE}", field="normalize")
    parc = parcellation if isinstance(parcellation, Parcellation) else read_parcellation(parcellation, lut=lut)
    tc = count_streamlines(streamlines, parc, search_mm=search_mm, chunk=chunk)
    w = tc.inv_length if normalize in ("length", "length+volume") else tc.counts
    if normalize in ("volume", "length+volume"):
        v = parc.volumes_mm3()
        w = w * 2.0 / (v[:, None] + v[None, :])
    names, centres, lengths = list(parc.names), parc.centres(), tc.mean_lengths
    if labels is not None:
        idx = match_labels(names, labels, mapping=mapping, source=parc.source, field="parcellation")
        w, lengths, centres = w[np.ix_(idx, idx)], lengths[np.ix_(idx, idx)], centres[idx]
        names = list(labels)
    if tc.n_unassigned > 0.5 * tc.n_streamlines:
        warnings.warn(f"{streamlines}: {tc.n_unassigned} of {tc.n_streamlines} streamlines end outside every region",
                      BraintwinWarning, stacklevel=2)
    return Connectome(w, lengths, names, centres, source=str(streamlines), warn=False)
