"""Lead fields (gain matrices) and the EEG and MEG monitors.

A lead field maps regional source activity to sensors: ``y = gain @ x`` with
``gain`` of shape ``(n_sensors, n_regions)``.  The built-in ones are the
region-level reductions of ``tvb-data``'s cortical-surface projection matrices
(``projection_eeg_65_surface_16k``, ``projection_meg_276_surface_16k``) through
the region mapping ``regionMapping_16k_76`` of the ``tvb76`` connectome, built
as TVB's ``monitors.Projection`` does for a region simulation::

    gain[s, r] = sum of projection[s, v] over the vertices v of region r

(every vertex is a unit dipole along the surface normal and every vertex of a
region carries the region's activity).  Sensors whose projection row is not
finite (EEG ``IO1``/``IO2``; MEG reference, trigger and EOG/ECG channels) are
dropped rather than zeroed as TVB does, so that they neither record a flat
line nor enter the EEG average reference.

User lead fields are read from ``.npy``, ``.npz``, ``.mat`` (scipy) or MNE
``-fwd.fif`` files (when ``mne`` is installed), at region level or at vertex
level together with a region mapping.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import InputError
from ..simulate.monitors import Monitor, TimeSeries
from ._common import output_index
from .sensors import Sensors, read_region_mapping, read_sensors, region_mapping, tvb76_labels, tvb_data_file

__all__ = [
    "LeadField",
    "region_gain",
    "builtin_leadfield",
    "load_leadfield",
    "as_leadfield",
    "average_reference",
    "SensorMonitor",
    "EEG",
    "MEG",
]

_BUILTIN = {
    "eeg": ("eeg_brainstorm_65", "projection_eeg_65_surface_16k.npy"),
    "meg": ("meg_brainstorm_276", "projection_meg_276_surface_16k.npy"),
}


@dataclass(frozen=True)
class LeadField:
    """A region-level gain matrix with its sensors.

    Attributes
    ----------
    gain : ndarray, shape (n_sensors, n_regions)
    sensor_labels : tuple of str
    region_labels : tuple of str or None
        Labels of the columns; None when unknown (then only the number of
        regions is checked against a simulation).
    kind : str
        ``"eeg"``, ``"meg"`` or ``"seeg"``.
    positions : ndarray (n_sensors, 3) or None
        Sensor positions in mm, when known.
    source : str
        Where the gain came from.
    dropped : tuple of str
        Sensors dropped because their gain was not finite.
    """

    gain: np.ndarray
    sensor_labels: tuple[str, ...]
    region_labels: tuple[str, ...] | None = None
    kind: str = ""
    positions: np.ndarray | None = None
    source: str = ""
    dropped: tuple[str, ...] = field(default=())

    @property
    def n_sensors(self) -> int:
        return self.gain.shape[0]

    @property
    def n_regions(self) -> int:
        return self.gain.shape[1]

    def for_regions(self, labels: Sequence[str] | None, n_regions: int | None = None, who: str = "lead field") -> "LeadField":
        """The columns matching a simulation's regions (by label when both sides have labels)."""
        labels = None if labels is None else tuple(labels)
        n = len(labels) if labels is not None else n_regions
        if labels is not None and self.region_labels is not None:
            if labels == self.region_labels:
                return self
            pos = {l: i for i, l in enumerate(self.region_labels)}
            missing = [l for l in labels if l not in pos]
            if missing:
                raise InputError(
                    f"{len(missing)} simulated region(s) have no column in the lead field (e.g. {missing[:3]}); "
                    f"its regions are those of {self.source or 'the lead field'} ({self.n_regions} regions)",
                    source=who, field="lead_field",
                )
            idx = [pos[l] for l in labels]
            return LeadField(self.gain[:, idx], self.sensor_labels, labels, self.kind, self.positions, self.source, self.dropped)
        if n is not None and n != self.n_regions:
            raise InputError(f"lead field has {self.n_regions} region columns, the simulation has {n} regions", source=self.source or who, field="lead_field")
        return self

    def project(self, x) -> np.ndarray:
        """``x`` (..., n_regions) -> (..., n_sensors)."""
        return np.asarray(x, float) @ self.gain.T


def region_gain(vertex_gain, region_map, n_regions: int | None = None) -> np.ndarray:
    """Sum a vertex-level gain ``(n_sensors, n_vertices)`` over the vertices of each region.

    ``gain[s, r] = sum(vertex_gain[s, v] for v with region_map[v] == r)``, as
    TVB's ``Projection`` monitor (``numpy.add.at(gain.T, rmap, proj.T)``).
    """
    G = np.asarray(vertex_gain, float)
    rm = np.asarray(region_map, dtype=np.int64)
    if G.ndim != 2 or G.shape[1] != rm.size:
        raise InputError(f"vertex gain of shape {G.shape} does not match a region mapping of {rm.size} vertices", field="region_mapping")
    n = int(rm.max()) + 1 if n_regions is None else int(n_regions)
    if rm.size and (rm.min() < 0 or rm.max() >= n):
        raise InputError(f"region indices must lie in [0, {n})", field="region_mapping")
    # bincount sums in vertex order, like numpy.add.at (and needs no BLAS)
    return np.stack([np.bincount(rm, weights=row, minlength=n) for row in G]) if len(G) else np.zeros((0, n))


def _drop_nonfinite(G: np.ndarray, labels: tuple[str, ...], source: str):
    bad = ~np.isfinite(G)
    if not bad.any():
        return G, labels, (), np.ones(len(labels), bool)
    full = bad.all(axis=1)
    partial = bad.any(axis=1) & ~full
    if partial.any():
        i = int(np.nonzero(partial)[0][0])
        raise InputError(
            f"{int(partial.sum())} sensor row(s) have some non-finite gain values (first: {labels[i]!r}, {int(bad[i].sum())} values)",
            source=source, field="lead_field",
        )
    keep = ~full
    if not keep.any():
        raise InputError("no sensor has a finite gain", source=source, field="lead_field")
    return G[keep], tuple(l for l, k in zip(labels, keep) if k), tuple(l for l, k in zip(labels, keep) if not k), keep


@functools.lru_cache(maxsize=4)
def builtin_leadfield(kind: str) -> LeadField:
    """The ``tvb76`` region-level EEG (65 electrodes, 63 usable) or MEG (276 channels, 248 usable) lead field."""
    key = str(kind).lower()
    if key not in _BUILTIN:
        raise InputError(f"no built-in lead field for {kind!r}; built-ins: {', '.join(_BUILTIN)} (SEEG: see seeg_leadfield)", field="kind")
    sensors_name, proj_name = _BUILTIN[key]
    sensors = read_sensors(sensors_name, key)
    path = tvb_data_file("projectionMatrix", proj_name)
    P = np.load(path)
    if P.shape[0] != len(sensors):
        raise InputError(f"{P.shape[0]} rows for {len(sensors)} sensors", source=str(path), field="lead_field")
    rm = region_mapping("regionMapping_16k_76")
    labels76 = tvb76_labels()
    # sum over vertices first: a sensor row that is NaN stays NaN (dropped below)
    G = region_gain(P, rm, len(labels76))
    G, labels, dropped, keep = _drop_nonfinite(G, sensors.labels, f"tvb_data/projectionMatrix/{proj_name}")
    G.setflags(write=False)
    pos = sensors.positions[keep]
    return LeadField(G, labels, labels76, key, pos, f"tvb76 {proj_name.removesuffix('.npy')}", dropped)


def _read_matrix(path: Path, variable: str | None, source: str) -> tuple[np.ndarray, dict]:
    """A 2-D gain array and any labels stored with it."""
    suf = path.suffix.lower()
    extra: dict = {}
    if not path.is_file():
        raise InputError("file not found", source=source, field="lead_field")
    try:
        if suf == ".npy":
            a = np.load(path, allow_pickle=False)
        elif suf == ".npz":
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.files)
                name = variable or ("gain" if "gain" in keys else None)
                if name is None:
                    arrs = [k for k in keys if z[k].ndim == 2 and z[k].dtype.kind in "fiu"]
                    if len(arrs) != 1:
                        raise InputError(f"cannot tell which array is the gain among {keys}; name it 'gain' or pass variable=", source=source, field="lead_field")
                    name = arrs[0]
                if name not in keys:
                    raise InputError(f"no array {name!r}; arrays are {keys}", source=source, field=name)
                a = z[name]
                for k in ("sensor_labels", "region_labels", "positions"):
                    if k in keys:
                        extra[k] = z[k]
        elif suf == ".mat":
            import scipy.io

            try:
                m = scipy.io.loadmat(str(path))
            except NotImplementedError:  # MATLAB v7.3 = HDF5
                import h5py

                with h5py.File(path, "r") as h:
                    m = {k: np.asarray(h[k]).T for k in h.keys() if isinstance(h[k], h5py.Dataset)}
            keys = [k for k in m if not k.startswith("__")]
            name = variable
            if name is None:
                for cand in ("gain", "Gain", "leadfield", "LeadField", "lead_field", "projection_data", "ProjectionMatrix"):
                    if cand in keys:
                        name = cand
                        break
            if name is None:
                arrs = [k for k in keys if isinstance(m[k], np.ndarray) and m[k].ndim == 2 and m[k].dtype.kind in "fiu" and min(m[k].shape) > 1]
                if len(arrs) != 1:
                    raise InputError(f"cannot tell which variable is the gain among {keys}; pass variable=", source=source, field="lead_field")
                name = arrs[0]
            if name not in m:
                raise InputError(f"no variable {name!r}; variables are {keys}", source=source, field=name)
            a = m[name]
        else:
            raise InputError(f"unsupported lead field format {suf!r}; use .npy, .npz, .mat or an MNE -fwd.fif", source=source, field="lead_field")
    except InputError:
        raise
    except Exception as e:  # corrupted or unreadable file
        raise InputError(f"cannot read lead field ({type(e).__name__}: {e})", source=source, field="lead_field") from None
    a = np.asarray(a)
    if a.ndim != 2 or a.dtype.kind not in "fiu":
        raise InputError(f"the gain must be a 2-D numeric array, got shape {a.shape} of {a.dtype}", source=source, field="lead_field")
    return a.astype(float), extra


def _read_mne_forward(path: Path, kind: str, source: str):
    try:
        import mne
    except ImportError:
        raise InputError("reading an MNE forward solution needs mne (pip install mne)", source=source, field="lead_field") from None
    try:
        fwd = mne.read_forward_solution(str(path), verbose=False)
        if kind in ("eeg", "meg"):
            fwd = mne.pick_types_forward(fwd, meg=kind == "meg", eeg=kind == "eeg", verbose=False)
        fwd = mne.convert_forward_solution(fwd, surf_ori=True, force_fixed=True, use_cps=True, verbose=False)
    except Exception as e:
        raise InputError(f"cannot read MNE forward solution ({type(e).__name__}: {e})", source=source, field="lead_field") from None
    G = np.asarray(fwd["sol"]["data"], float)
    labels = tuple(fwd["sol"]["row_names"])
    pos = np.array([ch["loc"][:3] for ch in fwd["info"]["chs"]]) * 1000.0 if len(fwd["info"]["chs"]) == len(labels) else None
    return G, labels, pos


def load_leadfield(
    path: str | os.PathLike,
    kind: str = "eeg",
    *,
    region_labels: Sequence[str] | None = None,
    sensors: str | os.PathLike | Sensors | Sequence[str] | None = None,
    region_mapping=None,
    variable: str | None = None,
) -> LeadField:
    """Read a user lead field.

    Parameters
    ----------
    path : str or path
        ``.npy`` / ``.npz`` (array ``gain``, optional ``sensor_labels``,
        ``region_labels``, ``positions``) / ``.mat`` (variable ``variable`` or
        the only 2-D array) / MNE ``*-fwd.fif`` (needs ``mne``; converted to fixed
        surface-normal orientation).  Shape ``(n_sensors, n_regions)``, or
        ``(n_sensors, n_vertices)`` with ``region_mapping``.
    kind : {"eeg", "meg", "seeg"}
    region_labels : sequence of str, optional
        Labels of the gain's region columns (to match a simulation's regions).
    sensors : built-in name, file, Sensors or list of labels, optional
        Sensor labels (and positions) of the rows; ``S1, S2, ...`` if unknown.
    region_mapping : array, file or built-in name, optional
        Vertex -> region index, to sum a vertex-level gain into regions.
    variable : str, optional
        Name of the array in a ``.npz`` or ``.mat`` file.

    Rows that are entirely non-finite are dropped (listed in ``dropped``); a
    row with only some non-finite values is an error.
    """
    p = Path(path)
    source = str(path)
    pos = None
    labels: tuple[str, ...] | None = None
    if p.name.endswith(".fif") or p.name.endswith(".fif.gz"):
        if not p.is_file():
            raise InputError("file not found", source=source, field="lead_field")
        G, labels, pos = _read_mne_forward(p, kind, source)
        extra = {}
    else:
        G, extra = _read_matrix(p, variable, source)
    if "sensor_labels" in extra:
        labels = tuple(str(s) for s in extra["sensor_labels"])
    if "positions" in extra:
        pos = np.asarray(extra["positions"], float)
    if region_labels is None and "region_labels" in extra:
        region_labels = tuple(str(s) for s in extra["region_labels"])
    if sensors is not None:
        if isinstance(sensors, (str, os.PathLike, Sensors)):
            s = read_sensors(sensors, kind)
            labels, pos = s.labels, s.positions
        else:
            labels = tuple(str(s) for s in sensors)
    if labels is None:
        labels = tuple(f"S{i + 1}" for i in range(G.shape[0]))
    if len(labels) != G.shape[0]:
        raise InputError(f"{G.shape[0]} gain rows for {len(labels)} sensors", source=source, field="sensors")
    if region_mapping is not None:
        rm = read_region_mapping(region_mapping, n_vertices=G.shape[1])
        n = len(region_labels) if region_labels is not None else None
        G = region_gain(G, rm, n)
    if region_labels is not None:
        region_labels = tuple(str(r) for r in region_labels)
        if len(region_labels) != G.shape[1]:
            raise InputError(f"{G.shape[1]} gain columns for {len(region_labels)} region labels", source=source, field="region_labels")
    keep_pos = pos
    G, kept, dropped, keep = _drop_nonfinite(G, labels, source)
    if keep_pos is not None:
        keep_pos = np.asarray(keep_pos, float)[keep] if len(keep_pos) == len(labels) else None
    return LeadField(G, kept, region_labels, kind, keep_pos, source, dropped)


def as_leadfield(spec, kind: str, who: str) -> LeadField | None:
    """A LeadField from an instance, a 2-D array, a file path, or None (the built-in)."""
    if spec is None or isinstance(spec, LeadField):
        return spec
    if isinstance(spec, (str, os.PathLike)):
        return load_leadfield(spec, kind)
    a = np.asarray(spec, float)
    if a.ndim != 2:
        raise InputError(f"a lead field array must be 2-D (n_sensors, n_regions), got shape {a.shape}", source=who, field="lead_field")
    G, labels, dropped, _ = _drop_nonfinite(a, tuple(f"S{i + 1}" for i in range(a.shape[0])), who)
    return LeadField(G, labels, None, kind, None, "array", dropped)


def average_reference(n: int) -> np.ndarray:
    """The average-reference operator ``I - 1/n``: rows of the referenced gain sum to zero over sensors."""
    return np.eye(n) - 1.0 / n


class SensorMonitor(Monitor):
    """Base of the sensor monitors: project one output through a gain every ``period`` ms.

    The engine hands over the temporal average of the output over each period
    (as TVB's ``Projection`` monitors average the projected signal).  Then,
    per sample: ``y = gain @ x (+ noise)``, followed by the monitor's linear
    post-processing (EEG reference, SEEG bipolar montage).  Noise is white,
    Gaussian, of standard deviation ``noise_std`` per sensor, added before the
    reference (it is sensor noise) and seeded by ``seed``.
    """

    average = True
    kind = ""

    def __init__(self, lead_field=None, *, output: str | None = None, period: float = 1.0,
                 noise_std: float = 0.0, seed: int | None = 0):
        super().__init__(period)
        self.lead_field = as_leadfield(lead_field, self.kind, type(self).__name__)
        self.output = output
        noise_std = float(noise_std)
        if not (np.isfinite(noise_std) and noise_std >= 0):
            raise InputError(f"noise_std must be finite and >= 0, got {noise_std}", source=type(self).__name__, field="noise_std")
        self.noise_std = noise_std
        self.seed = seed
        self._prepared: tuple | None = None

    # -- gain -----------------------------------------------------------------
    def _default_leadfield(self) -> LeadField:
        return builtin_leadfield(self.kind)

    def _post(self, lf: LeadField) -> tuple[np.ndarray | None, tuple[str, ...]]:
        """Linear post-processing ``(matrix or None, output labels)`` after projection."""
        return None, lf.sensor_labels

    def prepare(self, labels: Sequence[str] | None = None, n_regions: int | None = None):
        """Resolve the gain for a simulation's regions (done by :meth:`begin`; call early to check)."""
        key = (None if labels is None else tuple(labels), n_regions)
        if self._prepared is not None and self._prepared[0] == key:
            return self._prepared[1]
        lf = self.lead_field if self.lead_field is not None else self._default_leadfield()
        lf = lf.for_regions(labels, n_regions, type(self).__name__)
        R, out_labels = self._post(lf)
        self._prepared = (key, (lf, R, out_labels))
        return self._prepared[1]

    def gain(self, labels: Sequence[str] | None = None, n_regions: int | None = None) -> np.ndarray:
        """The effective (noise-free) gain, post-processing included: ``(n_channels, n_regions)``."""
        lf, R, _ = self.prepare(labels, n_regions)
        return lf.gain if R is None else R @ lf.gain

    def channel_labels(self, labels: Sequence[str] | None = None, n_regions: int | None = None) -> tuple[str, ...]:
        return self.prepare(labels, n_regions)[2]

    def project(self, x, labels: Sequence[str] | None = None, *, noise: bool = False, seed: int | None = None) -> np.ndarray:
        """Offline projection of regional signals ``x`` (..., n_regions) -> (..., n_channels).

        Noise-free unless ``noise=True`` (then seeded by ``seed``, default the monitor's).
        """
        x = np.asarray(x, float)
        lf, R, _ = self.prepare(labels, x.shape[-1] if labels is None else None)
        y = x @ lf.gain.T
        if noise and self.noise_std > 0:
            rng = np.random.default_rng(self.seed if seed is None else seed)
            y = y + rng.normal(0.0, self.noise_std, y.shape)
        return y if R is None else y @ R.T

    # -- streaming ------------------------------------------------------------
    def begin(self, n_rows, n_outputs, n_regions, dt, outputs, labels) -> None:
        self._steps = self.period_steps(dt)
        self._dt = dt
        self._k = output_index(self.output, outputs, type(self).__name__)
        self._outputs = (tuple(outputs)[self._k],)
        lf, R, out_labels = self.prepare(labels, n_regions)
        self._GT = np.ascontiguousarray(lf.gain.T)
        self._RT = None if R is None else np.ascontiguousarray(R.T)
        self._labels = out_labels
        self._rng = np.random.default_rng(self.seed) if self.noise_std > 0 else None
        self._data = np.empty((n_rows, 1, len(out_labels)))
        self._n = 0
        self._rows = n_rows

    def push(self, rows) -> None:
        y = rows[:, self._k, :] @ self._GT
        if self._rng is not None:
            y += self._rng.normal(0.0, self.noise_std, y.shape)
        if self._RT is not None:
            y = y @ self._RT
        n = len(y)
        if self._n + n > len(self._data):
            self._data = np.concatenate([self._data, np.empty((self._n + n - len(self._data),) + self._data.shape[1:])])
        self._data[self._n:self._n + n, 0] = y
        self._n += n

    def result(self) -> TimeSeries:
        return TimeSeries(self.times(self._n), self._data[: self._n], self._outputs, self._labels, self.name)


class EEG(SensorMonitor):
    """EEG monitor.

    Parameters
    ----------
    lead_field : LeadField, array (n_sensors, n_regions), file path, or None
        None: the built-in ``tvb76`` lead field (63 usable electrodes of
        ``eeg_brainstorm_65``); the simulated regions must be ``tvb76`` regions.
    reference : "average", None or a sensor label
        Average reference (default; rows of the referenced gain sum to zero),
        reference-free (None / ``"none"``), or a single reference electrode.
    output, period, noise_std, seed
        See :class:`SensorMonitor`.
    """

    kind = "eeg"
    name = "eeg"

    def __init__(self, lead_field=None, *, reference: str | None = "average", output: str | None = None,
                 period: float = 1.0, noise_std: float = 0.0, seed: int | None = 0):
        super().__init__(lead_field, output=output, period=period, noise_std=noise_std, seed=seed)
        self.reference = None if reference is None or str(reference).lower() in ("none", "") else str(reference)

    def _post(self, lf: LeadField):
        S = lf.n_sensors
        if self.reference is None:
            return None, lf.sensor_labels
        if self.reference.lower() == "average":
            return average_reference(S), lf.sensor_labels
        if self.reference not in lf.sensor_labels:
            raise InputError(f"reference electrode {self.reference!r} is not among the sensors ({', '.join(lf.sensor_labels[:6])}, ...)", source="EEG", field="reference")
        R = np.eye(S)
        R[:, lf.sensor_labels.index(self.reference)] -= 1.0
        return R, lf.sensor_labels


class MEG(SensorMonitor):
    """MEG monitor.

    ``lead_field=None`` uses the built-in ``tvb76`` lead field (248 usable
    channels of ``meg_brainstorm_276``).  See :class:`SensorMonitor`.
    """

    kind = "meg"
    name = "meg"
