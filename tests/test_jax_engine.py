"""The JAX engine: parity with the CPU engines, gradients, vmap batches, divergence."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import braintwin as bt  # noqa: E402
import braintwin.models as bm  # noqa: E402
from braintwin.errors import BraintwinWarning, DivergenceError, InputError  # noqa: E402
from braintwin.simulate import Simulation, Step, Stimulus, simulate, simulate_batch  # noqa: E402
from braintwin.simulate.jax_engine import make_network_simulator, simulate_batch_jax  # noqa: E402

PARITY_RTOL = 1e-6  # the bar: relative error <= 1e-6 in float64
GRAD_RTOL = 1e-4


@pytest.fixture(scope="module", autouse=True)
def x64():
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


def _net(n=6, seed=0, max_len=40.0, density=0.7):
    """A small random connectome with delays; self-connections of zero length (zero delay)."""
    rng = np.random.default_rng(seed)
    w = rng.random((n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(w, 0.2)
    lengths = rng.uniform(2.0, max_len, (n, n))
    np.fill_diagonal(lengths, 0.0)
    return types.SimpleNamespace(weights=w, tract_lengths=lengths, labels=[f"r{i}" for i in range(n)], source="random")


@pytest.fixture(scope="module")
def net():
    return _net()


def _rel_err(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _cpu(conn, model, **kw):
    """The numba engine, or the NumPy reference where numba cannot compile the model.

    (LarterBreakspear: more than 30 positional arguments, see tests/test_parity_tvb.py.)
    """
    from numba.core.errors import UnsupportedError

    try:
        return simulate(conn, model, engine="numba", **kw)
    except UnsupportedError:
        return simulate(conn, model, engine="numpy", **kw)


# ---------------------------------------------------------------------------
# parity with the CPU engines

# initial states scaled down where the model's ranges are wide (as in tests/test_models.py)
_SCALE = {"JansenRit": (1, 0.05, 0.2, 0.05, 1, 0.05)}


@pytest.mark.parametrize("name", bm.list_models())
def test_deterministic_parity_every_model(net, name):
    model = bm.get_model(name)  # default parameters, default coupling
    x0 = model.initial_state(6, np.random.default_rng(5))
    if name in _SCALE:
        x0 = x0 * np.asarray(_SCALE[name], float)[:, None]
    kw = dict(duration=20.0, dt=0.05, speed=2.0, initial=x0, monitors=["raw", "tavg:1.0"],
              outputs=list(model.state_names), on_divergence="raise")
    sim = Simulation(net, model, dt=0.05, speed=2.0)
    assert sim.net.max_delay > 0 and np.any(sim.net.idelays[net.weights > 0] == 0)  # zero and long delays
    ref = _cpu(net, model, **kw)
    ours = simulate(net, model, engine="jax", **kw)
    assert not ours.diverged
    a, b = ours["raw"].data, ref["raw"].data
    assert a.shape == b.shape == (400, model.n_state, 6)
    assert np.max(np.abs(b - x0[None])) > 1e-6  # the transient actually moves
    assert _rel_err(a, b) <= PARITY_RTOL, (name, _rel_err(a, b))
    assert _rel_err(ours["tavg"].data, ref["tavg"].data) <= PARITY_RTOL
    np.testing.assert_allclose(ours["tavg"].time, ref["tavg"].time)
    np.testing.assert_allclose(ours.final_state, ref.final_state, rtol=PARITY_RTOL, atol=PARITY_RTOL * np.abs(b).max())


def test_stochastic_parity_same_seeded_stream_tvb76_subset():
    conn = bt.Connectome.builtin("tvb76")
    conn = conn.subset(list(conn.labels[:10])).normalized("max")
    model = bm.MontbrioPazoRoxin(cv=0.2)
    # 40.3 ms: monitor rows plus trailing steps; the noise crosses no chunk here, the
    # stream is the reference's anyway (drawn with NumPy from SeedSequence(seed))
    kw = dict(duration=40.3, coupling=bm.Difference(a=0.3), dt=0.1, speed=1.5, noise=(0.01, 0.02),
              monitors=["tavg:1.0", "subsample:0.5"], seed=11)
    ref = simulate(conn, model, engine="numba", **kw)
    with jax.enable_x64(False):  # the engine runs in float64 whatever the global setting
        ours = simulate(conn, model, engine="jax", **kw)
    for name in ("tavg", "subsample"):
        assert ours[name].data.shape == ref[name].data.shape
        assert _rel_err(ours[name].data, ref[name].data) <= PARITY_RTOL
    np.testing.assert_allclose(ours.final_state, ref.final_state, rtol=1e-6, atol=1e-9)
    det = simulate(conn, model, engine="jax", **{**kw, "noise": None})
    assert np.abs(det["tavg"].data - ours["tavg"].data).max() > 1e-3  # the noise really acted
    other = simulate(conn, model, engine="jax", **{**kw, "seed": 12})
    assert np.abs(other["tavg"].data - ours["tavg"].data).max() > 1e-3


def test_explicit_normals_and_stimulus_match_reference(net):
    n_steps = 150
    z = np.random.default_rng(5).standard_normal((n_steps, 2, 6))
    stim = Stimulus(["r2"], Step(amplitude=1.0, onset=5.0))
    kw = dict(duration=15.0, dt=0.1, noise=(0.01, 0.02), noise_normals=z, stimulus=stim, coupling=bm.Linear(a=0.3),
              initial=np.array([0.1, -2.0]), monitors=["raw"])
    ref = simulate(net, bm.MontbrioPazoRoxin(), engine="numpy", **kw)
    ours = simulate(net, bm.MontbrioPazoRoxin(), engine="jax", **kw)
    assert _rel_err(ours.ts.data, ref.ts.data) <= PARITY_RTOL
    nostim = simulate(net, bm.MontbrioPazoRoxin(), engine="jax", **{**kw, "stimulus": None})
    d = np.abs(ours.ts["V"] - nostim.ts["V"]).max(axis=0)
    assert d[2] > 0.05 and d[2] > 3 * np.delete(d, 2).max()
    # an initial history (T, n_state, n_regions) rather than a constant one
    hist = np.random.default_rng(3).uniform(0.05, 0.5, (40, 2, 6))
    hist[:, 1] -= 2.0
    kw.update(initial=hist, stimulus=None)
    ref = simulate(net, bm.MontbrioPazoRoxin(), engine="numpy", **kw)
    ours = simulate(net, bm.MontbrioPazoRoxin(), engine="jax", **kw)
    assert _rel_err(ours.ts.data, ref.ts.data) <= PARITY_RTOL
    const = simulate(net, bm.MontbrioPazoRoxin(), engine="jax", **{**kw, "initial": hist[-1]})
    assert np.abs(const.ts.data - ours.ts.data).max() > 1e-4  # the history was used


# ---------------------------------------------------------------------------
# gradients against central finite differences


@pytest.fixture(scope="module")
def grad_setup(net):
    model = bm.MontbrioPazoRoxin()
    fn = make_network_simulator(model, bm.Linear(), net, dt=0.1, n_steps=230, delay_mode="linear", speed=2.0,
                                min_speed=1.0, monitor="tavg:1.0", checkpoint="auto")
    wts = jnp.arange(1.0, 7.0)

    def loss(params, x0, w, speed):
        y = fn(params, x0, w, speed)  # (23, 2, 6): 4 checkpointed segments of 5 rows + 3 rows
        return (jnp.sum(y[:, 0, :] * wts) + jnp.sum(jnp.sin(y[:, 1, :]))) / y.shape[0]

    args = ({"eta": jnp.linspace(-5.2, -4.6, 6), "tau": 1.1, "G": 0.7},
            jnp.asarray(model.initial_state(6, np.random.default_rng(5))), jnp.asarray(net.weights), 2.0)
    return fn, loss, args


def test_gradients_match_finite_differences(grad_setup):
    fn, loss, args = grad_setup
    g = jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3)))(*args)
    f = jax.jit(loss)

    def fd(perturb, h):
        return float((f(*perturb(h)) - f(*perturb(-h))) / (2 * h))

    def p_param(name, idx=None):
        def go(h):
            p = dict(args[0])
            p[name] = p[name] + h if idx is None else p[name].at[idx].add(h)
            return (p,) + args[1:]
        return go

    def p_arg(i, idx=None):
        def go(h):
            a = list(args)
            a[i] = a[i] + h if idx is None else a[i].at[idx].add(h)
            return tuple(a)
        return go

    checks = {
        "eta[2] (per region)": (float(g[0]["eta"][2]), fd(p_param("eta", 2), 1e-5)),
        "tau (global)": (float(g[0]["tau"]), fd(p_param("tau"), 1e-6)),
        "G (coupling)": (float(g[0]["G"]), fd(p_param("G"), 1e-6)),
        "x0[V, 3]": (float(g[1][1, 3]), fd(p_arg(1, (1, 3)), 1e-6)),
        "weight[1, 0]": (float(g[2][1, 0]), fd(p_arg(2, (1, 0)), 1e-6)),
        "speed": (float(g[3]), fd(p_arg(3), 1e-6)),
    }
    for what, (an, num) in checks.items():
        assert abs(num) > 1e-4, what  # a gradient that is zero would check nothing
        assert abs(an - num) <= GRAD_RTOL * abs(num), (what, an, num)
    # a weight outside the edge pattern (zero tract) has no gradient: it is not an edge
    absent = np.asarray(args[2]) == 0
    assert absent.any() and np.all(np.asarray(g[2])[absent] == 0) and np.all(np.asarray(g[2])[~absent] != 0)


def test_checkpointing_changes_no_gradient(net, grad_setup):
    fn, loss, args = grad_setup
    plain = make_network_simulator(bm.MontbrioPazoRoxin(), bm.Linear(), net, dt=0.1, n_steps=230, delay_mode="linear",
                                   speed=2.0, min_speed=1.0, monitor="tavg:1.0", checkpoint=None)
    wts = jnp.arange(1.0, 7.0)

    def loss2(params, x0, w, speed):
        y = plain(params, x0, w, speed)
        return (jnp.sum(y[:, 0, :] * wts) + jnp.sum(jnp.sin(y[:, 1, :]))) / y.shape[0]

    g1 = jax.jit(jax.grad(loss, argnums=(0, 3)))(*args)
    g2 = jax.jit(jax.grad(loss2, argnums=(0, 3)))(*args)
    np.testing.assert_allclose(np.asarray(g1[0]["eta"]), np.asarray(g2[0]["eta"]), rtol=1e-10)
    np.testing.assert_allclose(float(g1[1]), float(g2[1]), rtol=1e-10)
    np.testing.assert_allclose(float(loss(*args)), float(loss2(*args)), rtol=1e-12)


def test_linear_delays_equal_rounded_ones_on_whole_steps(net):
    # lengths that are whole numbers of steps: interpolation must reproduce TVB's rounding exactly
    whole = types.SimpleNamespace(weights=net.weights, tract_lengths=np.round(net.tract_lengths / 0.2) * 0.2)
    kw = dict(dt=0.1, n_steps=150, speed=2.0, monitor="raw")
    x0 = bm.MontbrioPazoRoxin().initial_state(6, np.random.default_rng(1))
    a = make_network_simulator("MontbrioPazoRoxin", bm.Linear(a=0.8), whole, delay_mode="rint", **kw)({}, x0)
    b = make_network_simulator("MontbrioPazoRoxin", bm.Linear(a=0.8), whole, delay_mode="linear", **kw)({}, x0)
    np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-12, atol=1e-12)
    c = make_network_simulator("MontbrioPazoRoxin", bm.Linear(a=0.8), net, delay_mode="linear", **kw)({}, x0)
    assert np.abs(np.asarray(c) - np.asarray(a)).max() > 1e-8  # the fractional part matters


def test_reverse_mode_memory_is_bounded(net):
    """Reverse mode must not keep the ring buffer at every step (the issue's "hundreds of GB")."""
    n_steps = 20000
    model = bm.MontbrioPazoRoxin()
    x0 = jnp.asarray(model.initial_state(6, np.random.default_rng(0)))
    fn = make_network_simulator(model, None, net, dt=0.05, n_steps=n_steps, delay_mode="linear", min_speed=0.5,
                                monitor="tavg:1.0", checkpoint="auto")
    loss = lambda p, w, s: jnp.sum(fn(p, x0, w, s))  # noqa: E731
    compiled = jax.jit(jax.grad(loss, argnums=(0, 1, 2))).lower({"eta": jnp.full(6, -5.0)}, jnp.asarray(net.weights), 2.0).compile()
    mem = compiled.memory_analysis()
    if mem is None or not hasattr(mem, "temp_size_in_bytes"):
        pytest.skip("this JAX backend reports no memory analysis")
    buffer_bytes = fn.history_length * 6 * 2 * 8
    assert fn.history_length >= 1600
    # a buffer stored at every step would need n_steps * buffer_bytes (~3.9 GB here)
    assert mem.temp_size_in_bytes < 0.02 * n_steps * buffer_bytes, mem.temp_size_in_bytes


def test_float32(net):
    kw = dict(dt=0.1, n_steps=100, speed=2.0, monitor="tavg:1.0")
    x0 = bm.MontbrioPazoRoxin().initial_state(6, np.random.default_rng(1))
    a = make_network_simulator("MontbrioPazoRoxin", None, net, dtype="float32", **kw)({}, x0)
    b = make_network_simulator("MontbrioPazoRoxin", None, net, dtype="float64", **kw)({}, x0)
    assert a.dtype == jnp.float32 and b.dtype == jnp.float64
    assert _rel_err(np.asarray(a, float), np.asarray(b)) < 1e-4


# ---------------------------------------------------------------------------
# batches


def test_vmap_over_parameter_sets_equals_separate_runs(net):
    fn = make_network_simulator(bm.MontbrioPazoRoxin(), "Linear", net, dt=0.1, n_steps=200, monitor="tavg:1.0", speed=2.0)
    x0 = jnp.asarray(bm.MontbrioPazoRoxin().initial_state(6, np.random.default_rng(2)))
    eta = jnp.stack([jnp.full(6, -5.0), jnp.linspace(-5.0, -4.0, 6), jnp.full(6, -4.5)])
    G = jnp.array([0.2, 0.6, 1.0])
    batch = jax.jit(jax.vmap(fn, in_axes=({"eta": 0, "G": 0}, None)))({"eta": eta, "G": G}, x0)
    assert batch.shape == (3, 20, 2, 6)
    single = jax.jit(fn)
    for k in range(3):
        np.testing.assert_allclose(np.asarray(batch[k]), np.asarray(single({"eta": eta[k], "G": G[k]}, x0)), rtol=1e-12, atol=1e-14)
    assert np.abs(np.asarray(batch[0] - batch[2])).max() > 1e-3


def test_simulate_batch_jax_equals_cpu_batch_and_flags_divergence(net):
    params = {"G": [0.1, 0.5, 0.9], "eta": [-5.0, -4.5, 1e4]}
    kw = dict(dt=0.1, noise=(0.01, 0.02), monitors=["tavg:1.0"])
    sim = Simulation(net, bm.MontbrioPazoRoxin(), engine="jax", **kw)
    ours = simulate_batch_jax(sim, 30.0, params, seeds=[3, 7, 9], batch_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = simulate_batch(net, bm.MontbrioPazoRoxin(), params, seeds=[3, 7, 9], duration=30.0, dtype=np.float64, **kw)
    assert ours.diverged.tolist() == ref.diverged.tolist() == [False, False, True]
    assert (ours.divergences[0].step, ours.divergences[0].region) == (ref.divergences[0].step, ref.divergences[0].region)
    ok = ~ref.diverged
    assert _rel_err(ours["tavg"].data[ok], ref["tavg"].data[ok]) <= PARITY_RTOL
    assert np.isnan(ours["tavg"].data[2, -1]).all()


# ---------------------------------------------------------------------------
# never silent


def test_divergence_is_flagged(net):
    kw = dict(duration=200.0, dt=0.5, method="euler", monitors=["raw"])
    with pytest.warns(BraintwinWarning, match="diverged"):
        ours = simulate(net, bm.MontbrioPazoRoxin(eta=10.0), engine="jax", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = simulate(net, bm.MontbrioPazoRoxin(eta=10.0), engine="numba", **kw)
    assert ours.diverged and ref.diverged
    d, r = ours.divergence, ref.divergence
    assert (d.step, d.region, d.label) == (r.step, r.region, r.label)
    assert np.all(np.isfinite(ours.ts.data)) and ours.ts.data.shape == ref.ts.data.shape
    with pytest.raises(DivergenceError):
        simulate(net, bm.MontbrioPazoRoxin(eta=10.0), engine="jax", on_divergence="raise", **kw)
    # the functional core reports it too
    fn = make_network_simulator(bm.MontbrioPazoRoxin(eta=10.0), None, net, dt=0.5, n_steps=400, method="euler",
                                monitor="raw", return_info=True)
    _, info = fn({}, bm.MontbrioPazoRoxin().initial_state(6, np.random.default_rng(0)))
    assert int(info["diverged_step"]) >= 0 and 0 <= int(info["diverged_region"]) < 6


def test_too_slow_speed_gives_nan_not_wrong_numbers(net):
    fn = make_network_simulator(bm.MontbrioPazoRoxin(), None, net, dt=0.1, n_steps=50, speed=2.0, monitor="raw", return_info=True)
    x0 = bm.MontbrioPazoRoxin().initial_state(6, np.random.default_rng(0))
    y, info = fn({}, x0, None, 2.0)
    assert bool(info["delays_ok"]) and np.all(np.isfinite(np.asarray(y)))
    y, info = fn({}, x0, None, 0.5)  # delays longer than the buffer sized for min_speed = 2
    assert not bool(info["delays_ok"]) and np.all(np.isnan(np.asarray(y)))


def test_noise_from_a_prng_key(net):
    fn = jax.jit(make_network_simulator(bm.MontbrioPazoRoxin(), None, net, dt=0.1, n_steps=100, monitor="raw", nsig=(0.01, 0.02)))
    x0 = bm.MontbrioPazoRoxin().initial_state(6, np.random.default_rng(0))
    k1, k2 = jax.random.PRNGKey(1), jax.random.PRNGKey(2)
    a, b, c = fn({}, x0, None, None, k1), fn({}, x0, None, None, k1), fn({}, x0, None, None, k2)
    det = fn({}, x0)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert np.abs(np.asarray(a - c)).max() > 1e-3 and np.abs(np.asarray(a - det)).max() > 1e-3
    quiet = fn({"nsig": 0.0}, x0, None, None, k1)
    np.testing.assert_allclose(np.asarray(quiet), np.asarray(det), rtol=1e-14)


def test_bad_input_is_a_clear_error(net):
    fn = make_network_simulator(bm.MontbrioPazoRoxin(), None, net, dt=0.1, n_steps=10, monitor="raw")
    x0 = np.zeros((2, 6))
    with pytest.raises(InputError, match="unknown parameter"):
        fn({"etta": -5.0}, x0)
    with pytest.raises(InputError, match="initial state"):
        fn({}, np.zeros((3, 6)))
    with pytest.raises(InputError, match="one per region"):
        fn({"eta": np.zeros(5)}, x0)
    with pytest.raises(InputError, match="delay_mode"):
        make_network_simulator(bm.MontbrioPazoRoxin(), None, net, dt=0.1, n_steps=10, delay_mode="cubic")
