r"""Electrode contacts from a person's files, matched to the recording, and the SEEG gain from a parcellation image.

* :func:`read_electrodes`: BIDS ``*_electrodes.tsv`` (units from the sibling
  ``*_coordsystem.json``: ``iEEGCoordinateUnits`` / ``EEGCoordinateUnits``,
  m, cm or mm) or plain ``label x y z`` lines (mm), returned in mm as
  :class:`~braintwin.observe.sensors.Sensors`.
* :func:`match_channels`: recording channels <-> contacts by name (case,
  ``EEG``/``SEEG`` prefixes and leading zeros ignored: ``"EEG A01"`` is ``"A1"``),
  with ONE report of the unmatched channels and contacts.
* :func:`seeg_gain_from_parcellation`: the VEP inverse-square gain summed over
  each region's voxels (world mm, Jirsa et al. 2017):

  .. math::  G_{cr} = \sum_{v \in r} \frac{1}{\max(\lVert \mathbf{p}_c - \mathbf{x}_v \rVert, d_\min)^2}

  (the surface version, over region-mapped vertices, is
  :func:`braintwin.observe.seeg_gain`, which this reuses).

Guards (decided as a clinician-engineer would):

* units: coordinates whose largest magnitude is below 0.5 are metres read as
  mm (or the sidecar says mm for data in m): error, "electrodes in the wrong
  units"; above 300 mm: error (no head is that large);
* contacts outside the brain (outside the convex hull of the labelled voxels):
  listed in :attr:`GainReport.outside`; a warning for a few (a contact in the
  skull or a mislabelled row), an error when more than half lie outside
  (the contacts are not in the image's space);
* contacts in ventricles (region name matching ``Ventricle``/``CSF``): listed
  and warned - they record little of the tissue around them;
* left/right flipped: when most contacts that lie in a hemisphere-named region
  sit on the side opposite to their x sign (RAS: x < 0 is left), or electrodes
  named ``L*``/``R*`` lie mostly in the opposite hemisphere: error.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..connectome.parcellation import VENTRICLE_PATTERN, Parcellation, match_labels, read_parcellation
from ..errors import BraintwinWarning, InputError
from .leadfield import LeadField
from .seeg import electrode_of, seeg_gain
from .sensors import Sensors, read_sensors

__all__ = ["read_electrodes", "match_channels", "ChannelMatch", "seeg_gain_from_parcellation", "seeg_gain_from_surface", "GainReport"]

_UNIT_MM = {"m": 1000.0, "cm": 10.0, "mm": 1.0}


def _coordsystem_units(tsv: Path) -> str | None:
    """Units from the ``*_coordsystem.json`` beside a BIDS ``*_electrodes.tsv`` (same entities)."""
    stem = tsv.name[: -len("_electrodes.tsv")]
    for cand in [tsv.parent / f"{stem}_coordsystem.json", *sorted(tsv.parent.glob("*_coordsystem.json"))]:
        if cand.exists():
            meta = json.loads(cand.read_text())
            for key in ("iEEGCoordinateUnits", "EEGCoordinateUnits", "MEGCoordinateUnits"):
                if key in meta:
                    return str(meta[key])
    return None


def _read_electrodes_tsv(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    lines = [l.split("\t") for l in path.read_text(encoding="utf-8-sig").splitlines() if l.strip()]
    head = [h.strip().lower() for h in lines[0]]
    if not {"name", "x", "y", "z"} <= set(head):
        raise InputError(f"expected columns name, x, y, z; got {', '.join(head)}", source=str(path), field="electrodes")
    names, pos, skipped = [], [], []
    ix = [head.index(k) for k in ("x", "y", "z")]
    for r in lines[1:]:
        name = r[head.index("name")].strip()
        vals = [r[i].strip() for i in ix]
        if any(v.lower() in ("n/a", "nan", "") for v in vals):
            skipped.append(name)  # BIDS allows contacts without a position
            continue
        try:
            pos.append([float(v) for v in vals])
        except ValueError:
            raise InputError(f"contact {name!r}: coordinates {vals} are not numbers", source=str(path), field="electrodes") from None
        names.append(name)
    return names, np.asarray(pos, float).reshape(-1, 3), skipped


def read_electrodes(path: str | os.PathLike, *, units: str | None = None) -> Sensors:
    """Contact positions in mm from a BIDS ``electrodes.tsv`` or a ``label x y z`` file.

    Parameters
    ----------
    path : str or path
    units : {"m", "cm", "mm"}, optional
        Overrides the sidecar (BIDS) or the default mm (plain file).

    Returns
    -------
    Sensors
        Labels and positions (mm); contacts with ``n/a`` positions are left out (warning).

    Raises
    ------
    InputError
        Unknown units; positions that cannot be in mm (|x| max < 0.5 or > 300).

    Examples
    --------
    >>> el = read_electrodes("sub-01_ses-01_space-ACPC_electrodes.tsv")  # coordsystem.json: metres -> mm  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=str(path), field="electrodes")
    if path.name.endswith("_electrodes.tsv") or path.suffix.lower() == ".tsv":
        names, pos, skipped = _read_electrodes_tsv(path)
        units = units or _coordsystem_units(path) or "mm"
        if skipped:
            warnings.warn(f"{path}: {len(skipped)} contact(s) without a position: {', '.join(skipped[:8])}", BraintwinWarning, stacklevel=2)
    else:
        s = read_sensors(str(path), "seeg", field="electrodes")
        names, pos, units = list(s.labels), s.positions, units or "mm"
    if units not in _UNIT_MM:
        raise InputError(f"unknown coordinate units {units!r}; use m, cm or mm", source=str(path), field="units")
    pos = pos * _UNIT_MM[units]
    extent = float(np.abs(pos).max()) if pos.size else 0.0
    if pos.size and extent < 0.5:
        raise InputError(f"electrodes in the wrong units: the largest coordinate is {extent:g} mm, as if metres were read as mm "
                         "(give units='m' or fix the coordsystem.json)", source=str(path), field="units")
    if extent > 300:
        raise InputError(f"electrodes in the wrong units or space: a coordinate of {extent:g} mm lies outside any head",
                         source=str(path), field="units")
    return Sensors(tuple(names), pos, None, str(path), "seeg")


def _norm(label: str) -> str:
    s = re.sub(r"^(s?eeg|ecog|ieeg)[\s_\-]*", "", str(label).strip(), flags=re.I).replace(" ", "").upper()
    return re.sub(r"(?<=\D)0+(?=\d)", "", s)


@dataclass(frozen=True)
class ChannelMatch:
    """Channels paired with contacts by name.

    Attributes
    ----------
    channels : tuple of str
        Matched channel names (recording order).
    contacts : Sensors
        Their contacts, same order.
    unmatched_channels, unmatched_contacts : tuple of str
    """

    channels: tuple[str, ...]
    contacts: Sensors
    unmatched_channels: tuple[str, ...] = ()
    unmatched_contacts: tuple[str, ...] = ()

    def report(self) -> str:
        """One line: how many matched, and which did not."""
        return (f"{len(self.channels)} channel(s) matched to contacts; unmatched channels: "
                f"{', '.join(self.unmatched_channels) or 'none'}; contacts without a channel: {', '.join(self.unmatched_contacts) or 'none'}")


def match_channels(channels: Sequence[str], contacts: Sensors, *, warn: bool = True) -> ChannelMatch:
    """Match recording channels to contacts by name (one report, as a warning, of what did not match).

    Raises
    ------
    InputError
        No channel matches any contact.

    Examples
    --------
    >>> m = match_channels(rec.labels, read_electrodes("electrodes.tsv"))  # "EEG A01" matches contact "A1"  # doctest: +SKIP
    >>> print(m.report())                                                  # doctest: +SKIP
    """
    pos = {_norm(l): i for i, l in enumerate(contacts.labels)}
    chans, idx = [], []
    for c in channels:
        i = pos.get(_norm(c))
        if i is not None:
            chans.append(c)
            idx.append(i)
    if not chans:
        raise InputError(f"no recording channel matches a contact name (channels {list(channels)[:4]}, contacts "
                         f"{list(contacts.labels)[:4]})", source=contacts.source, field="electrodes")
    used = set(idx)
    m = ChannelMatch(tuple(chans), contacts.subset(idx),
                     tuple(c for c in channels if c not in set(chans)),
                     tuple(l for i, l in enumerate(contacts.labels) if i not in used))
    if warn and (m.unmatched_channels or m.unmatched_contacts):
        warnings.warn(f"{contacts.source}: {m.report()}", BraintwinWarning, stacklevel=2)
    return m


@dataclass(frozen=True)
class GainReport:
    """Where the contacts lie: flagged contacts and the hemisphere check."""

    outside: tuple[str, ...] = ()
    ventricles: tuple[str, ...] = ()
    regions: dict = field(default_factory=dict)


def _outside_brain(parc: Parcellation, P: np.ndarray) -> np.ndarray:
    from scipy.spatial import ConvexHull, Delaunay, QhullError

    xyz, _ = parc.voxels_mm()
    try:
        return Delaunay(xyz[ConvexHull(xyz).vertices]).find_simplex(P) < 0
    except (QhullError, ValueError):  # too few or coplanar labelled voxels: their bounding box, one voxel wider
        pad = np.abs(parc.affine[:3, :3]).sum(axis=0)
        return np.any((P < xyz.min(0) - pad) | (P > xyz.max(0) + pad), axis=1)


def _check_sides(parc: Parcellation, contacts: Sensors, vals: np.ndarray, source: str) -> None:
    sides = np.array([parc.hemisphere(v) if v else None for v in vals], dtype=object)
    x = contacts.positions[:, 0]
    known = np.array([s is not None and abs(xi) > 2 for s, xi in zip(sides, x)])
    if known.sum() >= 3 and np.mean([(s == "L") != (xi < 0) for s, xi in zip(sides[known], x[known])]) > 0.5:
        raise InputError("left/right flipped: most contacts in left-hemisphere regions have x > 0 (RAS) or vice versa; "
                         "check the image's orientation against the electrodes' space", source=source, field="orientation")
    named = [(electrode_of(l)[:1].upper(), s) for l, s in zip(contacts.labels, sides) if s is not None]
    if named and all(e in "LR" for e, _ in named) and len(named) >= 3 and np.mean([e != s for e, s in named]) > 0.5:
        raise InputError("left/right flipped: electrodes named L*/R* lie mostly in the opposite hemisphere's regions",
                         source=source, field="orientation")


def seeg_gain_from_parcellation(contacts: Sensors, parcellation: str | os.PathLike | Parcellation, *, lut=None,
                                labels: Sequence[str] | None = None, mapping=None, min_distance: float = 1.0,
                                chunk_bytes: int = 1 << 27) -> tuple[LeadField, GainReport]:
    """SEEG gain ``(n_contacts, n_regions)`` from contacts (mm) and a parcellation image (sum of 1/d^2 over voxels).

    Parameters
    ----------
    contacts : Sensors
        Positions in mm in the image's world space (:func:`read_electrodes`).
    parcellation : path or Parcellation
    lut : path or dict, optional
        Region names of the image's indices.
    labels : sequence of str, optional
        The connectome's labels: columns in that order, matched by name (error listing mismatches).
    mapping : dict or path, optional
        Renames image regions before matching.
    min_distance : float
        Distances clamped below (mm).
    chunk_bytes : int
        Bound on the distance array held at once.

    Returns
    -------
    (LeadField, GainReport)

    Examples
    --------
    >>> lf, rep = seeg_gain_from_parcellation(read_electrodes("sub-01_electrodes.tsv"), "aparc+aseg.nii.gz",
    ...                                       lut="FreeSurferColorLUT.txt", labels=conn.labels)  # doctest: +SKIP
    """
    parc = parcellation if isinstance(parcellation, Parcellation) else read_parcellation(parcellation, lut=lut)
    P = np.asarray(contacts.positions, float)
    vals, inside = parc.lookup(P)
    outside = inside == False  # noqa: E712
    outside |= _outside_brain(parc, P)
    if outside.mean() > 0.5:
        raise InputError(f"{int(outside.sum())} of {len(P)} contacts lie outside the brain: the electrodes are not in the "
                         "parcellation's space (or units)", source=contacts.source, field="space")
    _check_sides(parc, contacts, vals, contacts.source)
    vent = np.array([bool(v) and bool(VENTRICLE_PATTERN.search(parc.lut.get(int(v), ""))) for v in vals])
    report = GainReport(tuple(np.asarray(contacts.labels)[outside]), tuple(np.asarray(contacts.labels)[vent]),
                        {l: parc.lut.get(int(v), f"region_{int(v)}") if v else "none" for l, v in zip(contacts.labels, vals)})
    if report.outside or report.ventricles:
        warnings.warn(f"{contacts.source}: contacts outside the brain: {', '.join(report.outside) or 'none'}; "
                      f"in ventricles: {', '.join(report.ventricles) or 'none'}", BraintwinWarning, stacklevel=2)
    xyz, v = parc.voxels_mm()
    rm = np.searchsorted(parc.values, v)
    step = max(1, int(chunk_bytes // (24 * len(xyz))))  # contacts per block: the (block, n_voxels, 3) array stays bounded
    G = np.concatenate([seeg_gain(P[a:a + step], vertices=xyz, region_mapping=rm, n_regions=len(parc.values),
                                  min_distance=min_distance) for a in range(0, len(P), step)])
    names = parc.names
    if labels is not None:
        idx = match_labels(names, labels, mapping=mapping, source=parc.source, field="parcellation")
        G, names = G[:, idx], tuple(labels)
    return LeadField(G, tuple(contacts.labels), tuple(names), "seeg", P, f"{parc.source} (inverse square, voxels)"), report


def _read_surface(surface: Path, annotation: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Vertices (scanner RAS mm), label per vertex (-1: none) and label names of one hemisphere."""
    import nibabel as nib

    try:
        if surface.name.endswith(".gii"):
            img = nib.load(str(surface))
            V = np.asarray(img.agg_data("NIFTI_INTENT_POINTSET"), float)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # nibabel's remarks on files without volume information
                V, _, meta = nib.freesurfer.read_geometry(str(surface), read_metadata=True)
            V = V + np.asarray(meta.get("cras", np.zeros(3)), float)  # surface RAS -> scanner RAS
        if annotation.name.endswith(".gii"):
            lab_img = nib.load(str(annotation))
            lab = np.asarray(lab_img.agg_data(), int)
            table = lab_img.labeltable.get_labels_as_dict()
            keys = sorted(table)
            lab = np.searchsorted(keys, lab)
            names = [table[k] for k in keys]
        else:
            lab, _, names = nib.freesurfer.read_annot(str(annotation))
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    except Exception as e:
        raise InputError(f"cannot read the surface or its annotation ({type(e).__name__}: {e})", source=str(surface),
                         field="surface") from None
    if len(lab) != len(V):
        raise InputError(f"the annotation has {len(lab)} labels for {len(V)} vertices", source=str(annotation), field="annotation")
    return np.asarray(V, float), np.asarray(lab, int), names


def seeg_gain_from_surface(contacts: Sensors, surfaces: Sequence[tuple], *, labels: Sequence[str] | None = None, mapping=None,
                           min_distance: float = 1.0) -> LeadField:
    """SEEG gain from contacts and region-mapped cortical surfaces (sum of 1/d^2 over each region's vertices).

    Parameters
    ----------
    contacts : Sensors
        Positions in mm, scanner RAS (FreeSurfer surfaces are shifted by their ``cras``).
    surfaces : sequence of (surface, annotation)
        Per hemisphere: a FreeSurfer surface (``lh.pial``) or GIFTI (``.surf.gii``) and its
        annotation (``lh.aparc.annot`` or ``.label.gii``).  Names get ``ctx-lh-``/``ctx-rh-``
        when the surface file starts with ``lh.``/``rh.``; ``unknown``/``corpuscallosum``
        and unlabelled vertices are left out.
    labels, mapping
        As in :func:`seeg_gain_from_parcellation`.

    Returns
    -------
    LeadField

    Examples
    --------
    >>> lf = seeg_gain_from_surface(el, [("lh.pial", "lh.aparc.annot"), ("rh.pial", "rh.aparc.annot")])  # doctest: +SKIP
    """
    verts, rmap, names = [], [], []
    for surface, annotation in surfaces:
        surface, annotation = Path(surface), Path(annotation)
        V, lab, lnames = _read_surface(surface, annotation)
        prefix = {"lh.": "ctx-lh-", "rh.": "ctx-rh-"}.get(surface.name[:3], "")
        keep = [i for i, n in enumerate(lnames) if n.lower() not in ("unknown", "corpuscallosum", "???", "medial_wall")]
        for i in keep:
            sel = lab == i
            if sel.any():
                verts.append(V[sel])
                rmap.append(np.full(int(sel.sum()), len(names)))
                names.append(prefix + lnames[i])
    if not names:
        raise InputError("no labelled vertex on the surfaces", source=str(surfaces[0][1]), field="annotation")
    G = seeg_gain(contacts.positions, vertices=np.concatenate(verts), region_mapping=np.concatenate(rmap), n_regions=len(names),
                  min_distance=min_distance)
    if labels is not None:
        idx = match_labels(names, labels, mapping=mapping, source=str(surfaces[0][1]), field="annotation")
        G, names = G[:, idx], list(labels)
    return LeadField(G, tuple(contacts.labels), tuple(names), "seeg", contacts.positions, "surface (inverse square, vertices)")
