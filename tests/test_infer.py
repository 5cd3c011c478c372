"""Inference machinery: diagnostics against known values, MAP and NUTS on models with known posteriors."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numpyro")

from braintwin.errors import BraintwinWarning, InputError
from braintwin.infer import diagnose, ess, rhat, shrinkage, zscore


def _ar1(rng, n_chains, n, rho):
    x = np.empty((n_chains, n))
    x[:, 0] = rng.standard_normal(n_chains)
    e = rng.standard_normal((n_chains, n)) * np.sqrt(1 - rho ** 2)
    for t in range(1, n):
        x[:, t] = rho * x[:, t - 1] + e[:, t]
    return x


def test_rhat_of_iid_and_identical_chains_is_one():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2000))
    assert abs(float(rhat(x)) - 1.0) < 0.01
    same = np.repeat(rng.standard_normal((1, 2000)), 4, axis=0)
    assert abs(float(rhat(same)) - 1.0) < 0.01


def test_rhat_of_shifted_chains_is_large():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 1000)) + np.arange(4)[:, None] * 1.0
    assert float(rhat(x)) > 1.1


def test_rhat_vectorised_over_parameters_and_constant_parameter():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 500, 5))
    x[..., 4] = 2.0  # a fixed parameter: R-hat 1 by convention, ESS = all draws
    r = rhat(x)
    assert r.shape == (5,)
    assert np.all(np.abs(r - 1.0) < 0.02)
    assert float(ess(x)[4]) == 1500


def test_ess_of_iid_draws_is_n():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 1000))
    assert 3200 < float(ess(x)) < 4800


def test_ess_of_ar1_matches_theory():
    rng = np.random.default_rng(4)
    rho = 0.8
    x = _ar1(rng, 4, 5000, rho)
    expected = 4 * 5000 * (1 - rho) / (1 + rho)
    assert abs(float(ess(x)) / expected - 1.0) < 0.3


def test_zscore_and_shrinkage_formulas():
    rng = np.random.default_rng(5)
    m, s, truth, prior_sd = 1.0, 0.5, 0.0, 2.0
    post = m + s * rng.standard_normal((200_000, 3))
    z = zscore(post, truth)
    assert np.allclose(z, abs(m - truth) / s, rtol=0.02)
    sh = shrinkage(post, prior_sd)
    assert np.allclose(sh, 1 - s ** 2 / prior_sd ** 2, atol=0.01)
    # the formulas exactly, on a tiny sample
    d = np.array([1.0, 2.0, 3.0, 6.0])
    assert zscore(d, 0.0) == pytest.approx(d.mean() / d.std(ddof=1))
    assert shrinkage(d, 3.0) == pytest.approx(1 - d.var(ddof=1) / 9.0)


def test_diagnose_flags_problems_and_reports():
    rng = np.random.default_rng(6)
    good = {"a": rng.standard_normal((4, 500, 3)), "b": rng.standard_normal((4, 500))}
    d = diagnose(good, diverging=np.zeros((4, 500), bool), seconds=2.0, truth={"a": np.zeros(3)}, prior_sd={"a": 10.0})
    assert d.ok and not d.problems
    assert d.max_rhat() < 1.01 and d.min_ess() > 1000
    assert d.ess_per_second == pytest.approx(d.min_ess() / 2.0)
    assert set(d.zscore) == {"a"} and d.shrinkage["a"].shape == (3,)
    text = d.summary()
    assert "OK" in text and "a" in text
    assert d.to_dict()["ok"] is True
    from matplotlib.figure import Figure

    assert isinstance(d.plot(), Figure)

    bad = {"a": rng.standard_normal((4, 500)) + np.arange(4)[:, None]}
    div = np.zeros((4, 500), bool)
    div[0, :3] = True
    d2 = diagnose(bad, diverging=div)
    assert not d2.ok
    assert any("divergent" in p for p in d2.problems)
    assert any("R-hat of a" in p for p in d2.problems)
    assert "FAILED" in d2.summary()
    with pytest.warns(BraintwinWarning, match="diagnostics failed"):
        d2.warn("test fit")


def test_diagnose_input_errors():
    with pytest.raises(InputError, match="n_chains, n_draws"):
        rhat(np.zeros(10))
    with pytest.raises(InputError, match="no parameters"):
        diagnose({})


def _gauss_model(y, prior_sd):
    import numpyro
    import numpyro.distributions as dist

    mu = numpyro.sample("mu", dist.Normal(0.0, prior_sd).expand([2]).to_event(1))
    numpyro.sample("y", dist.Normal(mu, 1.0).to_event(1), obs=y)


def test_find_map_and_nuts_on_a_conjugate_model():
    """Normal prior, normal likelihood: the posterior is known in closed form."""
    import jax.numpy as jnp

    from braintwin.infer import find_map, potential_of, run_nuts, x64

    rng = np.random.default_rng(7)
    y = rng.normal([1.0, -2.0], 1.0, size=(20, 2))
    prior_sd = 3.0
    prec = 1 / prior_sd ** 2 + len(y)
    post_mean, post_sd = y.sum(0) / prec, np.sqrt(1 / prec)
    with x64():
        flat = potential_of(_gauss_model, (jnp.asarray(y), prior_sd))
        m = find_map(flat, starts=2)
        assert np.allclose(m.z, post_mean, atol=1e-4)
        res = run_nuts(_gauss_model, (jnp.asarray(y), prior_sd), num_chains=2, num_warmup=200, num_samples=600, seed=1,
                       truth={"mu": np.array([1.0, -2.0])}, prior_sd={"mu": prior_sd}, chain_method="vectorized")
    mu = res.flat("mu")
    assert mu.shape == (1200, 2)
    assert np.allclose(mu.mean(0), post_mean, atol=4 * post_sd / np.sqrt(200))
    assert np.allclose(mu.std(0), post_sd, rtol=0.15)
    d = res.diagnostics
    assert d.ok, d.summary()
    assert d.divergences == 0
    assert d.max_rhat("mu") <= 1.01
    assert d.shrinkage["mu"].min() > 0.9
    for k in ("map", "compile", "warmup", "sampling", "total"):
        assert res.timings[k] >= 0
    assert res.inverse_mass_matrix.shape == (2, 2)


def test_every_chain_samples_with_the_smallest_adapted_step_by_default():
    """step_pool: the warm-up is the same (same seed), then "min"/"median" replace each chain's step by the pool's."""
    import jax.numpy as jnp

    from braintwin.infer import run_nuts, x64

    y = jnp.asarray(np.random.default_rng(7).normal([1.0, -2.0], 1.0, size=(20, 2)))
    kw = dict(num_chains=4, num_warmup=60, num_samples=40, seed=5, chain_method="vectorized", warn=False)
    with x64():
        own = run_nuts(_gauss_model, (y, 3.0), step_pool="chain", **kw)
        low = run_nuts(_gauss_model, (y, 3.0), **kw)
        mid = run_nuts(_gauss_model, (y, 3.0), step_pool="median", **kw)
    steps = np.asarray(own.step_size)
    assert np.ptp(steps) > 0  # dual averaging ends on a different step in each chain
    np.testing.assert_allclose(low.step_size, steps.min(), rtol=1e-12)
    np.testing.assert_allclose(mid.step_size, np.median(steps), rtol=1e-12)
    assert low.z.shape == (4, 40, 2) and np.all(np.isfinite(low.z))
    prec = 1 / 9 + len(y)
    assert np.allclose(low.flat("mu").mean(0), np.asarray(y).sum(0) / prec, atol=4 / np.sqrt(prec) / np.sqrt(40))
    with pytest.raises(InputError, match="step_pool"):
        run_nuts(_gauss_model, (y, 3.0), step_pool="max")


def test_run_nuts_input_errors():
    from braintwin.infer import run_nuts

    with pytest.raises(InputError, match="mass"):
        run_nuts(_gauss_model, (np.zeros((3, 2)), 1.0), mass="bogus")
    with pytest.raises(InputError, match="num_samples"):
        run_nuts(_gauss_model, (np.zeros((3, 2)), 1.0), num_samples=2)


def _t_model(df):
    import numpyro
    import numpyro.distributions as dist

    numpyro.sample("z", dist.StudentT(df, 0.0, 1.0).expand([2]).to_event(1))


def test_pooled_warm_up_stages_learn_a_mass_wider_than_the_laplace_one():
    """Student-t(5): the Laplace variance at the mode is df / (df + 1) = 0.83, the true one df / (df - 2) = 1.67.
    Each pooled stage re-estimates the mass from draws, so it must end above the Laplace value."""
    from braintwin.infer import run_nuts, x64

    with x64():
        res = {k: run_nuts(_t_model, (5.0,), num_chains=2, num_warmup=300, num_samples=300, seed=2, pool_stages=k,
                           chain_method="vectorized", map_starts=1) for k in (2, 3)}
    for k, r in res.items():
        assert r.settings["pool_stages"] == k
        v = np.diag(r.inverse_mass_matrix)
        assert np.all(v > 1.0), (k, v)
        assert r.diagnostics.divergences == 0
        assert np.allclose(r.flat("z").var(0), 5 / 3, rtol=0.35)
    with pytest.raises(InputError, match="pool_stages"):
        run_nuts(_gauss_model, (np.zeros((3, 2)), 1.0), pool_stages=1)


def _quartic_model(scale):
    import numpyro
    import numpyro.distributions as dist

    z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([2]).to_event(1))
    numpyro.factor("quartic", -scale * z[0] ** 4)  # curvature 12 * scale * z0^2 on top of the prior's 1


def test_laplace_curvature_is_one_for_a_gaussian_and_grows_off_a_quartic_map():
    from braintwin.infer import laplace_curvature, potential_of, x64

    with x64():
        gauss = laplace_curvature(potential_of(_gauss_model, (np.zeros((4, 2)), 2.0)), np.zeros(2), n_draws=3)
        for c in gauss:
            assert abs(c["top_curvature"] - 1.0) < 1e-8
        # the excess of a Gaussian is chi-square / 2: mean n_dim / 2
        many = laplace_curvature(potential_of(_gauss_model, (np.zeros((4, 2)), 2.0)), np.zeros(2), n_draws=200, seed=1)
        assert abs(np.mean([c["excess"] for c in many]) - 1.0) < 0.25
        # quartic in z0: the MAP is 0, where H = I; away from it the curvature along z0 is 1 + 12 s z0^2
        s = 5.0
        quart = laplace_curvature(potential_of(_quartic_model, (s,)), np.zeros(2), n_draws=20, seed=2)
    for c in quart:
        d = c["direction"] / np.linalg.norm(c["direction"])
        assert c["top_curvature"] >= 1.0 - 1e-9
        if c["top_curvature"] > 2.0:
            assert abs(d[0]) > 0.99  # the stiff direction is z0
    assert max(c["top_curvature"] for c in quart) > 10.0


def test_laplace_curvature_input_errors():
    from braintwin.infer import laplace_curvature, potential_of, x64

    with x64():
        flat = potential_of(_gauss_model, (np.zeros((4, 2)), 2.0))
        with pytest.raises(InputError, match="n_draws"):
            laplace_curvature(flat, np.zeros(2), n_draws=0)
        with pytest.raises(InputError, match="not finite"):  # the quartic's Hessian depends on z
            laplace_curvature(potential_of(_quartic_model, (5.0,)), np.full(2, np.nan))


_PARALLEL_SCRIPT = r"""
import json, numpy as np, numpyro
numpyro.set_host_device_count(2)
import jax
import jax.numpy as jnp

maps = []  # lax.map calls while compiling: the per-device sequential layout uses one, lockstep none
_map = jax.lax.map
jax.lax.map = lambda f, xs, *a, **k: (maps.append(1), _map(f, xs, *a, **k))[1]
import numpyro.distributions as dist
from braintwin.infer import run_nuts, x64

def model(y):
    mu = numpyro.sample("mu", dist.Normal(0.0, 3.0).expand([2]).to_event(1))
    numpyro.sample("y", dist.Normal(mu, 1.0).to_event(1), obs=y)

y = jnp.asarray(np.random.default_rng(7).normal([1.0, -2.0], 1.0, size=(20, 2)))
out = {}
with x64():
    for method in ("parallel", "auto", "vectorized"):
        maps.clear()
        r = run_nuts(model, (y,), num_chains=4, num_warmup=100, num_samples=100, seed=3, chain_method=method)
        out[method] = {"method": r.chain_method, "devices": r.n_devices, "step": r.step_size.tolist(),
                       "z": r.z.tolist(), "mean": r.flat("mu").mean(0).tolist(), "maps": len(maps)}
    r = run_nuts(model, (y,), num_chains=4, num_warmup=100, num_samples=100, seed=3, chain_method="auto", step_pool="chain")
    out["auto_own_steps"] = r.step_size.tolist()
print(json.dumps(out))
"""


def test_sequential_chains_on_cpu_devices_match_the_vectorised_draws(tmp_path):
    """chain_method="auto" on 2 CPU devices x 2 chains is "sequential": each device runs its chains one after the other
    (lax.map), not vmapped in lockstep; the algorithm is unchanged, so step sizes and draws equal the vectorised run's."""
    import json
    import subprocess
    import sys

    script = tmp_path / "par.py"
    script.write_text(_PARALLEL_SCRIPT)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    par, lock, vec = out["auto"], out["parallel"], out["vectorized"]
    assert (par["method"], par["devices"]) == ("sequential", 2) and par["maps"] > 0  # the CPU default: one after the other
    assert (lock["method"], lock["devices"]) == ("parallel", 2) and lock["maps"] == 0  # asked for: lockstep
    assert (vec["method"], vec["devices"]) == ("vectorized", 1)
    assert np.allclose(lock["z"], vec["z"], atol=1e-8)
    assert np.allclose(par["step"], vec["step"], rtol=1e-9)
    own = np.ravel(out["auto_own_steps"])  # the chains' own adapted steps; by default all sample with the smallest
    assert np.ptp(own) > 0 and np.allclose(np.ravel(par["step"]), own.min(), rtol=1e-12)
    zp, zv = np.asarray(par["z"]), np.asarray(vec["z"])
    assert zp.shape == zv.shape == (4, 100, 2)
    assert np.allclose(zp, zv, atol=1e-8)  # same chains, draw by draw (no chaos in a Gaussian posterior)
    y = np.random.default_rng(7).normal([1.0, -2.0], 1.0, size=(20, 2))
    prec = 1 / 9 + len(y)  # conjugate posterior of the mean: N(sum(y) / prec, 1 / prec)
    assert np.allclose(par["mean"], y.sum(0) / prec, atol=4 / np.sqrt(prec) / np.sqrt(100))
