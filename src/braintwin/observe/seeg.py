r"""Stereo-EEG: contacts, the inverse-square gain of the Virtual Epileptic Patient, bipolar montages.

The gain from region :math:`r` to contact :math:`c` follows the distance law of
the Virtual Epileptic Patient (Jirsa et al. 2017; Hashemi et al. 2020): each
source contributes :math:`1/d^2`.  By default the sources are the cortical
vertices of the region (through a region mapping):

.. math::  G_{cr} = \sum_{v \in r} \frac{1}{\lVert \mathbf{p}_c - \mathbf{x}_v \rVert^2}

so a region's gain reflects its extent; ``method="centres"`` uses the region
centres alone, :math:`G_{cr} = 1/\lVert \mathbf{p}_c - \mathbf{c}_r \rVert^2`,
which is near-singular for a contact close to a centre (one ``seeg_588``
contact lies 1.2 mm from a ``tvb76`` centre).  Distances are in mm; distances
below ``min_distance`` (default 1 mm) are clamped to it.

Contacts are named electrode + number (``A1, A2, ..., B'1``); the electrode of
a contact is its label without trailing digits.  A bipolar channel ``A1-A2`` is
contact ``A1`` minus contact ``A2``, formed between contacts of one electrode
whose numbers differ by one.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Sequence

import numpy as np

from ..errors import InputError
from .leadfield import LeadField, SensorMonitor, region_gain
from .sensors import Sensors, cortex_vertices, read_region_mapping, read_sensors, tvb76_labels
from .sensors import region_mapping as _builtin_region_mapping

__all__ = [
    "seeg_forward",
    "read_contacts",
    "electrode_of",
    "split_contact",
    "bipolar_montage",
    "seeg_gain",
    "seeg_leadfield",
    "SEEG",
]

_CONTACT = re.compile(r"^(.*?)(\d+)$")


def seeg_forward(x, gain, amplitude=1.0, offset=0.0, *, m=np):
    r"""SEEG log power of source activity: the forward model of the Virtual Epileptic Patient.

    .. math:: y_{ti} = a \,\ln\Big(\sum_j G_{ij}\, e^{x_{tj}}\Big) + b

    for contact :math:`i` and region :math:`j` (Jirsa et al. 2017, NeuroImage
    145:377; Hashemi et al. 2020, NeuroImage 217:116839), computed as a stable
    log-sum-exp :math:`\mu_t + \ln \sum_j G_{ij} e^{x_{tj} - \mu_t}` with
    :math:`\mu_t = \max_j x_{tj}`, as one 2-D matrix product.  Written once
    against the math namespace ``m`` (:mod:`numpy` or :mod:`jax.numpy`), so
    :func:`braintwin.features.vep_observation` (NumPy, with input checks and an
    exact fallback where the sum underflows) and the Bayesian VEP's
    :func:`braintwin.vep.seeg_envelope` (JAX) share it.  No input checks here.

    Parameters
    ----------
    x : array (..., n_times, n_regions)
        Source activity (the Epileptor's ``x``).
    gain : array (n_contacts, n_regions)
        Non-negative (monopolar) gain.
    amplitude, offset : float or array (n_contacts,)
        :math:`a` and :math:`b`.
    m : module
        ``numpy`` (default) or ``jax.numpy``.

    Returns
    -------
    array (..., n_times, n_contacts)

    Example
    -------
    >>> float(seeg_forward(np.zeros((1, 2)), np.ones((1, 2)))[0, 0])   # log(e^0 + e^0)
    0.6931471805599453
    """
    mu = m.max(x, axis=-1, keepdims=True)
    e = m.exp(x - mu)
    g = m.asarray(gain, dtype=e.dtype)
    # one 2-D matrix product (a stacked 3-D @ 2-D product is much slower in NumPy)
    s = (e.reshape(-1, e.shape[-1]) @ g.T).reshape(e.shape[:-1] + (g.shape[0],))
    return amplitude * (m.log(s) + mu) + offset


def read_contacts(spec: str | os.PathLike | Sensors = "seeg_588") -> Sensors:
    """SEEG contacts from ``"seeg_588"`` (tvb-data) or a file of ``label x y z`` lines (mm)."""
    return read_sensors(spec, "seeg", field="contacts")


def split_contact(label: str) -> tuple[str, int | None]:
    """``"B'12"`` -> ``("B'", 12)``; a label without trailing digits -> ``(label, None)``."""
    m = _CONTACT.match(str(label).strip())
    if not m or not m.group(1):
        return str(label).strip(), None
    return m.group(1), int(m.group(2))


def electrode_of(label: str) -> str:
    """The electrode of a contact: its label without trailing digits (``"A'3"`` -> ``"A'"``)."""
    return split_contact(label)[0]


def bipolar_montage(labels: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Bipolar montage between neighbouring contacts of each electrode.

    Returns the matrix ``M`` of shape ``(n_pairs, n_contacts)`` (``+1`` for the
    first contact, ``-1`` for the second) and the pair labels ``"A1-A2"``.
    Electrodes keep their order of first appearance; within an electrode,
    pairs follow contact numbers, and only contacts numbered ``k`` and ``k+1``
    are paired (a missing contact leaves a gap).  Labels without a contact
    number are left out.
    """
    labels = [str(l) for l in labels]
    groups: dict[str, dict[int, int]] = {}
    for i, l in enumerate(labels):
        e, k = split_contact(l)
        if k is None:
            continue
        g = groups.setdefault(e, {})
        if k in g:
            raise InputError(f"contacts {labels[g[k]]!r} and {l!r} have the same electrode and number", field="contacts")
        g[k] = i
    rows: list[tuple[int, int]] = []
    for e, g in groups.items():
        for k in sorted(g):
            if k + 1 in g:
                rows.append((g[k], g[k + 1]))
    if not rows:
        raise InputError("no bipolar pairs: no two contacts of one electrode have consecutive numbers", field="montage")
    M = np.zeros((len(rows), len(labels)))
    for p, (i, j) in enumerate(rows):
        M[p, i] = 1.0
        M[p, j] = -1.0
    return M, tuple(f"{labels[i]}-{labels[j]}" for i, j in rows)


def seeg_gain(
    contacts,
    *,
    vertices=None,
    region_mapping=None,
    n_regions: int | None = None,
    centres=None,
    method: str = "vertices",
    min_distance: float = 1.0,
) -> np.ndarray:
    """Inverse-square gain ``(n_contacts, n_regions)`` from contact positions (mm).

    Parameters
    ----------
    contacts : array (n_contacts, 3)
    vertices, region_mapping : array (n_vertices, 3), array (n_vertices,)
        Cortical vertices and their region index (``method="vertices"``).
    n_regions : int, optional
        Number of regions (default: the largest index + 1).
    centres : array (n_regions, 3)
        Region centres (``method="centres"``).
    method : {"vertices", "centres"}
    min_distance : float
        Distances are clamped below at this value (mm).
    """
    P = np.asarray(contacts, float)
    if P.ndim != 2 or P.shape[1] != 3:
        raise InputError(f"contact positions must have shape (n, 3), got {P.shape}", field="contacts")
    if not min_distance > 0:
        raise InputError(f"min_distance must be > 0 mm, got {min_distance}", field="min_distance")
    d2min = float(min_distance) ** 2
    if method == "centres":
        if centres is None:
            raise InputError("method='centres' needs region centres", field="centres")
        C = np.asarray(centres, float)
        if C.ndim != 2 or C.shape[1] != 3:
            raise InputError(f"centres must have shape (n_regions, 3), got {C.shape}", field="centres")
        d2 = ((P[:, None, :] - C[None, :, :]) ** 2).sum(-1)
        return 1.0 / np.maximum(d2, d2min)
    if method != "vertices":
        raise InputError(f"unknown SEEG gain method {method!r}; use vertices or centres", field="method")
    if vertices is None or region_mapping is None:
        raise InputError("method='vertices' needs vertices and a region mapping", field="region_mapping")
    V = np.asarray(vertices, float)
    if V.ndim != 2 or V.shape[1] != 3:
        raise InputError(f"vertices must have shape (n_vertices, 3), got {V.shape}", field="vertices")
    rm = read_region_mapping(region_mapping, n_vertices=len(V), n_regions=n_regions)
    n = int(rm.max()) + 1 if n_regions is None else int(n_regions)
    empty = np.nonzero(np.bincount(rm, minlength=n) == 0)[0]
    if len(empty):
        raise InputError(
            f"{len(empty)} region(s) have no vertex in the region mapping (first: index {int(empty[0])}); use method='centres' or a complete mapping",
            field="region_mapping",
        )
    G = np.empty((len(P), n))
    for a in range(0, len(P), 64):  # chunks bound the memory of the distance matrix
        d2 = ((P[a:a + 64, None, :] - V[None, :, :]) ** 2).sum(-1)
        G[a:a + 64] = region_gain(1.0 / np.maximum(d2, d2min), rm, n)
    return G


@functools.lru_cache(maxsize=8)
def _tvb76_gain(pos_bytes: bytes, n: int, min_distance: float) -> np.ndarray:
    P = np.frombuffer(pos_bytes, dtype=float).reshape(n, 3)
    G = seeg_gain(P, vertices=cortex_vertices(), region_mapping=_builtin_region_mapping(), n_regions=len(tvb76_labels()),
                  method="vertices", min_distance=min_distance)
    G.setflags(write=False)
    return G


def seeg_leadfield(
    contacts: str | os.PathLike | Sensors = "seeg_588",
    connectome=None,
    *,
    method: str = "vertices",
    vertices=None,
    region_mapping=None,
    min_distance: float = 1.0,
) -> LeadField:
    """The SEEG lead field of ``contacts`` for a connectome's regions.

    With ``vertices``/``region_mapping`` omitted and ``method="vertices"``, the
    ``tvb-data`` cortex (``cortex_16384``) and ``regionMapping_16k_76`` of
    ``tvb76`` are used: the connectome's regions must be ``tvb76`` regions
    (its columns are picked by label).  ``method="centres"`` uses the
    connectome's centres (``tvb76`` if ``connectome`` is None).
    """
    sensors = read_contacts(contacts)
    if method == "centres":
        if connectome is None:
            from ..connectome import builtin

            connectome = builtin("tvb76")
        centres = getattr(connectome, "centres", None)
        if centres is None:
            raise InputError("the connectome has no region centres", field="centres")
        G = seeg_gain(sensors.positions, centres=centres, method="centres", min_distance=min_distance)
        labels = tuple(connectome.labels) if hasattr(connectome, "labels") else None
        return LeadField(G, sensors.labels, labels, "seeg", sensors.positions, f"{sensors.source} (inverse square, centres)")
    if vertices is None and region_mapping is None:
        labels76 = tvb76_labels()
        pos = np.ascontiguousarray(sensors.positions, dtype=float)
        G = _tvb76_gain(pos.tobytes(), len(pos), float(min_distance))
        lf = LeadField(G, sensors.labels, labels76, "seeg", sensors.positions, f"{sensors.source} (inverse square, tvb76 cortex_16384 vertices)")
        if connectome is not None:
            lf = lf.for_regions(tuple(connectome.labels), None, "SEEG")
        return lf
    if vertices is None or region_mapping is None:
        raise InputError("give both vertices and region_mapping (or neither, for tvb76)", field="region_mapping")
    labels = tuple(connectome.labels) if connectome is not None and hasattr(connectome, "labels") else None
    G = seeg_gain(sensors.positions, vertices=vertices, region_mapping=region_mapping, n_regions=None if labels is None else len(labels),
                  method="vertices", min_distance=min_distance)
    return LeadField(G, sensors.labels, labels, "seeg", sensors.positions, f"{sensors.source} (inverse square, vertices)")


class SEEG(SensorMonitor):
    """SEEG monitor: inverse-square gain from contacts to regions, monopolar or bipolar.

    Parameters
    ----------
    contacts : str, path or Sensors
        ``"seeg_588"`` (tvb-data, default) or a file of ``label x y z`` lines.
    lead_field : LeadField, array, file, optional
        A gain to use instead of the inverse-square law (rows = contacts).
    method : {"vertices", "centres"}
        Sum over the cortical vertices of each region (``tvb76``: the
        tvb-data cortex and region mapping) or use region centres.
    montage : {"monopolar", "bipolar"}
        Bipolar: differences of neighbouring contacts of each electrode.
    connectome : Connectome, optional
        Needed for ``method="centres"`` with a connectome other than ``tvb76``
        (and to label the columns of a user surface's gain).
    vertices, region_mapping : arrays, optional
        A user cortical surface (mm) and its vertex -> region index, for
        ``method="vertices"`` with a connectome other than ``tvb76``.
    output, period, noise_std, seed
        See :class:`SensorMonitor`.
    """

    kind = "seeg"
    name = "seeg"

    def __init__(self, contacts: str | os.PathLike | Sensors = "seeg_588", *, lead_field=None, method: str = "vertices",
                 montage: str = "monopolar", connectome=None, vertices=None, region_mapping=None,
                 min_distance: float = 1.0, output: str | None = None,
                 period: float = 1.0, noise_std: float = 0.0, seed: int | None = 0):
        super().__init__(lead_field, output=output, period=period, noise_std=noise_std, seed=seed)
        if method not in ("vertices", "centres"):
            raise InputError(f"unknown SEEG gain method {method!r}; use vertices or centres", source="SEEG", field="method")
        montage = str(montage).lower()
        if montage not in ("monopolar", "bipolar"):
            raise InputError(f"unknown montage {montage!r}; use monopolar or bipolar", source="SEEG", field="montage")
        self.contacts = None if contacts is None else read_contacts(contacts)
        lf = self.lead_field
        if lf is not None and lf.source == "array" and self.contacts is not None and len(self.contacts) == len(lf.sensor_labels) and not lf.dropped:
            # a bare gain array: its rows are the given contacts
            self.lead_field = LeadField(lf.gain, self.contacts.labels, lf.region_labels, "seeg", self.contacts.positions, lf.source)
        if self.lead_field is None and self.contacts is None:
            raise InputError("give contacts or a lead field", source="SEEG", field="contacts")
        self.method = method
        self.montage = montage
        self.connectome = connectome
        self.vertices = None if vertices is None else np.asarray(vertices, float)
        self.region_mapping = region_mapping
        self.min_distance = float(min_distance)
        if montage == "bipolar":
            bipolar_montage(self.lead_field.sensor_labels if self.lead_field is not None else self.contacts.labels)  # check early

    def _default_leadfield(self) -> LeadField:
        return seeg_leadfield(self.contacts, self.connectome, method=self.method, vertices=self.vertices,
                              region_mapping=self.region_mapping, min_distance=self.min_distance)

    def _post(self, lf: LeadField):
        if self.montage == "bipolar":
            M, names = bipolar_montage(lf.sensor_labels)
            return M, names
        return None, lf.sensor_labels
