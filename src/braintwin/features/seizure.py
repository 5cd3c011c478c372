"""Seizure features for the Virtual Epileptic Patient (VEP) workflow.

Two distinct paths lead to a seizure *envelope* (a slow, log-scale signal per
SEEG contact that rises when the contact is recruited into the seizure):

(a) :func:`seeg_log_power` for **recorded**, broadband SEEG: high-pass above
    ~10 Hz, power in sliding windows, log of the power relative to a baseline
    period, smoothing. The fast ictal activity drives the envelope.
(b) :func:`vep_observation` for a **model without fast activity** (the 2D
    Epileptor's slow variable ``x``): the log of the gain-weighted sum of
    ``exp(x)`` over regions, the VEP forward model of the SEEG log power.

Either envelope then gives onset times (:func:`onset_times`), the number of
recruited contacts (:func:`n_recruited`), the propagation order
(:func:`propagation_order`) and summary statistics (:func:`envelope_stats`).

References
----------
.. [1] Jirsa VK et al. (2017). The Virtual Epileptic Patient: individualized
   whole-brain models of epilepsy spread. NeuroImage 145:377-388.
.. [2] Hashemi M et al. (2020). The Bayesian Virtual Epileptic Patient: a
   probabilistic framework designed to infer the spatial map of
   epileptogenicity in a personalized large-scale brain model of epilepsy
   spread. NeuroImage 217:116839.
.. [3] Wang HE et al. (2023). Delineating epileptogenic networks using brain
   imaging data and personalized modeling in drug-resistant epilepsy.
   Science Translational Medicine 15:eabp8982.
.. [4] Hashemi M et al. (2023). Amortized Bayesian inference on generative
   dynamical network models of epilepsy using deep neural density estimators.
   Neural Networks 163:178-194.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.ndimage
import scipy.signal
import scipy.special

from ..errors import InputError
from ..observe.seeg import seeg_forward
from ._kernels import envelope_kernel, onset_kernel
from ._validate import SOURCE, as_signal, flatten_batch, positive_float, positive_int, sampling_rate

__all__ = [
    "seeg_log_power",
    "vep_observation",
    "onset_times",
    "n_recruited",
    "propagation_order",
    "envelope_stats",
]


def _baseline_samples(baseline, fs: float, n_times: int) -> tuple[int, int]:
    """Baseline interval [start, stop) in samples of the raw signal."""
    if isinstance(baseline, slice):
        if baseline.step not in (None, 1):
            raise InputError("a baseline slice cannot have a step", source=SOURCE, field="baseline")
        start, stop, _ = baseline.indices(n_times)
    elif isinstance(baseline, (tuple, list)) and len(baseline) == 2:
        t0, t1 = (float(b) for b in baseline)
        if not (0 <= t0 < t1):
            raise InputError(f"expected (t0_s, t1_s) with 0 <= t0 < t1, got {baseline!r}", source=SOURCE, field="baseline")
        start, stop = int(round(t0 * fs)), min(n_times, int(round(t1 * fs)))
    else:
        try:
            dur = float(baseline)
        except (TypeError, ValueError):
            raise InputError(
                f"expected None, seconds (float), (t0_s, t1_s) or a slice of samples, got {baseline!r}",
                source=SOURCE,
                field="baseline",
            ) from None
        if not dur > 0:
            raise InputError(f"baseline duration must be > 0 s, got {baseline!r}", source=SOURCE, field="baseline")
        start, stop = 0, min(n_times, int(round(dur * fs)))
    if stop <= start:
        raise InputError(f"baseline {baseline!r} selects no samples of a {n_times}-sample signal", source=SOURCE, field="baseline")
    return start, stop


def seeg_log_power(
    x,
    fs_hz=None,
    fc_hz: float = 10.0,
    window_s: float = 0.5,
    step_s: float = 0.1,
    baseline=None,
    smooth_s: float = 1.0,
    *,
    order: int = 4,
    dt_ms=None,
):
    """Log-power envelope of recorded broadband SEEG (VEP preprocessing, path (a)).

    Steps, vectorised over all leading axes:

    1. zero-phase Butterworth high-pass of order ``order`` at ``fc_hz``
       (:func:`scipy.signal.sosfiltfilt`), keeping the fast ictal activity;
    2. mean power in sliding windows of ``window_s`` every ``step_s``:
       :math:`P_w = \\frac1{L}\\sum_{t \\in w} y_t^2`;
    3. smoothing with a centred moving average over ``smooth_s`` (a low-pass of
       the power envelope; ``smooth_s`` of 0 or less than two steps disables it);
    4. natural log relative to the baseline period:
       :math:`E_w = \\ln\\big(P_w / \\langle P \\rangle_\\mathrm{baseline}\\big)`,
       so the envelope is about 0 during the baseline and rises when the
       contact is recruited; without a baseline :math:`E_w = \\ln P_w`.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_contacts)
        SEEG signals (unit U, e.g. uV), time in samples.
    fs_hz : float
        Sampling rate in Hz (or give ``dt_ms``).
    fc_hz : float, default 10.0
        High-pass cut-off in Hz; below the Nyquist frequency.
    window_s : float, default 0.5
        Power window length in s.
    step_s : float, default 0.1
        Step between windows in s; the envelope's sampling interval.
    baseline : None, float, (float, float) or slice
        Baseline period: ``None`` (no normalisation), the first ``baseline``
        seconds, an interval ``(t0_s, t1_s)`` in seconds, or a ``slice`` of
        samples of ``x``. Windows lying wholly inside it are averaged.
    smooth_s : float, default 1.0
        Moving-average length in s applied to the windowed power (edges use the
        nearest value). Centred, so it advances a step rise by up to
        ``smooth_s / 2``.
    order : int, default 4
        Butterworth filter order (the zero-phase filter has twice the order).
    dt_ms : float, optional
        Sampling interval in ms, instead of ``fs_hz``.

    Returns
    -------
    times : ndarray, shape (n_windows,)
        Centre of each window in s from the first sample.
    log_power : ndarray, shape (..., n_windows, n_contacts)
        Natural log of power relative to baseline (dimensionless), or of power
        in U^2 without a baseline. A channel with zero power gives -inf.

    References
    ----------
    Hashemi M et al. (2020). NeuroImage 217:116839; Wang HE et al. (2023).
    Sci. Transl. Med. 15:eabp8982.
    """
    fs = sampling_rate(fs_hz, dt_ms, what="seeg_log_power")
    x = as_signal(x)
    n_times = x.shape[-2]
    fc_hz = positive_float(fc_hz, "fc_hz")
    if fc_hz >= fs / 2:
        raise InputError(f"cut-off {fc_hz} Hz must be below the Nyquist frequency {fs / 2} Hz", source=SOURCE, field="fc_hz")
    nwin = int(round(positive_float(window_s, "window_s") * fs))
    nstep = int(round(positive_float(step_s, "step_s") * fs))
    if nwin < 1 or nstep < 1:
        raise InputError(
            f"window_s={window_s} s and step_s={step_s} s must each span at least one sample at {fs} Hz",
            source=SOURCE,
            field="window_s",
        )
    if nwin > n_times:
        raise InputError(
            f"window of {window_s} s ({nwin} samples) is longer than the signal ({n_times} samples)",
            source=SOURCE,
            field="window_s",
        )
    sos = scipy.signal.butter(int(order), fc_hz, btype="highpass", fs=fs, output="sos")
    padlen = 3 * (2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum())))
    if n_times <= padlen:
        raise InputError(
            f"signal of {n_times} samples is too short for the order-{order} filter (needs more than {padlen})",
            source=SOURCE,
            field="x",
        )
    y = scipy.signal.sosfiltfilt(sos, x, axis=-2)
    # windowed mean power from a cumulative sum (one pass, any window length)
    y *= y
    csum = np.cumsum(y, axis=-2)
    zero = np.zeros(csum.shape[:-2] + (1, csum.shape[-1]))
    csum = np.concatenate([zero, csum], axis=-2)
    starts = np.arange(0, n_times - nwin + 1, nstep)
    p = (csum[..., starts + nwin, :] - csum[..., starts, :]) / nwin
    np.maximum(p, 0.0, out=p)  # rounding in the cumulative sum
    times = (starts + 0.5 * nwin) / fs
    if smooth_s:
        k = int(round(positive_float(smooth_s, "smooth_s", allow_zero=True) / (nstep / fs)))
        if k >= 2 and p.shape[-2] > 1:
            p = scipy.ndimage.uniform_filter1d(p, size=min(k, p.shape[-2]), axis=-2, mode="nearest")
    with np.errstate(divide="ignore", invalid="ignore"):
        if baseline is None:
            return times, np.log(p)
        b0, b1 = _baseline_samples(baseline, fs, n_times)
        inside = (starts >= b0) & (starts + nwin <= b1)
        if not inside.any():
            raise InputError(
                f"baseline {baseline!r} ({b0}-{b1} samples) contains no whole {window_s} s window",
                source=SOURCE,
                field="baseline",
            )
        ref = p[..., inside, :].mean(axis=-2, keepdims=True)
        return times, np.log(p / ref)


def vep_observation(x, gain, amp=1.0, offset=0.0) -> np.ndarray:
    """SEEG log-power forward model of the VEP (path (b), a model without fast activity).

    .. math:: y_{ti} = a \\,\\ln\\Big(\\sum_j G_{ij}\\, e^{x_{tj}}\\Big) + b

    for contact :math:`i` and region :math:`j`, where :math:`x` is the slow
    source activity of the 2D Epileptor (large during a seizure) and :math:`G`
    a monopolar gain (lead-field) matrix [1]_, [2]_. The forward model itself is
    :func:`braintwin.observe.seeg.seeg_forward` (shared with the JAX VEP);
    this function checks the inputs, and entries where the stable log-sum-exp
    underflows (all regions seen by a contact far below the maximum) are
    recomputed exactly as :math:`\\mathrm{logsumexp}_j(x_{tj} + \\ln G_{ij})`.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_regions)
        Source activity (dimensionless Epileptor ``x``), any leading batch axes.
    gain : array_like, shape (n_contacts, n_regions)
        Monopolar gain, finite and non-negative, each row with a positive entry.
        A bipolar gain (differences of monopolar rows) has negative entries: the
        log of a possibly negative sum is undefined, so it is refused; apply the
        bipolar montage to the monopolar log-power instead.
    amp : float or array_like shape (n_contacts,), default 1.0
        Amplitude scale :math:`a`.
    offset : float or array_like shape (n_contacts,), default 0.0
        Offset :math:`b`.

    Returns
    -------
    ndarray, shape (..., n_times, n_contacts)
        Simulated SEEG log power (natural log units times ``amp``).

    References
    ----------
    .. [1] Hashemi M et al. (2020). NeuroImage 217:116839.
    .. [2] Jirsa VK et al. (2017). NeuroImage 145:377-388.
    """
    g = np.asarray(gain, dtype=np.float64)
    xa = np.asarray(x, dtype=np.float64)
    if g.ndim != 2:
        raise InputError(f"expected a matrix shaped (n_contacts, n_regions), got shape {g.shape}", source=SOURCE, field="gain")
    if xa.ndim < 1 or xa.shape[-1] != g.shape[1]:
        raise InputError(
            f"x has {xa.shape[-1] if xa.ndim else 0} regions on its last axis but the gain has {g.shape[1]} columns "
            f"(x shape {xa.shape}, gain shape {g.shape})",
            source=SOURCE,
            field="gain",
        )
    if not np.all(np.isfinite(g)):
        raise InputError("the gain contains NaN or infinite entries", source=SOURCE, field="gain")
    if np.any(g < 0):
        raise InputError(
            f"the gain has {int((g < 0).sum())} negative entries (a bipolar gain?); "
            "log(gain @ exp(x)) needs a non-negative (monopolar) gain",
            source=SOURCE,
            field="gain",
        )
    empty = ~np.any(g > 0, axis=1)
    if empty.any():
        raise InputError(
            f"contacts {np.flatnonzero(empty).tolist()} have an all-zero gain row (log of 0)", source=SOURCE, field="gain"
        )
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        y = seeg_forward(xa, g, m=np)
    # where the sum underflows (every region a contact sees far below the maximum): exact, per entry
    bad = np.isinf(y) & np.isfinite(np.max(xa, axis=-1, keepdims=True))
    if bad.any():
        idx = np.nonzero(bad)
        xb = xa[idx[:-1]]  # (n_bad, n_regions)
        y[idx] = scipy.special.logsumexp(xb, b=g[idx[-1]], axis=-1)
    return np.asarray(amp, dtype=np.float64) * y + np.asarray(offset, dtype=np.float64)


def onset_times(x, threshold, dt_ms=None, min_duration_ms: float = 0.0, *, t0_ms: float = 0.0, fs_hz=None) -> np.ndarray:
    """Seizure onset time per channel: first sustained threshold crossing.

    The onset is the time of the first sample :math:`t` with
    :math:`x_{t'} > \\theta` for all :math:`t \\le t' < t + n`, where
    :math:`n = \\max(1, \\lceil d_\\min / \\Delta t \\rceil)` samples cover the
    minimum duration :math:`d_\\min`. A signal above threshold from the first
    sample has onset ``t0_ms``. Runs as a compiled kernel, parallel over the
    batch.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)
        Envelopes (e.g. from :func:`seeg_log_power` or :func:`vep_observation`).
    threshold : float or array_like broadcastable to (..., n_channels)
        Threshold :math:`\\theta` in the unit of ``x`` (per channel or item allowed).
    dt_ms : float
        Sampling interval of ``x`` in ms (or give ``fs_hz``). For the output of
        :func:`seeg_log_power` that is ``1000 * step_s``.
    min_duration_ms : float, default 0.0
        Minimum time above threshold, in ms.
    t0_ms : float, default 0.0
        Time of the first sample in ms.
    fs_hz : float, optional
        Sampling rate in Hz, instead of ``dt_ms``.

    Returns
    -------
    ndarray, shape (..., n_channels)
        Onset time in ms; NaN where the threshold is never crossed for long
        enough (NaN samples count as below threshold).
    """
    fs = sampling_rate(fs_hz, dt_ms, what="onset_times")
    dt = 1000.0 / fs
    x = as_signal(x)
    dmin = positive_float(min_duration_ms, "min_duration_ms", allow_zero=True)
    n_min = max(1, int(math.ceil(dmin / dt - 1e-9)))
    flat, batch = flatten_batch(x)
    try:
        thr = np.broadcast_to(np.asarray(threshold, dtype=np.float64), batch + (x.shape[-1],))
    except ValueError:
        raise InputError(
            f"threshold of shape {np.shape(threshold)} does not broadcast to {batch + (x.shape[-1],)}",
            source=SOURCE,
            field="threshold",
        ) from None
    thr = np.ascontiguousarray(thr.reshape(flat.shape[0], flat.shape[2]))
    out = np.empty((flat.shape[0], flat.shape[2]), dtype=np.int64)
    if n_min <= flat.shape[1]:
        onset_kernel(flat, thr, n_min, out)
    else:
        out[:] = -1
    res = np.where(out >= 0, float(t0_ms) + out * dt, np.nan)
    return res.reshape(batch + (x.shape[-1],))


def n_recruited(onsets) -> np.ndarray:
    """Number of recruited channels: those with a finite onset time.

    Parameters
    ----------
    onsets : array_like, shape (..., n_channels)
        Onset times from :func:`onset_times` (NaN = never recruited).

    Returns
    -------
    ndarray of int, shape (...)
        :math:`\\#\\{i : \\mathrm{onset}_i \\text{ finite}\\}`.
    """
    o = np.asarray(onsets, dtype=np.float64)
    if o.ndim < 1:
        raise InputError("expected shape (..., n_channels), got a scalar", source=SOURCE, field="onsets")
    return np.isfinite(o).sum(axis=-1)


def propagation_order(onsets, *, return_ranks: bool = False) -> np.ndarray:
    """Order in which channels are recruited into the seizure.

    Channels sorted by onset time (stable: ties keep channel order); channels
    never recruited (NaN onset) come last, in channel order.

    Parameters
    ----------
    onsets : array_like, shape (..., n_channels)
        Onset times from :func:`onset_times`.
    return_ranks : bool, default False
        Return each channel's rank instead of the order.

    Returns
    -------
    ndarray of int, shape (..., n_channels)
        ``order[..., k]`` is the channel recruited k-th (0 = first). With
        ``return_ranks=True``, ``rank[..., i]`` is the position of channel
        ``i`` in that order (0 = seizure onset channel), i.e. ``argsort(order)``.
    """
    o = np.asarray(onsets, dtype=np.float64)
    if o.ndim < 1:
        raise InputError("expected shape (..., n_channels), got a scalar", source=SOURCE, field="onsets")
    key = np.where(np.isfinite(o), o, np.inf)
    order = np.argsort(key, axis=-1, kind="stable")
    if return_ranks:
        return np.argsort(order, axis=-1, kind="stable")
    return order


def envelope_stats(
    y,
    dt_ms=None,
    threshold: float = 1.0,
    *,
    baseline_samples: int | None = None,
    min_duration_ms: float = 0.0,
    fs_hz=None,
) -> dict[str, np.ndarray]:
    """Summary statistics of a seizure envelope per channel, relative to its baseline.

    With the baseline level :math:`\\bar y_0` (mean of the first
    ``baseline_samples`` samples) and :math:`d_t = y_t - \\bar y_0`:

    - ``"baseline"``: :math:`\\bar y_0` (unit of y)
    - ``"max"``: :math:`\\max_t y_t`
    - ``"auc"``: area above baseline :math:`\\sum_t d_t\\, \\Delta t` (unit of y times s)
    - ``"onset"``: first time :math:`d_t > \\theta` for at least ``min_duration_ms`` (ms,
      NaN if never), as :func:`onset_times` with a per-channel threshold
      :math:`\\bar y_0 + \\theta`
    - ``"time_above"``: fraction of samples with :math:`d_t > \\theta`

    These are the envelope features of amortised VEP inference [1]_. One
    compiled pass per batch item.

    Parameters
    ----------
    y : array_like, shape (..., n_times, n_channels)
        Envelope (e.g. output of :func:`vep_observation` or :func:`seeg_log_power`).
    dt_ms : float
        Sampling interval in ms (or give ``fs_hz``).
    threshold : float, default 1.0
        Rise above baseline :math:`\\theta` that counts as recruited (unit of y;
        1.0 is an e-fold rise of power for a natural-log envelope).
    baseline_samples : int, optional
        Samples at the start defining the baseline; default ``max(1, n_times // 10)``.
    min_duration_ms : float, default 0.0
        Minimum time above threshold for an onset, in ms.
    fs_hz : float, optional
        Sampling rate in Hz, instead of ``dt_ms``.

    Returns
    -------
    dict of str to ndarray, each shape (..., n_channels)

    References
    ----------
    .. [1] Hashemi M et al. (2023). Neural Networks 163:178-194.
    """
    fs = sampling_rate(fs_hz, dt_ms, what="envelope_stats")
    dt = 1000.0 / fs
    y = as_signal(y)
    n_times = y.shape[-2]
    if baseline_samples is None:
        baseline_samples = max(1, n_times // 10)
    nb = positive_int(baseline_samples, "baseline_samples")
    if nb > n_times:
        raise InputError(
            f"baseline of {nb} samples is longer than the signal ({n_times} samples)", source=SOURCE, field="baseline_samples"
        )
    thr = float(threshold)
    if not math.isfinite(thr):
        raise InputError(f"must be finite, got {threshold!r}", source=SOURCE, field="threshold")
    dmin = positive_float(min_duration_ms, "min_duration_ms", allow_zero=True)
    n_min = max(1, int(math.ceil(dmin / dt - 1e-9)))
    flat, batch = flatten_batch(y)
    out = np.empty((5, flat.shape[0], flat.shape[2]))
    envelope_kernel(flat, nb, dt / 1000.0, thr, n_min, out)
    onset = out[3]
    out[3] = np.where(onset >= 0, onset * dt, np.nan)
    shape = batch + (flat.shape[2],)
    names = ("baseline", "max", "auc", "onset", "time_above")
    return {k: out[i].reshape(shape) for i, k in enumerate(names)}
