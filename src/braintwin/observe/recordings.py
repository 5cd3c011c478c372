r"""A person's electrophysiology recordings: EDF/BDF, BrainVision, FIF and BIDS, read through MNE.

:func:`read_recording` reads SEEG, ECoG, EEG and MEG recordings (install
``braintwin[data]``: MNE-Python and mne-bids) into a :class:`Recording` that
keeps what a twin needs and nothing that names the person:

* kept: the signals ``(n_times, n_channels)`` in volts (tesla for MEG),
  channel names and types, bad channels (also from a BIDS ``channels.tsv``),
  the sampling rate and the annotations (seizure onset/offset markers from
  the file or a BIDS ``events.tsv``);
* dropped, and listed in :attr:`Recording.dropped`: every identifying header
  field (subject name, ID, birth date, sex, handedness, experimenter, free-text
  description, device serial numbers, file IDs, the measurement date unless
  ``keep=("meas_date",)``) and annotation texts that look like a name or a
  date.  The Recording never holds the MNE object, so no other header field
  can travel further; the original files are only read, never written.

Import guards (an :class:`~braintwin.errors.InputError` where the data cannot
be right, a :class:`~braintwin.errors.BraintwinWarning` where an expert would
look and maybe carry on):

* a truncated EDF/BDF (the header's record count exceeds the file): error,
  since MNE would silently infer a shorter recording;
* a BIDS folder without the requested subject, session, task or run: error
  listing what is there;
* flat channels (zero variance) and saturated channels (more than 1 % of the
  samples at the channel's extreme value, the clipping of an amplifier; a
  channel only a few quantisation steps wide can trip it too, and then is
  worth a look anyway): a
  warning, and the channel is added to :attr:`Recording.bads` with the reason
  in :attr:`Recording.flags` (it stays in the data; :meth:`Recording.good`
  drops it) - clinicians routinely keep such channels in a file;
* a window longer than the recording: error;
* a sampling rate too low for the chosen features: :meth:`Recording.require_rate`
  raises (error: filters above Nyquist give no signal, not a weak one).

Examples
--------
>>> rec = read_recording("sub-01_ses-01_task-seizure_ieeg.edf")       # doctest: +SKIP
>>> ictal = rec.window(annotation="seizure_onset", offset=30.0, baseline=10.0)  # doctest: +SKIP
>>> bip = ictal.bipolar()                                             # doctest: +SKIP
>>> from braintwin.features import seeg_log_power
>>> t, env = seeg_log_power(bip.data, bip.fs_hz, baseline=bip.baseline)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .._privacy import identifier_problem
from ..errors import BraintwinWarning, InputError

__all__ = ["Recording", "read_recording", "RECORDING_FORMATS", "KEEPABLE"]

#: File types read by :func:`read_recording` (a folder is read as a BIDS root).
RECORDING_FORMATS = (".edf", ".bdf", ".vhdr", ".fif", ".fif.gz")
#: Header fields a caller may keep on purpose (``keep=``).
KEEPABLE = ("meas_date", "sex")
#: Fraction of samples at a channel's extreme above which it counts as saturated.
SATURATION_FRACTION = 0.01

# MNE ``info`` keys that identify the person, the operator, the device or the session.
_INFO_FIELDS = ("experimenter", "description", "proj_name", "proj_id", "file_id", "meas_id", "device_info",
                "helium_info", "utc_offset", "gantry_angle")
_SUBJECT_FIELDS = ("id", "his_id", "last_name", "first_name", "middle_name", "birthday", "sex", "hand",
                   "weight", "height")


@dataclass(frozen=True)
class Recording:
    """A recording with no identifying header field.

    Attributes
    ----------
    data : ndarray, shape (n_times, n_channels)
        Signals in SI units (V; T or T/m for MEG), time along axis 0.
    labels : tuple of str
        Channel names.
    ch_types : tuple of str
        MNE channel types (``"seeg"``, ``"ecog"``, ``"eeg"``, ``"mag"``, ...).
    fs_hz : float
        Sampling rate (Hz).
    bads : tuple of str
        Bad channels: marked in the file or ``channels.tsv``, or flagged on import.
    annotations : tuple of (onset_s, duration_s, description)
        Onsets in s from the first sample of :attr:`data`.
    source : str
        The file (or BIDS path) read.
    dropped : tuple of str
        Identifying header fields that were present and were dropped.
    flags : dict
        Channel -> reason for channels flagged on import (flat, saturated).
    baseline_s : float
        Length of the pre-ictal baseline at the start of :attr:`data` (s), 0 if none.
    t0_s : float
        Time of the first sample in the original recording (s).
    meas_date : str or None
        ISO measurement date, only when kept on purpose.
    sex : str or None
        ``"M"``, ``"F"`` or ``"unknown"``, only when kept on purpose (``keep=("sex",)``).
    """

    data: np.ndarray
    labels: tuple[str, ...]
    ch_types: tuple[str, ...]
    fs_hz: float
    bads: tuple[str, ...] = ()
    annotations: tuple[tuple[float, float, str], ...] = ()
    source: str = ""
    dropped: tuple[str, ...] = ()
    flags: dict = field(default_factory=dict)
    baseline_s: float = 0.0
    t0_s: float = 0.0
    meas_date: str | None = None
    sex: str | None = None

    @property
    def n_times(self) -> int:
        """Number of samples."""
        return int(self.data.shape[0])

    @property
    def duration_s(self) -> float:
        """Duration in s."""
        return self.n_times / self.fs_hz

    @property
    def kind(self) -> str:
        """The most common channel type (``"seeg"``, ``"eeg"``, ...)."""
        types, counts = np.unique(self.ch_types, return_counts=True)
        return str(types[np.argmax(counts)]) if len(types) else ""

    @property
    def baseline(self) -> tuple[float, float] | None:
        """The baseline interval ``(0, baseline_s)`` in s, as ``seeg_log_power(baseline=...)`` takes it."""
        return (0.0, self.baseline_s) if self.baseline_s > 0 else None

    def pick(self, channels: Sequence[str]) -> "Recording":
        """The recording restricted to ``channels``, in that order.

        Raises
        ------
        InputError
            A channel not in the recording.
        """
        pos = {l: i for i, l in enumerate(self.labels)}
        missing = [c for c in channels if c not in pos]
        if missing:
            raise InputError(f"no channel(s) {missing[:5]} in the recording", source=self.source, field="channels")
        idx = [pos[c] for c in channels]
        keep = set(channels)
        return dataclasses.replace(self, data=self.data[:, idx], labels=tuple(channels),
                                   ch_types=tuple(self.ch_types[i] for i in idx),
                                   bads=tuple(b for b in self.bads if b in keep),
                                   flags={k: v for k, v in self.flags.items() if k in keep})

    def good(self) -> "Recording":
        """The recording without its bad channels."""
        return self.pick([l for l in self.labels if l not in set(self.bads)])

    def annotation_onset(self, description: str) -> float:
        """Onset (s, from the first sample) of the first annotation whose text matches ``description``.

        Matching ignores case, spaces, ``_`` and ``-`` (``"Seizure onset"`` matches
        ``"seizure_onset"``); a unique annotation containing the text matches too.
        """
        norm = lambda s: re.sub(r"[\s_\-/]+", "", s.lower())  # noqa: E731
        want = norm(description)
        exact = [a for a in self.annotations if norm(a[2]) == want]
        if not exact:
            exact = [a for a in self.annotations if want in norm(a[2])]
        if not exact:
            have = sorted({a[2] for a in self.annotations})
            raise InputError(f"no annotation {description!r} (the recording has: {', '.join(have) or 'none'})",
                             source=self.source, field="annotation")
        return float(min(a[0] for a in exact))

    def window(self, onset: float | None = None, offset: float | None = None, *, annotation: str | None = None,
               end_annotation: str | None = None, baseline: float = 0.0) -> "Recording":
        """A time window, e.g. a seizure with its pre-ictal baseline.

        Parameters
        ----------
        onset : float, optional
            Start in s from the first sample (default: 0, or the annotation's onset).
        offset : float, optional
            End in s from the first sample; with ``annotation``, the window's
            length after the annotated onset.  Default: the end (or ``end_annotation``).
        annotation : str, optional
            Start at this annotation's onset (e.g. ``"seizure_onset"``).
        end_annotation : str, optional
            End at this annotation's onset (e.g. ``"seizure_offset"``).
        baseline : float
            Seconds before the onset kept as pre-ictal baseline; the result's
            :attr:`baseline` gives the interval to normalise the envelope by.

        Raises
        ------
        InputError
            The window (with its baseline) does not fit inside the recording.
        """
        if annotation is not None:
            start = self.annotation_onset(annotation)
            stop = start + float(offset) if offset is not None else None
        else:
            start = 0.0 if onset is None else float(onset)
            stop = None if offset is None else float(offset)
        if end_annotation is not None:
            stop = self.annotation_onset(end_annotation)
        stop = self.duration_s if stop is None else stop
        first = start - float(baseline)
        if first < -0.5 / self.fs_hz or stop > self.duration_s + 0.5 / self.fs_hz or stop <= start:
            raise InputError(
                f"the window {first:g}-{stop:g} s (with {float(baseline):g} s of baseline) does not fit in the "
                f"{self.duration_s:g}-s recording", source=self.source, field="window")
        i0, i1 = int(round(first * self.fs_hz)), int(round(stop * self.fs_hz))
        ann = tuple((a[0] - first, a[1], a[2]) for a in self.annotations if first <= a[0] <= stop)
        return dataclasses.replace(self, data=self.data[i0:i1], annotations=ann, baseline_s=float(baseline),
                                   t0_s=self.t0_s + i0 / self.fs_hz)

    def bipolar(self, pairs: Sequence[str] | None = None) -> "Recording":
        """Bipolar re-referencing: channel ``"A1-A2"`` is contact ``A1`` minus contact ``A2``.

        Parameters
        ----------
        pairs : sequence of str, optional
            Pair names ``"A1-A2"``; default: neighbouring contacts of each
            electrode (:func:`braintwin.observe.bipolar_montage`), bad contacts left out.

        Returns
        -------
        Recording
            One channel per pair; a pair is bad when either contact is.
        """
        from .seeg import bipolar_montage

        bads = set(self.bads)
        if pairs is None:
            names = [l for l in self.labels if l not in bads]
            M, pair_names = bipolar_montage(names)
            idx = [self.labels.index(n) for n in names]
            data = self.data[:, idx] @ M.T
        else:
            pos = {l: i for i, l in enumerate(self.labels)}
            cols = []
            for p in pairs:
                a, _, b = str(p).partition("-")
                if a not in pos or b not in pos:
                    raise InputError(f"pair {p!r}: contacts must be channel names 'A1-A2'", source=self.source, field="montage")
                cols.append(self.data[:, pos[a]] - self.data[:, pos[b]])
            pair_names = tuple(pairs)
            data = np.stack(cols, axis=1)
        pos = {l: i for i, l in enumerate(self.labels)}
        types = tuple(self.ch_types[pos[n.split("-")[0]]] for n in pair_names)
        bad = tuple(n for n in pair_names if set(n.split("-")) & bads)
        return dataclasses.replace(self, data=data, labels=tuple(pair_names), ch_types=types, bads=bad, flags={})

    def require_rate(self, min_hz: float, purpose: str = "the chosen features") -> "Recording":
        """Raise unless the sampling rate is at least ``min_hz`` (e.g. twice a filter's upper edge).

        Returns the recording, for chaining.
        """
        if self.fs_hz < float(min_hz):
            raise InputError(f"sampled at {self.fs_hz:g} Hz, below the {float(min_hz):g} Hz that {purpose} need(s)",
                             source=self.source, field="sampling_rate")
        return self

    def summary(self) -> dict:
        """What was found, as plain JSON-ready values (no identifying field)."""
        types: dict[str, int] = {}
        for t in self.ch_types:
            types[t] = types.get(t, 0) + 1
        return {"source": self.source, "kind": self.kind, "n_channels": len(self.labels), "channel_types": types,
                "channels": list(self.labels), "fs_hz": self.fs_hz, "duration_s": round(self.duration_s, 6),
                "bads": list(self.bads), "flags": dict(self.flags),
                "annotations": [{"onset_s": round(a[0], 6), "duration_s": a[1], "description": a[2]} for a in self.annotations],
                "dropped_identifiers": list(self.dropped)}

    def plot(self, channels: Sequence[str] | None = None, *, window: tuple[float, float] | None = None, ax=None):
        """Stacked traces (one offset row per channel), annotations as vertical lines, bads in grey.

        ``window`` shades an interval (s), e.g. the seizure chosen for the fit.
        Returns the matplotlib axes.
        """
        import matplotlib.pyplot as plt

        names = list(channels or self.labels[:32])
        rec = self.pick(names)
        if ax is None:
            _, ax = plt.subplots(figsize=(10, 0.3 * len(names) + 2))
        t = np.arange(rec.n_times) / rec.fs_hz
        y = rec.data - rec.data.mean(axis=0)
        step = 3 * float(np.median(y.std(axis=0))) or 1.0
        for i, n in enumerate(names):
            ax.plot(t, y[:, i] / step - i, lw=0.5, color="0.6" if n in rec.bads else "k")
        for on, _, desc in rec.annotations:
            ax.axvline(on, color="tab:red", lw=1)
            ax.text(on, 1, desc, color="tab:red", fontsize=7, rotation=90, va="bottom")
        if rec.baseline_s:
            ax.axvspan(0, rec.baseline_s, color="tab:blue", alpha=0.1, label="baseline")
        if window is not None:
            ax.axvspan(*window, color="tab:orange", alpha=0.15, label="window")
        ax.set_yticks(-np.arange(len(names)), names, fontsize=6)
        ax.set_xlabel("time (s)")
        return ax


def _mne():
    try:
        import mne
    except ImportError:
        raise InputError("reading recordings needs MNE-Python: pip install 'braintwin[data]'", field="recording") from None
    return mne


def _check_edf_length(path: Path) -> None:
    """Refuse a truncated EDF/BDF: its header promises more data records than the file holds."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(256)
        try:
            n_header = int(head[184:192].decode("ascii").strip())
            n_records = int(head[236:244].decode("ascii").strip())
            n_sig = int(head[252:256].decode("ascii").strip())
        except (ValueError, UnicodeDecodeError):
            raise InputError("not an EDF/BDF file (unreadable header)", source=str(path), field="header") from None
        if size < n_header:
            raise InputError(f"truncated: the header alone should have {n_header} bytes but the file has {size}",
                             source=str(path), field="header")
        f.seek(256 + 216 * n_sig)
        try:
            samples = [int(f.read(8).decode("ascii").strip()) for _ in range(n_sig)]
        except (ValueError, UnicodeDecodeError):
            raise InputError("not an EDF/BDF file (unreadable samples per record)", source=str(path), field="header") from None
    width = 3 if path.suffix.lower() == ".bdf" else 2
    expected = n_header + n_records * sum(samples) * width
    if n_records > 0 and size < expected:
        raise InputError(f"truncated: the header announces {n_records} records ({expected} bytes) but the file has "
                         f"{size} bytes", source=str(path), field="data")


def _read_raw_file(path: Path):
    mne = _mne()
    name = path.name.lower()
    if not path.exists():
        raise InputError("file not found", source=str(path), field="recording")
    if name.endswith((".edf", ".bdf")):
        _check_edf_length(path)
    readers = {".edf": mne.io.read_raw_edf, ".bdf": mne.io.read_raw_bdf, ".vhdr": mne.io.read_raw_brainvision,
               ".fif": mne.io.read_raw_fif, ".fif.gz": mne.io.read_raw_fif}
    suffix, reader = next(((s, r) for s, r in readers.items() if name.endswith(s)), (None, None))
    if reader is None:
        raise InputError(f"unsupported recording type; use one of {', '.join(RECORDING_FORMATS)} or a BIDS folder",
                         source=str(path), field="recording")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MNE's header remarks; our own checks follow
            return reader(str(path), preload=True, verbose="error")
    except Exception as e:  # MNE raises many types on malformed files
        fmt = {".vhdr": "BrainVision", ".fif.gz": "FIF"}.get(suffix, suffix.lstrip(".").upper())
        raise InputError(f"cannot read the recording as {fmt} ({type(e).__name__}: {e})", source=str(path),
                         field="recording") from None


def _bids_raw(root: Path, subject, session, task, run, datatype):
    try:
        import mne_bids
    except ImportError:
        raise InputError("reading BIDS needs mne-bids: pip install 'braintwin[data]'", source=str(root), field="bids") from None
    for entity, value in (("subject", subject), ("session", session), ("task", task), ("run", run)):
        have = mne_bids.get_entity_vals(str(root), entity)
        if value is not None and str(value) not in have:
            raise InputError(f"no {entity} {value!r} in the BIDS dataset (it has: {', '.join(have) or 'none'})",
                             source=str(root), field=entity)
    ext = [".edf", ".bdf", ".vhdr", ".fif", ".set"]
    kw = {k: v for k, v in dict(subjects=subject, sessions=session, tasks=task, runs=run, datatypes=datatype).items() if v is not None}
    paths = [p for p in mne_bids.find_matching_paths(str(root), extensions=ext, **kw)
             if p.suffix in ("ieeg", "eeg", "meg")]
    if not paths:
        raise InputError(f"no recording for {kw or 'any subject'} in the BIDS dataset", source=str(root), field="bids")
    if len(paths) > 1:
        names = ", ".join(p.basename for p in paths[:4])
        raise InputError(f"{len(paths)} recordings match ({names}, ...); give subject, session, task and run",
                         source=str(root), field="bids")
    if paths[0].extension in (".edf", ".bdf"):
        _check_edf_length(Path(paths[0].fpath))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = mne_bids.read_raw_bids(paths[0], verbose="error")
            raw.load_data(verbose="error")
    except Exception as e:
        raise InputError(f"cannot read {paths[0].basename} ({type(e).__name__}: {e})", source=str(root), field="bids") from None
    return raw, str(paths[0].fpath)


def _identifying(info, keep: set[str]) -> tuple[list[str], dict]:
    """Names of identifying header fields present in ``info``; the kept values."""
    dropped: list[str] = []
    kept: dict = {}
    subj = info.get("subject_info") or {}
    for k in _SUBJECT_FIELDS:
        v = subj.get(k)
        if v is None or v == "":
            continue
        if k == "sex" and "sex" in keep:
            kept["sex"] = {1: "M", 2: "F"}.get(int(v), "unknown")  # MNE's codes: 0 unknown, 1 male, 2 female
            continue
        dropped.append(f"subject_info.{k}")
    dropped += [k for k in _INFO_FIELDS if info.get(k) not in (None, "", [], {})]
    if info.get("meas_date") is not None:
        if "meas_date" in keep:
            kept["meas_date"] = info["meas_date"].isoformat()
        else:
            dropped.append("meas_date")
    return dropped, kept


def _file_header_fields(path: Path) -> list[str]:
    """Identifying free-text fields of the file header that MNE does not parse (listed as dropped).

    EDF/BDF: the 80-character patient and recording identifications (name, birth
    date, technician, equipment serial); BrainVision: the ``[Comment]`` section.
    """
    name = path.name.lower()
    out = []
    if name.endswith((".edf", ".bdf")):
        with open(path, "rb") as f:
            head = f.read(168)
        for field, text in (("edf.patient_identification", head[8:88]), ("edf.recording_identification", head[88:168])):
            words = [w for w in text.decode("latin-1").split() if w.upper() not in ("X", "STARTDATE")]
            if words:
                out.append(field)
    elif name.endswith(".vhdr"):
        text = path.read_text(encoding="utf-8", errors="replace")
        comment = text.partition("[Comment]")[2].split("\n[", 1)[0] if "[Comment]" in text else ""
        if comment.strip():
            out.append("vhdr.comment")
    return out


def _annotations(raw, source: str) -> tuple[tuple, list[str]]:
    out, dropped = [], []
    first = raw.first_samp / raw.info["sfreq"]
    for i, a in enumerate(raw.annotations):
        desc = str(a["description"])
        if identifier_problem(desc) or len(desc) > 64:  # a name or a date typed into a marker is free text
            dropped.append(f"annotations[{i}].description")
            desc = "(dropped)"
        onset = float(a["onset"]) - (first if raw.annotations.orig_time is not None else 0.0)
        out.append((onset, float(a["duration"]), desc))
    return tuple(out), dropped


def _flag_channels(data: np.ndarray, labels, source: str) -> dict:
    """Flat (zero variance) and saturated (> 1 % of samples at the extreme) channels."""
    flags = {}
    for j, name in enumerate(labels):
        x = data[:, j]
        lo, hi = float(x.min()), float(x.max())
        if hi - lo <= 1e-12 * max(1.0, abs(hi)):
            flags[name] = "flat"
            continue
        at_edge = max(np.count_nonzero(x == hi), np.count_nonzero(x == lo)) / x.size
        if at_edge > SATURATION_FRACTION:
            flags[name] = f"saturated ({100 * at_edge:.1f} % of samples at the extreme)"
    if flags:
        warnings.warn(f"{source}: {len(flags)} channel(s) flagged and marked bad: "
                      + ", ".join(f"{k} {v}" for k, v in list(flags.items())[:8]), BraintwinWarning, stacklevel=3)
    return flags


def read_recording(path: str | os.PathLike, *, kind: str | None = None, subject: str | None = None,
                   session: str | None = None, task: str | None = None, run: str | None = None,
                   keep: Sequence[str] = (), flag: bool = True) -> Recording:
    """Read an SEEG/ECoG/EEG/MEG recording without its identifying header fields.

    Parameters
    ----------
    path : str or path
        ``.edf``, ``.bdf``, ``.vhdr`` (BrainVision), ``.fif`` or a BIDS root
        folder (``sub-*/[ses-*/]ieeg|eeg|meg``, read with mne-bids: channel
        types, bads and status from ``channels.tsv``, events from ``events.tsv``).
    kind : str, optional
        Keep only channels of this MNE type (``"seeg"``, ``"ecog"``, ``"eeg"``,
        ``"meg"``); for BIDS, also the datatype (``"seeg"``/``"ecog"`` -> ``ieeg``).
        EDF/BrainVision carry no channel types: with ``kind="seeg"``/``"ecog"``,
        all EEG-typed channels are re-typed to it.
    subject, session, task, run : str, optional
        BIDS entities (a BIDS folder with one recording needs none).
    keep : sequence of str
        Identifying fields kept on purpose: ``"meas_date"``, ``"sex"``.
    flag : bool
        Flag flat and saturated channels as bad (with a warning).

    Returns
    -------
    Recording

    Raises
    ------
    InputError
        Missing, truncated or unreadable file; missing BIDS entity; no channel of ``kind``.

    Examples
    --------
    >>> rec = read_recording("bids/", kind="seeg", subject="01", task="seizure")  # doctest: +SKIP
    >>> rec.fs_hz, rec.bads, rec.dropped[:2]                                       # doctest: +SKIP
    (1024.0, ('B2',), ('subject_info.his_id', 'subject_info.birthday'))
    """
    path = Path(path)
    bad_keep = set(keep) - set(KEEPABLE)
    if bad_keep:
        raise InputError(f"cannot keep {sorted(bad_keep)}; keepable: {', '.join(KEEPABLE)}", field="keep")
    if path.is_dir():
        datatype = {"seeg": "ieeg", "ecog": "ieeg", "eeg": "eeg", "meg": "meg"}.get(kind or "")
        raw, source = _bids_raw(path, subject, session, task, run, datatype)
    else:
        raw, source = _read_raw_file(path), str(path)
    header_fields = _file_header_fields(Path(source))
    types = raw.get_channel_types()
    if kind in ("seeg", "ecog") and kind not in types:
        types = [kind if t == "eeg" else t for t in types]
    keep_idx = [i for i, t in enumerate(types) if t not in ("stim", "misc") and (kind is None or t == kind
                                                                                   or (kind == "meg" and t in ("mag", "grad")))]
    if not keep_idx:
        raise InputError(f"no {kind or 'data'} channel (types found: {sorted(set(types))})", source=source, field="channels")
    dropped, kept = _identifying(raw.info, set(keep))
    annotations, ann_dropped = _annotations(raw, source)
    labels = tuple(raw.ch_names[i] for i in keep_idx)
    data = np.ascontiguousarray(raw.get_data(picks=keep_idx).T)
    if not np.all(np.isfinite(data)):
        raise InputError(f"{int((~np.isfinite(data)).sum())} non-finite samples", source=source, field="data")
    flags = _flag_channels(data, labels, source) if flag else {}
    bads = tuple(b for b in raw.info["bads"] if b in labels) + tuple(f for f in flags if f not in raw.info["bads"])
    return Recording(data=data, labels=labels, ch_types=tuple(types[i] for i in keep_idx), fs_hz=float(raw.info["sfreq"]),
                     bads=bads, annotations=annotations, source=source, dropped=tuple(dropped + header_fields + ann_dropped), flags=flags,
                     meas_date=kept.get("meas_date"), sex=kept.get("sex"))
