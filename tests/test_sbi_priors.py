"""Priors for SBI: densities against scipy.stats, bijections, files, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from braintwin.errors import InputError
from braintwin.infer.sbi.priors import (
    LogNormal,
    Normal,
    Prior,
    TruncatedNormal,
    Uniform,
    read_prior,
    write_prior,
)

DISTS = [
    (Uniform(-1.0, 3.0), stats.uniform(-1.0, 4.0)),
    (Normal(-5.0, 2.0), stats.norm(-5.0, 2.0)),
    (LogNormal(-1.0, 0.5), stats.lognorm(s=0.5, scale=math.exp(-1.0))),
    (TruncatedNormal(0.5, 2.0, -1.0, 1.5), stats.truncnorm(-0.75, 0.5, loc=0.5, scale=2.0)),
    (TruncatedNormal(0.0, 1.0, 0.0, math.inf), stats.truncnorm(0.0, np.inf, loc=0.0, scale=1.0)),
    (TruncatedNormal(0.0, 1.0, 6.0, 7.0), stats.truncnorm(6.0, 7.0)),  # far tail: mass ~1e-9
]


def _prior(**kw):
    spec = {
        "G": Uniform(0.0, 1.0),
        "eta": {"dist": "normal", "loc": -5.0, "scale": 1.0},
        "J": {"dist": "truncated_normal", "loc": 15.0, "scale": 2.0, "low": 10.0, "high": 20.0, "per_region": True},
        "nsig": {"dist": "lognormal", "loc": -4.0, "scale": 0.5},
    }
    return Prior(spec, model="MontbrioPazoRoxin", region_labels=["lA1", "lA2", "rA1"], **kw)


@pytest.mark.parametrize("dist,ref", DISTS, ids=lambda d: repr(d)[:40])
def test_log_prob_matches_scipy(dist, ref):
    v = ref.rvs(size=50, random_state=np.random.default_rng(1))
    np.testing.assert_allclose(dist.log_prob(v), ref.logpdf(v), rtol=1e-9, atol=1e-9)
    lo, hi = dist.support
    if np.isfinite(lo):  # outside the support: -inf, never NaN
        assert dist.log_prob(np.array([lo - 1.0]))[0] == -np.inf


@pytest.mark.parametrize("dist,ref", DISTS, ids=lambda d: repr(d)[:40])
def test_samples_follow_the_distribution(dist, ref):
    draws = dist.sample(np.random.default_rng(2), (4000,))
    assert stats.kstest(draws, ref.cdf).pvalue > 1e-3


@pytest.mark.parametrize("dist,ref", DISTS, ids=lambda d: repr(d)[:40])
def test_bijection_round_trip_and_jacobian(dist, ref):
    v = ref.rvs(size=30, random_state=np.random.default_rng(3))
    u = dist.to_unbounded(v)
    assert np.all(np.isfinite(u))
    np.testing.assert_allclose(dist.from_unbounded(u), v, rtol=1e-9, atol=1e-12)
    # Jacobian of from_unbounded against central finite differences
    h = 1e-6
    fd = (dist.from_unbounded(u + h) - dist.from_unbounded(u - h)) / (2 * h)
    np.testing.assert_allclose(dist.log_abs_det_jac(u), np.log(np.abs(fd)), rtol=1e-5, atol=1e-6)


def test_joint_prior_shapes_labels_and_density():
    prior = _prior()
    assert prior.names == ("G", "eta", "J", "nsig")
    assert prior.shapes == {"G": (), "eta": (), "J": (3,), "nsig": ()}
    assert prior.dim == 6
    assert prior.labels == ["G", "eta", "J[lA1]", "J[lA2]", "J[rA1]", "nsig"]
    theta = prior.sample(100, seed=4)
    assert theta.shape == (100, 6) and theta.dtype == np.float64
    np.testing.assert_array_equal(prior.sample(100, seed=4), theta)  # seeded
    expected = (
        stats.uniform(0, 1).logpdf(theta[:, 0])
        + stats.norm(-5, 1).logpdf(theta[:, 1])
        + stats.truncnorm(-2.5, 2.5, loc=15, scale=2).logpdf(theta[:, 2:5]).sum(axis=1)
        + stats.lognorm(s=0.5, scale=math.exp(-4)).logpdf(theta[:, 5])
    )
    np.testing.assert_allclose(prior.log_prob(theta), expected, rtol=1e-10)
    params = prior.unflatten(theta)
    assert params["J"].shape == (100, 3) and params["G"].shape == (100,)
    np.testing.assert_array_equal(prior.flatten(params), theta)


def test_joint_jacobian_matches_finite_difference_determinant():
    prior = _prior()
    u = prior.to_unbounded(prior.sample(3, seed=5))
    h = 1e-6
    for row in u:
        jac = np.stack([(prior.from_unbounded(row + h * e) - prior.from_unbounded(row - h * e)) / (2 * h)
                        for e in np.eye(prior.dim)], axis=1)
        _, logdet = np.linalg.slogdet(jac)
        np.testing.assert_allclose(prior.log_abs_det_jacobian(row[None])[0], logdet, rtol=1e-5)


def test_jax_arrays_give_the_same_values():
    jnp = pytest.importorskip("jax.numpy")
    prior = _prior()
    theta = prior.sample(10, seed=6)
    u = prior.to_unbounded(theta)
    out = prior.to_unbounded(jnp.asarray(theta))
    assert "jax" in type(out).__module__
    np.testing.assert_allclose(np.asarray(out), u, rtol=1e-5, atol=1e-5)  # float32 in JAX by default
    np.testing.assert_allclose(np.asarray(prior.log_prob(jnp.asarray(theta))), prior.log_prob(theta), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(prior.log_abs_det_jacobian(jnp.asarray(u))),
                               prior.log_abs_det_jacobian(u), rtol=1e-5)
    # traced by jit and differentiated, as a flow's loss does
    import jax

    def density(uu):
        return (prior.log_prob(prior.from_unbounded(uu)) + prior.log_abs_det_jacobian(uu)).sum()

    grad = jax.jit(jax.grad(density))(jnp.asarray(u))
    assert grad.shape == u.shape and bool(jnp.all(jnp.isfinite(grad)))


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_file_round_trip(tmp_path, suffix):
    prior = _prior()
    path = write_prior(prior, tmp_path / f"prior{suffix}")
    back = read_prior(path)
    assert back == prior and back.labels == prior.labels
    theta = prior.sample(20, seed=7)
    np.testing.assert_array_equal(back.log_prob(theta), prior.log_prob(theta))
    json.dumps(prior.to_dict())  # JSON-ready


def test_hand_written_toml(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[prior]\nmodel = "VEP2D"\nn_regions = 2\n'
                    '[prior.params]\nx0 = {dist = "uniform", low = -3.0, high = -1.0, per_region = true}\n'
                    'K = {dist = "lognormal", loc = 0.0, scale = 1.0}\n')
    prior = read_prior(path)
    assert prior.labels == ["x0[0]", "x0[1]", "K"]


@pytest.mark.parametrize(
    "spec,match",
    [
        ({"G": Uniform(0, 1), "zeta": Uniform(0, 1)}, "unknown parameter 'zeta'"),
        ({"G": {"dist": "uniform", "low": 1.0, "high": 1.0}}, "must be < high"),
        ({"G": {"dist": "truncated_normal", "loc": 0, "scale": 1, "low": 2.0, "high": -2.0}}, "must be < high"),
        ({"eta": {"dist": "normal", "loc": 0.0, "scale": 0.0}}, "scale must be > 0"),
        ({"eta": {"dist": "cauchy", "loc": 0.0, "scale": 1.0}}, "unknown distribution"),
        ({"eta": {"dist": "normal", "loc": 0.0}}, "missing scale"),
        ({"eta": {"dist": "normal", "loc": 0.0, "scale": 1.0, "per_region": True}}, "needs n_regions"),
        ({"G": {"dist": "truncated_normal", "loc": 0, "scale": 1, "low": 50.0, "high": 60.0}}, "no probability mass"),
    ],
)
def test_bad_priors_are_refused(spec, match):
    with pytest.raises(InputError, match=match) as info:
        Prior(spec, model="MontbrioPazoRoxin")
    assert "\n" not in str(info.value)


def test_bad_prior_file_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[prior.params]\nG = {dist = "uniform", low = 2.0, high = 1.0}\n')
    with pytest.raises(InputError, match=r"bad\.toml: G: low \(2\.0\) must be < high"):
        read_prior(path)
    path.write_text("[prior.params\n")
    with pytest.raises(InputError, match="not a valid prior file"):
        read_prior(path)
