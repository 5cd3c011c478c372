"""Observation models: BOLD (against TVB's balloon analyser), EEG/MEG/SEEG lead fields, montages, specs."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

from braintwin.errors import InputError
from braintwin.observe import (
    CONSTANTS,
    EEG,
    MEG,
    SEEG,
    Bold,
    balloon_bold,
    balloon_steady_state,
    bipolar_montage,
    builtin_leadfield,
    electrode_of,
    get_observer,
    hrf_convolution,
    hrf_kernel,
    load_leadfield,
    read_contacts,
    region_gain,
    seeg_gain,
    seeg_leadfield,
)
from braintwin.observe.sensors import tvb76_labels

DT = 1.0  # ms


def _pulse(T=20000, n=3, onset=100, width=(100, 100, 500), amp=(1.0, 0.3, 0.5)):
    x = np.zeros((T, n))
    for r in range(n):
        x[onset:onset + width[r], r] = amp[r]
    return x


def _tvb_balloon(x, dt_ms, **kw):
    from tvb.analyzers.fmri_balloon import BalloonModel
    from tvb.datatypes.time_series import TimeSeries

    T, n = x.shape
    ts = TimeSeries(data=x[:, None, :, None], time=np.arange(T) * dt_ms, sample_period=dt_ms, sample_period_unit="ms")
    ts.configure()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = BalloonModel(time_series=ts, **kw).evaluate()
    return np.asarray(out.data)[:, 0, :, 0]


# -- BOLD -----------------------------------------------------------------------

@pytest.mark.tvb
@pytest.mark.parametrize(
    "ours, theirs",
    [
        ({}, {}),
        ({"equation": "linear", "coefficients": "tvb_classic"}, {"bold_model": "linear", "RBM": False}),
        ({"tau_s": 0.8, "tau_f": 0.4, "E0": 0.34}, {"tau_s": 0.8, "tau_f": 0.4, "E0": 0.34}),
    ],
)
def test_bold_pulse_matches_tvb_balloon_analyser(ours, theirs):
    pytest.importorskip("tvb")
    if "bold_model" in theirs:
        from tvb.analyzers.fmri_balloon import BoldModels

        theirs = {**theirs, "bold_model": BoldModels.LINEAR}
    x = _pulse()
    ref = _tvb_balloon(x, DT, **theirs)
    y = balloon_bold(x, DT, **ours)
    assert y.shape == ref.shape
    rel = np.abs(y - ref).max() / np.abs(ref).max()
    assert rel <= 1e-3, rel
    assert rel < 1e-9  # the same equations and integrator: agreement to rounding


def test_bold_pulse_peak_and_undershoot_tvb_set():
    x = _pulse(T=30000, n=1, onset=1000, width=(100,), amp=(1.0,))
    y = balloon_bold(x, DT)[:, 0]
    t = (np.arange(len(y)) + 1) * DT / 1000.0 - 1.0  # s after the pulse onset
    ipk = int(np.argmax(y))
    # TVB's constants: peak 2.96 s after the onset of a 0.1 s pulse
    assert 2.5 <= t[ipk] <= 3.5
    assert y[ipk] > 0.1  # percent signal change
    imin = ipk + int(np.argmin(y[ipk:]))
    assert y[imin] < -0.1 * y[ipk]  # a post-stimulus undershoot
    assert 6.0 <= t[imin] <= 9.0
    assert abs(y[-1]) < 0.02 * y[ipk]  # and back to baseline after 29 s


def test_bold_friston2003_set_peaks_later_and_is_documented():
    c = CONSTANTS["friston2003"]
    assert c.k == pytest.approx((7 * 0.34, 2.0, 2 * 0.34 - 0.2))
    assert 1 / c.tau_s == pytest.approx(0.65) and 1 / c.tau_f == pytest.approx(0.41) and c.V0 == 0.02
    k1, k2, k3 = CONSTANTS["tvb"].k
    assert (k1, k2, k3) == pytest.approx((4.3 * 40.3 * 0.4 * 0.04, 0.5 * 25 * 0.4 * 0.04, 0.5))
    x = _pulse(T=30000, n=1, onset=0, width=(100,), amp=(1.0,))
    yt = balloon_bold(x, DT)[:, 0]
    yf = balloon_bold(x, DT, "friston2003")[:, 0]
    # slower autoregulation (gamma 0.41 vs 0.69 /s): a later peak, 3 to 5 s
    assert 3.0 <= np.argmax(yf) / 1000.0 <= 5.0
    assert np.argmax(yf) > np.argmax(yt)


def test_bold_constant_input_is_constant():
    x = np.full((40000, 4), 1.0) * np.array([0.0, 0.2, 1.0, 3.0])
    y = balloon_bold(x, DT, initial="steady")
    np.testing.assert_allclose(y, np.broadcast_to(y[0], y.shape), rtol=0, atol=1e-12)
    assert y[0, 0] == pytest.approx(0.0, abs=1e-15) and np.all(np.diff(y[0]) > 0)
    # from rest: after the transient, the same steady BOLD level
    y2 = balloon_bold(x, DT)
    np.testing.assert_allclose(y2[-1000:], np.broadcast_to(y[0], (1000, 4)), rtol=1e-4, atol=1e-6)
    assert np.abs(y2[:5000] - y[0]).max() > 1e-2  # it is a transient, not a constant
    st = balloon_steady_state(1.0)
    assert st[1] == pytest.approx(1.0 + 1.44)


def test_streaming_bold_monitor_equals_offline():
    rng = np.random.default_rng(1)
    n_rows, N = 7300, 5
    x = 0.2 + 0.1 * rng.standard_normal((n_rows, N))
    rows = np.stack([x, -x], axis=1)  # two outputs; the monitor picks "b" = -x below
    for output, sig in ((None, x), ("b", -x)):
        m = Bold(tr=720.0, output=output, constants="friston2003")
        m.begin(n_rows, 2, N, 0.1, ("a", "b"), [f"r{i}" for i in range(N)])
        cuts = np.unique(np.r_[0, rng.integers(1, n_rows, 25), n_rows])
        for a, b in zip(cuts[:-1], cuts[1:]):
            m.push(rows[a:b])
        ts = m.result()
        off = balloon_bold(sig, 1.0, "friston2003", tr=720.0)
        assert ts.data.shape == (10, 1, N)
        np.testing.assert_allclose(ts.time, 720.0 * np.arange(1, 11))
        np.testing.assert_array_equal(ts.data[:, 0], off)
        full = balloon_bold(sig, 1.0, "friston2003")
        np.testing.assert_array_equal(off, full[719::720])


def test_balloon_bold_batch_axes():
    rng = np.random.default_rng(2)
    x = rng.random((2, 3, 500, 4))
    y = balloon_bold(x, 0.5)
    assert y.shape == x.shape
    np.testing.assert_array_equal(y[1, 2], balloon_bold(x[1, 2], 0.5))


def test_bold_monitor_streams_ten_minutes_in_small_chunks():
    # speed is a benchmark's business (benchmarks/w3_bold_rest_10min.py); here: 10 minutes streamed in engine-sized chunks
    x = 0.1 * np.random.default_rng(3).random((600_000, 1, 76))
    m = Bold(tr=720.0)
    m.begin(600_000, 1, 76, 0.1, ("r",), [str(i) for i in range(76)])
    m.push(x[:10])  # compile outside the timing (cached on disk anyway)
    m.begin(600_000, 1, 76, 0.1, ("r",), [str(i) for i in range(76)])
    for a in range(0, 600_000, 205):  # the engine's chunk at dt = 0.1 ms
        m.push(x[a:a + 205])
    ts = m.result()
    assert ts.data.shape == (833, 1, 76) and np.isfinite(ts.data).all()
    np.testing.assert_allclose(ts.time[:2], [720.0, 1440.0])


def test_bold_errors():
    with pytest.raises(InputError, match="constants"):
        Bold(constants="nope")
    with pytest.raises(InputError) as e:
        Bold(tr=720.5, period=1.0)
    assert e.value.field == "tr"
    with pytest.raises(InputError) as e:
        balloon_bold(np.zeros((10, 2)), 1.0, tau_q=1.0)
    assert "tau_q" in str(e.value)
    with pytest.raises(InputError, match="not recorded") as e:
        Bold(output="x2 - x1").begin(10, 2, 3, 0.1, ("r", "V"), list("abc"))
    assert e.value.field == "output"
    with pytest.raises(InputError, match="steady state"):
        balloon_bold(np.full((10, 1), -1.0), 1.0, initial="steady")


@pytest.mark.tvb
def test_hrf_kernels_match_tvb_equations():
    pytest.importorskip("tvb")
    from tvb.datatypes import equations

    t = np.arange(0, 20.0, 0.004)
    np.testing.assert_allclose(hrf_kernel(t, "volterra"), equations.FirstOrderVolterra().evaluate(t), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hrf_kernel(t[1:], "gamma"), equations.Gamma().evaluate(t[1:]), rtol=1e-12)
    # TVB's convolution (a plain sum at 4 ms): a constant input c gives (c sum(G) - 1) k1 V0
    x = np.full((6000, 2), 0.5)
    y = hrf_convolution(x, 4.0)
    G = equations.FirstOrderVolterra().evaluate(t)
    assert y[-1, 0] == pytest.approx((0.5 * G.sum() - 1.0) * 5.6 * 0.02, rel=1e-9)
    # the same response whatever the sampling
    y1 = hrf_convolution(np.full((24000, 1), 0.5), 1.0)
    assert y1[-1, 0] == pytest.approx(y[-1, 0], rel=2e-3)


# -- EEG / MEG ------------------------------------------------------------------------

@pytest.mark.tvb
def test_builtin_eeg_meg_gain_equals_tvb_projection_monitor():
    pytest.importorskip("tvb")
    import tvb_data.sensors  # noqa: F401
    from tvb.datatypes.connectivity import Connectivity
    from tvb.simulator import coupling, integrators, models, monitors, simulator

    from braintwin.observe import read_sensors

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conn = Connectivity.from_file()
        for kind, cls, sensors in (("eeg", monitors.EEG, "eeg_brainstorm_65"), ("meg", monitors.MEG, "meg_brainstorm_276")):
            mon = cls.from_file(period=1.0)
            sim = simulator.Simulator(connectivity=conn, model=models.Generic2dOscillator(), coupling=coupling.Linear(),
                                      integrator=integrators.HeunDeterministic(dt=0.5), monitors=(mon,), simulation_length=1.0)
            sim.configure()
            ref = np.asarray(sim.monitors[0].gain)
            lf = builtin_leadfield(kind)
            all_labels = read_sensors(sensors).labels
            idx = [all_labels.index(l) for l in lf.sensor_labels]
            np.testing.assert_allclose(lf.gain, ref[idx], rtol=1e-12, atol=1e-12 * np.abs(ref).max())
            # the sensors we drop are those TVB zeroes (non-finite projection rows)
            assert np.all(np.delete(ref, idx, axis=0) == 0)
    assert builtin_leadfield("eeg").dropped == ("IO1", "IO2")
    assert builtin_leadfield("meg").n_sensors == 248


def test_region_gain_sums_vertices():
    P = np.arange(12.0).reshape(2, 6)
    rm = np.array([0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(region_gain(P, rm), [[0 + 4, 1 + 2, 3 + 5], [6 + 10, 7 + 8, 9 + 11]])


@pytest.mark.parametrize("mon", [EEG(), EEG(reference=None), MEG(), SEEG(), SEEG(montage="bipolar"), SEEG(method="centres")],
                         ids=["eeg-avg", "eeg-free", "meg", "seeg", "seeg-bipolar", "seeg-centres"])
def test_projections_are_linear(mon):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2, 50, 76))
    a, b = 1.7, -0.4
    lhs = mon.project(a * x + b * y)
    rhs = a * mon.project(x) + b * mon.project(y)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10 * np.abs(rhs).max())
    assert np.abs(mon.project(x)).max() > 0


def test_eeg_meg_gain_falls_with_distance():
    from braintwin.connectome import builtin

    centres = builtin("tvb76").centres
    for kind, min_frac in (("eeg", 0.95), ("meg", 0.7)):  # MEG is blind to radial sources
        lf = builtin_leadfield(kind)
        d = np.linalg.norm(lf.positions[:, None, :] - centres[None], axis=-1)
        q = len(d) // 4
        near_wins = []
        for r in range(76):
            order = np.argsort(d[:, r])
            near_wins.append(np.abs(lf.gain[order[:q], r]).mean() > np.abs(lf.gain[order[-q:], r]).mean())
        assert np.mean(near_wins) >= min_frac, (kind, np.mean(near_wins))


def test_eeg_average_reference_sums_to_zero():
    m = EEG()
    G = m.gain()
    assert G.shape == (63, 76)
    np.testing.assert_allclose(G.sum(axis=0), 0.0, atol=1e-9 * np.abs(G).max())
    assert np.abs(EEG(reference=None).gain().sum(axis=0)).min() > 1.0  # not by accident
    # streamed samples, noise included (the noise is referenced too)
    noisy = EEG(noise_std=5.0, seed=3)
    rows = np.random.default_rng(5).standard_normal((40, 1, 76))
    noisy.begin(40, 1, 76, 0.5, ("r",), tvb76_labels())
    noisy.push(rows)
    ts = noisy.result()
    np.testing.assert_allclose(ts.data.sum(axis=-1), 0.0, atol=1e-8 * np.abs(ts.data).max())
    # single-electrode reference: that electrode reads zero
    ref = EEG(reference="Cz")
    k = ref.channel_labels().index("Cz")
    np.testing.assert_allclose(ref.gain()[k], 0.0)


def test_sensor_noise_is_seeded_and_sized():
    rows = np.zeros((2000, 1, 76))

    def run(seed):
        m = MEG(noise_std=2.0, seed=seed)
        m.begin(2000, 1, 76, 1.0, ("r",), tvb76_labels())
        m.push(rows[:700])
        m.push(rows[700:])
        return m.result().data

    a, b, c = run(1), run(1), run(2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.std() == pytest.approx(2.0, rel=0.02)


def test_monitor_picks_output_and_subset_of_regions():
    labels = tvb76_labels()
    sub = [labels[i] for i in (5, 0, 40)]
    m = EEG(output="x2 - x1")
    rows = np.random.default_rng(6).standard_normal((3, 2, 3))
    m.begin(3, 2, 3, 0.1, ("x1", "x2-x1"), sub)
    m.push(rows)
    G = builtin_leadfield("eeg").gain[:, [5, 0, 40]]
    expect = (rows[:, 1] @ G.T)
    expect -= expect.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(m.result().data[:, 0], expect, rtol=1e-12, atol=1e-9)
    assert m.result().outputs == ("x2-x1",)
    with pytest.raises(InputError, match="no column"):
        EEG().prepare(["rA1", "not_a_region"])
    with pytest.raises(InputError, match="16 region columns"):
        EEG(np.ones((4, 16))).prepare(None, 76)


# -- SEEG -----------------------------------------------------------------------

def test_seeg_inverse_square_synthetic_geometry(tmp_path):
    # region 0: one vertex at the origin; region 1: two vertices at x = 100 and 102 mm
    V = np.array([[0.0, 0, 0], [100.0, 0, 0], [102.0, 0, 0]])
    rm = np.array([0, 1, 1])
    C = np.array([[0.0, 0, 5], [0.0, 0, 10], [0.0, 0, 20], [101.0, 0, 3]])
    G = seeg_gain(C, vertices=V, region_mapping=rm)
    np.testing.assert_allclose(G[:3, 0], [1 / 25, 1 / 100, 1 / 400])  # 1/d^2
    assert G[0, 0] / G[1, 0] == pytest.approx(4.0)  # twice the distance, a quarter of the gain
    np.testing.assert_allclose(G[3, 1], 2 / (1 + 9))  # summed over the region's vertices
    assert G[0, 0] > G[1, 0] > G[2, 0]  # nearer contact, larger gain
    Gc = seeg_gain(C, centres=np.array([[0.0, 0, 0], [101.0, 0, 0]]), method="centres")
    np.testing.assert_allclose(Gc[3], [1 / (101**2 + 9), 1 / 9])
    # the same through the monitor, with a user contact file and surface
    f = tmp_path / "contacts.txt"
    f.write_text("".join(f"E{i + 1} {x} {y} {z}\n" for i, (x, y, z) in enumerate(C)))
    m = SEEG(f, vertices=V, region_mapping=rm, montage="bipolar")
    np.testing.assert_allclose(m.gain(["near", "far"]), G[:-1] - G[1:])
    assert m.channel_labels(["near", "far"]) == ("E1-E2", "E2-E3", "E3-E4")
    # distances below min_distance are clamped
    assert seeg_gain(np.zeros((1, 3)), centres=np.array([[0.0, 0, 0.1]]), method="centres")[0, 0] == 1.0


def test_seeg_builtin_gain_nearer_contact_larger():
    from braintwin.connectome import builtin

    lf = seeg_leadfield()
    assert lf.gain.shape == (588, 76) and np.all(lf.gain > 0)
    centres = builtin("tvb76").centres
    d = np.linalg.norm(lf.positions[:, None, :] - centres[None], axis=-1)
    # per region, contacts nearer its centre see it more strongly (rank correlation)
    from scipy.stats import spearmanr

    rho = np.array([spearmanr(d[:, r], lf.gain[:, r])[0] for r in range(76)])
    assert np.all(rho < -0.5)
    # the centre-based gain is near-singular: one contact 1.2 mm from a centre
    c = seeg_leadfield(method="centres")
    assert 1 / np.sqrt(c.gain.max()) == pytest.approx(1.18, abs=0.05)
    assert c.gain.max() / np.median(c.gain) > lf.gain.max() / np.median(lf.gain)


def test_bipolar_montage_known_layout():
    labels = ["A1", "A2", "A3", "B'2", "B'1", "C1", "C3", "ECG", "A'1", "A'2"]
    M, names = bipolar_montage(labels)
    assert names == ("A1-A2", "A2-A3", "B'1-B'2", "A'1-A'2")
    expect = np.zeros((4, 10))
    expect[0, [0, 1]] = [1, -1]
    expect[1, [1, 2]] = [1, -1]
    expect[2, [4, 3]] = [1, -1]
    expect[3, [8, 9]] = [1, -1]
    np.testing.assert_array_equal(M, expect)
    assert electrode_of("B'12") == "B'" and electrode_of("OR15") == "OR" and electrode_of("ECG") == "ECG"
    # on seeg_588: 64 electrodes, 588 contacts -> 588 - 64 bipolar channels
    contacts = read_contacts("seeg_588")
    M, names = bipolar_montage(contacts.labels)
    assert len(names) == 588 - len({electrode_of(l) for l in contacts.labels}) == 524
    g = SEEG(montage="bipolar").gain()
    mono = SEEG().gain()
    i, j = contacts.labels.index("TP1"), contacts.labels.index("TP2")
    np.testing.assert_allclose(g[0], mono[i] - mono[j])


def test_contact_file_errors(tmp_path):
    good = tmp_path / "c.txt"
    good.write_text("# contacts\nA1 1 2 3\nA2\t1.5\t2\t3\t\n\nB1 0 0 0\n")
    c = read_contacts(good)
    assert c.labels == ("A1", "A2", "B1") and c.positions[1, 0] == 1.5
    cases = {
        "A1 1 2 3\nA2 1 2\n": "line 2",
        "A1 1 2 3\nA2 1 x 3\n": "line 2",
        "A1 1 2 3\nA1 4 5 6\n": "repeats line 1",
        "A1 1 nan 3\n": "line 1",
        "# nothing\n\n": "no sensors",
    }
    for i, (text, msg) in enumerate(cases.items()):
        p = tmp_path / f"bad{i}.txt"
        p.write_text(text)
        with pytest.raises(InputError, match=msg) as e:
            read_contacts(p)
        assert str(p) in str(e.value) and e.value.field == "contacts"
    with pytest.raises(InputError, match="not found"):
        read_contacts(tmp_path / "missing.txt")
    # a user contact file drives the SEEG monitor (centres method, tvb76)
    m = SEEG(good, method="centres")
    assert m.gain().shape == (3, 76)


# -- user lead fields -----------------------------------------------------------

def test_user_leadfield_files(tmp_path):
    import scipy.io

    rng = np.random.default_rng(7)
    G = rng.standard_normal((5, 76))
    np.save(tmp_path / "g.npy", G)
    scipy.io.savemat(tmp_path / "g.mat", {"Gain": G, "note": np.array([[1.0]])})
    for f in ("g.npy", "g.mat"):
        lf = load_leadfield(tmp_path / f, "eeg")
        np.testing.assert_array_equal(lf.gain, G)
        m = EEG(tmp_path / f, reference=None)
        np.testing.assert_allclose(m.project(np.eye(76)), G.T)
    # vertex-level gain + region mapping
    Gv = rng.standard_normal((3, 10))
    np.save(tmp_path / "v.npy", Gv)
    rm = np.array([0, 0, 1, 2, 2, 2, 1, 0, 1, 2])
    lf = load_leadfield(tmp_path / "v.npy", "meg", region_mapping=rm)
    np.testing.assert_allclose(lf.gain[:, 2], Gv[:, rm == 2].sum(1))
    # errors name the file
    bad = G.copy()
    bad[2, 3] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(InputError, match="non-finite") as e:
        load_leadfield(tmp_path / "nan.npy")
    assert "nan.npy" in str(e.value)
    allnan = G.copy()
    allnan[1] = np.nan
    np.save(tmp_path / "row.npy", allnan)
    assert load_leadfield(tmp_path / "row.npy").dropped == ("S2",)
    scipy.io.savemat(tmp_path / "two.mat", {"A": G, "B": G})
    with pytest.raises(InputError, match="variable"):
        load_leadfield(tmp_path / "two.mat")
    assert load_leadfield(tmp_path / "two.mat", variable="B").n_sensors == 5
    (tmp_path / "g.csv").write_text("1,2\n")
    with pytest.raises(InputError, match="unsupported"):
        load_leadfield(tmp_path / "g.csv")
    np.save(tmp_path / "v3.npy", np.zeros((2, 3, 4)))
    with pytest.raises(InputError, match="2-D"):
        load_leadfield(tmp_path / "v3.npy")
    with pytest.raises(InputError, match="region columns"):
        EEG(tmp_path / "v.npy").prepare(None, 76)


def test_mne_forward_needs_mne(tmp_path):
    p = tmp_path / "sub-fwd.fif"
    p.write_bytes(b"not a fif")
    try:
        import mne  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match="needs mne"):
            load_leadfield(p, "eeg")
    else:
        with pytest.raises(InputError, match="MNE forward"):
            load_leadfield(p, "eeg")


# -- specs ----------------------------------------------------------------------

def test_get_observer_specs():
    from braintwin.connectome import builtin

    conn = builtin("tvb76")
    b = get_observer("bold:tr=720,constants=friston2003")
    assert isinstance(b, Bold) and b.tr == 720.0 and b.constants.name == "friston2003"
    assert get_observer("bold:2000").tr == 2000.0
    e = get_observer("eeg:period=1", conn)
    assert isinstance(e, EEG) and e.period == 1.0 and e.reference == "average"
    assert isinstance(get_observer("meg"), MEG)
    s = get_observer("seeg:period=1,montage=bipolar", conn)
    assert isinstance(s, SEEG) and s.montage == "bipolar" and s.channel_labels(conn.labels)[0] == "TP1-TP2"
    assert get_observer("eeg:reference=none,noise=0.5,seed=3").noise_std == 0.5
    for spec, field in [("pet", "kind"), ("bold:te=30", "te"), ("eeg:montage=bipolar", "montage"), ("bold:tr=abc", "tr"),
                        ("seeg:montage=tripolar", "montage"), ("bold:constants=nope", "constants"), ("eeg:period=-1", "period")]:
        with pytest.raises(InputError) as e:
            get_observer(spec)
        assert e.value.field == field, (spec, e.value)
    other = types.SimpleNamespace(labels=["x", "y", "z"], n_regions=3)  # regions the built-in lead field lacks
    with pytest.raises(InputError, match="no column") as e:
        get_observer("eeg", other)
    assert e.value.field == "lead_field" and "eeg" in str(e.value)


# -- end to end -----------------------------------------------------------------

def test_end_to_end_simulate_with_observers():
    import braintwin as bt

    conn = bt.Connectome.builtin("tvb76").normalized("max")
    res = bt.simulate(conn, bt.models.MontbrioPazoRoxin(), duration=4000.0, dt=0.1, noise=(0.01, 0.02),
                      monitors=[Bold(tr=720.0), SEEG(montage="bipolar", period=2.0), EEG(), "tavg:1.0"])
    bold = res["bold"]
    assert bold.data.shape == (5, 1, 76) and np.all(np.isfinite(bold.data))
    np.testing.assert_allclose(bold.time, [720, 1440, 2160, 2880, 3600])
    assert bold.labels == tuple(conn.labels)
    assert np.ptp(bold.data[:, 0], axis=0).min() > 0  # it moves
    # the streamed BOLD is the offline model of the engine's 1 ms averages
    r = res["tavg"]["r"]
    np.testing.assert_allclose(bold.data[:, 0], balloon_bold(r, 1.0, tr=720.0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res["eeg"].data[:, 0], EEG().project(r), rtol=1e-9, atol=1e-9 * np.abs(res["eeg"].data).max())
    assert res["seeg"].data.shape == (2000, 1, 524) and res["seeg"].labels[0] == "TP1-TP2"
    np.testing.assert_allclose(res["seeg"].time[:2], [1.0, 3.0])
