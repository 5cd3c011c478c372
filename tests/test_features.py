"""The features stage: definitions against known signals and SciPy, batch = per item, labels, errors."""

from __future__ import annotations

import math
import types
import warnings

import numpy as np
import pytest
import scipy.signal
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import braintwin.features as F
from braintwin.errors import BraintwinWarning, InputError

RNG = np.random.default_rng(1234)


def noise(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ----------------------------------------------------------------------------- FC


def test_fc_identical_signals_is_one_and_independent_noise_near_zero():
    T = 4000
    s = noise(T, 1)
    x = np.concatenate([s, s, 3.0 * s + 2.0, noise(T, 3, seed=1)], axis=1)
    r = F.fc(x)
    assert r.shape == (6, 6)
    np.testing.assert_allclose(r[:3, :3], 1.0, atol=1e-12)
    off = r[3:, 3:][~np.eye(3, dtype=bool)]
    assert np.all(np.abs(off) < 4 / math.sqrt(T))
    assert np.all(np.abs(r[:3, 3:]) < 4 / math.sqrt(T))
    np.testing.assert_allclose(r, np.corrcoef(x.T), atol=1e-12)


def test_fc_triu_corr_distance():
    x = noise(3, 500, 5)
    r = F.fc(x)
    tri = F.fc_triu(x)
    assert tri.shape == (3, 10)
    i, j = np.triu_indices(5, 1)
    np.testing.assert_allclose(tri, r[:, i, j])
    emp = F.fc(noise(500, 5, seed=9))
    c = F.fc_corr(r, emp)
    assert c.shape == (3,)
    for b in range(3):
        np.testing.assert_allclose(c[b], np.corrcoef(tri[b], emp[i, j])[0, 1], atol=1e-12)
    np.testing.assert_allclose(F.fc_corr(r, r), 1.0)
    np.testing.assert_allclose(F.fc_distance(r, r), 0.0)
    d = F.fc_distance(r, emp)
    np.testing.assert_allclose(d, np.sqrt(np.mean((tri - emp[i, j]) ** 2, axis=-1)))
    np.testing.assert_allclose(F.fc_distance(r, emp, metric="frobenius"), d * np.sqrt(10))
    with pytest.raises(InputError, match="metric"):
        F.fc_distance(r, emp, metric="l1")
    with pytest.raises(InputError, match="differ in size"):
        F.fc_corr(r, np.eye(4))


def test_fc_constant_channel_is_nan_not_garbage():
    x = noise(200, 3)
    x[:, 1] = 5.0
    r = F.fc(x)
    assert np.all(np.isnan(r[1])) and np.all(np.isnan(r[:, 1]))
    assert r[0, 0] == 1.0 and np.isfinite(r[0, 2])


# ----------------------------------------------------------------------------- FCD


def test_sliding_fc_matches_windows_and_fcd_is_correlation_of_them():
    x = noise(2, 300, 4)
    sw = F.sliding_fc(x, window=50, step=25)
    n_win = (300 - 50) // 25 + 1
    assert sw.shape == (2, n_win, 6)
    np.testing.assert_allclose(sw[1, 3], F.fc_triu(x[1, 75:125]), atol=1e-12)
    m = F.fcd(x, 50, 25)
    assert m.shape == (2, n_win, n_win)
    np.testing.assert_allclose(m[0], np.corrcoef(sw[0]), atol=1e-12)
    np.testing.assert_allclose(np.diagonal(m, axis1=-2, axis2=-1), 1.0)


def _regime_switch(T=2000, C=6, seed=0):
    """First half: channels share one common source; second half: another grouping."""
    rng = np.random.default_rng(seed)
    h = T // 2
    a, b, c = rng.standard_normal((3, h, 1))
    first = np.concatenate([a.repeat(C, 1)], axis=1) + 0.5 * rng.standard_normal((h, C))
    second = np.concatenate([b.repeat(C // 2, 1), -c.repeat(C - C // 2, 1)], axis=1)
    second = second + 0.5 * rng.standard_normal((h, C))
    second[:, 0] *= -1
    return np.concatenate([first, second], axis=0)


def test_fcd_variance_small_for_stationary_noise_large_for_regime_switch():
    T, C, w, s = 2000, 16, 100, 20  # noise: FCD ~ N(0, 1/n_pairs), narrow with 120 pairs
    stat_noise = F.fcd_stats(F.fcd(noise(T, C), w, s), window=w, step=s)
    switch = F.fcd_stats(F.fcd(_regime_switch(T, C), w, s), window=w, step=s)
    assert set(stat_noise) == {"var", "mean", "q05", "q25", "q50", "q75", "q95"}
    assert switch["var"] > 5 * stat_noise["var"]
    assert stat_noise["q05"] <= stat_noise["q50"] <= stat_noise["q95"]


def test_fcd_overlap_exclusion():
    m = F.fcd(noise(400, 4), 40, 10)  # 37 windows, overlapping within 4 steps
    W = m.shape[-1]
    v_all = F.fcd_triu(m)
    v_no = F.fcd_triu(m, window=40, step=10)
    assert v_all.size == W * (W - 1) // 2
    k = 4
    assert v_no.size == (W - k) * (W - k + 1) // 2
    st_ = F.fcd_stats(m, window=40, step=10, quantiles=[0.5])
    np.testing.assert_allclose(st_["var"], np.var(v_no))
    np.testing.assert_allclose(st_["q50"], np.median(v_no))
    with pytest.raises(InputError, match="no FCD values"):
        F.fcd_triu(F.fcd(noise(60, 3), 40, 10), window=40, step=10)


def test_ks_distance_equals_scipy_batched_and_with_ties():
    a = np.round(noise(5, 80), 1)  # ties
    b = np.round(noise(60, seed=3) + 0.3, 1)
    d = F.ks_distance(a, b)
    assert d.shape == (5,)
    for i in range(5):
        assert d[i] == pytest.approx(scipy.stats.ks_2samp(a[i], b, method="asymp").statistic, abs=1e-12)
    assert F.ks_distance(b, b) == 0.0
    assert F.ks_distance(np.zeros(3), np.ones(4)) == 1.0
    a[2, 0] = np.nan
    assert np.isnan(F.ks_distance(a, b)[2]) and np.isfinite(F.ks_distance(a, b)[1])


# ----------------------------------------------------------------------------- spectra


@pytest.mark.parametrize("nperseg,noverlap,window", [(128, None, "hann"), (101, 30, "hamming"), (300, None, "boxcar")])
def test_psd_equals_scipy_welch(nperseg, noverlap, window):
    x = noise(2, 3, 300, 4)
    f, p = F.psd(x, 250.0, nperseg=nperseg, noverlap=noverlap, window=window)
    f0, p0 = scipy.signal.welch(x, 250.0, nperseg=nperseg, noverlap=noverlap, window=window, axis=-2)
    np.testing.assert_allclose(f, f0)
    assert p.shape == p0.shape == (2, 3, f0.size, 4)
    np.testing.assert_allclose(p, p0, rtol=1e-10, atol=1e-14)


def test_psd_in_blocks_equals_one_block(monkeypatch):
    x = noise(7, 200, 3)
    f, p = F.psd(x, 100.0, nperseg=50)
    monkeypatch.setattr(F.spectral, "_WELCH_BLOCK_ELEMENTS", 2500)  # 2 items per block
    f2, p2 = F.psd(x, 100.0, nperseg=50)
    np.testing.assert_array_equal(p2, p)
    np.testing.assert_allclose(p, scipy.signal.welch(x, 100.0, nperseg=50, axis=-2)[1], rtol=1e-10)


def _sine(f_hz, fs, T, C=3, amp=1.0, noise_sd=0.1, seed=0):
    t = np.arange(T) / fs
    return amp * np.sin(2 * np.pi * f_hz * t)[:, None] + noise_sd * noise(T, C, seed=seed)


def test_welch_peak_of_10hz_sine_and_band_power_in_alpha():
    fs, T, nperseg = 250.0, 2500, 250
    f, p = F.psd(_sine(10.0, fs, T), fs, nperseg=nperseg)
    peak = F.peak_frequency(f, p, 1.0, 100.0)
    np.testing.assert_allclose(peak, 10.0, atol=fs / nperseg)
    bp = F.band_power(f, p)
    assert list(bp) == ["delta", "theta", "alpha", "beta", "gamma"]
    total = sum(bp.values())
    assert np.all(bp["alpha"] / total > 0.9)
    rel = F.band_power(f, p, relative=True)
    np.testing.assert_allclose(sum(rel.values()), 1.0)
    # band power integrates the density: close to the sine's variance 1/2 (+ noise in band)
    assert np.all(np.abs(bp["alpha"] - 0.5) < 0.05)
    with pytest.raises(InputError, match="no frequency bin"):
        F.band_power(f, p, {"ultra": (200.0, 300.0)})


def test_aperiodic_slope_of_brown_noise_is_minus_two_and_white_is_zero():
    fs = 250.0
    brown = np.cumsum(noise(8, 5000, 2, seed=4), axis=-2)
    f, p = F.psd(brown, fs, nperseg=500)
    slope, icpt = F.aperiodic_slope(f, p, 2.0, 30.0, return_intercept=True)
    assert slope.shape == icpt.shape == (8, 2)
    assert abs(np.mean(slope) + 2.0) < 0.15
    assert np.all(np.abs(slope + 2.0) < 0.4)
    f, p = F.psd(noise(4, 5000, 2), fs, nperseg=500)
    assert np.all(np.abs(F.aperiodic_slope(f, p, 2.0, 100.0)) < 0.3)


def test_fc_stats_are_the_triangle_statistics_and_sc_corr_is_fc_corr():
    x = noise(2, 300, 6) + 0.8 * noise(2, 300, 1, seed=1)  # a shared component: positive FC
    m = F.fc(x)
    sc = np.abs(noise(6, 6, seed=2))
    st_ = F.fc_stats(m, quantiles=[0.05, 0.5], sc=sc)
    assert list(st_) == ["mean", "std", "q05", "q50", "sc_corr"]
    v = F.upper_triangle(m)
    np.testing.assert_allclose(st_["mean"], v.mean(-1))
    np.testing.assert_allclose(st_["std"], v.std(-1))
    np.testing.assert_allclose(st_["q50"], np.median(v, axis=-1))
    np.testing.assert_allclose(st_["sc_corr"], F.fc_corr(m, sc))
    assert np.all(st_["mean"] > 0.2)  # the shared component
    same = F.fc_stats(F.fc(np.repeat(noise(50, 1), 4, axis=1)))
    assert same["mean"] == pytest.approx(1.0) and same["std"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(InputError):
        F.fc_stats(m, sc=np.eye(5))
    fv = F.compute(x, ["fc_stats"], sc=sc)
    assert fv.names[-1] == "fc_stats[sc_corr]" and fv.values.shape == (2, 8)
    np.testing.assert_allclose(fv["fc_stats[sc_corr]"], st_["sc_corr"])


# ----------------------------------------------------------------------------- moments


def test_moments_equal_scipy_and_nan_for_constant_channel():
    x = np.exp(noise(3, 400, 4))  # skewed
    m = F.moments(x)
    np.testing.assert_allclose(m["mean"], x.mean(axis=-2))
    np.testing.assert_allclose(m["std"], x.std(axis=-2))
    np.testing.assert_allclose(m["skewness"], scipy.stats.skew(x, axis=-2), rtol=1e-10)
    np.testing.assert_allclose(m["kurtosis"], scipy.stats.kurtosis(x, axis=-2), rtol=1e-10)
    assert np.all(m["skewness"] > 0.5)
    np.testing.assert_allclose(F.skewness(x), m["skewness"])
    np.testing.assert_allclose(F.kurtosis(x), m["kurtosis"])
    np.testing.assert_allclose(F.mean(x), m["mean"])
    np.testing.assert_allclose(F.std(x), m["std"])
    x[1, :, 2] = 1.0
    m = F.moments(x)
    assert np.isnan(m["skewness"][1, 2]) and m["std"][1, 2] == 0.0 and np.isfinite(m["skewness"][1, 1])


def test_amplitude_stats_recover_level_and_fluctuation_size():
    mu, sd = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 1.0, 2.0, 4.0])
    x = mu + sd * noise(20_000, 4)  # independent channels: the global signal's sd is sqrt(sum sd^2) / 4
    st_ = F.amplitude_stats(x)
    assert st_["mean"] == pytest.approx(2.5, abs=0.02)
    assert st_["mean_sd"] == pytest.approx(mu.std(), abs=0.02)
    assert st_["log_std"] == pytest.approx(np.log(sd).mean(), abs=0.02)
    assert st_["log_std_sd"] == pytest.approx(np.log(sd).std(), abs=0.02)
    assert st_["global_log_std"] == pytest.approx(np.log(np.sqrt((sd**2).sum()) / 4), abs=0.02)
    shared = F.amplitude_stats(np.repeat(noise(5000, 1), 3, axis=1))  # identical channels: global = channel
    assert shared["global_log_std"] == pytest.approx(shared["log_std"]) and shared["log_std_sd"] == 0.0
    fv = F.compute(np.stack([x, 2.0 * x]), ["amplitude_stats"])
    assert fv["amplitude_stats[log_std]"][1] - fv["amplitude_stats[log_std]"][0] == pytest.approx(np.log(2.0))
    # level against in-strength: channel means 1..4 on strengths 0, 2, 4, 6 -> slope 1/2, correlation 1
    sc = np.repeat(np.array([0.0, 2.0, 4.0, 6.0])[:, None] / 4, 4, axis=1)
    fv = F.compute(x, ["amplitude_stats"], sc=sc)
    assert fv["amplitude_stats[strength_slope]"] == pytest.approx(0.5, abs=0.01)
    assert fv["amplitude_stats[strength_corr]"] == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(InputError, match="strength"):
        F.amplitude_stats(x, strength=np.ones(3))


# ----------------------------------------------------------------------------- seizures


def test_onset_of_step_and_min_duration_and_never():
    T, dt = 200, 5.0
    x = np.zeros((T, 4))
    x[120:, 0] = 1.0  # step at sample 120
    x[50:52, 1] = 1.0  # short blip: 2 samples (10 ms)
    x[150:, 1] = 1.0
    x[:, 3] = 1.0  # above from the start
    on = F.onset_times(x, 0.5, dt_ms=dt)
    np.testing.assert_array_equal(on[[0, 1, 3]], [600.0, 250.0, 0.0])
    assert np.isnan(on[2])
    on = F.onset_times(x, 0.5, dt_ms=dt, min_duration_ms=20.0, t0_ms=1000.0)
    np.testing.assert_array_equal(on[[0, 1, 3]], [1600.0, 1750.0, 1000.0])
    assert F.n_recruited(on) == 3
    order = F.propagation_order(on)
    np.testing.assert_array_equal(order, [3, 0, 1, 2])
    np.testing.assert_array_equal(F.propagation_order(on, return_ranks=True), [1, 2, 3, 0])
    # per-channel thresholds and fs_hz instead of dt_ms
    on = F.onset_times(x, [0.5, 0.5, -1.0, 2.0], fs_hz=200.0)
    np.testing.assert_array_equal(on[:3], [600.0, 250.0, 0.0])
    assert np.isnan(on[3])


def _seizure_recording(fs=256.0, dur=20.0, onset=10.0, C=3, seed=0):
    rng = np.random.default_rng(seed)
    T = int(dur * fs)
    t = np.arange(T) / fs
    x = rng.standard_normal((T, C))
    burst = (t >= onset) * 8.0 * np.sin(2 * np.pi * 30.0 * t)
    x[:, 0] += burst  # contact 0: seizure with fast activity
    x[:, 1] += (t >= onset) * 8.0 * np.sin(2 * np.pi * 2.0 * t)  # contact 1: slow wave only (filtered out)
    return x


def test_seeg_log_power_rises_at_seizure_onset():
    fs, onset, win, step = 256.0, 10.0, 0.5, 0.25
    x = _seizure_recording(fs, onset=onset)
    t, lp = F.seeg_log_power(x, fs, fc_hz=10.0, window_s=win, step_s=step, baseline=(0.0, 8.0), smooth_s=0.0)
    assert lp.shape == (t.size, 3)
    np.testing.assert_allclose(t[:2], [win / 2, win / 2 + step])
    pre, post = t < onset - win, t > onset + win
    assert abs(np.mean(lp[pre, 0])) < 0.3  # ~0 relative to baseline
    assert np.mean(lp[post, 0]) > 2.0  # power rises by > e^2
    assert np.all(np.abs(lp[post, 1]) < 1.0)  # slow wave below 10 Hz removed
    on = F.onset_times(lp, 1.0, dt_ms=1000 * step, t0_ms=1000 * t[0])
    assert abs(on[0] / 1000.0 - onset) <= win
    assert np.isnan(on[2])
    # smoothing keeps the rise; other baseline spellings agree
    t2, lp2 = F.seeg_log_power(x, fs, window_s=win, step_s=step, baseline=8.0, smooth_s=1.0)
    assert np.mean(lp2[post, 0]) > 2.0
    _, lp3 = F.seeg_log_power(x, fs, window_s=win, step_s=step, baseline=slice(0, int(8 * fs)), smooth_s=1.0)
    np.testing.assert_allclose(lp2, lp3)
    with pytest.raises(InputError, match="baseline"):
        F.seeg_log_power(x, fs, window_s=win, baseline=0.1)
    with pytest.raises(InputError, match="Nyquist"):
        F.seeg_log_power(x, fs, fc_hz=200.0)


def test_vep_observation_matches_formula_and_refuses_bipolar_gain():
    rng = np.random.default_rng(5)
    x = rng.uniform(-2.0, 1.0, (4, 50, 6))
    g = rng.uniform(0.0, 1.0, (3, 6))
    g[0, :3] = 0.0
    y = F.vep_observation(x, g, amp=2.0, offset=0.5)
    direct = 2.0 * np.log(np.einsum("kr,btr->btk", g, np.exp(x))) + 0.5
    assert y.shape == (4, 50, 3)
    np.testing.assert_allclose(y, direct, rtol=1e-12)
    # per-contact amp/offset broadcast
    y2 = F.vep_observation(x, g, amp=np.array([1.0, 2.0, 3.0]), offset=np.array([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(y2[..., 2], 3.0 * np.log(np.exp(x) @ g[2]) + 2.0, rtol=1e-12)
    # far-apart sources: the direct formula under/overflows, the log-sum-exp does not
    xe = np.zeros((2, 6))
    xe[:, :3] = -2000.0  # regions seen by contact 0 only ... far below the maximum
    xe[1, 3:] = 800.0
    ye = F.vep_observation(xe, g)
    ref = scipy.special.logsumexp(xe[:, None, :], b=g[None], axis=-1)
    assert np.all(np.isfinite(ye))
    np.testing.assert_allclose(ye, ref, rtol=1e-12)
    bip = g[1:] - g[:-1]
    with pytest.raises(InputError, match="negative"):
        F.vep_observation(x, bip)
    with pytest.raises(InputError, match="regions"):
        F.vep_observation(x[..., :5], g)
    with pytest.raises(InputError, match="all-zero"):
        F.vep_observation(x, np.vstack([g, np.zeros(6)]))


def test_envelope_stats_definitions():
    dt = 10.0
    y = np.zeros((100, 2))
    y[60:, 0] = 3.0
    y += 1.5  # baseline level
    st_ = F.envelope_stats(y, dt, threshold=1.0, baseline_samples=10)
    np.testing.assert_allclose(st_["baseline"], [1.5, 1.5])
    np.testing.assert_allclose(st_["max"], [4.5, 1.5])
    np.testing.assert_allclose(st_["auc"], [3.0 * 40 * dt / 1000.0, 0.0])
    np.testing.assert_allclose(st_["onset"][0], 600.0)
    assert np.isnan(st_["onset"][1])
    np.testing.assert_allclose(st_["time_above"], [0.4, 0.0])


# ----------------------------------------------------------------------------- batch = per item


def test_batch_results_equal_per_item_results():
    x = noise(2, 3, 256, 5, seed=7)
    g = np.random.default_rng(1).uniform(0, 1, (4, 5))
    funcs = {
        "fc": F.fc,
        "sliding_fc": lambda a: F.sliding_fc(a, 64, 16),
        "fcd": lambda a: F.fcd(a, 64, 16),
        "psd": lambda a: F.psd(a, 128.0, nperseg=64)[1],
        "moments": lambda a: F.moments(a)["kurtosis"],
        "onset": lambda a: F.onset_times(a, 1.5, dt_ms=1.0, min_duration_ms=2.0),
        "log_power": lambda a: F.seeg_log_power(a, 128.0, window_s=0.25, step_s=0.125, baseline=0.5)[1],
        "vep": lambda a: F.vep_observation(a, g),
        "envelope": lambda a: F.envelope_stats(a, 1.0)["auc"],
    }
    for name, f in funcs.items():
        batch = f(x)
        for i in range(2):
            for j in range(3):
                np.testing.assert_allclose(batch[i, j], f(x[i, j]), rtol=1e-12, atol=1e-12, err_msg=name)


def test_compute_batch_chunking_and_threads_do_not_change_results():
    rng = np.random.default_rng(3)
    y = F.vep_observation(rng.uniform(-2, 0.5, (2, 7, 200, 6)), rng.uniform(0.1, 1, (5, 6)))
    full = F.compute(y, "vep_sbi", fs_hz=100.0)
    assert full.values.shape == (2, 7, full.n_features)
    threaded = F.compute(y, "vep_sbi", fs_hz=100.0, chunk_size=1, n_threads=2)
    serial = F.compute(y, "vep_sbi", fs_hz=100.0, chunk_size=3, n_threads=1)
    np.testing.assert_allclose(threaded.values, full.values, rtol=1e-12)
    np.testing.assert_allclose(serial.values, full.values, rtol=1e-12)
    one = F.compute(y[1, 4], "vep_sbi", fs_hz=100.0)
    assert one.values.shape == (full.n_features,)
    np.testing.assert_allclose(one.values, full.values[1, 4], rtol=1e-12)


# ----------------------------------------------------------------------------- registry


def test_compute_labels_have_the_right_lengths():
    C = 5
    x = noise(4, 400, C)
    sets = ["fc", "fcd_stats", "psd_peak", "band_power", "aperiodic_slope", "moments"]
    fv = F.compute(x, sets, fs_hz=200.0, fcd_window=50, fcd_step=10)
    expect = {
        "fc": C * (C - 1) // 2,
        "fcd_stats": 7,
        "psd_peak": C,
        "band_power": 5 * C,
        "aperiodic_slope": C,
        "moments": 4 * C,
    }
    assert fv.values.shape == (4, sum(expect.values())) and len(fv.names) == fv.n_features
    assert len(set(fv.names)) == len(fv.names)
    for k, n in expect.items():
        assert fv.group(k).n_features == n, k
    assert fv.names[0] == "fc[ch0,ch1]" and "psd_peak[ch3]" in fv.names and "fcd_stats[var]" in fv.names
    assert "band_power[alpha,ch4]" in fv.names and "moments[skewness,ch0]" in fv.names
    np.testing.assert_allclose(fv["fc[ch0,ch1]"], F.fc(x)[:, 0, 1])
    d = fv.to_dict()
    assert list(d) == fv.names and d["psd_peak[ch3]"].shape == (4,)
    np.testing.assert_allclose(fv.group("fc").values, F.fc_triu(x))
    # vep_sbi: 4 moments + 4 envelope statistics + peak frequency + 5 band powers per contact, + n_recruited
    v = F.compute(x, "vep_sbi", fs_hz=200.0, labels=[f"c{i}" for i in range(C)])
    assert v.n_features == 14 * C + 1
    assert "envelope[onset,c2]" in v.names and v.names[8 * C] == "envelope[n_recruited]"
    assert fv[1:3].values.shape == (2, fv.n_features)


def test_compute_references_and_timeseries_input():
    x = noise(3, 300, 4)
    emp = F.fc(noise(300, 4, seed=5))
    fv = F.compute(x, ["fc_corr", "fc_distance", "fcd_ks"], fc_emp=emp, fcd_emp=noise(50, seed=2) * 0.1, fcd_window=30, fcd_step=10)
    assert fv.names == ["fc_corr", "fc_distance", "fcd_ks"]
    np.testing.assert_allclose(fv["fc_corr"], F.fc_corr(F.fc(x), emp))
    assert np.all((fv["fcd_ks"] >= 0) & (fv["fcd_ks"] <= 1))
    ts = types.SimpleNamespace(
        data=x[:, :, None, :], time=np.arange(300) * 4.0, labels=("lA1", "lA2", "rA1", "rA2"), outputs=("x",)
    )
    fv = F.compute(ts, ["fc", "psd_peak"])
    assert fv.names[0] == "fc[lA1,lA2]" and "psd_peak[rA2]" in fv.names
    np.testing.assert_allclose(fv.values, F.compute(x, ["fc", "psd_peak"], dt_ms=4.0).values)


def test_compute_errors_are_input_errors():
    x = noise(2, 300, 3)
    with pytest.raises(InputError, match="available: fc"):
        F.compute(x, ["fc", "not_a_feature"])
    with pytest.raises(InputError, match="not used"):
        F.compute(x, ["fc"], nperseg=64)
    with pytest.raises(InputError, match="sampling rate"):
        F.compute(x, ["psd_peak"])
    with pytest.raises(InputError, match="twice"):
        F.compute(x, ["vep_sbi", "moments"], fs_hz=100.0)
    with pytest.raises(InputError, match="fc_emp"):
        F.compute(x, ["fc_corr"])
    with pytest.raises(InputError, match="labels"):
        F.compute(x, ["fc"], labels=["a", "b"])
    with pytest.raises(InputError, match="longer than the signal"):
        F.sliding_fc(x, window=400, step=1)
    with pytest.raises(InputError, match="longer than the signal"):
        F.psd(x, 100.0, nperseg=301)
    with pytest.raises(InputError, match="n_times, n_channels"):
        F.fc(np.ones(10))
    with pytest.raises(InputError, match="disagree"):
        F.psd(x, fs_hz=100.0, dt_ms=5.0)
    avail = F.available()
    assert {"fc", "fcd_stats", "psd_peak", "band_power", "moments", "vep_sbi", "seeg_log_power"} <= set(avail)
    assert all(isinstance(v, str) and v and "\n" not in v for v in avail.values())
    assert "onset_threshold" in F.describe("vep_sbi")


def test_compute_warns_on_nonfinite_features():
    x = noise(5, 200, 3)
    x[2, 50:, :] = np.nan  # a diverged run
    with pytest.warns(BraintwinWarning, match="1 of 5 recordings"):
        fv = F.compute(x, ["moments"])
    np.testing.assert_array_equal(fv.finite, [True, True, False, True, True])
    with pytest.raises(InputError, match="non-finite"):
        F.compute(x, ["moments"], on_nonfinite="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.compute(x, ["moments"], on_nonfinite="ignore")


def test_seeg_log_power_set_and_register():
    x = _seizure_recording(fs=128.0, dur=12.0, onset=6.0, C=3)
    fv = F.compute(x, "seeg_log_power", fs_hz=128.0, lp_baseline=4.0, onset_threshold=1.0)
    assert fv.n_features == 4 * 3 + 1
    assert fv["seeg_log_power[n_recruited]"] == 1
    assert abs(fv["seeg_log_power[onset,ch0]"] / 1000 - 6.0) < 1.0
    assert fv["seeg_log_power[onset,ch2]"] == pytest.approx(12.0 * 1000, rel=0.05)  # censored at the end

    @F.register("test_range", "peak-to-peak per channel", overwrite=True)
    def _rng(x, ctx):
        return np.ptp(x, axis=-2), [f"test_range[{ctx.ch(c)}]" for c in range(ctx.n_channels)]

    fv = F.compute(x[None], ["test_range"])
    np.testing.assert_allclose(fv.values[0], np.ptp(x, axis=0))
    with pytest.raises(InputError, match="already registered"):
        F.register("fc", "again")(_rng)


# ----------------------------------------------------------------------------- properties


@st.composite
def signals(draw):
    batch = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    T = draw(st.integers(3, 40))
    C = draw(st.integers(1, 5))
    return draw(hnp.arrays(np.float64, tuple(batch) + (T, C), elements=st.integers(-50, 50).map(float)))


@settings(max_examples=60, deadline=None)
@given(signals())
def test_fc_symmetric_unit_diagonal_bounded(x):
    r = F.fc(x)
    C = x.shape[-1]
    assert r.shape == x.shape[:-2] + (C, C)
    np.testing.assert_array_equal(r, np.swapaxes(r, -1, -2))
    const = np.ptp(x, axis=-2) == 0
    diag = np.diagonal(r, axis1=-2, axis2=-1)
    np.testing.assert_array_equal(np.isnan(diag), const)
    assert np.all(diag[~const] == 1.0)
    fin = r[np.isfinite(r)]
    assert np.all((fin >= -1) & (fin <= 1))
    assert F.fc_triu(x).shape == x.shape[:-2] + (C * (C - 1) // 2,)


@settings(max_examples=40, deadline=None)
@given(signals(), st.integers(2, 10), st.integers(1, 5))
def test_sliding_fc_shapes(x, window, step):
    T, C = x.shape[-2:]
    if window > T or C < 2:
        with pytest.raises(InputError):
            F.sliding_fc(x, window, step)
        return
    sw = F.sliding_fc(x, window, step)
    assert sw.shape == x.shape[:-2] + ((T - window) // step + 1, C * (C - 1) // 2)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 20)), elements=st.integers(-5, 5).map(float)),
    hnp.arrays(np.float64, st.integers(1, 20), elements=st.integers(-5, 5).map(float)),
)
def test_ks_distance_properties(a, b):
    d = F.ks_distance(a, b)
    assert d.shape == a.shape[:1]
    assert np.all((d >= 0) & (d <= 1))
    for i in range(a.shape[0]):
        z = np.concatenate([a[i], b])
        ref = np.max(np.abs((a[i][:, None] <= z).mean(axis=0) - (b[:, None] <= z).mean(axis=0)))  # sup |F_a - F_b|
        assert d[i] == pytest.approx(ref, abs=1e-12)
        assert F.ks_distance(b, a[i]) == pytest.approx(d[i], abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(signals())
def test_moments_and_onsets_shapes(x):
    m = F.moments(x)
    for v in m.values():
        assert v.shape == x.shape[:-2] + x.shape[-1:]
    on = F.onset_times(x, 0.0, dt_ms=1.0)
    assert on.shape == x.shape[:-2] + x.shape[-1:]
    first = np.where((x > 0).any(axis=-2), np.argmax(x > 0, axis=-2).astype(float), np.nan)
    np.testing.assert_array_equal(on, first)
    order = F.propagation_order(on)
    assert np.all(np.sort(order, axis=-1) == np.arange(x.shape[-1]))
