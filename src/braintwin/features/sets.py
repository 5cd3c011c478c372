"""The built-in feature sets, each registered with :func:`~braintwin.features.register`.

Imported by :mod:`braintwin.features` (which is what makes the names
available to :func:`~braintwin.features.compute`); a workflow registers its own
sets the same way, from its own module.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from . import connectivity as _conn
from . import seizure as _sz
from . import spectral as _spec
from . import stats as _mom
from ._validate import SOURCE
from .registry import _Context, register

__all__: list[str] = []


def _pair_names(prefix: str, ctx: _Context) -> list[str]:
    key = ("pairs", prefix)
    if key not in ctx.name_cache:
        i, j = np.triu_indices(ctx.n_channels, k=1)
        ctx.name_cache[key] = [f"{prefix}[{ctx.ch(a)},{ctx.ch(b)}]" for a, b in zip(i, j)]
    return ctx.name_cache[key]


def _per_channel(prefix: str, ctx: _Context, stat: str | None = None) -> list[str]:
    key = ("channel", prefix, stat)
    if key not in ctx.name_cache:
        if stat is None:
            ctx.name_cache[key] = [f"{prefix}[{ctx.ch(c)}]" for c in range(ctx.n_channels)]
        else:
            ctx.name_cache[key] = [f"{prefix}[{stat},{ctx.ch(c)}]" for c in range(ctx.n_channels)]
    return ctx.name_cache[key]


def _fcd_window(ctx: _Context) -> tuple[int, int]:
    window = ctx.opt("fcd_window")
    if window is None:
        window = max(2, ctx.n_times // 10)
    step = ctx.opt("fcd_step")
    if step is None:
        step = max(1, int(window) // 10)
    return window, step


@register("fc", "functional connectivity: Pearson correlation of each channel pair (upper triangle), dimensionless")
def _set_fc(x, ctx):
    return _conn.fc_triu(x), _pair_names("fc", ctx)


def _fc_emp(ctx, what):
    emp = ctx.opt("fc_emp")
    if emp is None:
        raise InputError(f"feature set {what!r} needs the empirical FC: pass fc_emp= (n, n)", source=SOURCE, field="fc_emp")
    emp = np.asarray(emp, dtype=np.float64)
    if emp.shape != (ctx.n_channels, ctx.n_channels):
        raise InputError(
            f"expected shape ({ctx.n_channels}, {ctx.n_channels}), got {emp.shape}", source=SOURCE, field="fc_emp"
        )
    return emp


@register(
    "fc_corr",
    "correlation between the upper triangles of the FC and an empirical FC (fc_emp), dimensionless",
    options={"fc_emp": "empirical FC matrix (n_channels, n_channels); required"},
)
def _set_fc_corr(x, ctx):
    emp = _fc_emp(ctx, "fc_corr")
    return _conn.fc_corr(_conn.fc(x), emp)[:, None], ["fc_corr"]


@register(
    "fc_distance",
    "distance between the FC and an empirical FC (fc_emp) over the upper triangle, RMSE or Frobenius",
    options={"fc_emp": "empirical FC matrix (n_channels, n_channels); required", "fc_metric": "'rmse' (default) or 'frobenius'"},
)
def _set_fc_distance(x, ctx):
    emp = _fc_emp(ctx, "fc_distance")
    return _conn.fc_distance(_conn.fc(x), emp, metric=ctx.opt("fc_metric", "rmse"))[:, None], ["fc_distance"]


@register(
    "fcd_stats",
    "FCD distribution statistics: variance, mean and quantiles of the sliding-window FCD upper triangle",
    options={
        "fcd_window": "window in samples (default n_times // 10, at least 2)",
        "fcd_step": "step in samples (default window // 10, at least 1)",
        "fcd_exclude_overlap": "drop pairs of overlapping windows (default True)",
        "fcd_quantiles": "quantile levels (default 0.05, 0.25, 0.5, 0.75, 0.95)",
    },
)
def _set_fcd_stats(x, ctx):
    window, step = _fcd_window(ctx)
    m = _conn.fcd(x, window, step)
    st = _conn.fcd_stats(
        m,
        window=window,
        step=step,
        exclude_overlap=bool(ctx.opt("fcd_exclude_overlap", True)),
        quantiles=ctx.opt("fcd_quantiles", _conn.DEFAULT_FCD_QUANTILES),
    )
    return np.stack(list(st.values()), axis=-1), [f"fcd_stats[{k}]" for k in st]


@register(
    "fc_stats",
    "FC distribution statistics: mean, std and quantiles of the FC upper triangle, and the FC-SC correlation",
    options={
        "fc_quantiles": "quantile levels (default 0.05, 0.25, 0.5, 0.75, 0.95)",
        "sc": "structural weights (n_channels, n_channels); adds fc_stats[sc_corr]",
    },
)
def _set_fc_stats(x, ctx):
    st = _conn.fc_stats(_conn.fc(x), quantiles=ctx.opt("fc_quantiles", _conn.DEFAULT_FCD_QUANTILES),
                        sc=ctx.opt("sc"))
    return np.stack(list(st.values()), axis=-1), [f"fc_stats[{k}]" for k in st]


@register(
    "amplitude_stats",
    "signal level and log fluctuation size over channels, of the global signal, and the level against SC in-strength",
    options={"sc": "structural weights (n_channels, n_channels); adds the slope and correlation of each channel's "
                   "mean on its in-strength (row sums)"},
)
def _set_amplitude_stats(x, ctx):
    sc = ctx.opt("sc")
    st = _mom.amplitude_stats(x, None if sc is None else np.asarray(sc, dtype=np.float64).sum(axis=-1))
    return np.stack(list(st.values()), axis=-1), [f"amplitude_stats[{k}]" for k in st]


@register(
    "fcd_ks",
    "Kolmogorov-Smirnov distance between the FCD distribution and an empirical one (fcd_emp), in [0, 1]",
    options={
        "fcd_emp": "empirical FCD values (1-D) or an empirical FCD matrix (W, W); required",
        "fcd_window": "window in samples (default n_times // 10, at least 2)",
        "fcd_step": "step in samples (default window // 10, at least 1)",
        "fcd_exclude_overlap": "drop pairs of overlapping windows (default True)",
    },
)
def _set_fcd_ks(x, ctx):
    emp = ctx.opt("fcd_emp")
    if emp is None:
        raise InputError("feature set 'fcd_ks' needs the empirical FCD: pass fcd_emp=", source=SOURCE, field="fcd_emp")
    window, step = _fcd_window(ctx)
    excl = bool(ctx.opt("fcd_exclude_overlap", True))
    emp = np.asarray(emp, dtype=np.float64)
    if emp.ndim == 2:
        emp = _conn.fcd_triu(emp, window=window, step=step, exclude_overlap=excl)
    elif emp.ndim != 1:
        raise InputError(f"expected 1-D values or a (W, W) matrix, got shape {emp.shape}", source=SOURCE, field="fcd_emp")
    v = _conn.fcd_triu(_conn.fcd(x, window, step), window=window, step=step, exclude_overlap=excl)
    return _conn.ks_distance(v, emp)[:, None], ["fcd_ks"]


@register(
    "psd_peak",
    "frequency (Hz) of the largest Welch power per channel in [psd_fmin, psd_fmax]",
    options={
        "nperseg": "Welch segment length in samples (default min(256, n_times))",
        "psd_fmin": "lowest frequency searched, Hz (default: lowest bin above 0 Hz)",
        "psd_fmax": "highest frequency searched, Hz (default: Nyquist)",
    },
)
def _set_psd_peak(x, ctx):
    f, p = ctx.psd(x, "psd_peak")
    fmin = ctx.opt("psd_fmin")
    if fmin is None:
        fmin = f[1] if f.size > 1 else None
    return _spec.peak_frequency(f, p, fmin, ctx.opt("psd_fmax")), _per_channel("psd_peak", ctx)


@register(
    "band_power",
    "Welch power per channel in frequency bands (delta, theta, alpha, beta, gamma by default), U^2 or fraction",
    options={
        "nperseg": "Welch segment length in samples (default min(256, n_times))",
        "bands": "dict name -> (lo_hz, hi_hz) (default delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-80)",
        "band_relative": "divide by the summed power of all bands (default False)",
    },
)
def _set_band_power(x, ctx):
    f, p = ctx.psd(x, "band_power")
    bp = _spec.band_power(f, p, ctx.opt("bands"), relative=bool(ctx.opt("band_relative", False)))
    names = [n for b in bp for n in _per_channel("band_power", ctx, b)]
    return np.concatenate(list(bp.values()), axis=-1), names


@register(
    "aperiodic_slope",
    "1/f exponent per channel: least-squares slope of log10 Welch power on log10 frequency",
    options={
        "nperseg": "Welch segment length in samples (default min(256, n_times))",
        "slope_fmin": "fit range low edge, Hz (default 1)",
        "slope_fmax": "fit range high edge, Hz (default min(40, Nyquist))",
    },
)
def _set_aperiodic(x, ctx):
    f, p = ctx.psd(x, "aperiodic_slope")
    fmax = ctx.opt("slope_fmax")
    if fmax is None:
        fmax = min(40.0, f[-1])
    return _spec.aperiodic_slope(f, p, ctx.opt("slope_fmin", 1.0), fmax), _per_channel("aperiodic_slope", ctx)


@register("moments", "mean, std, skewness and excess kurtosis of each channel over time")
def _set_moments(x, ctx):
    arr = _mom._moments_array(x)  # (4, n, C)
    names = [n for s in _mom.MOMENT_NAMES for n in _per_channel("moments", ctx, s)]
    return np.moveaxis(arr, 0, 1).reshape(x.shape[0], -1), names


_ENVELOPE_OPTIONS = {
    "onset_threshold": "rise above baseline counted as recruited, in units of the envelope (default 1.0: e-fold power)",
    "onset_min_duration_ms": "minimum time above threshold for an onset, ms (default 0)",
    "baseline_samples": "samples at the start defining the baseline level (default n_times // 10)",
}


def _envelope_features(y, ctx, dt_ms: float, t0_ms: float = 0.0):
    st = _sz.envelope_stats(
        y,
        dt_ms,
        threshold=ctx.opt("onset_threshold", 1.0),
        baseline_samples=ctx.opt("baseline_samples"),
        min_duration_ms=ctx.opt("onset_min_duration_ms", 0.0),
    )
    onset = st["onset"]
    n_rec = _sz.n_recruited(onset)
    duration = y.shape[-2] * dt_ms
    # censored at the end of the recording, so that the features stay finite (n_recruited says how many)
    onset = np.where(np.isnan(onset) & np.isfinite(st["max"]), duration, onset) + t0_ms
    n_rec = np.where(np.isfinite(st["max"]).all(axis=-1), n_rec, np.nan)
    keys = ("max", "auc", "onset", "time_above")
    vals = [st["max"], st["auc"], onset, st["time_above"]]
    names = [n for k in keys for n in _per_channel("envelope", ctx, k)] + ["envelope[n_recruited]"]
    return np.concatenate(vals + [n_rec[:, None]], axis=-1), names


@register(
    "envelope",
    "seizure envelope statistics per channel (max, area above baseline, onset ms, time fraction above threshold) "
    "and the number of recruited channels; for envelopes such as vep_observation output",
    options=_ENVELOPE_OPTIONS,
)
def _set_envelope(x, ctx):
    ctx.rate("envelope")
    return _envelope_features(x, ctx, ctx.dt_ms)


@register(
    "seeg_log_power",
    "envelope statistics of the log power of recorded broadband SEEG (high-pass 10 Hz, windowed power, "
    "log relative to baseline)",
    options={
        "lp_fc_hz": "high-pass cut-off, Hz (default 10)",
        "lp_window_s": "power window, s (default 0.5)",
        "lp_step_s": "step between windows, s (default 0.1)",
        "lp_baseline": "baseline period: seconds, (t0_s, t1_s) or slice of samples (default None)",
        "lp_smooth_s": "moving-average length, s (default 1.0)",
        **_ENVELOPE_OPTIONS,
    },
)
def _set_seeg_log_power(x, ctx):
    fs = ctx.rate("seeg_log_power")
    step_s = ctx.opt("lp_step_s", 0.1)
    t, lp = _sz.seeg_log_power(
        x,
        fs,
        fc_hz=ctx.opt("lp_fc_hz", 10.0),
        window_s=ctx.opt("lp_window_s", 0.5),
        step_s=step_s,
        baseline=ctx.opt("lp_baseline"),
        smooth_s=ctx.opt("lp_smooth_s", 1.0),
    )
    dt_ms = 1000.0 * (t[1] - t[0]) if t.size > 1 else 1000.0 * step_s
    vals, names = _envelope_features(lp, ctx, dt_ms, t0_ms=1000.0 * t[0])
    return vals, [n.replace("envelope[", "seeg_log_power[", 1) for n in names]


_VEP_SBI_DEFAULTS = {"nperseg": 128, "band_relative": True}


@register(
    "vep_sbi",
    "VEP amortised-inference set per contact: moments, envelope statistics and onset, Welch peak frequency, "
    "relative band powers; plus the number of recruited contacts",
    options={
        **_ENVELOPE_OPTIONS,
        "nperseg": "Welch segment length in samples (default 128, at most n_times)",
        "bands": "dict name -> (lo_hz, hi_hz) (default the 5 canonical bands, cut at Nyquist)",
        "band_relative": "relative band powers (default True)",
        "psd_fmin": "lowest frequency searched for the peak, Hz (default: lowest bin above 0 Hz)",
        "psd_fmax": "highest frequency searched for the peak, Hz (default: Nyquist)",
    },
    includes=("moments", "envelope", "psd_peak", "band_power"),
)
def _set_vep_sbi(x, ctx):
    """The feature set of amortised VEP inference (Hashemi et al. 2023, Neural Networks 163:178-194).

    Input: simulated (vep_observation) or recorded SEEG envelopes (n, T, n_contacts).
    Per contact: mean, std, skewness, kurtosis; envelope max, area above
    baseline, onset (censored at the recording's end when never crossed),
    fraction of time above threshold; Welch peak frequency; relative band
    powers. Plus the number of recruited contacts.
    """
    ctx.rate("vep_sbi")
    ctx.defaults = dict(_VEP_SBI_DEFAULTS)
    if ctx.defaults["nperseg"] > ctx.n_times:
        ctx.defaults["nperseg"] = ctx.n_times
    parts = [_set_moments(x, ctx), _set_envelope(x, ctx), _set_psd_peak(x, ctx), _set_band_power(x, ctx)]
    vals = np.concatenate([p[0] for p in parts], axis=-1)
    names = [n for p in parts for n in p[1]]
    return vals, names
