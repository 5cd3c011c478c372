"""Reading a patient's SEEG, gain matrix and contact positions for the VEP.

Every reader names the file and the field at fault in its
:class:`~braintwin.errors.InputError`.

* SEEG: ``.npy`` (an array ``(n_times, n_contacts)``), ``.npz`` (one array, or
  the key given), ``.csv``/``.tsv``/``.txt`` (time x contact, optional header row
  of contact names), ``.edf``/``.bdf`` (through MNE, channels x time, with the
  sampling rate).
* Gain: ``.npy``, ``.npz``, ``.csv``/``.tsv``/``.txt`` (contacts x regions,
  optional header row of region names and optional first column of contact names).
* Contacts: ``label x y z`` lines in mm (:func:`braintwin.observe.seeg.read_contacts`).
"""

from __future__ import annotations

import csv
import inspect
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import InputError

__all__ = ["SEEGRecording", "read_seeg", "read_gain", "read_contacts_file", "read_matrix", "envelope_from_recording", "resample_envelope",
           "OBSERVATION_CHOICES", "observation_options"]


@dataclass
class SEEGRecording:
    """An SEEG recording or envelope read from a file.

    Attributes
    ----------
    data : ndarray (n_times, n_contacts)
    labels : tuple of str
        Contact names (``C1, C2, ...`` when the file has none).
    fs_hz : float or None
        Sampling rate when the file gives it (EDF).
    source : str
        The file.
    """

    data: np.ndarray
    labels: tuple[str, ...]
    fs_hz: float | None
    source: str
    baseline_s: float = 0.0


def _suffix(path: Path) -> str:
    s = path.suffix.lower()
    return s


def _read_text_matrix(path: Path, field: str, row_labels: bool = False) -> tuple[np.ndarray, list[str] | None, list[str] | None]:
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except FileNotFoundError:
        raise InputError("file not found", source=str(path), field=field) from None
    except OSError as e:
        raise InputError(f"cannot read file ({e.strerror or e})", source=str(path), field=field) from None
    lines = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    if not lines:
        raise InputError("the file is empty", source=str(path), field=field)
    delim = "\t" if ("\t" in lines[0] or _suffix(path) == ".tsv") else ("," if "," in lines[0] else None)
    rows = list(csv.reader(lines, delimiter=delim)) if delim else [l.split() for l in lines]
    rows = [[c.strip() for c in r] for r in rows]

    def is_num(c: str) -> bool:
        try:
            float(c)
            return True
        except ValueError:
            return False

    header = None
    if not all(is_num(c) for c in rows[0][1 if row_labels else 0:]):
        header = rows[0]
        rows = rows[1:]
    names = None
    if row_labels and rows and not is_num(rows[0][0]):
        names = [r[0] for r in rows]
        rows = [r[1:] for r in rows]
        if header is not None and len(header) == len(rows[0]) + 1:
            header = header[1:]
    if not rows:
        raise InputError("no numeric rows", source=str(path), field=field)
    width = len(rows[0])
    out = np.empty((len(rows), width))
    for i, r in enumerate(rows):
        if len(r) != width:
            line = i + 1 + (header is not None)
            raise InputError(f"line {line} has {len(r)} values, expected {width}", source=str(path), field=field)
        for j, c in enumerate(r):
            try:
                out[i, j] = float(c)
            except ValueError:
                line = i + 1 + (header is not None)
                raise InputError(f"line {line}, column {j + 1}: {c!r} is not a number", source=str(path), field=field) from None
    if header is not None and len(header) != width:
        raise InputError(f"the header has {len(header)} names for {width} columns", source=str(path), field=field)
    return out, header, names


def read_matrix(path: str | os.PathLike, field: str, *, key: str | None = None, row_labels: bool = False):
    """A 2-D float matrix from ``.npy``, ``.npz``, ``.csv``, ``.tsv`` or ``.txt``.

    Returns ``(matrix, column_names or None, row_names or None)``.
    """
    path = Path(path)
    suf = _suffix(path)
    if not path.exists():
        raise InputError("file not found", source=str(path), field=field)
    if suf in (".npy", ".npz"):
        try:
            obj = np.load(path, allow_pickle=False)
        except Exception as e:  # numpy raises several types on corrupt files
            raise InputError(f"cannot read a NumPy array ({e})", source=str(path), field=field) from None
        if suf == ".npz":
            keys = list(obj.keys())
            if key is None:
                if len(keys) != 1:
                    raise InputError(f"the archive holds {keys}; say which array to use", source=str(path), field=field)
                key = keys[0]
            if key not in keys:
                raise InputError(f"no array {key!r} in the archive (it holds {keys})", source=str(path), field=field)
            arr = obj[key]
        else:
            arr = obj
        arr = np.asarray(arr)
        if arr.dtype.kind not in "fiu":
            raise InputError(f"expected numbers, got dtype {arr.dtype}", source=str(path), field=field)
        return arr.astype(float), None, None
    if suf in (".csv", ".tsv", ".txt", ".dat"):
        return _read_text_matrix(path, field, row_labels=row_labels)
    raise InputError(f"unsupported file type {suf or '(none)'}; use .npy, .npz, .csv, .tsv or .txt", source=str(path), field=field)


def read_seeg(path: str | os.PathLike, *, key: str | None = None, channels=None, recording_options: dict | None = None,
              window: dict | None = None) -> SEEGRecording:
    """Read an SEEG recording or envelope as ``(n_times, n_contacts)``.

    Parameters
    ----------
    path : str or path
        ``.npy``/``.npz``/``.csv``/``.tsv``/``.txt`` (time x contact), or ``.edf``/``.bdf``/
        ``.vhdr``/``.fif`` or a BIDS folder (:func:`braintwin.observe.read_recording`; install
        ``braintwin[data]``); bad channels are left out.
    key : str, optional
        Array name inside an ``.npz``.
    channels : sequence of str, optional
        Keep these contacts, in this order (by name).
    recording_options : dict, optional
        Passed to :func:`~braintwin.observe.read_recording` (``kind``, ``subject``, ``task``, ...).
    window : dict, optional
        Passed to :meth:`~braintwin.observe.Recording.window` (``annotation``, ``offset``, ``baseline``, ...).

    Returns
    -------
    SEEGRecording

    Raises
    ------
    InputError
        Missing or malformed file, non-finite values, unknown channel, missing MNE.
    """
    path = Path(path)
    fs = None
    if path.is_dir() or path.name.lower().endswith((".edf", ".bdf", ".vhdr", ".fif", ".fif.gz")):
        from ...observe.recordings import Recording, read_recording  # MNE/mne-bids formats, identifying header fields dropped

        for opts, fn, name in ((recording_options, read_recording, "recording"), (window, Recording.window, "window")):
            unknown = sorted(set(opts or {}) - set(inspect.signature(fn).parameters) - {"self", "path"})
            if unknown:
                raise InputError(f"unknown option(s) {', '.join(unknown)}", source=str(path), field=name)
        rec = read_recording(path, **(recording_options or {}))
        rec = rec.window(**window) if window else rec
        rec = rec.good() if rec.bads and len(rec.bads) < len(rec.labels) else rec
        data, labels, fs, baseline_s = rec.data, rec.labels, rec.fs_hz, rec.baseline_s
    else:
        baseline_s = 0.0
        data, header, _ = read_matrix(path, "seeg", key=key)
        if data.ndim != 2:
            raise InputError(f"expected a (time x contact) matrix, got shape {data.shape}", source=str(path), field="seeg")
        labels = tuple(header) if header else tuple(f"C{i + 1}" for i in range(data.shape[1]))
    if data.shape[0] < 2 or data.shape[1] < 1:
        raise InputError(f"expected at least 2 time points and 1 contact, got shape {data.shape}", source=str(path), field="seeg")
    bad = ~np.isfinite(data)
    if bad.any():
        t, c = np.argwhere(bad)[0]
        raise InputError(f"{int(bad.sum())} non-finite values (first at time {t}, contact {labels[c]})", source=str(path), field="seeg")
    if len(set(labels)) != len(labels):
        raise InputError("contact names are not unique", source=str(path), field="seeg")
    if channels is not None:
        pos = {l: i for i, l in enumerate(labels)}
        missing = [c for c in channels if c not in pos]
        if missing:
            raise InputError(f"no contact(s) {missing[:5]} in the recording", source=str(path), field="channels")
        idx = [pos[c] for c in channels]
        data, labels = data[:, idx], tuple(channels)
    return SEEGRecording(np.ascontiguousarray(data, float), tuple(labels), fs, str(path), baseline_s)


def read_gain(path: str | os.PathLike, *, key: str | None = None, n_contacts: int | None = None, n_regions: int | None = None):
    """Read a monopolar gain matrix ``(n_contacts, n_regions)``.

    A text file may have a header row of region names and a first column of
    contact names.  Returns ``(gain, contact_names or None, region_names or None)``.

    Raises
    ------
    InputError
        Missing or malformed file; wrong shape; negative, non-finite or all-zero rows.
    """
    gain, cols, rows = read_matrix(path, "gain", key=key, row_labels=True)
    src = str(path)
    if gain.ndim != 2:
        raise InputError(f"expected a (contact x region) matrix, got shape {gain.shape}", source=src, field="gain")
    if n_contacts is not None and gain.shape[0] != n_contacts:
        if n_regions is not None and gain.shape == (n_regions, n_contacts):
            raise InputError(f"shape {gain.shape} looks transposed: expected (n_contacts={n_contacts}, n_regions={n_regions})", source=src, field="gain")
        raise InputError(f"{gain.shape[0]} rows but the SEEG has {n_contacts} contacts", source=src, field="gain")
    if n_regions is not None and gain.shape[1] != n_regions:
        raise InputError(f"{gain.shape[1]} columns but the connectome has {n_regions} regions", source=src, field="gain")
    if not np.all(np.isfinite(gain)):
        raise InputError(f"{int((~np.isfinite(gain)).sum())} non-finite entries", source=src, field="gain")
    if np.any(gain < 0):
        raise InputError(f"{int((gain < 0).sum())} negative entries: the VEP needs a monopolar (non-negative) gain", source=src, field="gain")
    empty = np.flatnonzero(~(gain > 0).any(axis=1))
    if empty.size:
        raise InputError(f"row(s) {empty[:5].tolist()} are all zero (a contact that sees no region)", source=src, field="gain")
    return gain, (tuple(rows) if rows else None), (tuple(cols) if cols else None)


def read_contacts_file(path: str | os.PathLike):
    """SEEG contact positions (``label x y z`` lines in mm, or a BIDS ``electrodes.tsv``) as a :class:`~braintwin.observe.sensors.Sensors`."""
    from ...observe.seeg import read_contacts

    p = Path(path)
    if not p.exists() and str(path) not in ("seeg_588", "seeg_39"):
        raise InputError("file not found", source=str(path), field="contacts")
    if p.suffix.lower() == ".tsv":  # BIDS electrodes.tsv, units from its coordsystem.json
        from ...observe.electrodes import read_electrodes

        return read_electrodes(p)
    return read_contacts(path)


def envelope_from_recording(rec: SEEGRecording, *, baseline=5.0, n_times: int = 150, fs_hz: float | None = None) -> np.ndarray:
    """The VEP log-power envelope of raw SEEG, resampled to ``n_times`` samples (0: keep).

    :func:`braintwin.features.seeg_log_power` with the recording's pre-ictal
    baseline (``rec.baseline_s``, set by a window) or else ``baseline`` (s, or
    ``(t0_s, t1_s)``), then a moving average and decimation to ``n_times``.

    Raises
    ------
    InputError
        No sampling rate; one below 64 Hz (the 10 Hz high-pass and the fast
        ictal activity above it need a Nyquist frequency well above 10 Hz).
    """
    from ...features import seeg_log_power

    fs = rec.fs_hz or fs_hz
    if not fs:
        raise InputError("raw SEEG needs its sampling rate: give --fs", source=rec.source, field="fs")
    if fs < 64.0:
        raise InputError(f"sampled at {fs:g} Hz, too low for the SEEG envelope (needs >= 64 Hz: fast activity above 10 Hz)",
                         source=rec.source, field="sampling_rate")
    _, y = seeg_log_power(rec.data, fs_hz=fs, baseline=(0.0, rec.baseline_s) if rec.baseline_s else baseline)
    return resample_envelope(y, n_times)


def resample_envelope(y: np.ndarray, n_times: int) -> np.ndarray:
    """Moving average then decimation of ``(n_times_in, n_contacts)`` to ``n_times`` rows (0 or more rows: unchanged)."""
    import scipy.ndimage

    if n_times and n_times < y.shape[0]:
        k = y.shape[0] / n_times
        y = scipy.ndimage.uniform_filter1d(y, size=max(1, int(round(k))), axis=0, mode="nearest")
        y = y[np.round(np.arange(n_times) * k).astype(int)]
    return y


#: Observation choices of ``vep fit`` and ``twin build`` (``--observation`` / ``observation =``), and when to use each.
OBSERVATION_CHOICES = {
    "envelope": "the SEEG log-power envelope (computed from raw SEEG, or given): a log(G e^x) + b. Use for real "
                "recordings: the envelope of fast oscillations is what the slow Epileptor's x explains",
    "sensor": "sensor-level data y = G e^x as given, fitted on the raw scale: a G e^x + b. Use for data already "
              "on the model's scale (the published benchmark, simulated patients); the only choice for bipolar contacts",
    "sensor-log": "sensor-level data y = G e^x fitted on the log scale: log y = a log(G e^x) + b. Use when the "
                  "contacts' amplitudes span orders of magnitude (near and far contacts weigh alike); y must be > 0",
}


def observation_options(y, labels, *, observation: str = "envelope", scale: str = "fit", montage: str = "monopolar",
                        source: str = "VEP fit") -> tuple[np.ndarray, dict, tuple]:
    """Data and :func:`braintwin.vep.fit` keywords for an observation choice (:data:`OBSERVATION_CHOICES`).

    Parameters
    ----------
    y : array (n_times, n_contacts)
        Sensor-level data, or the envelope for ``"envelope"``.
    labels : sequence of str
        Contact names (``"A1"``, ``"A2"``...; a bipolar montage pairs neighbours of one electrode).
    observation : {"envelope", "sensor", "sensor-log"}
    scale : {"fit", "fixed"}
        Fit an amplitude and offset, or fix them to 1 and 0 (data on the model's scale).
    montage : {"monopolar", "bipolar"}
        ``"bipolar"``: differences of neighbouring contacts (:func:`braintwin.observe.seeg.bipolar_montage`),
        applied to the data; the fit applies it to the monopolar gain.  Needs ``"sensor"``.

    Returns
    -------
    y : ndarray (n_times, n_observed)
    kwargs : dict
        ``observe``, ``fit_scale``, ``montage`` for :func:`braintwin.vep.fit`.
    labels : tuple of str
        Names of the observed channels (pairs ``"A1-A2"`` when bipolar).

    Example
    -------
    >>> y, kw, names = observation_options(np.ones((3, 2)), ["A1", "A2"], observation="sensor", montage="bipolar")
    >>> y[:, 0], kw["observe"], names
    (array([0., 0., 0.]), 'linear', ('A1-A2',))
    """
    from ...observe.seeg import bipolar_montage

    if observation not in OBSERVATION_CHOICES:
        raise InputError(f"observation must be one of {', '.join(OBSERVATION_CHOICES)}; got {observation!r}", source=source,
                         field="observation")
    if scale not in ("fit", "fixed"):
        raise InputError(f"scale must be fit or fixed; got {scale!r}", source=source, field="scale")
    if montage not in ("monopolar", "bipolar"):
        raise InputError(f"montage must be monopolar or bipolar; got {montage!r}", source=source, field="montage")
    y = np.asarray(y, float)
    labels = tuple(labels)
    kw = {"observe": "linear" if observation == "sensor" else "log", "fit_scale": scale == "fit", "montage": None}
    if montage == "bipolar":
        if observation != "sensor":
            raise InputError("a bipolar montage needs --observation sensor: the log of a difference of contacts is undefined",
                             source=source, field="montage")
        M, labels = bipolar_montage(labels)
        y, kw["montage"] = y @ M.T, M
    if observation == "sensor-log":
        if np.any(y <= 0):
            raise InputError(f"sensor-log needs positive data; {int((y <= 0).sum())} values are <= 0 (use --observation sensor)",
                             source=source, field="observation")
        y = np.log(y)
    return y, kw, labels
