"""Spectral features: Welch power spectra, peak frequency, band power, 1/f slope.

Signals are shaped ``(..., n_times, n_channels)``; power spectra are shaped
``(..., n_freqs, n_channels)`` (frequency replaces time), so every function is
vectorised over any leading batch axes.

References
----------
.. [1] Welch P (1967). The use of fast Fourier transform for the estimation of
   power spectra. IEEE Trans. Audio Electroacoust. 15(2):70-73.
.. [2] Donoghue T et al. (2020). Parameterizing neural power spectra into
   periodic and aperiodic components. Nature Neuroscience 23:1655-1665.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.signal

from ..errors import InputError
from ._kernels import welch_power_kernel, welch_segments_kernel
from ._validate import SOURCE, as_signal, flatten_batch, positive_int, sampling_rate

__all__ = ["DEFAULT_BANDS", "psd", "peak_frequency", "band_power", "aperiodic_slope"]

#: Canonical EEG/MEG frequency bands in Hz, half-open intervals ``[lo, hi)``.
DEFAULT_BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 80.0),
}


_WELCH_BLOCK_ELEMENTS = 2_000_000  # segment samples per block (16 MB)


def psd(x, fs_hz=None, nperseg: int | None = None, *, dt_ms=None, noverlap: int | None = None, window="hann"):
    """Welch power spectral density per channel.

    The signal is cut into segments of ``nperseg`` samples overlapping by
    ``noverlap`` (default half), each segment is detrended (mean removed),
    tapered with ``window`` and Fourier transformed; the periodograms are
    averaged [1]_. Numerically the same as :func:`scipy.signal.welch` along the
    time axis with ``detrend="constant"``, ``scaling="density"`` (one-sided, so
    that ``sum(psd) * df`` is about the signal variance), vectorised over all
    leading axes with compiled kernels around one batched FFT.

    Parameters
    ----------
    x : array_like, shape (..., n_times, n_channels)
        Signals (unit U), time in samples.
    fs_hz : float
        Sampling rate in Hz (or give ``dt_ms``).
    nperseg : int, optional
        Segment length in samples; default ``min(256, n_times)``. The frequency
        resolution is ``fs_hz / nperseg``.
    dt_ms : float, optional
        Sampling interval in ms, instead of ``fs_hz``.
    noverlap : int, optional
        Overlap between segments in samples; default ``nperseg // 2``.
    window : str, tuple or array_like, default "hann"
        Taper: a :func:`scipy.signal.get_window` specification, or the
        ``nperseg`` window values.

    Returns
    -------
    freqs : ndarray, shape (n_freqs,)
        Frequencies in Hz, ``0 .. fs_hz / 2`` in steps of ``fs_hz / nperseg``.
    psd : ndarray, shape (..., n_freqs, n_channels)
        Power spectral density in U^2/Hz.

    References
    ----------
    .. [1] Welch P (1967). IEEE Trans. Audio Electroacoust. 15(2):70-73.
    """
    fs = sampling_rate(fs_hz, dt_ms, what="psd")
    x = as_signal(x, min_times=2)
    n_times = x.shape[-2]
    if nperseg is None:
        nperseg = min(256, n_times)
    nperseg = positive_int(nperseg, "nperseg", minimum=2)
    if nperseg > n_times:
        raise InputError(
            f"segment of {nperseg} samples is longer than the signal ({n_times} samples)", source=SOURCE, field="nperseg"
        )
    if noverlap is not None:
        noverlap = positive_int(noverlap, "noverlap", minimum=0)
        if noverlap >= nperseg:
            raise InputError(f"must be smaller than nperseg={nperseg}, got {noverlap}", source=SOURCE, field="noverlap")
    if noverlap is None:
        noverlap = nperseg // 2
    return _welch(x, fs, nperseg, noverlap, window)


def _welch(x: np.ndarray, fs: float, nperseg: int, noverlap: int, window) -> tuple[np.ndarray, np.ndarray]:
    """Welch's method along axis -2, numerically equal to ``scipy.signal.welch``.

    Same definition as ``scipy.signal.welch(x, fs, window, nperseg, noverlap,
    detrend="constant", scaling="density", axis=-2)`` (one-sided, mean average),
    computed as: one compiled pass that cuts, demeans and tapers the segments,
    one batched real FFT (:func:`scipy.fft.rfft`), one compiled pass for the
    averaged, scaled power. SciPy's general implementation spends most of its
    time on segment bookkeeping for short segments; this path is several times
    faster on batches of short recordings, and the tests check it against SciPy.
    """
    if isinstance(window, (str, tuple)):
        try:
            win = np.asarray(scipy.signal.get_window(window, nperseg), dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise InputError(f"unknown window {window!r} ({exc})", source=SOURCE, field="window") from None
    else:
        win = np.asarray(window, dtype=np.float64)
        if win.shape != (nperseg,):
            raise InputError(f"a window array must have shape ({nperseg},), got {win.shape}", source=SOURCE, field="window")
    step = nperseg - noverlap
    flat, batch = flatten_batch(x)
    n, n_times, n_ch = flat.shape
    n_seg = (n_times - nperseg) // step + 1
    n_freq = nperseg // 2 + 1
    scale = np.full(n_freq, 1.0 / (fs * np.sum(win * win)))
    # one-sided: double every bin but DC (and Nyquist for even nperseg)
    if nperseg % 2:
        scale[1:] *= 2.0
    else:
        scale[1:-1] *= 2.0
    p = np.empty((n, n_freq, n_ch))
    # blocks of items keep the segment and spectrum temporaries bounded for any batch size
    block = max(1, int(_WELCH_BLOCK_ELEMENTS // (n_seg * nperseg * n_ch)))
    for b0 in range(0, n, block):
        seg = np.empty((min(block, n - b0), n_seg, nperseg, n_ch))
        welch_segments_kernel(flat[b0 : b0 + block], win, step, seg)
        spec = scipy.fft.rfft(seg, axis=-2)
        del seg
        welch_power_kernel(spec, scale, p[b0 : b0 + block])
    freqs = scipy.fft.rfftfreq(nperseg, 1.0 / fs)
    return freqs, p.reshape(batch + (n_freq, n_ch))


def _check_spectrum(freqs, p) -> tuple[np.ndarray, np.ndarray]:
    freqs = np.asarray(freqs, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if freqs.ndim != 1:
        raise InputError(f"expected a 1-D frequency vector, got shape {freqs.shape}", source=SOURCE, field="freqs")
    if p.ndim < 2 or p.shape[-2] != freqs.shape[0]:
        raise InputError(
            f"expected psd shaped (..., n_freqs={freqs.shape[0]}, n_channels), got shape {p.shape}",
            source=SOURCE,
            field="psd",
        )
    return freqs, p


def _freq_mask(freqs, fmin, fmax, *, closed: bool = True) -> np.ndarray:
    lo = -np.inf if fmin is None else float(fmin)
    hi = np.inf if fmax is None else float(fmax)
    if lo > hi:
        raise InputError(f"fmin={fmin} is above fmax={fmax}", source=SOURCE, field="fmin")
    mask = (freqs >= lo) & ((freqs <= hi) if closed else (freqs < hi))
    return mask


def peak_frequency(freqs, psd, fmin: float | None = None, fmax: float | None = None) -> np.ndarray:
    """Frequency of the largest spectral power in ``[fmin, fmax]``, per channel.

    .. math:: f_\\mathrm{peak} = \\arg\\max_{f_\\min \\le f \\le f_\\max} S(f)

    The result is a frequency bin of ``freqs``: its precision is the frequency
    resolution (``fs_hz / nperseg`` for :func:`psd`).

    Parameters
    ----------
    freqs : array_like, shape (n_freqs,)
        Frequencies in Hz.
    psd : array_like, shape (..., n_freqs, n_channels)
        Power spectral density (from :func:`psd`).
    fmin, fmax : float, optional
        Search range in Hz (inclusive); default the whole spectrum.

    Returns
    -------
    ndarray, shape (..., n_channels)
        Peak frequency in Hz; NaN where the spectrum in range contains NaN.
    """
    freqs, p = _check_spectrum(freqs, psd)
    mask = _freq_mask(freqs, fmin, fmax)
    if not mask.any():
        raise InputError(
            f"no frequency bins in [{fmin}, {fmax}] Hz (spectrum covers {freqs[0]:g}-{freqs[-1]:g} Hz)",
            source=SOURCE,
            field="fmin",
        )
    sub = p[..., mask, :]
    f = freqs[mask]
    nan = np.isnan(sub).any(axis=-2)
    idx = np.argmax(np.where(np.isnan(sub), -np.inf, sub), axis=-2)
    return np.where(nan, np.nan, f[idx])


def band_power(freqs, psd, bands=None, *, relative: bool = False) -> dict[str, np.ndarray]:
    """Power in frequency bands, per channel.

    For a band :math:`[f_\\mathrm{lo}, f_\\mathrm{hi})`,

    .. math:: P = \\sum_{f_\\mathrm{lo} \\le f_k < f_\\mathrm{hi}} S(f_k)\\, \\Delta f

    (rectangle rule, so adjacent bands add up exactly). A band that reaches
    above the Nyquist frequency is cut at the highest frequency bin; a band with
    no bin at all is an error.

    Parameters
    ----------
    freqs : array_like, shape (n_freqs,)
        Equally spaced frequencies in Hz.
    psd : array_like, shape (..., n_freqs, n_channels)
        Power spectral density in U^2/Hz (from :func:`psd`).
    bands : dict of str to (float, float), optional
        Band name to ``(lo, hi)`` in Hz; default :data:`DEFAULT_BANDS`
        (delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-80 Hz).
    relative : bool, default False
        Divide each band's power by the summed power of all the given bands.

    Returns
    -------
    dict of str to ndarray, each shape (..., n_channels)
        Band power in U^2 (or a dimensionless fraction with ``relative=True``).
    """
    freqs, p = _check_spectrum(freqs, psd)
    if bands is None:
        bands = DEFAULT_BANDS
    if not isinstance(bands, dict) or not bands:
        raise InputError(f"expected a dict of name -> (lo_hz, hi_hz), got {bands!r}", source=SOURCE, field="bands")
    df = float(freqs[1] - freqs[0]) if freqs.size > 1 else 1.0
    out = {}
    for name, edges in bands.items():
        try:
            lo, hi = (float(e) for e in edges)
        except (TypeError, ValueError):
            raise InputError(f"band {name!r}: expected (lo_hz, hi_hz), got {edges!r}", source=SOURCE, field="bands") from None
        if not lo < hi:
            raise InputError(f"band {name!r}: lower edge {lo} must be below upper edge {hi}", source=SOURCE, field="bands")
        mask = (freqs >= lo) & (freqs < hi)
        if not mask.any():
            raise InputError(
                f"band {name!r} ({lo:g}-{hi:g} Hz) has no frequency bin; the spectrum covers "
                f"{freqs[0]:g}-{freqs[-1]:g} Hz in steps of {df:g} Hz (raise fs_hz or nperseg, or pass bands=)",
                source=SOURCE,
                field="bands",
            )
        out[str(name)] = p[..., mask, :].sum(axis=-2) * df
    if relative:
        total = sum(out.values())
        with np.errstate(divide="ignore", invalid="ignore"):
            out = {k: v / total for k, v in out.items()}
    return out


def aperiodic_slope(freqs, psd, fmin: float | None = None, fmax: float | None = None, *, return_intercept: bool = False):
    """Aperiodic (1/f) exponent: slope of the log-log power spectrum.

    Ordinary least squares of :math:`\\log_{10} S(f)` on :math:`\\log_{10} f`
    over the bins in ``[fmin, fmax]`` (``f > 0``), in closed form for all
    channels and batch items at once:

    .. math:: \\beta = \\frac{\\sum_k (u_k - \\bar u)(v_k - \\bar v)}{\\sum_k (u_k - \\bar u)^2},
              \\quad u_k = \\log_{10} f_k,\\; v_k = \\log_{10} S(f_k)

    so that :math:`S(f) \\approx 10^{a} f^{\\beta}`; :math:`\\beta \\approx -2` for
    Brownian (integrated white) noise, :math:`-1` for pink noise [1]_.

    Parameters
    ----------
    freqs : array_like, shape (n_freqs,)
        Frequencies in Hz.
    psd : array_like, shape (..., n_freqs, n_channels)
        Power spectral density (from :func:`psd`), positive.
    fmin, fmax : float, optional
        Fit range in Hz; default all bins with ``f > 0``.
    return_intercept : bool, default False
        Also return the intercept :math:`a` (log10 power at 1 Hz).

    Returns
    -------
    slope : ndarray, shape (..., n_channels)
        Dimensionless exponent :math:`\\beta`; NaN where the power is zero or NaN in range.
    intercept : ndarray, shape (..., n_channels)
        Only with ``return_intercept=True``; log10 of U^2/Hz.

    References
    ----------
    .. [1] Donoghue T et al. (2020). Nature Neuroscience 23:1655-1665.
    """
    freqs, p = _check_spectrum(freqs, psd)
    mask = _freq_mask(freqs, fmin, fmax) & (freqs > 0)
    if mask.sum() < 2:
        raise InputError(
            f"need at least 2 frequency bins with f > 0 in [{fmin}, {fmax}] Hz to fit a slope, got {int(mask.sum())}",
            source=SOURCE,
            field="fmin",
        )
    u = np.log10(freqs[mask])
    u = u - u.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log10(p[..., mask, :])
        v_mean = v.mean(axis=-2)
        slope = np.einsum("k,...kc->...c", u, v) / np.dot(u, u)
    slope = np.where(np.isfinite(slope), slope, np.nan)
    if return_intercept:
        intercept = v_mean - slope * np.log10(freqs[mask]).mean()
        return slope, np.where(np.isfinite(intercept), intercept, np.nan)
    return slope
