"""The Virtual Epileptic Patient: synthetic truth by simulation, JAX/numba parity, NUTS recovery, readers, CLI."""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("numpyro")

import braintwin as bt
import braintwin.features  # noqa: F401  (bt.features)
import braintwin.vep as vep
from braintwin.errors import BraintwinWarning, InputError
from braintwin.models.coupling import Difference

SMALL = ["rAMYG", "rPHC", "rHC", "rTCI", "rTCV", "rTCPOL", "rTCC", "rTCS", "rIA", "rV1"]
EZ = ["rTCC", "rTCV"]
PZ = ["rTCI", "rAMYG", "rTCPOL", "rTCS"]


@pytest.fixture(scope="module")
def small_patient():
    conn = bt.Connectome.builtin("tvb76").subset(SMALL)
    return vep.synthetic_patient(conn, ez=EZ, pz=PZ, dt=0.25, n_times=80, n_contacts=16, tau0=20.0, seed=1)


def _sim_x(conn, x0, K, tau0, dt, n, initial):
    r = bt.simulate(conn, bt.models.VEP2D(x0=x0, K=K, tau0=tau0), coupling=Difference(a=1.0), delays=False, method="heun",
                    dt=dt, duration=n * dt, monitors=[f"subsample:{dt}"], outputs=["x"], initial=initial, engine="numba")
    return r["subsample"].data[:, 0, :]


# -- synthetic patients -------------------------------------------------------------------------


def test_synthetic_labels_are_defined_by_simulation(small_patient):
    p = small_patient
    assert set(p.ez) == set(EZ)
    assert len(p.pz) >= 3
    # EZ: seize on their own (K = 0) and in the network; PZ: seize only when coupled
    alone = _sim_x(p.connectome, p.x0, 0.0, p.tau0, p.dt, len(p.times), p.initial)
    coupled = _sim_x(p.connectome, p.x0, p.K, p.tau0, p.dt, len(p.times), p.initial)
    seize_alone = (alone > -0.5).any(0)
    seize_net = (coupled > -0.5).any(0)
    labels = np.where(seize_alone & seize_net, "EZ", np.where(seize_net, "PZ", "healthy"))
    assert list(labels) == list(p.labels)
    assert np.allclose(coupled, p.x)
    # the PZ regions are recruited after the EZ started
    ez_on = np.nanmin(p.onsets[p.labels == "EZ"])
    assert np.all(p.onsets[p.labels == "PZ"] > ez_on)
    # the observation is the VEP forward model plus noise
    clean = bt.features.vep_observation(p.x, p.gain, p.amplitude, p.offset)
    assert np.allclose(clean, p.clean)
    assert 0.05 < np.std(p.observation - p.clean) < 0.2
    assert p.observation.shape == (80, 16) and p.gain.shape == (16, 10)
    s = p.summary()
    assert json.dumps(s) and s["ez"] and s["pz"]
    from matplotlib.figure import Figure

    assert isinstance(p.plot(), Figure)


def test_synthetic_no_pz_raises_or_warns():
    # tvb76, max-normalised weights, healthy x0 = -3.5: the difference coupling holds the candidates down
    kw = dict(ez=["lPCS", "lTCS"], pz=["lCCR", "lPCM"], n_contacts=20, n_times=100, K=[0.02, 0.1, 0.5], tau0=[20.0])
    with pytest.raises(InputError, match="recruits 0 region"):
        vep.synthetic_patient("tvb76", **kw)
    with pytest.warns(BraintwinWarning, match="recruits 0 region"):
        p = vep.synthetic_patient("tvb76", on_no_pz="warn", **kw)
    assert p.pz == [] and set(p.ez) == {"lPCS", "lTCS"}
    assert all(e["recruited"] == [] for e in p.search if e["ez_seize"])


def test_synthetic_input_errors():
    with pytest.raises(InputError, match="no region 'rXYZ'"):
        vep.synthetic_patient("tvb76", ez=["rXYZ"])
    with pytest.raises(InputError, match="both EZ and PZ"):
        vep.synthetic_patient("tvb76", ez=["rHC"], pz=["rHC"])
    with pytest.raises(InputError, match="on_no_pz"):
        vep.synthetic_patient("tvb76", ez=["rHC"], on_no_pz="ignore")


def test_default_x0_prior_is_unimodal_away_from_its_bounds():
    """The logit-normal x0 prior has one mode, inside the healthy range, not at a bound.

    A logit-normal turns bimodal once its scale passes about sqrt(2); the old default (1.5)
    put its mode at -3.80 against the bound -4, where poorly seen regions then piled up
    (see ``VEPPriors.x0_scale``).  Density by change of variables from the logit."""
    pr = vep.VEPPriors()
    lo, hi = pr.x0_bounds
    x = np.linspace(lo + 1e-4, hi - 1e-4, 30001)
    u = np.log((x - lo) / (hi - x))
    dens = np.exp(-0.5 * ((u - pr.u_loc) / pr.x0_scale) ** 2) / ((x - lo) * (hi - x))
    peaks = np.flatnonzero((dens[1:-1] > dens[:-2]) & (dens[1:-1] > dens[2:])) + 1
    assert len(peaks) == 1
    mode = x[peaks[0]]
    assert lo + 0.5 < mode < vep.critical_x0(), mode  # well inside, below the seizure threshold
    assert dens[1] < 0.05 * dens[peaks[0]] and dens[-2] < 0.05 * dens[peaks[0]]  # no mass piled at either bound
    # the old default fails the same check: its mode lies within 0.25 of the lower bound
    old = np.exp(-0.5 * ((u - pr.u_loc) / 1.5) ** 2) / ((x - lo) * (hi - x))
    assert x[np.argmax(old)] < lo + 0.25


def test_critical_x0_separates_seizing_from_resting():
    assert vep.critical_x0(3.1) == pytest.approx(-2.0620, abs=1e-4)
    conn = bt.Connectome.builtin("tvb76").subset(["rHC", "rPHC"])
    x = _sim_x(conn, np.array([-1.9, -2.2]), 0.0, 20.0, 0.1, 1500, np.array([[-2.0, -2.0], [4.0, 4.0]]))
    assert (x[:, 0] > -0.5).any() and not (x[:, 1] > -0.5).any()


def test_resting_state_is_the_network_equilibrium():
    """resting_state solves dfun(y, c(y)) = 0 (NumPy and JAX agree); a run started there stays there below x0c."""
    import jax
    import jax.numpy as jnp

    from braintwin.infer.nuts import x64
    from braintwin.vep.model import resting_state

    conn = bt.Connectome.builtin("tvb76").normalized("max").with_zero_diagonal()
    W = np.asarray(conn.weights)
    rng = np.random.default_rng(0)
    model = bt.models.VEP2D()
    for K in (0.0, 0.1, 1.0, 3.0):
        x0 = rng.uniform(-4.0, -1.0, W.shape[0])
        y = resting_state(W, x0, K)
        c = W @ y[0] - W.sum(1) * y[0]  # difference coupling, a = 1
        f = model.evaluate(y, (c,), np.stack([np.broadcast_to(v, x0.shape) for v in
                                              [dict(x0=x0, K=K).get(n, model.values[n]) for n in model.parameter_names]]))
        assert np.abs(f).max() < 1e-10, K
    # isolated region: the x and z nullclines meet (published VEP2D: z = 1 + I1 - x^3 - 2x^2 = 4 (x - x0))
    x, z = resting_state(np.zeros((1, 1)), np.array([-2.5]), 0.0)
    assert abs(z[0] - (4.1 - x[0] ** 3 - 2 * x[0] ** 2)) < 1e-12 and abs(z[0] - 4 * (x[0] + 2.5)) < 1e-12
    with pytest.raises(InputError, match="no resting state"):  # too few iterations: said, not returned
        resting_state(W, rng.uniform(-4.0, -1.0, W.shape[0]), 3.0, n_iter=1)
    # a healthy network started at rest stays at rest
    x0 = np.full(W.shape[0], -2.5)
    y = resting_state(W, x0, 0.1)
    xs = _sim_x(conn, x0, 0.1, 20.0, 0.25, 100, y)
    assert np.abs(xs - y[0]).max() < 1e-8
    with x64():
        yj = jax.jit(lambda a: resting_state(W, a, 0.1, m=jnp))(jnp.asarray(x0))
        g = jax.grad(lambda a, k: resting_state(W, a, k, m=jnp)[0][3], argnums=(0, 1))(jnp.asarray(x0), 0.1)
    assert np.abs(np.asarray(yj) - y).max() < 1e-12
    e, d = 1e-6, np.zeros_like(x0)
    d[3] = 1e-6
    fd_x0 = (resting_state(W, x0 + d, 0.1)[0][3] - resting_state(W, x0 - d, 0.1)[0][3]) / (2 * e)
    fd_K = (resting_state(W, x0, 0.1 + e)[0][3] - resting_state(W, x0, 0.1 - e)[0][3]) / (2 * e)
    assert float(g[0][3]) == pytest.approx(fd_x0, rel=1e-5) and float(g[1]) == pytest.approx(fd_K, rel=1e-5, abs=1e-8)


def test_synthetic_patient_at_rest():
    """initial="rest": the recording starts at the network equilibrium; healthy regions stay flat, labels by simulation."""
    from braintwin.vep.model import resting_state

    conn = bt.Connectome.builtin("tvb76").subset(SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BraintwinWarning)
        p = vep.synthetic_patient(conn, ez=EZ, pz=PZ, dt=0.25, n_times=80, n_contacts=16, tau0=20.0, seed=1, initial="rest",
                                  init_jitter=0.02, min_pz=0, on_no_pz="warn")
    rest = resting_state(p.connectome.weights, p.x0, p.K, p.I1)
    dev = p.initial - rest
    assert 0 < np.abs(dev).max() < 0.02 * 6  # the equilibrium plus the jitter
    healthy = p.labels == "healthy"
    assert healthy.any()
    # healthy regions only relax from the jitter back to rest (no transient from a far start)
    before = p.times < np.nanmin(p.onsets)
    assert before.sum() >= 4
    assert np.abs(p.x[before][:, healthy] - rest[0][healthy]).max() < 0.1
    assert set(EZ) <= set(p.ez)
    # the EZ starts at its unstable focus: it leaves it and seizes
    assert np.all(np.isfinite(p.onsets[[p.region_labels.index(r) for r in EZ]]))
    with pytest.raises(InputError, match="initial"):
        vep.synthetic_patient(conn, ez=EZ, pz=PZ, initial="calm")


def test_suggest_pz_and_select_contacts():
    conn = bt.Connectome.builtin("tvb76").normalized("max").with_zero_diagonal()
    pz = vep.suggest_pz(conn, ["rAMYG", "rPHC"], 3)
    assert pz[0] == "rHC" and len(pz) == 3  # rHC receives input only from rPHC
    G, labels, pos = vep.patient_gain(conn, "seeg_588", 30)
    assert G.shape == (30, 76) and len(labels) == 30 and pos.shape == (30, 3)
    assert np.all(G > 0)
    with pytest.raises(InputError, match="cannot select"):
        vep.select_contacts(G, 31)


# -- JAX forward model ---------------------------------------------------------------------------


def test_jax_forward_equals_numba_engine():
    import jax
    import jax.numpy as jnp

    conn = bt.Connectome.builtin("tvb76").normalized("max").with_zero_diagonal()
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-3.5, -1.6, 76)
    init = np.stack([rng.uniform(-2.2, -1.8, 76), rng.uniform(3.8, 4.2, 76)])
    for K, tau0, dt, steps in ((0.1, 20.0, 0.25, 1), (0.4, 12.0, 0.1, 3)):
        n = 120
        r = bt.simulate(conn, bt.models.VEP2D(x0=x0, K=K, tau0=tau0), coupling=Difference(a=1.0), delays=False, method="heun",
                        dt=dt, duration=n * steps * dt, monitors=[f"subsample:{steps * dt}"], outputs=["x"], initial=init,
                        engine="numba")
        ref = r["subsample"].data[:, 0, :]
        with jax.enable_x64(True):
            f = jax.jit(vep.make_forward(conn.weights, dt=dt, n_samples=n, steps_per_sample=steps))
            x = np.asarray(f(jnp.asarray(x0), K, tau0, 3.1, jnp.asarray(init)))
            # the guard-rail bounds used in inference change nothing in normal dynamics
            g = jax.jit(vep.make_forward(conn.weights, dt=dt, n_samples=n, steps_per_sample=steps, safe_bounds=vep.model.SAFE_BOUNDS))
            xg = np.asarray(g(jnp.asarray(x0), K, tau0, 3.1, jnp.asarray(init)))
        assert x.dtype == np.float64
        rel = np.max(np.abs(x - ref) / np.maximum(np.abs(ref), 1e-12))
        assert rel <= 1e-6, rel
        assert np.array_equal(x, xg)
        assert (ref > -0.5).any()  # the comparison covers seizures


def test_first_sample_follows_the_flow_from_every_prior_initial_state(small_patient):
    """The fit's forward integrates the first sample finely enough that the stiff relaxation from the
    fitted initial x stays monotone (an ODE flow in 1-D preserves order) and accurate, over the prior's
    +- 4 sd; one Heun step of the sampling period folds below x = -2.58 (the bug this guards)."""
    import jax
    import jax.numpy as jnp

    p = small_patient
    prob = p.problem()
    pr = prob.priors
    n = prob.n_regions
    assert prob.steps_per_sample == 1 and prob.first_steps > 1
    xs = np.linspace(pr.x_init_loc - 4 * pr.x_init_scale, pr.x_init_loc + 4 * pr.x_init_scale, 161)
    x0 = jnp.full(n, -3.5)

    def first_sample(fwd):
        f = jax.jit(jax.vmap(lambda xi: fwd(x0, 0.0, prob.tau0, prob.I1, jnp.stack([jnp.full(n, xi), jnp.full(n, pr.z_init_loc)]))[0, 0]))
        return np.asarray(f(jnp.asarray(xs)))

    with jax.enable_x64(True):
        x1 = first_sample(prob.forward())
        coarse = first_sample(prob.forward(first_steps=1))
        fine = first_sample(prob.forward(first_steps=400))  # the flow itself, to ~1e-9
        later = np.asarray(prob.forward()(x0, 0.3, prob.tau0, prob.I1, jnp.stack([jnp.full(n, -2.0), jnp.full(n, 4.0)])))
        later_coarse = np.asarray(prob.forward(first_steps=1)(x0, 0.3, prob.tau0, prob.I1, jnp.stack([jnp.full(n, -2.0), jnp.full(n, 4.0)])))
    assert np.all(np.diff(fine) > 0)
    assert np.all(np.diff(x1) > 0)
    assert np.max(np.abs(x1 - fine)) < 0.05  # within half the log-power noise sd (0.1) at the prior's -4 sd
    assert not np.all(np.diff(coarse) > 0)  # the single coarse step folds
    assert np.max(np.abs(coarse - fine)) > 0.2
    # near the slow manifold the first sample barely changes, and later samples keep dt
    assert later.shape == (prob.n_times, n) and np.max(np.abs(later - later_coarse)) < 5e-3


def test_jax_envelope_equals_feature_and_is_differentiable():
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    x = rng.uniform(-2.5, 1.0, (30, 8))
    G = rng.uniform(0.01, 1.0, (5, 8))
    with jax.enable_x64(True):
        y = np.asarray(vep.seeg_envelope(jnp.asarray(x), G, 1.3, -0.2))
        g = jax.grad(lambda a: vep.seeg_envelope(a, G, 1.0, 0.0).sum())(jnp.asarray(x))
    assert np.allclose(y, bt.features.vep_observation(x, G, 1.3, -0.2), rtol=1e-12, atol=1e-12)
    assert np.all(np.isfinite(np.asarray(g)))


def test_constrain_unconstrain_round_trip(small_patient):
    from braintwin.vep.model import constrain, unconstrain

    prob = small_patient.problem()
    vals = small_patient.truth
    back = constrain(prob, unconstrain(prob, vals))
    for k in ("x0", "x_init", "z_init", "K", "amplitude", "offset", "eps"):
        assert np.allclose(back[k], vals[k], atol=1e-9), k
    with pytest.raises(InputError, match="x0_loc"):
        vep.VEPPriors(x0_loc=-0.5)
    # initial="rest": the initial state is a deviation from the resting state of x0 and K
    import dataclasses

    from braintwin.vep.model import resting_state, vep_model
    from numpyro.handlers import seed, substitute, trace

    rp = dataclasses.replace(prob, priors=vep.VEPPriors(initial="rest"))
    star = unconstrain(rp, vals)
    back = constrain(rp, star)
    for k in ("x0", "x_init", "z_init", "K"):
        assert np.allclose(back[k], vals[k], atol=1e-9), k
    at_rest = constrain(rp, unconstrain(rp, {"x0": vals["x0"], "K": vals["K"]}))
    assert np.allclose(np.stack([at_rest["x_init"], at_rest["z_init"]]), resting_state(rp.weights, vals["x0"], vals["K"], rp.I1))
    from braintwin.infer.nuts import x64

    with x64():
        tr = trace(substitute(seed(vep_model, 0), data=star)).get_trace(rp)
    assert np.allclose(np.asarray(tr["z_init"]["value"]), vals["z_init"], atol=1e-8)
    with pytest.raises(InputError, match="initial"):
        vep.VEPPriors(initial="calm")


def test_problem_checks_inputs(small_patient):
    p = small_patient
    W = np.asarray(p.connectome.weights)
    with pytest.raises(InputError, match="gain"):
        vep.VEPProblem(p.observation, -p.gain, W)
    with pytest.raises(InputError, match="weights"):
        vep.VEPProblem(p.observation, p.gain, W[:3, :3])
    obs = p.observation.copy()
    obs[3, 2] = np.nan
    with pytest.raises(InputError, match="non-finite"):
        vep.VEPProblem(obs, p.gain, W)


# -- NUTS recovery (reduced size) -------------------------------------------------------------------


def test_nuts_recovers_the_ez_small_network(small_patient):
    """10 regions, 16 contacts, 80 samples, 2 chains x 200 warm-up / 200 draws: the EZ and the PZ are recovered."""
    p = small_patient
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f = vep.fit_patient(p, num_chains=2, num_warmup=200, num_samples=200, seed=0, target_accept_prob=0.99)
    seconds = time.perf_counter() - t0  # about a minute on 2 cores; speed is the benchmark's business, not asserted here
    assert f.timings["total"] <= seconds + 1e-6
    acc = f.accuracy()
    assert acc["ez_precision"] == 1.0 and acc["ez_recall"] == 1.0, acc
    assert acc["pz_recall"] >= 0.75, acc
    assert acc["correct"] >= 9, acc
    ez = [i for i, l in enumerate(p.region_labels) if l in EZ]
    assert np.all(f.labels.p_ez[ez] > 0.9)
    assert np.allclose(f.x0_samples[:, ez].mean(0), -1.6, atol=0.1)
    assert f.x0_samples.shape == (400, 10)
    # diagnostics are computed and never silent
    d = f.diagnostics
    assert set(d.rhat) == {"x0", "K", "amplitude", "offset", "eps"}
    assert d.zscore and d.shrinkage["x0"].shape == (10,)
    assert np.isfinite(f.ess_per_second) and f.ess_per_second > 0
    if not d.ok:
        assert any(issubclass(x.category, BraintwinWarning) and "diagnostics failed" in str(x.message) for x in w)
    assert d.max_rhat("x0") < 1.2  # short chains: flagged at 1.01, but mixed enough to trust the labels
    # predictive check and figures
    assert f.ppc["envelope"].shape == (3, 80, 16)
    lo, hi = f.ppc["envelope"][0], f.ppc["envelope"][2]
    inside = np.mean((p.observation >= lo) & (p.observation <= hi))
    assert inside > 0.8
    from matplotlib.figure import Figure

    assert isinstance(f.plot(), Figure) and isinstance(f.plot_ppc(), Figure)
    s = f.summary()
    json.dumps(s)
    assert s["accuracy"]["ez_recall"] == 1.0


def test_label_rules():
    x0 = np.array([[-1.6, -2.04, -2.3, -3.0]] * 10)
    net = np.array([[True, True, False, False]] * 10)
    alone = np.array([[True, False, False, False]] * 10)
    regions = ["a", "b", "c", "d"]
    t = vep.label_regions(x0, net, alone, regions)
    assert list(t.label) == ["EZ", "PZ", "healthy", "healthy"]
    t2 = vep.label_regions(x0, net, alone, regions, ez_rule="threshold", pz_rule="threshold")
    assert list(t2.label) == ["EZ", "EZ", "PZ", "healthy"]  # the threshold rule calls a region at -2.04 EZ
    assert np.allclose(t.p_ez + t.p_pz + t.p_healthy, 1.0)
    cmp = t.compare(["EZ", "PZ", "healthy", "PZ"])
    assert cmp["correct"] == 3 and cmp["pz_recall"] == 0.5 and cmp["ez_precision"] == 1.0
    with pytest.raises(InputError, match="ez_rule"):
        vep.label_regions(x0, net, alone, regions, ez_rule="bogus")


# -- readers ------------------------------------------------------------------------------------------


def test_read_seeg_formats(tmp_path):
    rng = np.random.default_rng(2)
    y = rng.standard_normal((50, 4))
    np.save(tmp_path / "s.npy", y)
    r = vep.read_seeg(tmp_path / "s.npy")
    assert np.allclose(r.data, y) and r.labels == ("C1", "C2", "C3", "C4")
    (tmp_path / "s.csv").write_text("A1,A2,B1,B2\n" + "\n".join(",".join(f"{v:.17g}" for v in row) for row in y))
    r = vep.read_seeg(tmp_path / "s.csv")
    assert np.allclose(r.data, y) and r.labels == ("A1", "A2", "B1", "B2")
    (tmp_path / "s.tsv").write_text("\n".join("\t".join(f"{v:.17g}" for v in row) for row in y))
    assert np.allclose(vep.read_seeg(tmp_path / "s.tsv").data, y)
    r = vep.read_seeg(tmp_path / "s.csv", channels=["B2", "A1"])
    assert r.labels == ("B2", "A1") and np.allclose(r.data, y[:, [3, 0]])


def test_reader_errors_name_file_and_field(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("A1,A2\n1,2\n3,x\n")
    with pytest.raises(InputError) as e:
        vep.read_seeg(bad)
    assert str(bad) in str(e.value) and e.value.field == "seeg" and "line 3" in str(e.value)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("1,2\n3\n")
    with pytest.raises(InputError, match="line 2 has 1 values"):
        vep.read_seeg(ragged)
    with pytest.raises(InputError) as e:
        vep.read_seeg(tmp_path / "missing.npy")
    assert "missing.npy" in str(e.value) and "not found" in str(e.value)
    nan = tmp_path / "nan.npy"
    np.save(nan, np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(InputError, match="non-finite"):
        vep.read_seeg(nan)
    (tmp_path / "x.mat").write_bytes(b"MATLAB")
    with pytest.raises(InputError, match="unsupported file type"):
        vep.read_seeg(tmp_path / "x.mat")
    z = tmp_path / "two.npz"
    np.savez(z, a=np.ones((3, 2)), b=np.ones((3, 2)))
    with pytest.raises(InputError, match="say which array"):
        vep.read_seeg(z)
    with pytest.raises(InputError, match="no contact"):
        np.save(tmp_path / "ok.npy", np.ones((5, 2)))
        vep.read_seeg(tmp_path / "ok.npy", channels=["Z9"])
    edf = tmp_path / "rec.edf"
    edf.write_bytes(b"0" * 256)
    try:
        import mne  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match="MNE") as e:
            vep.read_seeg(edf)
        assert str(edf) in str(e.value)
    else:
        with pytest.raises(InputError, match="EDF"):
            vep.read_seeg(edf)
    # gains
    g = tmp_path / "g.npy"
    np.save(g, -np.ones((3, 4)))
    with pytest.raises(InputError) as e:
        vep.read_gain(g)
    assert "negative" in str(e.value) and e.value.field == "gain" and str(g) in str(e.value)
    np.save(g, np.ones((4, 3)))
    with pytest.raises(InputError, match="transposed"):
        vep.read_gain(g, n_contacts=3, n_regions=4)
    np.save(g, np.vstack([np.ones((1, 4)), np.zeros((1, 4))]))
    with pytest.raises(InputError, match="all zero"):
        vep.read_gain(g)
    gc = tmp_path / "g.csv"
    gc.write_text(",r1,r2\nc1,1,2\nc2,3,4\n")
    G, rows, cols = vep.read_gain(gc)
    assert np.allclose(G, [[1, 2], [3, 4]]) and rows == ("c1", "c2") and cols == ("r1", "r2")
    with pytest.raises(InputError, match="not found"):
        vep.read_contacts_file(tmp_path / "nope.txt")


# -- command line -------------------------------------------------------------------------------------


def test_cli_vep_fit_on_files(tmp_path, small_patient, capsys):
    import braintwin.cli.vep  # noqa: F401  (registers the sub-app)
    from braintwin.cli import main

    p = small_patient
    seeg = tmp_path / "seeg.csv"
    seeg.write_text(",".join(p.contact_labels) + "\n" + "\n".join(",".join(f"{v:.10g}" for v in r) for r in p.observation))
    gain = tmp_path / "gain.npy"
    np.save(gain, p.gain)
    conn_file = tmp_path / "conn.npz"
    p.connectome.save(conn_file)
    out = tmp_path / "out"
    rc = main(["vep", "fit", "--seeg", str(seeg), "--gain", str(gain), "--connectome", str(conn_file), "--out", str(out),
               "--dt", str(p.dt), "--tau0", str(p.tau0), "--chains", "2", "--warmup", "60", "--samples", "60",
               "--n-times", "0", "--no-progress"])
    assert rc in (0, 1)  # 1: ran, but its diagnostics failed (said on stderr)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_regions"] == 10 and summary["n_contacts"] == 16
    rows = (out / "labels.csv").read_text().strip().splitlines()
    assert rows[0].startswith("region,label") and len(rows) == 11
    labels = {r.split(",")[0]: r.split(",")[1] for r in rows[1:]}
    assert all(labels[r] == "EZ" for r in EZ)
    for name in ("vep_fit.png", "vep_ppc.png", "vep_diagnostics.png", "posterior.npz"):
        assert (out / name).stat().st_size > 0
    err = capsys.readouterr().err
    assert "R-hat" in err


def test_slow_initial_state_is_relaxed_onto_the_x_nullcline_above_the_knee(small_patient):
    """initial="slow": z(0) never under the knee (no seizure at t = 0), x(0) the resting branch of VEP2D's own fast equation."""
    import dataclasses

    from braintwin.infer.nuts import x64
    from braintwin.models import VEP2D
    from braintwin.vep.model import constrain, unconstrain, vep_model
    from braintwin.workflows.vep.equilibrium import knee_z
    from numpyro.handlers import seed, substitute, trace

    prob = dataclasses.replace(small_patient.problem(), priors=vep.VEPPriors(initial="slow", z_init_loc=3.5))
    n = prob.n_regions
    rng = np.random.default_rng(0)
    star = unconstrain(prob, {"x0": small_patient.truth["x0"], "K": small_patient.truth["K"]})
    assert "x_init_star" not in star
    star["z_init_star"] = 4.0 * rng.standard_normal(n)  # far into both tails of the prior
    c = constrain(prob, star)
    zk = knee_z(prob.I1)
    assert zk == pytest.approx(2.9148, abs=1e-4)  # 1 + I1 - x^3 - 2x^2 at x = -4/3
    assert c["z_init"].min() >= zk + 0.1 - 1e-12
    assert np.all(c["x_init"] < -4.0 / 3.0)  # the lower (resting) branch, below the knee's x
    model = VEP2D()  # the model's own equations: dx/dt vanishes at (x(0), z(0)) for any coupling
    defaults = {q.name: float(q.default) for q in model.parameters}
    given = {"x0": -3.0, "K": 0.0, "I1": prob.I1, "tau0": prob.tau0}
    p = np.stack([np.full(n, given.get(q, defaults[q])) for q in model.parameter_names])
    dx = model.evaluate(np.stack([c["x_init"], c["z_init"]]), (np.zeros(n),), p, m=np)[0]
    assert np.abs(dx).max() < 1e-10
    # the mid-range is the prior's identity map, and the round trip holds
    star["z_init_star"] = 0.3 * rng.standard_normal(n)
    c = constrain(prob, star)
    back = unconstrain(prob, c)
    assert np.allclose(back["z_init_star"], star["z_init_star"], atol=1e-8)
    with x64():
        tr = trace(substitute(seed(vep_model, 0), data=star)).get_trace(prob)
    assert "x_init_star" not in tr
    assert np.allclose(np.asarray(tr["x_init"]["value"]), c["x_init"], atol=1e-10)
    assert np.allclose(np.asarray(tr["z_init"]["value"]), c["z_init"], atol=1e-10)


def test_cli_vep_fit_errors(tmp_path, small_patient, capsys):
    import braintwin.cli.vep  # noqa: F401
    from braintwin.cli import main

    p = small_patient
    seeg = tmp_path / "seeg.npy"
    np.save(seeg, p.observation)
    gain = tmp_path / "gain.npy"
    np.save(gain, p.gain.T)
    conn_file = tmp_path / "conn.npz"
    p.connectome.save(conn_file)
    rc = main(["vep", "fit", "--seeg", str(seeg), "--gain", str(gain), "--connectome", str(conn_file)])
    assert rc == 2
    err = capsys.readouterr().err
    assert str(gain) in err and "gain" in err
    rc = main(["vep", "fit", "--seeg", str(seeg), "--connectome", str(conn_file)])
    assert rc == 2
    assert "--gain" in capsys.readouterr().err
