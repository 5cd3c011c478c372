"""The numba engine against the NumPy reference, and the engine's invariants."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

from braintwin.errors import BraintwinWarning, DivergenceError, InputError
from braintwin.models import Difference, Linear, MontbrioPazoRoxin
from braintwin.simulate import (
    PulseTrain,
    Simulation,
    Sine,
    Step,
    Stimulus,
    ArrayPattern,
    simulate,
    simulate_batch,
)


def _net(n=8, seed=0, max_len=60.0, density=0.6):
    rng = np.random.default_rng(seed)
    w = 0.2 * rng.random((n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(w, 0.05)  # self-connections with zero length: zero delay
    lengths = rng.uniform(1.0, max_len, (n, n))
    np.fill_diagonal(lengths, 0.0)
    return types.SimpleNamespace(weights=w, tract_lengths=lengths, labels=[f"r{i}" for i in range(n)], source="random")


@pytest.fixture(scope="module")
def net():
    return _net()


def _both(conn, model, duration, **kw):
    a = simulate(conn, model, duration=duration, engine="numba", **kw)
    b = simulate(conn, model, duration=duration, engine="numpy", **kw)
    return a, b


@pytest.mark.parametrize("method", ["heun", "euler", "rk4"])
def test_numba_matches_numpy_reference_deterministic(net, method):
    # speed 1 mm/ms, dt 0.1 ms: delays from 0 to 600 steps, so short (per-step),
    # long (block-wise) and zero-delay edges are all exercised.
    sim = Simulation(net, MontbrioPazoRoxin(), coupling=Linear(a=0.8), dt=0.1, speed=1.0, method=method, monitors=["raw"])
    assert len(sim.net.short[1]) > 0 and len(sim.net.long[1]) > 0
    assert np.any(sim.net.idelays[sim.net.weights > 0] == 0)
    a, b = _both(net, MontbrioPazoRoxin(), 100.0, coupling=Linear(a=0.8), dt=0.1, speed=1.0, method=method, monitors=["raw"], seed=4)
    assert a.ts.data.shape == (1000, 2, 8)
    np.testing.assert_allclose(a.ts.data, b.ts.data, rtol=1e-10, atol=1e-12)


def test_numba_matches_reference_stochastic_and_difference(net):
    model = MontbrioPazoRoxin(cv=0.3)
    kw = dict(coupling=Difference(a=0.2), dt=0.05, speed=2.0, noise=(0.01, 0.02), monitors=["tavg:1.0", "subsample:0.5"], seed=11)
    a, b = _both(net, model, 60.0, **kw)
    for name in ("tavg", "subsample"):
        np.testing.assert_allclose(a[name].data, b[name].data, rtol=1e-10, atol=1e-12)
    # the noise really acted
    c = simulate(net, model, duration=60.0, **{**kw, "noise": None})
    assert np.abs(c["tavg"].data - a["tavg"].data).max() > 1e-3


def test_zero_delays_read_current_state(net):
    a, b = _both(net, MontbrioPazoRoxin(), 30.0, coupling=Linear(a=1.0), dt=0.1, delays=False, monitors=["raw"], seed=2)
    np.testing.assert_allclose(a.ts.data, b.ts.data, rtol=1e-10, atol=1e-12)
    # with zero delays, the very first step already feels the coupling of every neighbour
    x0 = np.array([[0.5], [-1.0]]) * np.ones((2, 8))
    one = simulate(net, MontbrioPazoRoxin(), duration=0.1, dt=0.1, delays=False, coupling=Linear(a=1.0), initial=x0, monitors=["raw"], method="euler")
    zero = simulate(net, MontbrioPazoRoxin(), duration=0.1, dt=0.1, delays=False, coupling=Linear(a=0.0), initial=x0, monitors=["raw"], method="euler")
    dV = (one.ts["V"][0] - zero.ts["V"][0]) / 0.1
    np.testing.assert_allclose(dV, net.weights.sum(1) * 0.5, rtol=1e-9)


def test_rint_delays_like_tvb(net):
    sim = Simulation(net, MontbrioPazoRoxin(), dt=0.1, speed=3.0)
    np.testing.assert_array_equal(sim.net.idelays, np.rint(net.tract_lengths / 3.0 / 0.1).astype(int))


def test_constant_history_is_used(net):
    # a constant past of r = 1 in every region drives V through delayed coupling at once
    x0 = np.array([1.0, -2.0])
    a = simulate(net, MontbrioPazoRoxin(), duration=0.1, dt=0.1, coupling=Linear(a=1.0), initial=x0, method="euler", monitors=["raw"])
    b = simulate(net, MontbrioPazoRoxin(), duration=0.1, dt=0.1, coupling=Linear(a=0.0), initial=x0, method="euler", monitors=["raw"])
    np.testing.assert_allclose((a.ts["V"][0] - b.ts["V"][0]) / 0.1, net.weights.sum(1) * 1.0, rtol=1e-9)


def test_seed_reproducible_and_batch_equals_single(net):
    kw = dict(coupling=Linear(a=0.5), dt=0.1, noise=(0.01, 0.02), monitors=["tavg:1.0"])
    a = simulate(net, MontbrioPazoRoxin(), duration=50.0, seed=7, **kw)
    b = simulate(net, MontbrioPazoRoxin(), duration=50.0, seed=7, **kw)
    c = simulate(net, MontbrioPazoRoxin(), duration=50.0, seed=8, **kw)
    np.testing.assert_array_equal(a.ts.data, b.ts.data)
    assert np.abs(a.ts.data - c.ts.data).max() > 0
    G = np.array([0.1, 0.5, 0.9])
    seeds = [3, 7, 9]
    kwb = {k: v for k, v in kw.items() if k != "coupling"}
    b1 = simulate_batch(net, MontbrioPazoRoxin(), {"G": G}, seeds=seeds, duration=50.0, n_workers=1, dtype=np.float64, **kwb)
    b2 = simulate_batch(net, MontbrioPazoRoxin(), {"G": G}, seeds=seeds, duration=50.0, n_workers=2, dtype=np.float64, **kwb)
    np.testing.assert_array_equal(b1["tavg"].data, b2["tavg"].data)
    np.testing.assert_array_equal(b1["tavg"].data[1], a.ts.data)
    assert b1["tavg"].data.shape == (3, 50, 2, 8)


def test_per_region_parameters_in_batch(net):
    eta = np.full((2, 8), -5.0)
    eta[1, 3] = -4.0
    res = simulate_batch(net, MontbrioPazoRoxin(), {"eta": eta}, seeds=[1, 1], duration=20.0, dt=0.1, dtype=np.float64)
    d = np.abs(res["tavg"].data[1] - res["tavg"].data[0]).max(axis=(0, 1))
    assert d[3] > d[[0, 1, 2, 4, 5, 6, 7]].max()  # the changed region moves most


def test_divergence_is_flagged_not_silent(net):
    # euler with a huge step blows up; the run stops and says where and when
    with pytest.warns(BraintwinWarning, match="diverged"):
        res = simulate(net, MontbrioPazoRoxin(eta=10.0), duration=200.0, dt=0.5, method="euler", monitors=["raw"])
    assert res.diverged
    d = res.divergence
    assert 0 < d.time_ms < 200.0 and d.label == net.labels[d.region]
    assert np.all(np.isfinite(res.ts.data))
    assert res.ts.time[-1] < d.time_ms + 1e-9
    with pytest.raises(DivergenceError):
        simulate(net, MontbrioPazoRoxin(eta=10.0), duration=200.0, dt=0.5, method="euler", on_divergence="raise")
    # in a batch, the diverged run is flagged and the others go on
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = simulate_batch(net, MontbrioPazoRoxin(), {"eta": [-5.0, 1e4, -5.0]}, seeds=0, duration=50.0, dt=0.1, method="euler")
    assert b.diverged.tolist() == [False, True, False]
    assert b.divergences[0].sim == 1
    assert np.all(np.isfinite(b["tavg"].data[[0, 2]]))
    assert np.isnan(b["tavg"].data[1, -1]).all()


def test_a_batch_in_which_every_run_diverges_keeps_the_full_time_axis(net):
    """Every run stops early, yet the batch has the shape of one that reached its end (NaN after each stop)."""
    from braintwin.observe import Bold

    kw = dict(duration=3000.0, dt=0.5, method="euler", monitors=["tavg:1.0", Bold(tr=500.0)], on_divergence="ignore")
    b = simulate_batch(net, MontbrioPazoRoxin(), {"eta": [1e4, 2e4]}, seeds=0, **kw)
    assert b.diverged.tolist() == [True, True]
    assert b["tavg"].data.shape == (2, 3000, 2, 8) and b["bold"].data.shape == (2, 6, 1, 8)
    np.testing.assert_allclose(b["tavg"].time, np.arange(3000) + 0.5)  # TVB's averaging convention: mid-period
    np.testing.assert_allclose(b["bold"].time, 500.0 * np.arange(1, 7))
    assert np.isnan(b["tavg"].data[:, -1]).all() and np.isnan(b["bold"].data).all()
    ok = simulate_batch(net, MontbrioPazoRoxin(), {"eta": [-5.0]}, seeds=0, **kw)  # a run that reaches its end
    assert ok["bold"].data.shape[1:] == b["bold"].data.shape[1:] and ok["tavg"].data.shape[1:] == b["tavg"].data.shape[1:]


def test_state_bounds_hold_under_noise(net):
    res = simulate(net, MontbrioPazoRoxin(), duration=50.0, dt=0.1, noise=(0.5, 0.5), monitors=["raw"], seed=1)
    assert res.ts["r"].min() >= 0.0
    assert (res.ts["r"] == 0.0).any()  # the bound was actually hit


def test_monitors_temporal_average_and_subsample(net):
    res = simulate(net, MontbrioPazoRoxin(), duration=20.0, dt=0.1, noise=0.01, monitors=["raw", "tavg:1.0", "subsample:0.5"], seed=3)
    raw, tavg, sub = res["raw"], res["tavg"], res["subsample"]
    np.testing.assert_allclose(tavg.data, raw.data.reshape(20, 10, 2, 8).mean(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(sub.data, raw.data[4::5])
    np.testing.assert_allclose(raw.time[:3], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(tavg.time[:2], [0.5, 1.5])  # TVB: window centre
    np.testing.assert_allclose(sub.time[:2], [0.5, 1.0])


def test_output_expressions(net):
    res = simulate(net, MontbrioPazoRoxin(), duration=5.0, dt=0.1, outputs=["r", "V - r", "m.exp(V)"], monitors=["raw"])
    ts = res.ts
    np.testing.assert_allclose(ts["V - r"], np.log(ts["m.exp(V)"]) - ts["r"], rtol=1e-9)
    with pytest.raises(InputError, match="unknown name"):
        simulate(net, MontbrioPazoRoxin(), duration=1.0, outputs=["x2 - x1"])


def test_skipping_unused_coupling_is_exact(net):
    sim = Simulation(net, MontbrioPazoRoxin(), coupling=Linear(a=0.5), dt=0.1, speed=1.0, noise=0.01, monitors=["raw"])
    P, CQ = sim._param_arrays(None)
    assert sim.used_history(P, CQ) == (0,)  # cv = 0: V's delayed sum is not needed
    P2, CQ2 = sim._param_arrays({"cv": 0.5})
    assert sim.used_history(P2, CQ2) == (0, 1)
    a = sim.run(30.0, seed=1)
    from braintwin.simulate.numba_engine import KernelSpec, build_kernel

    sim._kernels[(0,)] = build_kernel(KernelSpec(sim.model, sim.coupling, "heun", sim.outputs, sim.noisy, False, (0, 1)))
    b = sim.run(30.0, seed=1)
    np.testing.assert_array_equal(a.ts.data, b.ts.data)


def test_stimulus_patterns_and_effect(net):
    t = np.arange(0, 30, 0.5)
    p = PulseTrain(amplitude=2.0, period=10.0, width=2.0, onset=5.0)(t)
    assert p[t == 5.0] == 2.0 and p[t == 7.0] == 0.0 and p[t == 15.5] == 2.0 and p[t == 4.5] == 0.0
    np.testing.assert_allclose(Sine(amplitude=1.0, frequency=50.0)(np.array([10.0])), 0.0, atol=1e-12)
    np.testing.assert_allclose(Sine(amplitude=2.0, frequency=50.0)(np.array([5.0])), 2.0)
    assert Step(amplitude=3.0, onset=1.0, stop=2.0)(np.array([0.5, 1.5, 2.5])).tolist() == [0.0, 3.0, 0.0]
    assert ArrayPattern(np.array([1.0, 2.0]), dt=1.0)(np.array([0.5, 1.5, 2.5])).tolist() == [1.0, 2.0, 0.0]
    stim = Stimulus(["r2"], Step(amplitude=1.0, onset=2.0))
    kw = dict(duration=10.0, dt=0.1, coupling=Linear(a=0.1), initial=np.array([0.1, -2.0]), monitors=["raw"])
    a = simulate(net, MontbrioPazoRoxin(), stimulus=stim, **kw)
    b = simulate(net, MontbrioPazoRoxin(), **kw)
    d = np.abs(a.ts["V"] - b.ts["V"]).max(axis=0)
    assert d[2] > 0.1 and d[2] > 5 * np.delete(d, 2).max()
    before = a.ts.time < 2.0
    np.testing.assert_array_equal(a.ts.data[before], b.ts.data[before])
    r = simulate(net, MontbrioPazoRoxin(), stimulus=stim, engine="numpy", **kw)
    np.testing.assert_allclose(a.ts.data, r.ts.data, rtol=1e-10, atol=1e-12)


def test_explicit_noise_normals(net):
    n_steps = 200
    z = np.random.default_rng(5).standard_normal((n_steps, 2, 8))
    kw = dict(duration=20.0, dt=0.1, noise=(0.01, 0.02), noise_normals=z, monitors=["raw"])
    a, b = _both(net, MontbrioPazoRoxin(), **kw)
    np.testing.assert_allclose(a.ts.data, b.ts.data, rtol=1e-10, atol=1e-12)
    # Euler: the increment is exactly sqrt(2 nsig dt) z on top of the deterministic step
    e = simulate(net, MontbrioPazoRoxin(), method="euler", **kw)
    det = simulate(net, MontbrioPazoRoxin(), duration=0.1, dt=0.1, monitors=["raw"], method="euler")
    np.testing.assert_allclose(e.ts.data[0] - det.ts.data[0], np.sqrt(2 * np.array([0.01, 0.02])[:, None] * 0.1) * z[0], rtol=1e-9)


def test_clear_errors(net):
    with pytest.raises(InputError, match="integrator"):
        simulate(net, MontbrioPazoRoxin(), duration=1.0, method="leapfrog")
    with pytest.raises(InputError, match="unknown parameter"):
        MontbrioPazoRoxin(etta=1.0)
    with pytest.raises(InputError, match="noise"):
        simulate(net, MontbrioPazoRoxin(), duration=1.0, noise=[0.1, 0.2, 0.3])
    with pytest.raises(InputError, match="whole number of steps"):
        simulate(net, MontbrioPazoRoxin(), duration=1.0, dt=0.1, monitors=["tavg:0.25"])
    with pytest.raises(InputError, match="rk4 is deterministic"):
        simulate(net, MontbrioPazoRoxin(), duration=1.0, method="rk4", noise=0.1)
    with pytest.raises(InputError, match="per region|one per region"):
        simulate(net, MontbrioPazoRoxin(eta=np.zeros(3)), duration=1.0)
    with pytest.raises(InputError, match="different lengths"):
        simulate_batch(net, MontbrioPazoRoxin(), {"G": [0.1, 0.2], "eta": [1, 2, 3]}, duration=1.0)
